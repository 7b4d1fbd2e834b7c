"""The life of the ``local`` connection's runs: queued, started, watched, ended.

:class:`RunLifecycle` does everything that happens to a run after the API
(:mod:`.provider`) asked for it:

* :meth:`~RunLifecycle.start` (once, before anything else) creates the data
  directory, takes this server's lock (:mod:`.ownership`), opens the store
  and ends the runs a server that is gone left going: they are ``errored``
  with ``ServerRestart``, what is left of their processes is stopped, and
  what they produced is kept.
* :meth:`~RunLifecycle.queue` copies the pushed notebook into a new run
  directory (:class:`~.rundir.RunDir`), records the run ``queued`` and
  queues it. At most ``max_parallel`` runs go at once, in the order they
  were queued.
* A run is a child process, :mod:`.runner`, started by file path in its own
  session, with the server's environment minus every secret
  (:data:`JUPYTER_SECRET_ENV` and the context's ``secret_env``: each kind's
  credential variables and each connection's ``token_env``), plus
  ``INPUT_DIR`` and ``OUTPUT_DIR``.
* While it runs it is watched: it exits; the server asks it to stop (cancel,
  shutdown); another server on the same store asks to cancel it; it goes
  over ``max_run_minutes`` (timeout) or writes more than
  ``max_output_bytes`` to OUTPUT_DIR and its working directory. Stopping it
  is TERM to the runner's process group and KILL to the kernel's, then KILL
  after :data:`STOP_GRACE_SECONDS`.
* When it has ended, :mod:`.outcome` decides its status and errors and the
  run directory lists its outputs; both go to the store.
* A head start (:mod:`.spares`, :mod:`.warm`): after a push and after a run
  ends, one *spare* runner is started for the next run, with its kernel (the
  one the last run used, ``python3`` at first) up and waiting. A run queued
  while a slot is free takes the spare's directory and id and starts with a
  ``go`` on the spare's stdin instead of a new process.
* After every run, at start and hourly, :mod:`.retention` removes the files
  of old ended runs (their rows stay).
* :meth:`~RunLifecycle.aclose` errors the queued runs and stops the running
  ones (``ServerRestart``), for the next start to find them ended.

Stopping runs relies on POSIX sessions and process groups (Linux, macOS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ...errors import LocalRunError
from . import outcome
from . import store as q
from .ownership import ServerLock, owner_alive
from .retention import Pruner, Retention
from .rundir import DataDir, RunDir
from .shared import kill_group
from .spares import Spares
from .store import ExecutionRow, Store, now_ms

#: Environment variables of Jupyter's own that hold its credentials; no run sees
#: them. (The kinds' credential variables come in the context's ``secret_env``.)
JUPYTER_SECRET_ENV = frozenset({"JUPYTER_TOKEN", "JPY_API_TOKEN", "JUPYTERHUB_API_TOKEN"})
#: Seconds a stopped runner gets to leave before it is killed outright.
STOP_GRACE_SECONDS = 3.0
#: How often a running run's limits (disk use) are checked.
WATCH_INTERVAL_SECONDS = 1.0

#: The child process's program, run by file path (see :mod:`.runner`).
RUNNER = Path(__file__).with_name("runner.py")
#: Starts the runner by file path without putting its directory on sys.path.
_BOOTSTRAP = (
    "import runpy, sys; del sys.path[0]; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def runner_command(run_dir: RunDir, spare: Optional[str] = None) -> list[str]:
    command = [sys.executable, "-c", _BOOTSTRAP, str(RUNNER), str(run_dir.root)]
    if spare is not None:
        command.append(f"--spare={spare}")
    return command


def is_our_runner(pid: int, run_dir: RunDir) -> bool:
    """Whether ``pid`` is still the runner of this run (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = cmdline.split(b"\0")
    return str(RUNNER).encode() in args and str(run_dir.root).encode() in args


def cell_timeout(max_minutes: float) -> int:
    """Per-cell limit for nbclient: generous, never past the run's own limit."""
    return max(1, math.ceil(max_minutes * 60) + 5)


@dataclass
class _Run:
    """A run this server is executing."""

    execution_id: str
    run_dir: RunDir
    max_minutes: float
    task: Optional[asyncio.Task[None]] = None
    process: Optional[asyncio.subprocess.Process] = None
    #: Why the server is stopping it: "cancel", "shutdown", "timeout" or "too_large".
    stop_reason: Optional[str] = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    #: Bytes of the files carried into its working directory: not its output.
    carried_bytes: int = 0
    #: The kernel it ran on, as its runner said (the next spare is started for it).
    kernel_name: Optional[str] = None

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stop_event.set()


class RunLifecycle:
    """The runs of one ``local`` connection, from queued to ended."""

    def __init__(
        self,
        data: DataDir,
        store: Store,
        *,
        connection: str,
        max_parallel: int,
        max_run_minutes: float,
        max_output_bytes: int,
        secret_env: frozenset[str],
        log: logging.Logger,
        retention: Retention,
        prestart_minutes: float = 0.0,
    ) -> None:
        self.data = data
        self.connection = connection
        self.max_parallel = max_parallel
        self.max_run_minutes = max_run_minutes
        self.max_output_bytes = max_output_bytes
        self.log = log
        self._store = store
        self._hidden_env = JUPYTER_SECRET_ENV | secret_env
        #: Written on the runs this server queues; see :mod:`.ownership`.
        self._owner = f"{os.getpid():x}-{secrets.token_hex(4)}"
        self._lock = ServerLock(data.servers, self._owner)
        self._queue: deque[str] = deque()
        self._runs: dict[str, _Run] = {}
        self._start_lock = asyncio.Lock()
        self._started = False
        self._closing = False
        self.pruner = Pruner(data, store, retention, connection=connection, log=log)
        self.spares = Spares(
            data,
            owner=self._owner,
            connection=connection,
            log=log,
            minutes=prestart_minutes,
            spawn=self._spawn,
            room=lambda: not self._queue and len(self._runs) < self.max_parallel,
        )

    # ------------------------------------------------------------------ start and stop

    async def start(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            if self._closing:
                raise LocalRunError("The local connection is shutting down.")
            doing = "cannot be created"
            try:
                await asyncio.to_thread(self.data.make)
                doing = "is not writable"
                await asyncio.to_thread(self._lock.acquire)
            except OSError as exc:
                raise LocalRunError(
                    f"The local data directory {self.data.root} {doing}: {exc}. Set "
                    "c.NotebookRemote.local_data_dir to a writable directory."
                ) from exc
            try:
                await self._store.open()
                await self._recover()
            except BaseException:
                await asyncio.to_thread(self._lock.release)
                raise
            self._started = True
            self.pruner.start()

    async def ready(self) -> None:
        """Start if not started yet; refuse once shutting down."""
        if self._closing:
            raise LocalRunError(
                "The local connection is shutting down; try again once the server is back."
            )
        if not self._started:
            await self.start()

    async def _recover(self) -> None:
        """End the runs a stopped server left going: they are errored, never lost.

        Runs of another server that still runs on the same store are its own.
        """
        await asyncio.to_thread(self.spares.remove_orphans)
        for row in await self._store.call(q.executions_with_status, q.ACTIVE):
            if await asyncio.to_thread(owner_alive, self.data.servers, row.owner):
                continue
            finished, outputs = await asyncio.to_thread(self._salvage, row)
            await self._store.call(
                q.finish,
                row.id,
                "errored",
                finished,
                outcome.restart_errors(started=row.status != "queued"),
                outputs,
                q.ACTIVE,
            )
            self.log.warning(
                "local run %s of notebook %s was %s when the server stopped; marked errored",
                row.id,
                row.notebook_id,
                row.status,
            )

    def _salvage(self, row: ExecutionRow) -> tuple[float, list[dict[str, Any]]]:
        """Stop what is left of an orphaned run and keep what it produced."""
        run_dir = self.data.run(row.id)
        if row.runner_pid and is_our_runner(row.runner_pid, run_dir):
            kill_group(row.runner_pid)
        kernel = run_dir.kernel_pid()
        if kernel is not None and row.runner_pid is not None:
            kill_group(kernel)
        if row.started_at is None:
            return now_ms(), []
        # The run ended when the server did, not now: count only the time it had.
        last = run_dir.last_activity() or row.started_at
        finished = max(row.started_at, min(last, now_ms()))
        outputs, _notes = run_dir.collect_outputs()
        run_dir.append_log(f"[server] {outcome.RESTART_MESSAGE}")
        return finished, outputs

    async def aclose(self) -> None:
        self._closing = True
        await self.pruner.aclose()
        await self.spares.aclose()
        if not self._started:
            await self._store.close()
            return
        queued = list(self._queue)
        self._queue.clear()
        for execution_id in queued:
            with contextlib.suppress(LocalRunError):
                await self._store.call(
                    q.finish,
                    execution_id,
                    "errored",
                    now_ms(),
                    outcome.restart_errors(started=False),
                    [],
                    ("queued",),
                )
        runs = list(self._runs.values())
        for run in runs:
            run.request_stop("shutdown")
        tasks = [run.task for run in runs if run.task is not None]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS + 5)
            for task in late:  # the next start marks these runs errored
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        for run in runs:  # whatever did not finish in time
            if run.process is not None and run.process.returncode is None:
                kill_group(run.process.pid)
            kill_group(run.run_dir.kernel_pid())
        self._started = False
        await self._store.close()
        await asyncio.to_thread(self._lock.release)

    def prestart(self) -> None:
        """Have the next run's kernel started ahead of it (after a push); never waits."""
        if self._started and not self._closing:
            self.spares.want()

    # ------------------------------------------------------------------ queue and cancel

    async def queue(
        self,
        notebook_id: str,
        file_name: str,
        template_context: Optional[str],
        source: tuple[str, Optional[str]] = ("user", None),
        relative_to: Optional[float] = None,
    ) -> str:
        """Queue a run of the notebook's pushed copy; return its execution id.

        ``source``: who asked, ``("user", None)`` or ``("schedule", id)``;
        ``relative_to``: the query time it was given (ms), kept with it.
        """
        execution_id = (self.spares.take() if self._started else None) or q.new_id()
        run_dir = self.data.run(execution_id)
        try:
            inputs = await asyncio.to_thread(
                run_dir.prepare,
                self.data.notebook_file(notebook_id),
                template_context,
                cell_timeout(self.max_run_minutes),
                self.max_output_bytes,
                file_name,
                self.data.folder(notebook_id),
            )
        except OSError as exc:
            self.spares.release(execution_id)
            await asyncio.to_thread(run_dir.remove)
            raise self.data.write_failure(exc, "preparing the run", self.connection) from exc
        try:
            await self._store.call(
                q.insert_execution,
                execution_id,
                notebook_id,
                now_ms(),
                self.max_run_minutes,
                file_name,
                inputs,
                self._owner,
                source,
                (relative_to, template_context),
            )
        except BaseException:
            self.spares.release(execution_id)
            await asyncio.to_thread(run_dir.remove)
            raise
        await self.spares.claimed(execution_id)
        self._queue.append(execution_id)
        self._pump()
        return execution_id

    async def cancel_queued(self, execution_id: str) -> bool:
        """Cancel a run that has not started; False if it has started meanwhile."""
        if not await self._store.call(
            q.finish, execution_id, "canceled", now_ms(), [], [], ("queued",)
        ):
            return False
        with contextlib.suppress(ValueError):
            self._queue.remove(execution_id)
        self.spares.release(execution_id)
        run = self._runs.get(execution_id)
        if run is not None:  # picked up but not started: it will see the status
            run.request_stop("cancel")
        return True

    async def cancel_running(self, row: ExecutionRow) -> None:
        """Ask a run in progress to stop, whichever server runs it."""
        await self._store.call(q.set_status, row.id, "canceling", ("inProgress",))
        run = self._runs.get(row.id)
        if run is not None:
            run.request_stop("cancel")
        elif not await asyncio.to_thread(owner_alive, self.data.servers, row.owner):
            # Its server is gone (it is stopped by then): end it here.
            await self._store.call(q.finish, row.id, "canceled", now_ms(), [], [], ("canceling",))
        # Else another live server runs it and stops it within a second.

    def _pump(self) -> None:
        """Start queued runs while there is room."""
        while self._queue and len(self._runs) < self.max_parallel and not self._closing:
            execution_id = self._queue.popleft()
            run = _Run(execution_id, self.data.run(execution_id), self.max_run_minutes)
            self._runs[execution_id] = run
            run.task = asyncio.create_task(self._run(run), name=f"local-run-{execution_id}")

    # ------------------------------------------------------------------ one run

    async def _run(self, run: _Run) -> None:
        try:
            await self._execute(run)
        except Exception as exc:  # a failure of ours must not leave the run hanging
            self.log.exception("local run %s failed", run.execution_id)
            if run.process is not None and run.process.returncode is None:
                kill_group(run.process.pid)
            kill_group(run.run_dir.kernel_pid())
            with contextlib.suppress(Exception):
                await self._store.call(
                    q.finish,
                    run.execution_id,
                    "errored",
                    now_ms(),
                    outcome.failure(exc),
                    [],
                    q.ACTIVE,
                )
        finally:
            self._runs.pop(run.execution_id, None)
            self._pump()
            if not self._closing:
                self.pruner.soon()  # one run more may push an old one past the policy
                self.spares.want(run.kernel_name)

    async def _execute(self, run: _Run) -> None:
        if not await self._store.call(q.mark_started, run.execution_id, now_ms()):
            self.spares.release(run.execution_id)
            return  # canceled while it waited
        row = await self._store.call(q.get_execution, run.execution_id)
        if row is not None:
            run.max_minutes = row.max_minutes
        run.carried_bytes = await asyncio.to_thread(run.run_dir.written_bytes)
        process = await self._start_runner(run)
        await self._store.call(q.set_runner_pid, run.execution_id, process.pid)
        reason = await self._supervise(run, process, time.monotonic() + run.max_minutes * 60.0)
        if reason != "exited":
            await self._stop(run, process)
        # Whatever the kernel left in its process group goes with it.
        kill_group(process.pid)
        kill_group(await asyncio.to_thread(run.run_dir.kernel_pid))
        finished = now_ms()
        status, errors = await asyncio.to_thread(
            outcome.decide,
            run.run_dir,
            reason,
            run.stop_reason,
            process.returncode,
            max_minutes=run.max_minutes,
            max_output_bytes=self.max_output_bytes,
        )
        verdict = await asyncio.to_thread(run.run_dir.read_status) or {}
        if isinstance(verdict.get("kernel"), str):
            run.kernel_name = verdict["kernel"]
        outputs, notes = await asyncio.to_thread(run.run_dir.collect_outputs)
        for note in notes:
            await asyncio.to_thread(run.run_dir.append_log, f"[server] output left out: {note}")
        if notes:  # sizes changed with the notes above
            outputs, _ = await asyncio.to_thread(run.run_dir.collect_outputs)
        await self._store.call(
            q.finish,
            run.execution_id,
            status,
            finished,
            errors,
            outputs,
            ("inProgress", "canceling"),
        )

    async def _start_runner(self, run: _Run) -> asyncio.subprocess.Process:
        spare = await self.spares.go(run.execution_id)
        if spare is not None:
            run.process = spare
            return spare
        run.process = await self._spawn(run.run_dir)
        return run.process

    async def _spawn(
        self, run_dir: RunDir, spare: Optional[str] = None
    ) -> asyncio.subprocess.Process:
        """Start a runner for ``run_dir`` in its own session; ``spare``: its kernel, ahead.

        Its output goes to the run's ``runner.log``; a spare reads ``go`` on stdin.
        """
        runner_log = await asyncio.to_thread(open, run_dir.runner_log, "ab")
        try:
            return await asyncio.create_subprocess_exec(
                *runner_command(run_dir, spare=spare),
                cwd=str(run_dir.root),
                env=self._run_env(run_dir),
                stdin=asyncio.subprocess.PIPE if spare else asyncio.subprocess.DEVNULL,
                stdout=runner_log,
                stderr=runner_log,
                start_new_session=True,
            )
        finally:
            await asyncio.to_thread(runner_log.close)

    def _run_env(self, run_dir: RunDir) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in self._hidden_env}
        env["INPUT_DIR"] = str(run_dir.input.resolve())
        env["OUTPUT_DIR"] = str(run_dir.output.resolve())
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    async def _supervise(
        self, run: _Run, process: asyncio.subprocess.Process, deadline: float
    ) -> str:
        """Wait until the runner exits or the server has to stop it; say which."""
        exited = asyncio.ensure_future(process.wait())
        stop = asyncio.ensure_future(run.stop_event.wait())
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    run.request_stop("timeout")
                    return "timeout"
                await asyncio.wait(
                    {exited, stop},
                    timeout=min(remaining, WATCH_INTERVAL_SECONDS),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if run.stop_reason is not None:
                    return run.stop_reason
                if exited.done():
                    return "exited"
                # Another server on the same store may have asked to cancel it.
                if await self._store.call(q.get_status, run.execution_id) == "canceling":
                    run.request_stop("cancel")
                    return "cancel"
                written = await asyncio.to_thread(run.run_dir.written_bytes)
                if written - run.carried_bytes > self.max_output_bytes:
                    run.request_stop("too_large")
                    return "too_large"
        finally:
            stop.cancel()
            if not exited.done():
                exited.cancel()

    async def _stop(self, run: _Run, process: asyncio.subprocess.Process) -> None:
        """Stop the runner and its kernel: TERM, then KILL after a short grace."""
        kill_group(process.pid, signal.SIGTERM)
        kill_group(await asyncio.to_thread(run.run_dir.kernel_pid))
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            kill_group(process.pid, signal.SIGKILL)
            await process.wait()
