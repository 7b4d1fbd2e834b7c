"""The ``local`` connection: a small Losant running on this machine.

Notebooks and runs live in a SQLite file and a directory tree under the
connection's data directory: ``notebooks/<id>/notebook.ipynb`` (the pushed
copy), ``runs/<execution id>/`` (see :mod:`.rundir`), ``servers/`` (see
:mod:`.ownership`) and ``local.sqlite3`` (see :mod:`.store`). A push
keeps a copy of the notebook; a run uses the copy taken when it was queued,
never the file being edited. Runs execute in child processes
(:mod:`.runner`) at most
``max_parallel`` at once, in the order they were queued, each stopped after
``max_run_minutes`` (status ``timeout``). Cancel stops a run's process group
and its kernel within seconds. Statuses, times, errors and outputs are those
of Losant's execution logs.

What the handlers already checked (ids, page and limit bounds, the usage
range, the pushed file: a valid notebook, within ``max_push_bytes``) is not
checked again here.

Options (``ConnectionConfig.options``): ``max_parallel`` (2),
``max_run_minutes`` (60), ``db_path`` ("" = ``<data_dir>/local.sqlite3``),
``max_output_mb`` (200: what one run may write to OUTPUT_DIR and its working
directory, and print, before it is stopped with ``OutputTooLarge``).

A run sees the server's environment minus the credentials the extension and
Jupyter know of (:data:`SECRET_ENV`, and every connection's ``token_env``),
plus ``INPUT_DIR`` and ``OUTPUT_DIR``.
Stopping runs relies on POSIX sessions and process groups (Linux, macOS).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Optional

from ...errors import Conflict, LocalRunError, NotFound, invalid
from ...models import (
    ExecuteBody,
    Execution,
    ExecutionError,
    ExecutionInput,
    ExecutionOutput,
    ExecutionSource,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    NotebookStats,
    Usage,
    as_utc,
    iso,
    usage_days,
)
from ..base import ConnectionConfig, ExecutionFile, NotebookUpload, Provider, ProviderContext
from . import store as q
from .ownership import ServerLock, owner_alive
from .rundir import RunDir, is_our_runner
from .shared import EXIT_DISK_FULL, is_disk_full, kill_group
from .store import ExecutionRow, NotebookRow, Store

DEFAULT_MAX_PARALLEL = 2
DEFAULT_MAX_RUN_MINUTES = 60.0
DEFAULT_MAX_OUTPUT_MB = 200.0
#: Seconds a stopped runner gets to leave before it is killed outright.
STOP_GRACE_SECONDS = 3.0
#: How often a running run's limits (disk use) are checked.
WATCH_INTERVAL_SECONDS = 1.0
#: Environment variables a run never sees: the extension's and the server's secrets.
SECRET_ENV = frozenset(
    {"LOSANT_API_TOKEN", "CIVIS_API_KEY", "JUPYTER_TOKEN", "JPY_API_TOKEN", "JUPYTERHUB_API_TOKEN"}
)

RESTART_MESSAGE = "The Jupyter server stopped while this run was in progress; run it again."
RESTART_QUEUED_MESSAGE = "The Jupyter server stopped before this run started; run it again."

#: The child process's program, run by file path (see :mod:`.runner`).
RUNNER = Path(__file__).with_name("runner.py")
#: Starts the runner by file path without putting its directory on sys.path.
_BOOTSTRAP = (
    "import runpy, sys; del sys.path[0]; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _now_ms() -> float:
    return time.time() * 1000.0


def _ms(value: datetime) -> float:
    return as_utc(value).timestamp() * 1000.0


def _iso_ms(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    return iso(datetime.fromtimestamp(value / 1000.0, tz=timezone.utc))


def _new_id() -> str:
    """A 24-hex id shaped like a MongoDB ObjectId (time first, then random)."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


def _month_start_ms() -> float:
    now = datetime.now(timezone.utc)
    return _ms(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def _option(options: Any, name: str, default: float, *, integer: bool = False) -> float:
    value = options.get(name, default)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0 or (integer and number != int(number)):
        kind = "a positive whole number" if integer else "a positive number"
        raise invalid(f"options.{name}", f"must be {kind}, not {value!r}")
    return int(number) if integer else number


@dataclass
class _Run:
    """A run this server is executing."""

    execution_id: str
    notebook_id: str
    run_dir: RunDir
    max_minutes: float
    task: Optional[asyncio.Task[None]] = None
    process: Optional[asyncio.subprocess.Process] = None
    #: Why the server is stopping it: "cancel", "shutdown", "timeout" or "too_large".
    stop_reason: Optional[str] = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stop_event.set()


class LocalProvider(Provider):
    """Runs notebooks on this machine the way Losant would."""

    kind = "local"
    needs_token = False
    default_label = "This machine"
    keeps_state = True
    capabilities = frozenset(
        {"list", "create", "rename", "delete", "push", "execute", "cancel", "logs", "usage"}
    )
    unsupported = {
        "inputExport": "runs on this machine get no Losant data inputs, so there is nothing "
        "to export; put the files the notebook needs next to it instead",
        "schedule": "this machine has no scheduler for notebooks; run it by hand or use a "
        "remote connection that schedules",
    }

    #: The options this kind reads (anything else in its configuration is a typo).
    option_names: ClassVar[frozenset[str]] = frozenset(
        {"max_parallel", "max_run_minutes", "db_path", "max_output_mb"}
    )

    def __init__(self, connection: ConnectionConfig, context: ProviderContext) -> None:
        super().__init__(connection, context)
        options = connection.options or {}
        self.max_parallel = int(
            _option(options, "max_parallel", DEFAULT_MAX_PARALLEL, integer=True)
        )
        self.max_run_minutes = _option(options, "max_run_minutes", DEFAULT_MAX_RUN_MINUTES)
        max_output_mb = _option(options, "max_output_mb", DEFAULT_MAX_OUTPUT_MB)
        self.max_output_bytes = int(max_output_mb * 1024 * 1024)
        if context.data_dir is not None:
            self.data_dir = Path(context.data_dir)
        else:
            from jupyter_core.paths import jupyter_data_dir

            self.data_dir = Path(jupyter_data_dir()) / "notebook_remote" / connection.id
        db_path = str(options.get("db_path") or "")
        self.db_path = Path(db_path).expanduser() if db_path else self.data_dir / "local.sqlite3"
        self._store = Store(self.db_path)
        #: Written on the runs this server queues; see :mod:`.ownership`.
        self._owner = f"{os.getpid():x}-{secrets.token_hex(4)}"
        self._lock = ServerLock(self.data_dir / "servers", self._owner)
        self._queue: deque[str] = deque()
        self._runs: dict[str, _Run] = {}
        self._start_lock = asyncio.Lock()
        self._started = False
        self._closing = False

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            if self._closing:
                raise LocalRunError("The local connection is shutting down.")
            await asyncio.to_thread(self._make_dirs)
            try:
                await asyncio.to_thread(self._lock.acquire)
            except OSError as exc:
                raise LocalRunError(
                    f"The local data directory {self.data_dir} is not writable: {exc}. Set "
                    "c.NotebookRemote.local_data_dir to a writable directory."
                ) from exc
            try:
                await self._store.open()
                await self._recover()
            except BaseException:
                await asyncio.to_thread(self._lock.release)
                raise
            self._started = True

    def _make_dirs(self) -> None:
        try:
            (self.data_dir / "notebooks").mkdir(parents=True, exist_ok=True)
            (self.data_dir / "runs").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalRunError(
                f"The local data directory {self.data_dir} cannot be created: {exc}. Set "
                "c.NotebookRemote.local_data_dir to a writable directory."
            ) from exc

    async def _recover(self) -> None:
        """End the runs a stopped server left going: they are errored, never lost.

        Runs of another server that still runs on the same store are its own.
        """
        left = await self._store.call(q.executions_with_status, q.ACTIVE)
        servers = self.data_dir / "servers"
        for row in left:
            if await asyncio.to_thread(owner_alive, servers, row.owner):
                continue
            run_dir = self._run_dir(row.id)
            message = RESTART_QUEUED_MESSAGE if row.status == "queued" else RESTART_MESSAGE
            finished, outputs = await asyncio.to_thread(self._salvage, row, run_dir)
            await self._store.call(
                q.finish,
                row.id,
                "errored",
                finished,
                [{"name": "ServerRestart", "message": message}],
                outputs,
                q.ACTIVE,
            )
            self.log.warning(
                "local run %s of notebook %s was %s when the server stopped; marked errored",
                row.id,
                row.notebook_id,
                row.status,
            )

    def _salvage(self, row: ExecutionRow, run_dir: RunDir) -> tuple[float, list[dict[str, Any]]]:
        """Stop what is left of an orphaned run and keep what it produced."""
        if row.runner_pid and is_our_runner(row.runner_pid, run_dir.root):
            kill_group(row.runner_pid)
        kernel = run_dir.kernel_pid()
        if kernel is not None and row.runner_pid is not None:
            kill_group(kernel)
        if row.started_at is None:
            return _now_ms(), []
        # The run ended when the server did, not now: count only the time it had.
        last = run_dir.last_activity() or row.started_at
        finished = max(row.started_at, min(last, _now_ms()))
        outputs, _notes = run_dir.collect_outputs()
        run_dir.append_log(f"[server] {RESTART_MESSAGE}")
        return finished, outputs

    async def aclose(self) -> None:
        self._closing = True
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
                    _now_ms(),
                    [{"name": "ServerRestart", "message": RESTART_QUEUED_MESSAGE}],
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

    async def _ready(self) -> None:
        if self._closing:
            raise LocalRunError(
                "The local connection is shutting down; try again once the server is back."
            )
        if not self._started:
            await self.start()

    # ------------------------------------------------------------------ paths

    def _notebook_file(self, notebook_id: str) -> Path:
        return self.data_dir / "notebooks" / notebook_id / "notebook.ipynb"

    def _run_dir(self, execution_id: str) -> RunDir:
        return RunDir(self.data_dir / "runs" / execution_id)

    # ------------------------------------------------------------------ models

    def _notebook_model(self, row: NotebookRow) -> Notebook:
        return Notebook(
            id=row.id,
            name=row.name,
            description=row.description,
            file_name=row.file_name,
            created_at=_iso_ms(row.created_at),
            updated_at=_iso_ms(row.updated_at),
            image_version=None,
            stats=NotebookStats(
                minutes_this_period=round(row.minutes, 2),
                runs_this_period=row.runs,
                errors_this_period=row.failures,
            ),
        )

    def _execution_model(
        self, row: ExecutionRow, outputs: Optional[list[dict[str, Any]]] = None
    ) -> Execution:
        files = row.outputs if outputs is None else outputs
        return Execution(
            id=row.id,
            notebook_id=row.notebook_id,
            status=row.status,
            queued_at=_iso_ms(row.queued_at),
            started_at=_iso_ms(row.started_at),
            finished_at=_iso_ms(row.finished_at),
            source=ExecutionSource(type="user", id=None),
            errors=[ExecutionError(name=e["name"], message=e["message"]) for e in row.errors],
            inputs=[ExecutionInput(name=i["name"], size=i.get("size")) for i in row.inputs],
            outputs=[
                ExecutionOutput(
                    name=o["name"],
                    size=o.get("size"),
                    content_type=o.get("contentType"),
                    url=self.file_route(row.notebook_id, row.id, o["name"]),
                )
                for o in files
            ],
        )

    async def _notebook_row(self, notebook_id: str) -> NotebookRow:
        await self._ready()
        row = await self._store.call(q.get_notebook, notebook_id, _month_start_ms())
        if row is None:
            raise NotFound(
                f"There is no notebook {notebook_id} on this machine (it may have been "
                "deleted). Link the notebook to another one.",
                reason="notebook_not_found",
                connection=self.connection.id,
            )
        return row

    async def _execution_row(self, notebook_id: str, execution_id: str) -> ExecutionRow:
        await self._notebook_row(notebook_id)
        row = await self._store.call(q.get_execution, execution_id)
        if row is None or row.notebook_id != notebook_id:
            raise NotFound(
                f"Notebook {notebook_id} has no run {execution_id}.",
                reason="execution_not_found",
                connection=self.connection.id,
            )
        return row

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        await self._ready()
        rows, total = await self._store.call(
            q.list_notebooks,
            (filter or "").strip() or None,
            page * per_page,
            per_page,
            _month_start_ms(),
        )
        return NotebookPage(
            items=[self._notebook_model(r) for r in rows],
            count=len(rows),
            total_count=total,
            page=page,
            per_page=per_page,
        )

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        await self._ready()
        notebook_id = _new_id()
        await self._store.call(
            q.insert_notebook, notebook_id, body.name, body.description or "", _now_ms()
        )
        return self._notebook_model(await self._notebook_row(notebook_id))

    async def get_notebook(self, notebook_id: str) -> Notebook:
        return self._notebook_model(await self._notebook_row(notebook_id))

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        await self._notebook_row(notebook_id)
        if patch.name is not None or patch.description is not None:
            await self._store.call(
                q.update_notebook, notebook_id, patch.name, patch.description, _now_ms()
            )
        return self._notebook_model(await self._notebook_row(notebook_id))

    async def delete_notebook(self, notebook_id: str) -> None:
        row = await self._notebook_row(notebook_id)
        active = await self._store.call(q.active_execution_ids, notebook_id)
        if active:
            raise Conflict(
                f"Notebook '{row.name}' has a run that is still going ({len(active)} queued or "
                "in progress). Cancel it or wait for it to end, then delete the notebook.",
                reason="run_active",
                connection=self.connection.id,
            )
        run_ids = await self._store.call(q.delete_notebook, notebook_id) or []
        await asyncio.to_thread(self._remove_files, notebook_id, run_ids)

    def _remove_files(self, notebook_id: str, run_ids: list[str]) -> None:
        import shutil

        shutil.rmtree(self._notebook_file(notebook_id).parent, ignore_errors=True)
        for execution_id in run_ids:
            self._run_dir(execution_id).remove()

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        """Keep the uploaded bytes as the notebook's copy, replacing the last one at once."""
        await self._notebook_row(notebook_id)
        target = self._notebook_file(notebook_id)
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        tmp = target.with_name(f".upload-{secrets.token_hex(6)}.tmp")
        try:
            handle = await asyncio.to_thread(open, tmp, "wb")
            try:
                async for chunk in upload.stream():
                    await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(_flush_and_sync, handle)
            finally:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, tmp, target)
        except OSError as exc:
            raise self._disk_error(exc, "storing the pushed notebook") from exc
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(tmp.unlink, missing_ok=True)
        await self._store.call(q.record_push, notebook_id, upload.file_name, upload.size, _now_ms())
        return self._notebook_model(await self._notebook_row(notebook_id))

    def _disk_error(self, exc: OSError, doing: str) -> LocalRunError:
        if is_disk_full(exc):
            return LocalRunError(
                f"No space left on the device while {doing} in {self.data_dir}. Free some "
                "disk space and try again.",
                reason="disk_full",
                connection=self.connection.id,
            )
        return LocalRunError(
            f"The local store could not be written while {doing}: {exc.strerror or exc}. "
            f"Check that {self.data_dir} is writable.",
            connection=self.connection.id,
        )

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        # relativeTo is Losant's query time for its data inputs; a run on this
        # machine has no data inputs, so it is accepted and has no effect.
        row = await self._notebook_row(notebook_id)
        if row.pushed_at is None or row.file_name is None:
            raise Conflict(
                f"Notebook '{row.name}' has no file yet: push the notebook first, then run it.",
                reason="not_pushed",
                connection=self.connection.id,
            )
        execution_id = _new_id()
        run_dir = self._run_dir(execution_id)
        try:
            inputs = await asyncio.to_thread(
                run_dir.prepare,
                self._notebook_file(notebook_id),
                body.template_context if isinstance(body.template_context, str) else None,
                self._cell_timeout(self.max_run_minutes),
                self.max_output_bytes,
                row.file_name,
            )
        except OSError as exc:
            await asyncio.to_thread(run_dir.remove)
            raise self._disk_error(exc, "preparing the run") from exc
        try:
            await self._store.call(
                q.insert_execution,
                execution_id,
                notebook_id,
                _now_ms(),
                self.max_run_minutes,
                row.file_name,
                inputs,
                self._owner,
            )
        except BaseException:
            await asyncio.to_thread(run_dir.remove)
            raise
        self._queue.append(execution_id)
        self._pump()
        return execution_id

    @staticmethod
    def _cell_timeout(max_minutes: float) -> int:
        """Per-cell limit for nbclient: generous, never past the run's own limit."""
        return max(1, math.ceil(max_minutes * 60) + 5)

    def _pump(self) -> None:
        """Start queued runs while there is room."""
        while self._queue and len(self._runs) < self.max_parallel and not self._closing:
            execution_id = self._queue.popleft()
            run = _Run(execution_id, "", self._run_dir(execution_id), self.max_run_minutes)
            self._runs[execution_id] = run
            run.task = asyncio.create_task(self._run(run), name=f"local-run-{execution_id}")

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        await self._notebook_row(notebook_id)
        rows = await self._store.call(
            q.list_executions, notebook_id, limit, None if since is None else _ms(since)
        )
        result = []
        for row in rows:
            live = None
            if row.status in ("inProgress", "canceling"):
                live = await asyncio.to_thread(self._run_dir(row.id).live_outputs)
            result.append(self._execution_model(row, live))
        return result

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        row = await self._execution_row(notebook_id, execution_id)
        if row.status == "queued":
            done = await self._store.call(
                q.finish, execution_id, "canceled", _now_ms(), [], [], ("queued",)
            )
            if done:
                with contextlib.suppress(ValueError):
                    self._queue.remove(execution_id)
                run = self._runs.get(execution_id)
                if run is not None:  # picked up but not started: it will see the status
                    run.request_stop("cancel")
                return
            row = await self._execution_row(notebook_id, execution_id)
        if row.status == "inProgress":
            await self._store.call(q.set_status, execution_id, "canceling", ("inProgress",))
            run = self._runs.get(execution_id)
            if run is not None:
                run.request_stop("cancel")
            elif not await asyncio.to_thread(owner_alive, self.data_dir / "servers", row.owner):
                # Its server is gone (it is stopped by then): end it here.
                await self._store.call(
                    q.finish, execution_id, "canceled", _now_ms(), [], [], ("canceling",)
                )
            # Else another live server runs it and stops it within a second.
            return
        if row.status == "canceling":
            return
        raise Conflict(
            f"Run {execution_id} already ended ({row.status}); there is nothing to cancel.",
            reason="already_finished",
            connection=self.connection.id,
        )

    async def usage(self, notebook_id: str, *, start: datetime, end: datetime) -> Usage:
        start, end = as_utc(start), as_utc(end)
        start_ms, end_ms = _ms(start), _ms(end)
        await self._notebook_row(notebook_id)
        rows = await self._store.call(q.finished_runs, notebook_id, start_ms, end_ms)
        days = usage_days(start, end)
        raw_minutes: dict[str, float] = dict.fromkeys(days, 0.0)
        for row in rows:
            begun = row.started_at if row.started_at is not None else row.queued_at
            key = datetime.fromtimestamp(begun / 1000, tz=timezone.utc).date().isoformat()
            if key not in days:
                continue
            day = days[key]
            if row.started_at is not None and row.finished_at is not None:
                raw_minutes[key] += max(0.0, row.finished_at - row.started_at) / 60000.0
            setattr(day, row.status, getattr(day, row.status) + 1)
        for key, day in days.items():
            day.minutes = round(raw_minutes[key], 2)
        return Usage(
            start=iso(start) or "",
            end=iso(end) or "",
            total_minutes=round(sum(raw_minutes.values()), 2),
            days=list(days.values()),
        )

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        row = await self._execution_row(notebook_id, execution_id)
        run_dir = self._run_dir(execution_id)
        listed = row.outputs
        if row.status in ("inProgress", "canceling"):
            listed = await asyncio.to_thread(run_dir.live_outputs)
        entry = next((o for o in listed if o["name"] == name), None)
        if entry is None:
            raise NotFound(
                f"Run {execution_id} has no output named '{name[:200]}'.",
                reason="file_not_found",
                connection=self.connection.id,
            )
        path = run_dir.path_of(entry)
        try:
            size = await asyncio.to_thread(_regular_file_size, path)
        except OSError:
            raise NotFound(
                f"The output '{name}' of run {execution_id} is no longer on disk.",
                reason="file_not_found",
                connection=self.connection.id,
            ) from None
        return ExecutionFile(
            name=name,
            content_type=str(entry.get("contentType") or "application/octet-stream"),
            size=size,
            chunks=lambda: _read_chunks(path, size),
        )

    # ------------------------------------------------------------------ one run

    async def _run(self, run: _Run) -> None:
        try:
            await self._execute_run(run)
        except Exception as exc:  # a failure of ours must not leave the run hanging
            self.log.exception("local run %s failed", run.execution_id)
            if run.process is not None and run.process.returncode is None:
                kill_group(run.process.pid)
            kill_group(run.run_dir.kernel_pid())
            name = "DiskFull" if is_disk_full(exc) else "LocalRunFailed"
            message = (
                "No space left on the device for this run; free some disk space and run it again."
                if name == "DiskFull"
                else f"The run could not be carried out on this machine: {exc}"
            )
            with contextlib.suppress(Exception):
                await self._store.call(
                    q.finish,
                    run.execution_id,
                    "errored",
                    _now_ms(),
                    [{"name": name, "message": message}],
                    [],
                    q.ACTIVE,
                )
        finally:
            self._runs.pop(run.execution_id, None)
            self._pump()

    async def _execute_run(self, run: _Run) -> None:
        started = _now_ms()
        if not await self._store.call(q.mark_started, run.execution_id, started):
            return  # canceled while it waited
        row = await self._store.call(q.get_execution, run.execution_id)
        if row is not None:
            run.notebook_id = row.notebook_id
            run.max_minutes = row.max_minutes
        runner_log = await asyncio.to_thread(open, run.run_dir.runner_log, "ab")
        try:
            run.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _BOOTSTRAP,
                str(RUNNER),
                str(run.run_dir.root),
                cwd=str(run.run_dir.root),
                env=self._run_env(run.run_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=runner_log,
                stderr=runner_log,
                start_new_session=True,
            )
        finally:
            await asyncio.to_thread(runner_log.close)
        await self._store.call(q.set_runner_pid, run.execution_id, run.process.pid)
        reason = await self._supervise(run, time.monotonic() + run.max_minutes * 60.0)
        if reason != "exited":
            await self._stop(run)
        # Whatever the kernel left in its process group goes with it.
        kill_group(run.process.pid)
        kill_group(await asyncio.to_thread(run.run_dir.kernel_pid))
        finished = _now_ms()
        status, errors = await asyncio.to_thread(self._outcome, run, reason)
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

    def _run_env(self, run_dir: RunDir) -> dict[str, str]:
        hidden = SECRET_ENV | self.context.secret_env
        env = {k: v for k, v in os.environ.items() if k not in hidden}
        env["INPUT_DIR"] = str(run_dir.input.resolve())
        env["OUTPUT_DIR"] = str(run_dir.output.resolve())
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    async def _supervise(self, run: _Run, deadline: float) -> str:
        """Wait until the runner exits or the server has to stop it; say which."""
        assert run.process is not None
        exited = asyncio.ensure_future(run.process.wait())
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
                if written > self.max_output_bytes:
                    run.request_stop("too_large")
                    return "too_large"
        finally:
            stop.cancel()
            if not exited.done():
                exited.cancel()

    async def _stop(self, run: _Run) -> None:
        """Stop the runner and its kernel: TERM, then KILL after a short grace."""
        assert run.process is not None
        process = run.process
        kill_group(process.pid, signal.SIGTERM)
        kill_group(await asyncio.to_thread(run.run_dir.kernel_pid))
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            kill_group(process.pid, signal.SIGKILL)
            await process.wait()

    def _outcome(self, run: _Run, reason: str) -> tuple[str, list[dict[str, str]]]:
        """Final status and errors of a run whose runner has exited."""
        if run.stop_reason == "cancel":
            return "canceled", []
        if reason == "timeout":
            minutes = f"{run.max_minutes:g} minute" + ("" if run.max_minutes == 1 else "s")
            return "timeout", [
                {
                    "name": "Timeout",
                    "message": f"The run went over its limit of {minutes} and was stopped. "
                    "Make the notebook faster or raise c.NotebookRemote.local_max_run_minutes.",
                }
            ]
        if reason == "too_large":
            limit = self.max_output_bytes / (1024 * 1024)
            return "errored", [
                {
                    "name": "OutputTooLarge",
                    "message": f"The run wrote more than {limit:g} MiB to OUTPUT_DIR and its "
                    "working directory, so it was stopped. Write less, or raise the limit "
                    "(max_output_mb in the 'local' entry of c.NotebookRemote.connections).",
                }
            ]
        if reason == "shutdown":
            return "errored", [{"name": "ServerRestart", "message": RESTART_MESSAGE}]
        status = run.run_dir.read_status()
        if status is not None and status.get("outcome") in ("completed", "errored"):
            errors = [
                {"name": str(e.get("name") or "Error"), "message": str(e.get("message") or "")}
                for e in status.get("errors") or []
                if isinstance(e, dict)
            ]
            outcome = str(status["outcome"])
            if outcome == "errored" and not errors:
                errors = [{"name": "Error", "message": "The run failed; see result.error.log."}]
            return outcome, errors
        assert run.process is not None
        code = run.process.returncode
        if code == EXIT_DISK_FULL:
            message = (
                "No space left on the device while writing the run's results; free some "
                "disk space and run it again."
            )
            return "errored", [{"name": "DiskFull", "message": message}]
        if code is not None and code < 0:
            message = (
                f"The run's process was killed by signal {-code} before it finished (out of "
                "memory?)."
            )
        else:
            tail = run.run_dir.runner_log_tail()
            message = f"The runner stopped unexpectedly (exit code {code})" + (
                f": {tail}" if tail else "."
            )
        return "errored", [{"name": "RunnerFailed", "message": message}]


def _flush_and_sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _regular_file_size(path: Path) -> int:
    import stat

    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise FileNotFoundError(str(path))
    return st.st_size


async def _read_chunks(path: Path, size: int, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The first ``size`` bytes of ``path`` (it may grow while being read), in chunks."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = await asyncio.to_thread(os.open, path, flags)
    try:
        left = size
        while left > 0:
            data = await asyncio.to_thread(os.read, fd, min(chunk_size, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        await asyncio.to_thread(os.close, fd)
