"""Push's first half: a saved notebook in the Jupyter contents, as a streamable upload.

:func:`resolve_upload` checks the path the browser sent the way the
contents manager would (relative, inside the root, not hidden unless hidden
files are allowed), checks the size from the file system before reading a
byte, starts the notebook check (``checker.py``: it runs while the file
streams, and its verdict is awaited before the last piece is sent), and
returns a :class:`~jupyter_notebook_remote.providers.base.NotebookUpload`
that streams the file from disk in 256 KiB pieces (its ``stream()``
guarantees the announced size and holds the last piece for the verdict).

File-backed contents managers (``FileContentsManager`` and its async twin)
are read straight from disk; any other contents manager is asked for the
notebook model, which is checked first and its JSON streamed from memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import posixpath
import string
from collections.abc import AsyncIterator
from typing import Any, Callable, Optional

from jupyter_core.utils import ensure_async
from tornado.web import HTTPError

from ..errors import Conflict, NotFound, TooLarge, invalid
from ..models import PushWarning
from ..providers.base import NotebookUpload
from .checker import NotebookCheck, SavedNotebooks
from .folder import FolderMode, collect_folder, mib
from .nbcheck import schema_warnings, structure_problem
from .nbcheck import stamp as file_stamp

#: 256 KiB: as fast as a direct upload (64 KiB pieces cost a thread hop each,
#: a fifth of a 50 MiB push's time), and still flat in memory.
CHUNK_SIZE = 256 * 1024
_NOTEBOOK_SUFFIX = ".ipynb"


def check_api_path(path: str) -> str:
    """A contents API path, normalised; :class:`InvalidInput` naming ``path`` if bad."""
    if "\x00" in path:
        raise invalid("path", "must not contain a NUL character")
    if (
        path.startswith(("/", "\\"))
        or os.path.splitdrive(path)[0]
        or (len(path) > 1 and path[1] == ":" and path[0] in string.ascii_letters)
    ):
        raise invalid("path", "must be relative to the Jupyter root (no leading '/' or drive)")
    parts = path.replace("\\", "/").split("/")
    if any(part in ("..", ".") for part in parts):
        raise invalid("path", "must not contain '.' or '..' segments")
    if any(part == "" for part in parts):
        raise invalid("path", "must not contain empty segments ('//') or end with '/'")
    if not path.lower().endswith(_NOTEBOOK_SUFFIX):
        raise invalid("path", "must name a .ipynb notebook")
    return "/".join(parts)


async def check_not_hidden(contents_manager: Any, api_path: str) -> None:
    """400 naming ``path`` for a hidden file or folder, unless hidden files are allowed."""
    if getattr(contents_manager, "allow_hidden", False):
        return
    hidden = any(part.startswith(".") for part in api_path.split("/"))
    if not hidden:
        try:
            hidden = bool(await ensure_async(contents_manager.is_hidden(api_path)))
        except (HTTPError, OSError):
            hidden = False
    if hidden:
        raise invalid("path", "is a hidden file or inside a hidden directory")


def _disk_chunks(
    os_path: str, stamp: tuple[int, int], api_path: str
) -> Callable[[], AsyncIterator[bytes]]:
    size = stamp[1]

    async def chunks() -> AsyncIterator[bytes]:
        # At most ``size`` bytes; NotebookUpload.stream() refuses fewer.
        try:
            f = await asyncio.to_thread(open, os_path, "rb")
        except FileNotFoundError:
            raise NotFound(
                f"{api_path} was removed before it could be pushed.", reason="path_not_found"
            ) from None
        try:
            if await asyncio.to_thread(file_stamp, os_path) != stamp:
                # Rewritten since it was checked: what was validated is gone.
                raise Conflict(
                    f"{api_path} changed on disk after it was checked; push it again.",
                    reason="file_changed",
                )
            sent = 0
            while sent < size:
                block = await asyncio.to_thread(f.read, min(CHUNK_SIZE, size - sent))
                if not block:
                    return
                sent += len(block)
                if sent == size and await asyncio.to_thread(file_stamp, os_path) != stamp:
                    # Saved again while it was read: the check read other bytes.
                    raise Conflict(
                        f"{api_path} changed on disk while it was being pushed; push it again.",
                        reason="file_changed",
                    )
                yield block
        finally:
            f.close()

    return chunks


def _memory_chunks(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        view = memoryview(data)
        for offset in range(0, len(data), CHUNK_SIZE):
            yield bytes(view[offset : offset + CHUNK_SIZE])

    return chunks


class _Checked:
    """The verdict on a notebook checked before its upload (read from a model)."""

    def __init__(self, warnings: list[PushWarning]) -> None:
        self.warnings = warnings

    async def verdict(self) -> list[PushWarning]:
        return self.warnings

    def done(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


def _os_path(contents_manager: Any, api_path: str) -> Optional[str]:
    """The file-system path for file-backed contents managers, else None."""
    resolver = getattr(contents_manager, "_get_os_path", None)
    if resolver is None or not hasattr(contents_manager, "root_dir"):
        return None
    try:
        return str(resolver(api_path))
    except HTTPError:
        raise invalid("path", "is outside the Jupyter root directory") from None


async def resolve_upload(
    contents_manager: Any,
    path: str,
    *,
    max_bytes: int,
    saved: Optional[SavedNotebooks] = None,
    folder: Optional[FolderMode] = None,
    max_folder_bytes: int = 0,
) -> NotebookUpload:
    """Check ``path`` and describe the saved notebook as a streamable upload.

    ``saved``: the verdicts taken when Jupyter saved notebooks; a file that
    has not changed since its save is not checked again. ``folder``: which
    files beside the notebook come along (for a kind that carries them),
    at most ``max_folder_bytes``; checked before the notebook check starts.
    """
    api_path = check_api_path(path)
    file_name = posixpath.basename(api_path)

    await check_not_hidden(contents_manager, api_path)

    os_path = _os_path(contents_manager, api_path)
    if not await ensure_async(contents_manager.file_exists(api_path)):
        if await ensure_async(contents_manager.dir_exists(api_path)):
            raise invalid("path", "is a directory, not a notebook")
        raise NotFound(
            f"There is no notebook at {api_path}. Save it first, then push again.",
            reason="path_not_found",
            fields={"path": "does not exist"},
        )

    if os_path is not None:
        try:
            stamp = await asyncio.to_thread(file_stamp, os_path)
        except FileNotFoundError:
            raise NotFound(
                f"There is no notebook at {api_path}.",
                reason="path_not_found",
                fields={"path": "does not exist"},
            ) from None
        size = stamp[1]
        _check_size(api_path, size, max_bytes)
        snapshot = None
        if folder is not None:
            snapshot = await collect_folder(
                os_path, api_path, mode=folder, max_bytes=max_folder_bytes
            )
        return NotebookUpload(
            file_name=file_name,
            size=size,
            folder=snapshot,
            chunks=_disk_chunks(os_path, stamp, api_path),
            check=NotebookCheck(
                os_path, stamp, api_path, saved.verdict_for(os_path, stamp) if saved else None
            ),
        )

    # Any other contents manager: ask it for the model.
    model = await ensure_async(contents_manager.get(api_path, content=False))
    if model.get("type") != "notebook":
        raise invalid("path", f"is a {model.get('type')}, not a notebook")
    if isinstance(model.get("size"), int):
        _check_size(api_path, model["size"], max_bytes)
    model = await ensure_async(contents_manager.get(api_path, content=True, type="notebook"))
    content = model.get("content")
    problem = structure_problem(content)
    if problem is not None:
        raise invalid("path", problem)
    data = json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")
    _check_size(api_path, len(data), max_bytes)
    found = [PushWarning(**warning) for warning in schema_warnings(content)]
    del content, model
    return NotebookUpload(
        file_name=file_name, size=len(data), chunks=_memory_chunks(data), check=_Checked(found)
    )


def _check_size(api_path: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TooLarge(
            f"{api_path} is {mib(size)}; a push may send at most {mib(max_bytes)} "
            "(NotebookRemote.max_push_bytes). Clear large outputs and save, then push again.",
            fields={"path": f"is larger than {max_bytes} bytes"},
        )
