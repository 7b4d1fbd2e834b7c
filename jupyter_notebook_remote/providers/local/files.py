"""Serving a ``local`` run's files through the extension's files route.

A run serves only the outputs it lists (see :class:`~.rundir.RunDir`), by
their listed names, and only regular files: never a link, never a path the
browser made up. A file is streamed in chunks, up to the size it had when it
was opened (``result.log`` may still be growing).
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ...errors import NotFound
from ..base import ExecutionFile
from .rundir import RunDir

CHUNK_SIZE = 64 * 1024


async def run_file(
    run_dir: RunDir, listed: list[dict[str, Any]], name: str, *, execution_id: str, connection: str
) -> ExecutionFile:
    """The listed output ``name`` of the run in ``run_dir``, ready to stream."""
    entry = next((o for o in listed if o["name"] == name), None)
    if entry is None:
        raise NotFound(
            f"Run {execution_id} has no output named '{name[:200]}'.",
            reason="file_not_found",
            connection=connection,
        )
    path = run_dir.path_of(entry)
    try:
        size = await asyncio.to_thread(_regular_file_size, path)
    except OSError:
        raise NotFound(
            f"The output '{name}' of run {execution_id} is no longer on disk.",
            reason="file_not_found",
            connection=connection,
        ) from None
    return ExecutionFile(
        name=name,
        content_type=str(entry.get("contentType") or "application/octet-stream"),
        size=size,
        chunks=lambda: _read_chunks(path, size),
    )


async def pushed_file(path: Path, name: str, *, no_file: Exception) -> ExecutionFile:
    """A notebook's pushed copy at ``path``, ready to stream as ``name``."""
    try:
        size = await asyncio.to_thread(_regular_file_size, path)
    except OSError:
        raise no_file from None
    return ExecutionFile(
        name=name,
        content_type="application/x-ipynb+json",
        size=size,
        chunks=lambda: _read_chunks(path, size),
    )


def _regular_file_size(path: Path) -> int:
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise FileNotFoundError(str(path))
    return st.st_size


async def _read_chunks(path: Path, size: int) -> AsyncIterator[bytes]:
    """The first ``size`` bytes of ``path`` (it may grow while being read), in chunks."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = await asyncio.to_thread(os.open, path, flags)
    try:
        left = size
        while left > 0:
            data = await asyncio.to_thread(os.read, fd, min(CHUNK_SIZE, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        await asyncio.to_thread(os.close, fd)
