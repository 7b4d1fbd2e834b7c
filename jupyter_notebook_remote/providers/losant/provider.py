"""Losant Notebooks (and white-labelled copies of the same API).

The Notebook and Notebooks REST resources of the Losant Platform API, as the
official clients speak them (API 1.30): ``Authorization: Bearer <token>``,
``Accept-Version: ^1.30.0`` and ``_actions=false&_links=true&_embedded=true``
on every call. A white-labelled deployment (WNOLOGY:
``https://api.app.wnology.io``) is the same class with another ``base_url``.

A connection names its application (``application_id``, checked by the
configuration against :attr:`LosantProvider.application_ids`); the
``LOSANT_API_TOKEN`` / ``LOSANT_APPLICATION_ID`` / ``LOSANT_API_URL``
environment variables make one on their own
(:meth:`LosantProvider.environment_connection`). The name filter is the
extension's one rule, sent as the glob Losant filters by
(:func:`~jupyter_notebook_remote.providers.base.filter_glob`).

A run's files (``outputInfo`` / ``inputInfo`` of its log entry) are linked
to the extension's own files route, never to Losant's signed storage URLs:
:meth:`LosantProvider.execution_file` finds the run in the logs and streams
the file from storage with a client that carries no Losant token.

Losant's JSON and the small conversions of its dialect are in :mod:`.wire`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Optional

import httpx
from pydantic import TypeAdapter, ValidationError

from ...errors import Conflict, InvalidInput, NotFound
from ...http import MultipartBody, MultipartFile, NotFoundHint, truncate
from ...models import (
    FILE_NAME_RE,
    OBJECT_ID_RE,
    ExecuteBody,
    Execution,
    InputExportBody,
    JobQueued,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    NotebookStats,
    Usage,
    UsageDay,
    context_value,
    iso,
    usage_days,
)
from ..base import EnvConnection, ExecutionFile, IdFormat, NotebookUpload, filter_glob
from ..remote import RemoteProvider
from .config import check_patch
from .wire import (
    API_VERSION,
    GLOBAL_PARAMS,
    WireFileInfo,
    WireLog,
    WireMinuteCounts,
    WireNotebook,
    WireNotebooks,
    as_int,
    losant_error_message,
    ms,
    run_options,
)

#: How a run file's host is named in messages (signed URLs, no Losant token).
STORAGE_NAME = "Losant file storage"
#: Runs searched (newest first) for the one whose file is asked for: Losant
#: has no call that reads one execution by id, only the notebook's logs.
FILE_LOG_LIMIT = 100

#: A page of execution logs, read from the bytes in one pass; one entry, likewise.
_LOG_PAGE = TypeAdapter(list[WireLog])
_LOG_ENTRY = TypeAdapter(WireLog)


class LosantProvider(RemoteProvider):
    """A Losant application's notebooks, over Losant's REST API."""

    kind: ClassVar[str] = "losant"
    run_notifications: ClassVar[bool] = True
    run_context: ClassVar[bool] = True
    notebook_io: ClassVar[bool] = True
    unsupported: ClassVar[Mapping[str, str]] = {
        "open": ("a Losant run executes the notebook and ends; its results are in its outputs"),
        "schedule": (
            "Losant schedules notebook runs from a workflow (a Timer trigger with the "
            "Notebook: Execute node), not through the notebook API; set the schedule up "
            "in the Losant application"
        ),
    }
    default_base_url: ClassVar[Optional[str]] = "https://api.losant.com"
    application_ids: ClassVar[Optional[IdFormat]] = IdFormat(
        OBJECT_ID_RE, "24 hexadecimal characters (the id in the Losant application's URL)"
    )
    secret_env: ClassVar[frozenset[str]] = frozenset({"LOSANT_API_TOKEN"})
    service_name: ClassVar[str] = "Losant"

    api_headers: ClassVar[Mapping[str, str]] = {
        "Accept": "application/json",
        "Accept-Version": API_VERSION,
    }
    api_params: ClassVar[tuple[tuple[str, str], ...]] = GLOBAL_PARAMS

    @classmethod
    def environment_connection(cls, environ: Mapping[str, str]) -> Optional[EnvConnection]:
        """``LOSANT_API_TOKEN`` + ``LOSANT_APPLICATION_ID`` (+ ``LOSANT_API_URL``)."""
        if not (environ.get("LOSANT_API_TOKEN") or environ.get("LOSANT_APPLICATION_ID")):
            return None
        if not environ.get("LOSANT_APPLICATION_ID"):
            return EnvConnection(
                id="losant",
                variables="LOSANT_*",
                problem="LOSANT_API_TOKEN is set but LOSANT_APPLICATION_ID is not; "
                "no 'losant' connection was added. Set LOSANT_APPLICATION_ID too.",
            )
        entry: dict[str, Any] = {
            "kind": cls.kind,
            "label": "Losant",
            "application_id": environ["LOSANT_APPLICATION_ID"],
            "token_env": "LOSANT_API_TOKEN",
        }
        if environ.get("LOSANT_API_URL"):
            entry["base_url"] = environ["LOSANT_API_URL"]
        return EnvConnection(id="losant", variables="LOSANT_*", entry=entry)

    def error_message(self, body: Any) -> Optional[str]:
        return losant_error_message(body)

    # ------------------------------------------------------------------ plumbing

    @property
    def application_id(self) -> Optional[str]:
        """The application whose notebooks these are (checked by the configuration)."""
        return self.connection.application_id

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    @property
    def _app_path(self) -> str:
        return f"/applications/{self.application_id}/notebooks"

    def _nb_path(self, notebook_id: str, action: str = "") -> str:
        path = f"{self._app_path}/{notebook_id}"
        return f"{path}/{action}" if action else path

    def notebook_not_found(self, notebook_id: str) -> NotFoundHint:
        return (
            "notebook_not_found",
            f"Notebook {notebook_id} was not found in Losant application "
            f"{self.application_id} at {self.http.host}.",
        )

    def _app_not_found(self) -> NotFoundHint:
        return (
            "not_found",
            f"Losant application {self.application_id} was not found at {self.http.host}; "
            "check the connection's application_id and base_url.",
        )

    def _success(self, data: Any, what: str, response: httpx.Response) -> None:
        """Losant's ``{"success": true}``, or a RemoteError naming the answer."""
        if not isinstance(data, dict) or data.get("success") is not True:
            raise self.unreadable(f"the {what} answer does not say success", response)

    # ------------------------------------------------------------------ normalising

    def _notebook(self, data: Any, response: httpx.Response) -> Notebook:
        wire = self.wire(WireNotebook, data, "a notebook", response)
        nb_id = wire.id or wire.notebookId
        if not nb_id:
            raise self.unreadable("a notebook has no id", response)
        stats = None
        if wire.stats is not None:
            stats = NotebookStats(
                minutes_this_period=wire.stats.minutesThisPeriod,
                runs_this_period=as_int(wire.stats.runsThisPeriod),
                errors_this_period=as_int(wire.stats.errorsThisPeriod),
            )
        return Notebook(
            id=nb_id,
            name=wire.name if wire.name is not None else nb_id,
            description=wire.description or "",
            file_name=wire.jupyterFileName,
            created_at=self.wire_time(wire.creationDate, response),
            updated_at=self.wire_time(wire.lastUpdated, response),
            image_version=wire.imageVersion,
            stats=stats,
            inputs=[i for i in wire.inputs if isinstance(i, dict)],
            outputs=[o for o in wire.outputs if isinstance(o, dict)],
        )

    def _log(self, data: Any, response: httpx.Response) -> tuple[str, WireLog]:
        """One execution log entry, checked: (its execution id, the entry)."""
        return self._identified(
            self.wire(WireLog, data, "an execution log entry", response), response
        )

    def _identified(self, wire: WireLog, response: httpx.Response) -> tuple[str, WireLog]:
        ex_id = wire.id or wire.notebookExecutionId
        if not ex_id:
            raise self.unreadable("an execution log entry has no id", response)
        return ex_id, wire

    def _files_route(self, notebook_id: str, execution_id: str) -> Optional[str]:
        """Where the extension serves this run's files (the browser never gets
        Losant's own storage URLs); None if an id is not one the route carries."""
        if not self.notebook_ids.pattern.fullmatch(notebook_id):
            return None
        if not self.execution_ids.pattern.fullmatch(execution_id):
            return None
        return self.files_route(notebook_id, execution_id)

    @staticmethod
    def _file_link(files: Optional[str], name: str, info: WireFileInfo) -> Optional[str]:
        """A run file's URL on the extension's route; None when there is nothing
        to fetch or the name is not one the route can carry."""
        if files is None or not info.url or not FILE_NAME_RE.fullmatch(name) or name in (".", ".."):
            return None
        return files + name  # FILE_NAME_RE's characters need no quoting

    def _execution(
        self, entry: tuple[str, WireLog], notebook_id: str, response: httpx.Response
    ) -> Execution:
        ex_id, wire = entry
        nb_id = wire.notebookId or notebook_id
        files = self._files_route(nb_id, ex_id)
        # One validation of the whole run (nested models built by pydantic-core)
        # rather than one per part: a page of 20 runs is ~140 parts.
        fields = {
            "id": ex_id,
            "notebook_id": nb_id,
            "status": wire.status,  # checked by pydantic (Literal)
            "queued_at": self.wire_time(wire.runQueuedAt, response),
            "started_at": self.wire_time(wire.runStartedAt, response),
            "finished_at": self.wire_time(
                wire.outputsCompletedAt or wire.notebookCompletedAt, response
            ),
            "source": {"type": wire.sourceType, "id": wire.sourceId},
            "errors": [
                {"name": e.name or "Error", "message": e.message or ""}
                for e in wire.executionErrors
            ],
            "inputs": [
                {"name": name, "size": info.size, "url": self._file_link(files, name, info)}
                for name, info in wire.inputInfo.items()
            ],
            "outputs": [
                {
                    "name": name,
                    "size": info.size,
                    "url": self._file_link(files, name, info),
                    "content_type": info.contentType,
                }
                for name, info in wire.outputInfo.items()
            ],
            "relative_to": self.wire_time(wire.executionRelativeTo, response),
            "template_context": context_value(wire.templateContext),
            "max_allowed_run_minutes": wire.maxAllowedRunMinutes,
        }
        try:
            return Execution.model_validate(fields)
        except ValidationError as exc:
            raise self.unreadable(
                f"execution {ex_id} has an unknown status {wire.status!r}", response
            ) from exc

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        params: list[tuple[str, Any]] = [
            ("sortField", "name"),
            ("sortDirection", "asc"),
            ("page", page),
            ("perPage", per_page),
        ]
        pattern = filter_glob(filter)
        if pattern:
            params += [("filterField", "name"), ("filter", pattern)]
        data, response = await self.call_json(
            "GET", self._app_path, params=params, not_found=self._app_not_found()
        )
        wire = self.wire(WireNotebooks, data, "the notebook list", response)
        items = [self._notebook(item, response) for item in wire.items]
        return NotebookPage(
            items=items,
            count=wire.count if wire.count is not None else len(items),
            total_count=wire.totalCount if wire.totalCount is not None else len(items),
            page=wire.page if wire.page is not None else page,
            per_page=wire.perPage if wire.perPage is not None else per_page,
        )

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        payload = body.model_dump(by_alias=True, exclude_none=True)
        data, response = await self.call_json(
            "POST", self._app_path, json_body=payload, not_found=self._app_not_found()
        )
        return self._notebook(data, response)

    async def get_notebook(self, notebook_id: str) -> Notebook:
        data, response = await self.call_json(
            "GET", self._nb_path(notebook_id), not_found=self.notebook_not_found(notebook_id)
        )
        return self._notebook(data, response)

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        check_patch(patch.inputs, patch.outputs, connection=self.connection.id)
        payload = patch.model_dump(by_alias=True, exclude_none=True)
        data, response = await self.call_json(
            "PATCH",
            self._nb_path(notebook_id),
            json_body=payload,
            not_found=self.notebook_not_found(notebook_id),
        )
        return self._notebook(data, response)

    async def delete_notebook(self, notebook_id: str) -> None:
        data, response = await self.call_json(
            "DELETE", self._nb_path(notebook_id), not_found=self.notebook_not_found(notebook_id)
        )
        self._success(data, "delete", response)

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        body = MultipartBody(
            [
                MultipartFile(
                    field="jupyterFile",
                    file_name=upload.file_name,
                    chunks=upload.stream,
                    size=upload.size,
                    content_type=upload.content_type or "application/octet-stream",
                )
            ]
        )
        data, response = await self.call_json(
            "POST",
            self._nb_path(notebook_id, "upload"),
            content=body,
            not_found=self.notebook_not_found(notebook_id),
        )
        return self._notebook(data, response)

    async def notebook_file(self, notebook_id: str) -> ExecutionFile:
        """The file Losant holds, from its signed ``jupyterFileUrl``, without the token."""
        data, response = await self.call_json(
            "GET", self._nb_path(notebook_id), not_found=self.notebook_not_found(notebook_id)
        )
        wire = self.wire(WireNotebook, data, "a notebook", response)
        if not wire.jupyterFileUrl:
            raise self.no_file(notebook_id)
        return await self.signed_file(
            wire.jupyterFileUrl,
            name=wire.jupyterFileName or "notebook.ipynb",
            service=STORAGE_NAME,
            content_type="application/x-ipynb+json",
        )

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        data, response = await self.call_json(
            "POST",
            self._nb_path(notebook_id, "execute"),
            json_body=run_options(body),
            not_found=self.notebook_not_found(notebook_id),
        )
        ex_id = data.get("executionId") if isinstance(data, dict) else None
        if not isinstance(ex_id, str) or not self.execution_ids.pattern.fullmatch(ex_id):
            raise self.unreadable("the execute answer has no valid executionId", response)
        return ex_id

    async def _logs(
        self, notebook_id: str, params: list[tuple[str, Any]]
    ) -> tuple[list[tuple[str, WireLog]], httpx.Response]:
        """The notebook's execution log entries (newest first), checked: (id, entry) each."""
        response = await self._logs_response(notebook_id, params)
        return self._log_entries(response), response

    async def _logs_response(
        self, notebook_id: str, params: list[tuple[str, Any]]
    ) -> httpx.Response:
        return await self.http.send(
            "GET",
            self._nb_path(notebook_id, "logs"),
            params=[*self.api_params, *params],
            not_found=self.notebook_not_found(notebook_id),
        )

    def _log_entries(self, response: httpx.Response) -> list[tuple[str, WireLog]]:
        try:
            # The usual case in one pass of pydantic-core: the bytes to checked entries.
            entries = _LOG_PAGE.validate_json(response.content)
        except ValidationError:
            # Something is off: read it the slow way, which says what and where.
            data = self.http.decode_json(response)
            if not isinstance(data, list):
                raise self.unreadable("the execution logs are not a JSON array", response) from None
            return [self._log(item, response) for item in data]
        return [self._identified(entry, response) for entry in entries]

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        params: list[tuple[str, Any]] = [("limit", limit)]
        if since is not None:
            params.append(("since", ms(since)))
        response = await self._logs_response(notebook_id, params)

        def read_run(raw: bytes) -> Execution:
            entry = self._identified(_LOG_ENTRY.validate_json(raw), response)
            return self._execution(entry, notebook_id, response)

        def read() -> list[Execution]:
            # Each run once, however many polls list it unchanged.
            with contextlib.suppress(ValidationError):  # then the slow way says what is wrong
                runs = self.reads.derived_items(response, ("execution", notebook_id), read_run)
                if runs is not None:
                    return runs
            entries = self._log_entries(response)
            return [self._execution(entry, notebook_id, response) for entry in entries]

        # Tabs that share one remote answer share its reading too.
        return self.reads.derived(response, ("executions", notebook_id), read)

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        """A run's output (or input) file, streamed from Losant's file storage.

        The run's log entry gives the file's storage URL (signed, short-lived);
        it is fetched with a client of its own that carries no Losant token,
        and the body passes through in chunks, never held whole.
        """
        conn = self.connection.id
        entries, _ = await self._logs(notebook_id, [("limit", FILE_LOG_LIMIT)])
        wire: Optional[WireLog] = None
        for ex_id, entry in entries:
            if ex_id.lower() == execution_id.lower():
                wire = entry
                break
        if wire is None:
            raise NotFound(
                f"Execution {execution_id} is not among the {FILE_LOG_LIMIT} most recent runs "
                f"of notebook {notebook_id} at {self.http.host}: it does not exist, or is too "
                "old to read its files from here (open them in Losant).",
                reason="execution_not_found",
                connection=conn,
            )
        info = wire.outputInfo.get(name) or wire.inputInfo.get(name)
        if info is None or not info.url:
            have = sorted({*wire.outputInfo, *wire.inputInfo})
            listed = ", ".join(truncate(n, 60) for n in have[:10]) or "none yet"
            raise NotFound(
                f"Execution {execution_id} has no file '{truncate(name, 80)}' "
                f"(its files: {listed}).",
                reason="file_not_found",
                connection=conn,
            )
        return await self.signed_file(
            info.url or "", name=name, service=STORAGE_NAME, content_type=info.contentType
        )

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        try:
            data, response = await self.call_json(
                "POST",
                self._nb_path(notebook_id, "cancelExecution"),
                params=[("executionId", execution_id)],
                not_found=(
                    "execution_not_found",
                    f"Execution {execution_id} of notebook {notebook_id} was not found at "
                    f"{self.http.host}.",
                ),
            )
        except InvalidInput as exc:
            # The ids were checked before sending, so Losant's 400 here is the
            # run's state ("has already finished"): a conflict, as on every kind.
            if exc.remote_status != 400:
                raise
            raise Conflict(
                exc.message, reason="already_finished", connection=exc.connection, remote_status=400
            ) from None
        self._success(data, "cancel", response)

    async def usage(self, notebook_id: str, *, start: datetime, end: datetime) -> Usage:
        data, response = await self.call_json(
            "GET",
            self._nb_path(notebook_id, "notebookMinuteCounts"),
            params=[("start", ms(start)), ("end", ms(end))],
            not_found=self.notebook_not_found(notebook_id),
        )
        wire = self.wire(WireMinuteCounts, data, "the minute counts", response)
        days = usage_days(start, end)
        for count in wire.counts:
            when = self.wire_datetime(count.date, response)
            if when is None:
                raise self.unreadable("a minute count has no date", response)
            day = when.date().isoformat()
            entry = days.setdefault(day, UsageDay(date=day))
            entry.minutes += count.minutes
            entry.completed += count.completed
            entry.canceled += count.canceled
            entry.errored += count.errored
            entry.timeout += count.timeout
        ordered = [days[d] for d in sorted(days)]
        return Usage(
            start=self.wire_time(wire.start, response) or iso(start) or "",
            end=self.wire_time(wire.end, response) or iso(end) or "",
            total_minutes=sum(d.minutes for d in ordered),
            days=ordered,
        )

    async def input_export(self, notebook_id: str, body: InputExportBody) -> JobQueued:
        payload = run_options(body)
        data, response = await self.call_json(
            "POST",
            self._nb_path(notebook_id, "requestInputDataExport"),
            json_body=payload,
            not_found=self.notebook_not_found(notebook_id),
        )
        if not isinstance(data, dict):
            raise self.unreadable("the export answer is not a JSON object", response)
        job_id = data.get("jobId")
        if data.get("jobQueued") is not True or not isinstance(job_id, str) or not job_id:
            raise self.unreadable("the export answer does not say the job was queued", response)
        return JobQueued(job_queued=True, job_id=job_id)
