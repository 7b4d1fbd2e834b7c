"""The spare runner of a ``local`` connection: the next run's, started ahead of it.

The server side of :mod:`.warm`. After a push and after each run ends,
:meth:`Spares.want` starts one *spare*: a runner (``--spare=KERNEL``) for a
run directory and execution id of its own, with that directory's
``INPUT_DIR`` / ``OUTPUT_DIR``, which starts its kernel and waits. The
lifecycle asks for it when it queues a run that can start at once
(:meth:`Spares.take`): the run gets the spare's id and directory, and when
it starts :meth:`Spares.go` sends ``go`` on the spare's stdin instead of
starting a process. At most one spare per connection; only when a slot is
free and nothing waits (a spare is for a run that can start at once).

A spare leaves, its directory removed, when no run took it within
``prestart_minutes``, when another kernel is wanted, when it died, and at
shutdown: the end of its stdin tells it to stop its kernel and exit, KILL
follows if it does not. A spare adopted by a run that is then canceled
before it starts leaves the same way (the run's directory stays). At start,
the spares of servers that are gone are removed (they left when their
server did: a spare watches its parent). Spare directories are marked by
:data:`~.warm.SPARE_FILE`, holding the owner, so nothing else takes them
for a run's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from . import store as q
from .ownership import owner_alive
from .rundir import DataDir, RunDir
from .shared import kill_group
from .warm import GO, READY_FILE, SPARE_FILE

#: A kernelspec's name, as jupyter_client allows it: what a spare may be started for.
KERNEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,255}")
#: Seconds a spare gets to leave once told to, before it is killed.
LEAVE_GRACE_SECONDS = 3.0

Process = asyncio.subprocess.Process


@dataclass
class _Spare:
    execution_id: str
    run_dir: RunDir
    kernel_name: str
    process: Process
    #: When it is told to leave unless a run took it (time.monotonic()).
    expires: float
    watcher: Optional[asyncio.Task[None]] = None


class Spares:
    """The spare runner of one ``local`` connection (see the module docstring)."""

    def __init__(
        self,
        data: DataDir,
        *,
        owner: str,
        connection: str,
        log: logging.Logger,
        minutes: float,
        spawn: Callable[[RunDir, str], Awaitable[Process]],
        room: Callable[[], bool],
    ) -> None:
        self.data = data
        self.owner = owner
        self.connection = connection
        self.log = log
        #: How long a spare waits for a run; 0: runs start cold.
        self.seconds = max(0.0, minutes * 60.0)
        self._spawn_runner = spawn
        self._room = room
        self._spare: Optional[_Spare] = None
        self._kernel = "python3"
        self._starting: Optional[asyncio.Task[None]] = None
        #: Runs queued with a spare's directory: the spare's process, until "go".
        self._adopted: dict[str, Process] = {}
        #: Spares being told to leave (aclose waits for them).
        self._leaving: set[asyncio.Task[None]] = set()
        self._closing = False

    # ------------------------------------------------------------------ for the lifecycle

    def want(self, kernel_name: Optional[str] = None) -> None:
        """Have a spare ready for the next run, for ``kernel_name`` if given; never waits."""
        if kernel_name is not None and KERNEL_NAME.fullmatch(kernel_name):
            self._kernel = kernel_name
        if not self.seconds or self._closing:
            return
        spare = self._spare
        if spare is not None:
            if spare.kernel_name == self._kernel and spare.process.returncode is None:
                spare.expires = time.monotonic() + self.seconds
                return
            self._discard()  # another kernel is wanted now, or it died
        if self._starting is None and self._room():
            self._starting = asyncio.create_task(self._start(self._kernel), name="local-spare")

    def take(self) -> Optional[str]:
        """The spare's execution id, for a run that starts at once; None if there is none.

        The run's directory is the spare's from now on; :meth:`go` starts it,
        :meth:`release` lets the spare go if the run never starts.
        """
        spare = self._spare
        if spare is None or spare.process.returncode is not None or self._closing:
            return None
        if not self._room():
            return None
        self._spare = None
        if spare.watcher is not None:
            spare.watcher.cancel()
        self._adopted[spare.execution_id] = spare.process
        return spare.execution_id

    async def claimed(self, execution_id: str) -> None:
        """The run's files are in: the directory is a run's, no longer a spare's."""
        if execution_id in self._adopted:
            marker = self.data.run(execution_id).root / SPARE_FILE
            await asyncio.to_thread(marker.unlink, missing_ok=True)

    async def go(self, execution_id: str) -> Optional[Process]:
        """Start the run on its spare; None if it has none, or its spare died (cleared up)."""
        process = self._adopted.pop(execution_id, None)
        if process is None:
            return None
        if await _tell_go(process):
            return process
        run_dir = self.data.run(execution_id)
        await self._leave(process, run_dir, remove=False)
        await asyncio.to_thread(run_dir.kernel_pid_file.unlink, missing_ok=True)
        return None

    def release(self, execution_id: str) -> None:
        """Let go of the spare a run adopted but will not start (canceled, failed)."""
        process = self._adopted.pop(execution_id, None)
        if process is not None:
            self._in_background(self._leave(process, self.data.run(execution_id), remove=False))

    async def ready(self, timeout: float = 30.0) -> bool:
        """Wait until a spare's kernel answers (tests, benches); False if none does in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spare = self._spare
            if (
                spare is not None
                and spare.process.returncode is None
                and await asyncio.to_thread(os.path.exists, spare.run_dir.root / READY_FILE)
            ):
                return True
            await asyncio.sleep(0.02)
        return False

    @property
    def kernel_name(self) -> Optional[str]:
        """The kernel of the spare there is now, if any."""
        return self._spare.kernel_name if self._spare is not None else None

    def remove_orphans(self) -> None:
        """Remove the directories of spares whose server is gone (blocking: in a thread)."""
        try:
            entries = list(os.scandir(self.data.runs))
        except OSError:
            return
        for entry in entries:
            try:
                owner = Path(entry.path, SPARE_FILE).read_text(encoding="ascii").strip()
            except (OSError, ValueError):
                continue  # a run's directory, not a spare's
            if owner != self.owner and not owner_alive(self.data.servers, owner):
                RunDir(Path(entry.path)).remove()

    async def aclose(self) -> None:
        self._closing = True
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        self._discard()
        for execution_id in list(self._adopted):
            self.release(execution_id)
        if self._leaving:
            await asyncio.gather(*self._leaving, return_exceptions=True)

    # ------------------------------------------------------------------ one spare

    async def _start(self, kernel_name: str) -> None:
        execution_id = q.new_id()
        run_dir = self.data.run(execution_id)
        try:
            process = await self._spawn(run_dir, kernel_name)
        except OSError as exc:
            self.log.warning(
                "local connection '%s': no kernel started ahead of the next run (%s); "
                "runs start their own",
                self.connection,
                exc,
            )
            await asyncio.to_thread(run_dir.remove)
            return
        finally:
            self._starting = None
        spare = _Spare(execution_id, run_dir, kernel_name, process, time.monotonic() + self.seconds)
        self._spare = spare
        spare.watcher = asyncio.create_task(self._watch(spare), name="local-spare-watch")
        if self._closing:
            self._discard()

    async def _spawn(self, run_dir: RunDir, kernel_name: str) -> Process:
        def make() -> None:
            for path in (run_dir.input, run_dir.output, run_dir.work, run_dir.result):
                path.mkdir(parents=True, exist_ok=True)
            (run_dir.root / SPARE_FILE).write_text(self.owner, encoding="ascii")

        await asyncio.to_thread(make)
        return await self._spawn_runner(run_dir, kernel_name)

    async def _watch(self, spare: _Spare) -> None:
        """Let the spare go when it has waited long enough; clear it up if it died."""
        exited = asyncio.ensure_future(spare.process.wait())
        try:
            while self._spare is spare:
                remaining = spare.expires - time.monotonic()
                if remaining <= 0:
                    break
                await asyncio.wait({exited}, timeout=remaining)
                if exited.done():
                    break
            if self._spare is spare:
                self._discard()
        finally:
            exited.cancel()

    def _discard(self) -> None:
        """Tell the spare to leave and remove its directory, in the background."""
        spare, self._spare = self._spare, None
        if spare is None:
            return
        if spare.watcher is not None and spare.watcher is not asyncio.current_task():
            spare.watcher.cancel()
        self._in_background(self._leave(spare.process, spare.run_dir, remove=True))

    def _in_background(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)

    async def _leave(self, process: Process, run_dir: RunDir, *, remove: bool) -> None:
        """End of stdin: the spare stops its kernel and leaves; KILL if it does not."""
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), LEAVE_GRACE_SECONDS)
        except asyncio.TimeoutError:
            kill_group(process.pid, signal.SIGKILL)
            await process.wait()
        kill_group(process.pid, signal.SIGKILL)
        kill_group(await asyncio.to_thread(run_dir.kernel_pid))
        if remove:
            await asyncio.to_thread(run_dir.remove)


async def _tell_go(process: Process) -> bool:
    """Start a spare's run; False if the spare is gone."""
    if process.returncode is not None or process.stdin is None:
        return False
    try:
        process.stdin.write(GO)
        await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True
