"""The runner's head start: a kernel started before its run is known.

A run of the ``local`` connection spends most of its time, for a small
notebook, on things that are not its cells: the runner's Python starting and
importing nbclient and nbconvert, and the kernel starting (see
``bench/bench_scheduler.py``). So the server keeps one *spare* runner (see
:mod:`.lifecycle`): started ahead of time for a run directory of its own,
with that run's ``INPUT_DIR`` and ``OUTPUT_DIR`` in its environment, it does
its imports, readies the HTML exporter and starts a kernel in the run's
working directory, exactly as nbclient would start it for the run; then it
waits for one line on its stdin. When a run is queued and a slot is free,
the server gives that run the spare's directory and id, writes ``run.json``
and sends ``go``; the runner goes on as any runner does, with the kernel
already up (:meth:`WarmKernel.take`).

The pre-started kernel is used only if it is the kernel the notebook names,
started in the working directory the run has, from the kernelspec as it is
now, and still alive; otherwise it is stopped and the run starts its own
kernel, as a cold run does. It has executed nothing: the notebook's first
cell is the first code it runs. End of stdin without ``go`` means the server
no longer needs the spare: it stops the kernel and leaves.

Like :mod:`.shared`, this module is loaded by the runner from the file next
to it and imports nothing of the package.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import queue
import signal
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

#: The line on the spare's stdin that makes it run (``run.json`` is written by then).
GO = b"go\n"
#: Written in the spare's run directory once its kernel answers: for tests and benches.
READY_FILE = "spare.ready"
#: Marks a run directory as a spare's, with the owner (server) that started it.
SPARE_FILE = "spare.owner"
#: How long a pre-started kernel may take to answer before the run starts its own.
ANSWER_SECONDS = 10.0


class WarmKernel:
    """A kernel for ``kernel_name``, started in ``run_dir/work`` before the run."""

    def __init__(
        self,
        run_dir: Path,
        kernel_name: str,
        shared: ModuleType,
        on_pid: Callable[[int], None],
    ) -> None:
        self.run_dir = run_dir
        self.kernel_name = kernel_name
        self.cwd = (run_dir / "work").resolve()
        self.pid: Optional[int] = None
        self.km: Any = None
        self.kc: Any = None
        self._shared = shared
        self._on_pid = on_pid
        self._spec: Optional[dict[str, Any]] = None
        self._task: Optional[asyncio.Future[None]] = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from nbclient import NotebookClient
        from nbformat.v4 import new_notebook

        self._spec = KernelSpecManager().get_kernel_spec(self.kernel_name).to_dict()
        # nbclient's own steps, so that the kernel is started exactly as
        # nbclient starts it for a run (arguments, history file, cwd).
        client = NotebookClient(
            new_notebook(),  # type: ignore[no-untyped-call]
            kernel_name=self.kernel_name,
            startup_timeout=60,
        )
        client.km = client.create_kernel_manager()
        await client.async_start_new_kernel(cwd=str(self.cwd))
        self.km = client.km
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        if isinstance(pid, int):
            self.pid = pid
            self._on_pid(pid)
        await client.async_start_new_kernel_client()
        self.kc = client.kc
        with contextlib.suppress(OSError):
            (self.run_dir / READY_FILE).write_bytes(b"")

    async def take(self, kernel_name: str, cwd: Path) -> Optional[str]:
        """Make the kernel the run's; None if it is, else why not (it is stopped then)."""
        try:
            if self._task is None:
                raise RuntimeError("never started")
            await self._task
        except Exception as exc:  # the run starts its own kernel; say why in its log
            self.stop()
            return f"the pre-started kernel failed to start ({type(exc).__name__}: {exc})"
        why = self._unfit(kernel_name, cwd)
        if why is None and not await self._answers():
            why = "the pre-started kernel is no longer running"
        if why is not None:
            self.stop()
        return why

    async def _answers(self, timeout: float = ANSWER_SECONDS) -> bool:
        """Whether the kernel is alive and answers ``kernel_info`` (a round trip).

        The process's poll alone is not enough: a kernel killed a moment ago
        can still look alive to it.
        """
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = await _maybe_await(self.kc.get_shell_msg(timeout=0.1))
            except queue.Empty:
                if not await _maybe_await(self.km.is_alive()):
                    return False
                continue
            if (reply.get("parent_header") or {}).get("msg_id") == msg_id:
                return True
        return False

    def _unfit(self, kernel_name: str, cwd: Path) -> Optional[str]:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        if kernel_name != self.kernel_name:
            return f"the notebook's kernel is {kernel_name}, the pre-started one {self.kernel_name}"
        if cwd.resolve() != self.cwd:
            return "the run's working directory is not the pre-started kernel's"
        try:
            now = KernelSpecManager().get_kernel_spec(kernel_name).to_dict()
        except NoSuchKernel:
            return f"the kernelspec {kernel_name} was removed"
        if now != self._spec:
            return f"the kernelspec {kernel_name} changed since the kernel was started"
        return None

    def stop(self) -> None:
        """Kill the kernel (its process group) and remove its connection file."""
        self._shared.kill_group(self.pid, signal.SIGKILL)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.cleanup_connection_file()
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
        self.km = self.kc = None
        self.pid = None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def wait_for_go() -> bool:
    """Block until the server says ``go`` (True) or closes stdin (False)."""
    line = await asyncio.to_thread(sys.stdin.buffer.readline)
    return bool(line == GO)


def warm_up_imports() -> None:
    """What every run needs ready: nbformat's validator, the kernelspec lookup."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbformat.v4 import new_code_cell, new_notebook

    sample = new_notebook(cells=[new_code_cell("1")])  # type: ignore[no-untyped-call]
    sample.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.reads(nbformat.writes(sample), as_version=4)  # type: ignore[no-untyped-call]
    KernelSpecManager().find_kernel_specs()


def is_spare(run_dir: Path) -> bool:
    return os.path.exists(run_dir / SPARE_FILE)
