"""Pull: the file a remote notebook holds, saved as a linked notebook in the Jupyter contents.

The browser names where the copy goes (``path``, checked as a push's path
is); the server reads the remote's file (at most ``max_bytes``, never held
beyond that), refuses one that is not a notebook with the check's own
reason, writes the link (connection, notebook id and the remote's
``updatedAt``, so that the next push can tell whether the remote changed)
into its ``metadata.notebook_remote``, and saves it through the contents
manager. Nothing local is written until all of that holds, and an existing
file is replaced only when the request says so.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from jupyter_core.utils import ensure_async
from tornado.web import HTTPError

from ..errors import Conflict, RemoteError, TooLarge, invalid
from ..providers.base import ExecutionFile
from .folder import mib
from .nbcheck import check_bytes
from .upload import check_api_path, check_not_hidden

#: Where the link lives in a notebook's metadata (DESIGN.md).
METADATA_KEY = "notebook_remote"


async def read_limited(file: ExecutionFile, max_bytes: int, what: str) -> bytes:
    """The whole of ``file``, or :class:`TooLarge` as soon as it passes ``max_bytes``."""
    if file.size is not None and file.size > max_bytes:
        await file.aclose()
        raise _too_large(what, file.size, max_bytes)
    pieces: list[bytes] = []
    total = 0
    try:
        async for chunk in file.chunks():
            total += len(chunk)
            if total > max_bytes:
                raise _too_large(what, total, max_bytes)
            pieces.append(chunk)
    finally:
        await file.aclose()
    return b"".join(pieces)


def _too_large(what: str, size: int, max_bytes: int) -> TooLarge:
    return TooLarge(
        f"{what} is over {mib(max_bytes)} (it is at least {mib(size)}); a pull takes at most "
        "NotebookRemote.max_push_bytes. Nothing was saved.",
    )


def linked_notebook(
    raw: bytes, *, what: str, connection: str, notebook_id: str, updated_at: Optional[str]
) -> dict[str, Any]:
    """The pulled file's notebook, its link written in; :class:`RemoteError` if it is none."""
    verdict = check_bytes(raw)
    if verdict["problem"] is not None:
        raise RemoteError(
            f"{what} {verdict['problem']}. Nothing was saved; push a valid notebook to it "
            "first, or open it on the remote service to repair it.",
            reason="invalid_notebook",
            connection=connection,
        )
    data: dict[str, Any] = json.loads(raw.decode("utf-8"))
    link: dict[str, Any] = {"connection": connection, "notebookId": notebook_id}
    if updated_at:
        link["updatedAt"] = updated_at
    data["metadata"][METADATA_KEY] = link
    return data


async def pull_target(contents_manager: Any, path: str, *, overwrite: bool) -> str:
    """``path`` checked as where a pulled copy may go; 409 ``exists`` unless ``overwrite``.

    Called before anything is asked of the remote.
    """
    api_path = check_api_path(path)
    await check_not_hidden(contents_manager, api_path)
    folder = api_path.rpartition("/")[0]
    if folder and not await ensure_async(contents_manager.dir_exists(folder)):
        raise invalid("path", f"its folder {folder} does not exist")
    if await ensure_async(contents_manager.dir_exists(api_path)):
        raise invalid("path", "is a directory, not a notebook")
    if not overwrite and await ensure_async(contents_manager.file_exists(api_path)):
        raise Conflict(
            f"{api_path} already exists; choose another name, or ask to replace it.",
            reason="exists",
            fields={"path": "already exists"},
        )
    return api_path


async def save_pulled(contents_manager: Any, api_path: str, notebook: dict[str, Any]) -> None:
    """Save ``notebook`` at ``api_path`` (from :func:`pull_target`)."""
    model = {"type": "notebook", "format": "json", "content": notebook}
    try:
        await ensure_async(contents_manager.save(model, api_path))
    except HTTPError as exc:
        raise invalid("path", f"could not be saved: {exc.log_message or exc.reason}") from None
