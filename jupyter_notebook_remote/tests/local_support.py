"""Helpers for the tests of the ``local`` connection: providers, notebooks, waits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Optional

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_notebook_remote.models import Execution, NotebookCreate
from jupyter_notebook_remote.providers.base import (
    ConnectionConfig,
    NotebookUpload,
    ProviderContext,
)
from jupyter_notebook_remote.providers.local import LocalProvider

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

#: Writes the kernel's pid, the runner's pid (the kernel's parent) and a
#: grandchild's pid to OUTPUT_DIR/pids, then runs until stopped.
LOOP_FOREVER = [
    "import os, subprocess, time\n"
    "child = subprocess.Popen(['sleep', '600'])\n"
    "with open(os.path.join(os.environ['OUTPUT_DIR'], 'pids'), 'w') as f:\n"
    "    f.write(f'{os.getpid()} {os.getppid()} {child.pid}')",
    "while True:\n    time.sleep(0.05)",
]


def notebook_bytes(cells: list[str], *, kernel: Optional[str] = "python3") -> bytes:
    nb = new_notebook(
        cells=[new_markdown_cell("# test notebook")] + [new_code_cell(src) for src in cells]
    )
    if kernel is not None:
        nb.metadata["kernelspec"] = {**KERNELSPEC, "name": kernel}
    return nbformat.writes(nb).encode("utf-8")


def upload(data: bytes, file_name: str = "analysis.ipynb", chunk: int = 1000) -> NotebookUpload:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]

    return NotebookUpload(file_name=file_name, size=len(data), chunks=chunks)


#: The kinds' credential variables, which the connection registry puts in
#: every provider's ``ProviderContext.secret_env`` (with each ``token_env``).
KIND_SECRET_ENV = frozenset({"LOSANT_API_TOKEN", "CIVIS_API_KEY"})


def make_provider(data_dir: Path, **options: Any) -> LocalProvider:
    """A ``local`` provider built the way the connection registry builds it."""
    return LocalProvider(
        ConnectionConfig(id="local", kind="local", label="This machine", options=options),
        ProviderContext(
            tokens=lambda: None,
            data_dir=data_dir,
            server_base_url="/base/",
            secret_env=KIND_SECRET_ENV,
        ),
    )


@contextlib.asynccontextmanager
async def running(data_dir: Path, **options: Any) -> AsyncIterator[LocalProvider]:
    provider = make_provider(data_dir, **options)
    await provider.start()
    try:
        yield provider
    finally:
        await provider.aclose()


async def pushed_notebook(
    provider: LocalProvider, cells: list[str], *, kernel: Optional[str] = "python3"
) -> str:
    created = await provider.create_notebook(NotebookCreate(name="Test notebook"))
    await provider.push(created.id, upload(notebook_bytes(cells, kernel=kernel)))
    return created.id


async def execution(provider: LocalProvider, notebook_id: str, execution_id: str) -> Execution:
    for item in await provider.list_executions(notebook_id, limit=1000):
        if item.id == execution_id:
            return item
    raise AssertionError(f"run {execution_id} is not listed")


async def wait_for(
    provider: LocalProvider,
    notebook_id: str,
    execution_id: str,
    statuses: set[str],
    timeout: float = 60.0,
) -> Execution:
    deadline = time.monotonic() + timeout
    while True:
        item = await execution(provider, notebook_id, execution_id)
        if item.status in statuses:
            return item
        if time.monotonic() > deadline:
            raise AssertionError(f"run is still {item.status} after {timeout} s")
        await asyncio.sleep(0.05)


def read_text(path: Path) -> str:
    """The file's text, or "" while it does not exist yet."""
    try:
        return path.read_text()
    except OSError:
        return ""


async def wait_for_file(path: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = read_text(path)
        if text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        await asyncio.sleep(0.05)


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (gone, or a zombie waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


async def wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(process_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            alive = [pid for pid in pids if not process_gone(pid)]
            raise AssertionError(f"processes {alive} still run {timeout} s later")
        await asyncio.sleep(0.05)


async def read_file(
    provider: LocalProvider, notebook_id: str, execution_id: str, name: str
) -> bytes:
    file = await provider.execution_file(notebook_id, execution_id, name)
    return b"".join([chunk async for chunk in file.chunks()])
