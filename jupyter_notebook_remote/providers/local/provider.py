"""The ``local`` connection's API: a small Losant running on this machine.

:class:`LocalProvider` answers the :class:`~..base.Provider` methods from the
store (:mod:`.store`) and the data directory (:mod:`.rundir`), and hands
everything that happens to a run to :class:`~.lifecycle.RunLifecycle`. A
push keeps a copy of the notebook; a run uses the copy taken when it was
queued, never the file being edited. Statuses, times, errors and outputs
are those of Losant's execution logs.

What the handlers already checked (ids, page and limit bounds, the usage
range, the pushed file: a valid notebook, within ``max_push_bytes``) is not
checked again here.

Options (``ConnectionConfig.options``): ``max_parallel`` (2),
``max_run_minutes`` (60), ``keep_runs`` (50) and ``keep_days`` (30; see
:mod:`.retention`, 0 = no limit), ``db_path`` ("" = ``<data_dir>/local.sqlite3``),
``max_output_mb`` (200: what one run may write to OUTPUT_DIR and its working
directory, and print, before it is stopped with ``OutputTooLarge``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Optional

from ... import schedules
from ...errors import Conflict, NotFound, invalid
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
    context_value,
    iso,
    parse_time,
)
from ...models import (
    ExecutionProgress as Progress,
)
from ...schedules import Schedule, ScheduleBody
from ..base import ConnectionConfig, ExecutionFile, NotebookUpload, Provider, ProviderContext
from . import scheduler as sq
from . import store as q
from .files import pushed_file, run_file
from .lifecycle import RunLifecycle
from .retention import DEFAULT_KEEP_DAYS, DEFAULT_KEEP_RUNS, Retention
from .rundir import DataDir
from .scheduler import Scheduler, ScheduleRow, instant
from .store import ExecutionRow, NotebookRow, Store, now_ms, to_ms
from .usage import tally

DEFAULT_MAX_PARALLEL = 2
DEFAULT_MAX_RUN_MINUTES = 60.0
DEFAULT_MAX_OUTPUT_MB = 200.0
#: Minutes a pre-started kernel waits for the next run (see :mod:`.warm`).
DEFAULT_PRESTART_MINUTES = 30.0


def _iso_ms(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    return iso(datetime.fromtimestamp(value / 1000.0, tz=timezone.utc))


def _month_start_ms() -> float:
    now = datetime.now(timezone.utc)
    return to_ms(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


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


def _limit(options: Any, name: str, default: float, *, integer: bool = False) -> float:
    """A retention limit: like :func:`_option`, but 0 (no limit) is allowed."""
    value = options.get(name, default)
    if value == 0:
        return 0
    return _option(options, name, default, integer=integer)


def _flush_and_sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


class LocalProvider(Provider):
    """Runs notebooks on this machine the way Losant would."""

    kind = "local"
    needs_token = False
    default_label = "This machine"
    keeps_state = True
    carries_folder = True
    run_context = True  # written to INPUT_DIR/context.json
    unsupported = {
        "inputExport": "runs on this machine get no Losant data inputs, so there is nothing "
        "to export; the files beside the notebook are carried with each push instead",
        "open": "a local run executes the notebook and ends; its results are in its outputs",
    }

    #: The options this kind reads (anything else in its configuration is a typo).
    option_names: ClassVar[frozenset[str]] = frozenset(
        {
            "max_parallel",
            "max_run_minutes",
            "db_path",
            "max_output_mb",
            "keep_runs",
            "keep_days",
            "prestart_minutes",
        }
    )

    def __init__(self, connection: ConnectionConfig, context: ProviderContext) -> None:
        super().__init__(connection, context)
        options = connection.options or {}
        max_parallel = int(_option(options, "max_parallel", DEFAULT_MAX_PARALLEL, integer=True))
        max_run_minutes = _option(options, "max_run_minutes", DEFAULT_MAX_RUN_MINUTES)
        max_output_mb = _option(options, "max_output_mb", DEFAULT_MAX_OUTPUT_MB)
        retention = Retention(
            keep_runs=int(_limit(options, "keep_runs", DEFAULT_KEEP_RUNS, integer=True)),
            keep_days=_limit(options, "keep_days", DEFAULT_KEEP_DAYS),
        )
        if context.data_dir is not None:
            data_dir = Path(context.data_dir)
        else:
            from jupyter_core.paths import jupyter_data_dir

            data_dir = Path(jupyter_data_dir()) / "notebook_remote" / connection.id
        db_path = str(options.get("db_path") or "")
        self._data = DataDir(data_dir)
        self._store = Store(Path(db_path).expanduser() if db_path else data_dir / "local.sqlite3")
        self._runs = RunLifecycle(
            self._data,
            self._store,
            connection=connection.id,
            max_parallel=max_parallel,
            max_run_minutes=max_run_minutes,
            max_output_bytes=int(max_output_mb * 1024 * 1024),
            secret_env=context.secret_env,
            log=self.log,
            retention=retention,
            prestart_minutes=_limit(options, "prestart_minutes", DEFAULT_PRESTART_MINUTES),
        )
        self.scheduler = Scheduler(
            self._store, self._fire_schedule, connection=connection.id, log=self.log
        )

    async def start(self) -> None:
        await self._runs.start()
        self.scheduler.start()

    async def aclose(self) -> None:
        await self.scheduler.aclose()
        await self._runs.aclose()

    # ------------------------------------------------------------------ rows and models

    async def _notebook_row(self, notebook_id: str) -> NotebookRow:
        await self._runs.ready()
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
                minutes_this_period=round(row.minutes, 4),
                runs_this_period=row.runs,
                errors_this_period=row.failures,
            ),
            last_run_at=_iso_ms(row.last_started),
            run_count=row.all_runs,
        )

    async def _live(self, row: ExecutionRow) -> tuple[list[dict[str, Any]], Optional[Progress]]:
        """What a run lists (its outputs once it ended, its progress log while it
        runs) and, while in progress, which cell runs."""
        if row.status not in ("inProgress", "canceling"):
            return row.outputs, None

        def read() -> tuple[list[dict[str, Any]], Optional[Progress]]:
            run = self._data.run(row.id)
            where = run.progress() if row.status == "inProgress" else None
            progress = None
            if where is not None:
                cell, total, started = where
                progress = Progress(cell=cell, total=total, started_at=_iso_ms(started) or "")
            return run.live_outputs(), progress

        return await asyncio.to_thread(read)

    async def _execution_model(self, row: ExecutionRow) -> Execution:
        files, progress = await self._live(row)
        return Execution(
            progress=progress,
            files_removed_at=_iso_ms(row.files_removed_at),
            id=row.id,
            notebook_id=row.notebook_id,
            status=row.status,
            queued_at=_iso_ms(row.queued_at),
            started_at=_iso_ms(row.started_at),
            finished_at=_iso_ms(row.finished_at),
            source=ExecutionSource(type=row.source_type or "user", id=row.source_id),
            relative_to=_iso_ms(row.relative_to),
            template_context=context_value(row.template_context),
            max_allowed_run_minutes=row.max_minutes,
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

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        await self._runs.ready()
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
        await self._runs.ready()
        notebook_id = q.new_id()
        await self._store.call(
            q.insert_notebook, notebook_id, body.name, body.description or "", now_ms()
        )
        return self._notebook_model(await self._notebook_row(notebook_id))

    async def get_notebook(self, notebook_id: str) -> Notebook:
        return self._notebook_model(await self._notebook_row(notebook_id))

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        await self._notebook_row(notebook_id)
        if patch.name is not None or patch.description is not None:
            await self._store.call(
                q.update_notebook, notebook_id, patch.name, patch.description, now_ms()
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
        self.scheduler.wake()  # its schedule went with it
        await asyncio.to_thread(self._data.remove_notebook, notebook_id, run_ids)

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        """Keep the uploaded bytes as the notebook's copy, replacing the last one at once."""
        await self._notebook_row(notebook_id)
        target = self._data.notebook_file(notebook_id)
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
            raise self._data.write_failure(
                exc, "storing the pushed notebook", self.connection.id
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(tmp.unlink, missing_ok=True)
        try:
            await asyncio.to_thread(self._data.store_folder, notebook_id, upload.folder)
        except OSError as exc:
            raise self._data.write_failure(
                exc, "storing the files beside the notebook", self.connection.id
            ) from exc
        await self._store.call(q.record_push, notebook_id, upload.file_name, upload.size, now_ms())
        self._runs.prestart()  # a run is likely next: have its kernel ready
        return self._notebook_model(await self._notebook_row(notebook_id))

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        # relativeTo is Losant's query time for its data inputs; a run on this
        # machine has no data inputs, so it is kept with the run and answered.
        row = await self._notebook_row(notebook_id)
        if row.pushed_at is None or row.file_name is None:
            raise Conflict(
                f"Notebook '{row.name}' has no file yet: push the notebook first, then run it.",
                reason="not_pushed",
                connection=self.connection.id,
            )
        context = body.template_context if isinstance(body.template_context, str) else None
        relative = None
        if body.relative_to is not None:
            relative = (
                body.relative_to
                if isinstance(body.relative_to, float)
                else to_ms(parse_time(body.relative_to))
            )
        return await self._runs.queue(notebook_id, row.file_name, context, relative_to=relative)

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        await self._notebook_row(notebook_id)
        rows = await self._store.call(
            q.list_executions, notebook_id, limit, None if since is None else to_ms(since)
        )
        return [await self._execution_model(row) for row in rows]

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        row = await self._execution_row(notebook_id, execution_id)
        if row.status == "queued":
            if await self._runs.cancel_queued(execution_id):
                return
            row = await self._execution_row(notebook_id, execution_id)  # it started meanwhile
        if row.status == "inProgress":
            await self._runs.cancel_running(row)
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
        await self._notebook_row(notebook_id)
        rows = await self._store.call(q.finished_runs, notebook_id, to_ms(start), to_ms(end))
        usage = tally(rows, start, end)
        usage.store_bytes = await asyncio.to_thread(self._disk_bytes)
        return usage

    def _disk_bytes(self) -> int:
        """What this connection keeps on disk: its data directory, and the history
        file when that lives elsewhere."""
        total = self._data.disk_bytes()
        db = self._store.path
        if self._data.root not in db.parents:
            with contextlib.suppress(OSError):
                total += db.stat().st_size
        return total

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        row = await self._execution_row(notebook_id, execution_id)
        return await run_file(
            self._data.run(execution_id),
            (await self._live(row))[0],
            name,
            execution_id=execution_id,
            connection=self.connection.id,
        )

    async def notebook_file(self, notebook_id: str) -> ExecutionFile:
        """The last pushed copy."""
        row = await self._notebook_row(notebook_id)
        if row.pushed_at is None:
            raise self.no_file(notebook_id)
        return await pushed_file(
            self._data.notebook_file(notebook_id),
            row.file_name or "notebook.ipynb",
            no_file=self.no_file(notebook_id),
        )

    # ------------------------------------------------------------------ schedules

    def _schedule_model(self, row: ScheduleRow) -> Schedule:
        return schedules.answer(
            row.rule,
            active=row.active,
            now=_now(self.scheduler.clock),
            template_context=row.context,
            last_run_at=instant(row.last_run_ms),
            last_execution_id=row.last_execution_id,
            run_count=row.run_count,
        )

    async def get_schedule(self, notebook_id: str) -> Optional[Schedule]:
        await self._notebook_row(notebook_id)
        row = await self._store.call(sq.get_schedule, notebook_id)
        return None if row is None else self._schedule_model(row)

    async def put_schedule(self, notebook_id: str, body: ScheduleBody) -> Schedule:
        notebook = await self._notebook_row(notebook_id)
        now = _now(self.scheduler.clock)
        rule = schedules.check_rule(
            body,
            now=now,
            min_minutes=self.context.schedule_min_minutes,
            connection=self.connection.id,
        )
        if notebook.pushed_at is None:
            raise Conflict(
                f"Notebook '{notebook.name}' has no file yet: push the notebook first, then "
                "schedule it.",
                reason="not_pushed",
                connection=self.connection.id,
            )
        upcoming = rule.next_after(now) if body.active else None
        context = body.template_context if isinstance(body.template_context, str) else None
        await self._store.call(
            sq.put_schedule,
            notebook_id,
            rule,
            body.active,
            context,
            None if upcoming is None else upcoming.timestamp() * 1000.0,
            now_ms(),
        )
        self.scheduler.wake()
        row = await self._store.call(sq.get_schedule, notebook_id)
        assert row is not None
        return self._schedule_model(row)

    async def delete_schedule(self, notebook_id: str) -> None:
        await self._notebook_row(notebook_id)
        await self._store.call(sq.delete_schedule, notebook_id)
        self.scheduler.wake()

    async def _fire_schedule(self, schedule: ScheduleRow) -> str:
        """A scheduled run: an ordinary run of the last pushed copy, marked as the schedule's."""
        row = await self._notebook_row(schedule.notebook_id)
        if row.file_name is None:
            raise Conflict(f"Notebook '{row.name}' has no file to run.", reason="not_pushed")
        return await self._runs.queue(
            row.id,
            row.file_name,
            schedule.template_context,
            ("schedule", schedule.notebook_id),
        )


def _now(clock: Any) -> datetime:
    moment = instant(clock())
    assert moment is not None
    return moment
