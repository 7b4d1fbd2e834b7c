"""jupyter_notebook_remote: push, run and watch notebooks on a remote service from JupyterLab."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - a source tree that was never built
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-notebook-remote"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import NotebookRemote

    return [{"module": "jupyter_notebook_remote", "app": NotebookRemote}]
