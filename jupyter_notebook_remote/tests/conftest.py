"""Shared fixtures: a real Jupyter Server with the extension, auth on.

Each test gets a private token store and local data directory under its
``tmp_path``, so nothing reads or writes the user's real Jupyter data.
Modules that need a remote add connections by overriding
``notebook_remote_config``.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = (
    "pytest_jupyter.jupyter_server",
    "jupyter_notebook_remote.tests.fakes.fixtures",
)


@pytest.fixture
def notebook_remote_config(tmp_path: Any) -> dict[str, Any]:
    """``c.NotebookRemote`` for the test server; override per module."""
    return {
        "token_store_path": str(tmp_path / "tokens.json"),
        "local_data_dir": str(tmp_path / "local"),
    }


@pytest.fixture
def jp_server_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_notebook_remote": True}},
        # Tests change the fakes behind the extension's back and read at once:
        # answers are shared only while in flight unless a test asks for more.
        "NotebookRemote": {"http_read_freshness": 0, **notebook_remote_config},
    }
