"""The HTML preview Civis shows on a notebook's page, made as Civis's own image makes it.

Civis's notebook image uploads, beside the ``.ipynb``, an HTML rendering of
it to ``updatePreviewUrl`` (the notebook's page in Civis shows that, not the
file). A push from here does the same: nbconvert's HTML export (the ``lab``
template), made in a thread off the event loop, without nbconvert's schema
check after each step (a notebook JupyterLab opens, a ``kernelspec`` without
``display_name`` say, is shown as it is). Notebooks over
:data:`PREVIEW_MAX_BYTES` get no new preview: rendering one takes seconds
and several times its size in memory, for a page nobody scrolls through.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

#: Larger notebooks keep their last preview (a log line says so).
PREVIEW_MAX_BYTES = 20 * 1024 * 1024

_EXPORTER: Optional[Any] = None
#: One rendering at a time: an exporter is not made for two at once.
_LOCK = threading.Lock()


def _exporter() -> Any:
    """One HTML exporter for the server's life: its templates load once (call under _LOCK)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        class Lenient(HTMLExporter):
            def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
                return None

        _EXPORTER = Lenient()  # type: ignore[no-untyped-call]
    return _EXPORTER


def render(data: bytes, title: str) -> bytes:
    """The notebook ``data`` as an HTML page titled ``title`` (blocking: run in a thread)."""
    import nbformat

    notebook = nbformat.reads(  # type: ignore[no-untyped-call]
        data.decode("utf-8"), as_version=4, capture_validation_error={}
    )
    with _LOCK:
        body, _ = _exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return str(body).encode("utf-8")
