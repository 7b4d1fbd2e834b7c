"""Civis Platform notebooks, over the Civis REST API.

How Civis speaks (from the Swagger spec its ``civis`` client bundles):

* HTTP Basic with the API key as the user name and an empty password.
* Request bodies and query strings are snake_case (``page_num``,
  ``order_dir``); answers are camelCase (``deploymentId``, ``updateUrl``).
  Ids are integers. Errors are ``{"error", "errorDescription", "code"}``.
* Lists take ``limit`` (at most 50) and a 1-based ``page_num``; the total
  comes, when it comes at all, in the ``X-Pagination-Total-Entries`` header.

How this extension maps onto it:

* **ids** are checked as Civis writes them (:data:`CIVIS_ID_RE`), and
  ``CIVIS_API_KEY`` (+ ``CIVIS_API_ENDPOINT``) alone make a ``civis``
  connection, as for Civis's own client.
* **list**: Civis's list has no name filter, so the extension's one filter
  rule (:func:`~jupyter_notebook_remote.providers.base.name_matches`, on the
  name or the description) applies here, to the page Civis returned.

* **settings** (language, memory, cpu, idle timeout, Docker image,
  requirements, environment variables) are Civis's own notebook fields,
  sent as given (:mod:`.options`); the requirements text is read back from
  the notebook's time-limited ``requirementsUrl``, and environment variables
  that look like credentials are never answered and are kept by a PATCH.
* **delete** archives the notebook (``PUT /notebooks/{id}/archive``): the
  ``DELETE /notebooks/{id}`` route is deprecated in Civis's own spec. An
  archived notebook disappears from the list and reads as "not found" here;
  it can be unarchived in Civis.
* **push** asks for fresh pre-signed ``update-links`` and PUTs the file's
  bytes to ``updateUrl``: a storage URL (S3 in production) whose host comes
  from Civis's answer. It is followed only if it is http(s), and the API key
  is never sent to it (the URL carries its own signature).
* **run** is a *deployment* (``POST /notebooks/{id}/deployments``): Civis
  starts a notebook server for the notebook; the execution id is the
  deployment id. **cancel** deletes the deployment. Deployment states map as
  pending -> queued, running -> inProgress, sleeping (asleep after its idle
  timeout, still up and stoppable) -> inProgress with ``remoteState:
  "sleeping"``, terminated -> completed; a deployment this server cancelled
  reads as canceled (the server remembers what it cancelled until it
  restarts: Civis itself does not say who stopped a deployment). A run also
  answers Civis's ``stateMessage`` and its ``resources``: the ``memory`` /
  ``cpu`` it asked for and, once terminated, ``maxMemoryUsage`` /
  ``maxCpuUsage``.
* **open** reads the one deployment (``GET
  /notebooks/{id}/deployments/{deployment_id}``, the only answer with its
  ``displayUrl``) each time it is asked: the URL is signed and short-lived,
  so it is never kept; a deployment that is not up is 409 ``not_running``.
* **usage** is worked out here: Civis has no minute counts for notebooks, so
  the deployments are listed and each terminated one counts its createdAt ->
  updatedAt duration on the UTC day it started.
* **logs**: the run list is the deployment list; each deployment's container
  logs (``.../deployments/{id}/logs``) are offered as its ``result.log``
  output, read through this extension's file route.
"""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, Optional
from urllib.parse import SplitResult, parse_qsl, urlsplit

import httpx

from ...errors import (
    Conflict,
    InvalidInput,
    NotebookRemoteError,
    NotFound,
    RemoteAuthError,
    RemoteError,
    invalid,
)
from ...http import NotFoundHint, truncate
from ...models import (
    ExecuteBody,
    Execution,
    ExecutionError,
    ExecutionOutput,
    ExecutionResources,
    ExecutionSource,
    ExecutionStatus,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    OpenUrl,
    Usage,
    as_utc,
    iso,
    usage_days,
)
from ...notebook_options import OPTION_FIELDS
from ..base import EnvConnection, ExecutionFile, IdFormat, NotebookUpload, name_matches
from ..remote import RemoteProvider
from . import options, preview
from .wire import (
    CIVIS_ID_RE,
    STATES,
    TOLD_STATES,
    UP_STATES,
    WireDeployment,
    WireLinks,
    WireLogEntry,
    WireNotebook,
    civis_error_message,
    total_count,
)

#: Civis answers at most this many items per page.
MAX_LIMIT = 50
#: Usage reads at most this many pages of deployments (50 each), newest first.
MAX_USAGE_PAGES = 40
#: A deployment's container logs, offered as this output of the run.
LOG_FILE = "result.log"
#: Log lines read for it (Civis's own default).
MAX_LOG_LINES = 10000
#: Cancelled deployments remembered (to tell "canceled" from "terminated").
MAX_REMEMBERED_CANCELS = 1000


class CivisProvider(RemoteProvider):
    """Notebooks of one Civis Platform user, over the Civis REST API."""

    kind: ClassVar[str] = "civis"
    unsupported: ClassVar[Mapping[str, str]] = {
        "inputExport": (
            "Civis has no export of a run's input data: a notebook deployment reads "
            "whatever the notebook itself fetches, and Civis keeps no copy of it"
        ),
        "schedule": (
            "Civis does not schedule notebooks: a notebook deployment is an interactive "
            "notebook server. Scheduled runs on Civis are container scripts or "
            "workflows, set up in Civis itself"
        ),
    }
    default_base_url: ClassVar[Optional[str]] = "https://api.civisanalytics.com"
    secret_env: ClassVar[frozenset[str]] = frozenset({"CIVIS_API_KEY"})
    notebook_ids: ClassVar[IdFormat] = IdFormat(
        CIVIS_ID_RE, "a Civis notebook id: a positive whole number of at most 12 digits"
    )
    execution_ids: ClassVar[IdFormat] = IdFormat(
        CIVIS_ID_RE, "a Civis deployment id: a positive whole number of at most 12 digits"
    )
    service_name: ClassVar[str] = "Civis"
    storage_name: ClassVar[str] = "Civis file storage"
    notebook_options: ClassVar[frozenset[str]] = frozenset(OPTION_FIELDS)
    credential_advice: ClassVar[str] = options.CREDENTIAL_ADVICE

    @classmethod
    def environment_connection(cls, environ: Mapping[str, str]) -> Optional[EnvConnection]:
        """``CIVIS_API_KEY`` (+ ``CIVIS_API_ENDPOINT``), as Civis's own client reads them."""
        if not environ.get("CIVIS_API_KEY"):
            return None
        entry: dict[str, Any] = {
            "kind": cls.kind,
            "label": "Civis Platform",
            "token_env": "CIVIS_API_KEY",
        }
        if environ.get("CIVIS_API_ENDPOINT"):
            entry["base_url"] = environ["CIVIS_API_ENDPOINT"]
        return EnvConnection(id="civis", variables="CIVIS_*", entry=entry)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (notebook id, deployment id) of deployments this server deleted.
        self._canceled: OrderedDict[tuple[str, str], None] = OrderedDict()
        #: Previews being made and uploaded after their pushes answered.
        self._previews: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        for task in list(self._previews):
            task.cancel()
        await asyncio.gather(*self._previews, return_exceptions=True)
        await super().aclose()

    def error_message(self, body: Any) -> Optional[str]:
        return civis_error_message(body)

    # ------------------------------------------------------------------ plumbing

    def auth_headers(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.token()}:".encode()).decode("ascii")
        return {"Authorization": f"Basic {basic}"}

    def notebook_not_found(self, notebook_id: str) -> NotFoundHint:
        return (
            "notebook_not_found",
            f"Civis notebook {notebook_id} was not found at {self.http.host} (or this API "
            "key may not see it).",
        )

    def _deployment_not_found(self, notebook_id: str, execution_id: str) -> NotFoundHint:
        return (
            "execution_not_found",
            f"Deployment {execution_id} of Civis notebook {notebook_id} was not found at "
            f"{self.http.host}.",
        )

    def _no_api(self) -> NotFoundHint:
        return ("not_found", f"Civis at {self.http.host} has no notebooks API.")

    # ------------------------------------------------------------------ normalising

    def _notebook(self, wire: WireNotebook, response: httpx.Response) -> Notebook:
        """A notebook as Civis's list has it: no settings beyond its language."""
        nb_id = str(wire.id)
        recent = wire.mostRecentDeployment
        return Notebook(
            id=nb_id,
            name=wire.name if wire.name else f"Notebook {nb_id}",
            description=wire.description or "",
            # Civis keeps the .ipynb under the notebook, with no file name of its own.
            file_name=None,
            created_at=self.wire_time(wire.createdAt, response),
            updated_at=self.wire_time(wire.updatedAt, response),
            language=wire.language,
            # Its newest deployment's start; Civis counts no runs here.
            last_run_at=self.wire_time(recent.createdAt, response) if recent else None,
        )

    async def _full(self, wire: WireNotebook, response: httpx.Response) -> Notebook:
        """A notebook Civis answered in full (get, create, PATCH), with its settings."""
        text = None
        if wire.requirementsUrl:
            try:
                file = await self.signed_file(
                    wire.requirementsUrl, name="requirements.txt", service=self.storage_name
                )
                text = await options.read_text(file)
            except NotebookRemoteError as exc:  # the notebook is answered all the same
                self.log.warning("Civis notebook %s: requirements unread (%s)", wire.id, exc)
        return self._notebook(wire, response).model_copy(update=options.settings(wire, text))

    def _status(self, wire: WireDeployment, notebook_id: str) -> ExecutionStatus:
        state = (wire.state or "pending").lower()
        if state not in STATES:
            raise ValueError(state)
        status = STATES[state]
        if status == "completed" and (notebook_id, str(wire.deploymentId)) in self._canceled:
            return "canceled"
        if state == "running" and (notebook_id, str(wire.deploymentId)) in self._canceled:
            # Deleted here, Civis is still stopping it.
            return "canceling"
        return status

    def _execution(
        self, wire: WireDeployment, notebook_id: str, response: httpx.Response
    ) -> Execution:
        try:
            status = self._status(wire, notebook_id)
        except ValueError:
            raise self.unreadable(
                f"deployment {wire.deploymentId} has an unknown state "
                f"{truncate(str(wire.state), 40)!r}",
                response,
            ) from None
        nb_id = str(wire.notebookId) if wire.notebookId is not None else notebook_id
        created = self.wire_time(wire.createdAt, response)
        updated = self.wire_time(wire.updatedAt, response)
        errors: list[ExecutionError] = []
        if (
            status == "completed"
            and (wire.state or "").lower() == "terminated"
            and wire.stateMessage
            and wire.stateMessage.strip()
        ):
            # Civis does not say whether a deployment ended in failure; what it
            # says about the end is passed on so the user sees why it stopped.
            errors.append(ExecutionError(name="Civis", message=wire.stateMessage.strip()))
        state = (wire.state or "").lower()
        return Execution(
            remote_state=state if state in TOLD_STATES else None,
            remote_message=(wire.stateMessage or "").strip() or None,
            resources=ExecutionResources(
                memory_mb=wire.memory,
                cpu_millicores=wire.cpu,
                max_memory_mb=wire.maxMemoryUsage,
                max_cpu_millicores=wire.maxCpuUsage,
            )
            if wire.memory is not None or wire.cpu is not None
            else None,
            id=str(wire.deploymentId),
            notebook_id=nb_id,
            status=status,
            queued_at=created,
            # Civis gives no start time; the deployment's creation is the closest.
            started_at=created if status != "queued" else None,
            finished_at=updated if status in ("completed", "canceled") else None,
            source=ExecutionSource(
                type="user", id=str(wire.userId) if wire.userId is not None else None
            ),
            errors=errors,
            outputs=[
                ExecutionOutput(
                    name=LOG_FILE,
                    content_type="text/plain",
                    url=self.file_route(nb_id, str(wire.deploymentId), LOG_FILE),
                )
            ],
        )

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        # Civis serves at most 50 per page; the answer says the size used.
        limit = min(per_page, MAX_LIMIT)
        data, response = await self.call_json(
            "GET",
            "/notebooks",
            params=[
                ("limit", limit),
                ("page_num", page + 1),
                ("order", "updated_at"),
                ("order_dir", "desc"),
            ],
            not_found=self._no_api(),
        )
        if not isinstance(data, list):
            raise self.unreadable("the notebook list is not a JSON array", response)
        wires = [self.wire(WireNotebook, item, "a notebook", response) for item in data]
        # Civis's list has no name filter, so the filter applies here, to this
        # page only: a page may hold fewer matches than perPage while later
        # pages hold more.
        items = [
            self._notebook(w, response)
            for w in wires
            if name_matches(filter, w.name, w.description)
        ]
        return NotebookPage(
            items=items,
            count=len(items),
            total_count=total_count(response, page, limit, len(data)),
            page=page,
            per_page=limit,
        )

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        if body.image_version is not None:
            raise self._no_image_version()
        payload: dict[str, Any] = {"name": body.name, "language": "python3"}
        if body.description is not None:
            payload["description"] = body.description
        payload.update(options.payload(body))
        data, response = await self.call_json(
            "POST", "/notebooks", json_body=payload, not_found=self._no_api()
        )
        return await self._full(self.wire(WireNotebook, data, "a notebook", response), response)

    async def get_notebook(self, notebook_id: str) -> Notebook:
        data, response = await self.call_json(
            "GET", f"/notebooks/{notebook_id}", not_found=self.notebook_not_found(notebook_id)
        )
        wire = self.wire(WireNotebook, data, "a notebook", response)
        if wire.archived:
            raise NotFound(
                f"Civis notebook {notebook_id} is archived (deleted from here). Unarchive it "
                "in Civis to use it again.",
                reason=self.notebook_not_found(notebook_id)[0],
                connection=self.connection.id,
            )
        return await self._full(wire, response)

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        if patch.image_version is not None:
            raise self._no_image_version()
        payload: dict[str, Any] = {}
        if patch.name is not None:
            payload["name"] = patch.name
        if patch.description is not None:
            payload["description"] = patch.description
        current = None
        if patch.environment_variables is not None:
            # The variables that look like credentials are never answered, so the
            # new set cannot hold them: they are kept from the notebook as it is.
            data, response = await self.call_json(
                "GET", f"/notebooks/{notebook_id}", not_found=self.notebook_not_found(notebook_id)
            )
            current = self.wire(WireNotebook, data, "a notebook", response).environmentVariables
        payload.update(options.payload(patch, current))
        if not payload:
            return await self.get_notebook(notebook_id)
        data, response = await self.call_json(
            "PATCH",
            f"/notebooks/{notebook_id}",
            json_body=payload,
            not_found=self.notebook_not_found(notebook_id),
        )
        return await self._full(self.wire(WireNotebook, data, "a notebook", response), response)

    def _no_image_version(self) -> InvalidInput:
        return invalid(
            "imageVersion",
            "Civis notebooks have no image version; their Docker image is set in Civis",
            connection=self.connection.id,
        )

    async def delete_notebook(self, notebook_id: str) -> None:
        """Archive the notebook (Civis's delete route is deprecated)."""
        data, response = await self.call_json(
            "PUT",
            f"/notebooks/{notebook_id}/archive",
            json_body={"status": True},
            idempotent=True,
            not_found=self.notebook_not_found(notebook_id),
        )
        wire = self.wire(WireNotebook, data, "a notebook", response)
        if wire.archived is False:
            raise self.unreadable("the archive answer says the notebook is not archived", response)

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        # Fresh links every time: they expire within minutes.
        data, response = await self.call_json(
            "GET",
            f"/notebooks/{notebook_id}/update-links",
            not_found=self.notebook_not_found(notebook_id),
        )
        links = self.wire(WireLinks, data, "the update-links answer", response)
        parts = urlsplit(links.updateUrl)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.unreadable("the updateUrl is not an http(s) URL", response)
        await self._put_presigned(parts, upload.stream(), upload.size)
        if links.updatePreviewUrl:
            await self._start_preview(notebook_id, links.updatePreviewUrl, upload)
        return await self.get_notebook(notebook_id)

    async def _start_preview(self, notebook_id: str, url: str, upload: NotebookUpload) -> None:
        """Make and upload the HTML preview (see :mod:`.preview`) once the push has answered.

        The file is read now, while the upload is open; rendering takes a
        while and must not hold the push's answer back.
        """
        if upload.size > preview.PREVIEW_MAX_BYTES:
            self.log.info(
                "Civis notebook %s: no new preview, the notebook is over %d MiB",
                notebook_id,
                preview.PREVIEW_MAX_BYTES // (1024 * 1024),
            )
            return
        data = b"".join([chunk async for chunk in upload.chunks()])
        title = upload.file_name.rsplit(".", 1)[0]
        task = asyncio.create_task(self._push_preview(notebook_id, url, data, title))
        self._previews.add(task)
        task.add_done_callback(self._previews.discard)

    async def _push_preview(self, notebook_id: str, url: str, data: bytes, title: str) -> None:
        """Render the preview in a thread and PUT it; a failure only logs."""
        parts = urlsplit(url)
        try:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("the updatePreviewUrl is not an http(s) URL")
            html = await asyncio.to_thread(preview.render, data, title)
            await self._put_presigned(parts, _once(html), len(html))
        except Exception as exc:  # the notebook is pushed; its preview is a nicety
            self.log.warning(
                "Civis notebook %s: the HTML preview could not be updated (%s: %s)",
                notebook_id,
                type(exc).__name__,
                exc,
            )

    async def notebook_file(self, notebook_id: str) -> ExecutionFile:
        """The .ipynb Civis holds, from the notebook's time-limited ``notebookUrl``."""
        data, _ = await self.call_json(
            "GET", f"/notebooks/{notebook_id}", not_found=self.notebook_not_found(notebook_id)
        )
        url = data.get("notebookUrl") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url:
            raise self.no_file(notebook_id)
        try:
            return await self.signed_file(
                url,
                name="notebook.ipynb",
                service=self.storage_name,
                content_type="application/x-ipynb+json",
            )
        except NotFound:  # a notebook created by the API has a link to nothing yet
            raise self.no_file(notebook_id) from None

    async def _put_presigned(
        self, parts: SplitResult, content: AsyncIterator[bytes], size: int
    ) -> None:
        """PUT the file to a pre-signed storage URL, with no Civis credentials.

        The URL carries its own signature in its query, passed on unchanged.
        The body streams with its Content-Length announced: storage services
        refuse a chunked PUT.
        """
        storage = await self.storage_client(
            f"{parts.scheme}://{parts.netloc}", service=self.storage_name
        )
        try:
            await storage.send(
                "PUT",
                parts.path or "/",
                params=parse_qsl(parts.query, keep_blank_values=True),
                content=content,
                headers={"Content-Length": str(size)},
            )
        except (RemoteAuthError, InvalidInput, NotFound) as exc:
            # The storage refused the link, not the user's key or input: a
            # pre-signed URL that expired or was tampered with on the way.
            raise RemoteError(
                f"{self.storage_name} at {storage.host} refused the upload link Civis gave "
                f"({exc.remote_status}). Push again to get a fresh link.",
                connection=self.connection.id,
                remote_status=exc.remote_status,
            ) from None

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        if body.template_context is not None:
            raise invalid(
                "templateContext",
                "Civis deployments take no template context; leave it empty",
                connection=self.connection.id,
            )
        # relativeTo only dates a template context, which Civis does not take.
        data, response = await self.call_json(
            "POST",
            f"/notebooks/{notebook_id}/deployments",
            json_body={},
            not_found=self.notebook_not_found(notebook_id),
        )
        return str(self.wire(WireDeployment, data, "a deployment", response).deploymentId)

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        wires, response = await self._deployments(notebook_id, min(limit, MAX_LIMIT), 1)
        executions: list[Execution] = []
        threshold = as_utc(since) if since is not None else None
        for wire in wires:
            if threshold is not None:
                # Civis has no "since": keep what changed at or after it.
                changed = self.wire_datetime(wire.updatedAt or wire.createdAt, response)
                if changed is not None and changed < threshold:
                    continue
            executions.append(self._execution(wire, notebook_id, response))
        return executions

    async def _deployments(
        self, notebook_id: str, limit: int, page_num: int
    ) -> tuple[list[WireDeployment], httpx.Response]:
        data, response = await self.call_json(
            "GET",
            f"/notebooks/{notebook_id}/deployments",
            params=[
                ("limit", limit),
                ("page_num", page_num),
                ("order", "created_at"),
                ("order_dir", "desc"),
            ],
            not_found=self.notebook_not_found(notebook_id),
        )
        if not isinstance(data, list):
            raise self.unreadable("the deployment list is not a JSON array", response)
        return [
            self.wire(WireDeployment, item, "a deployment", response) for item in data
        ], response

    async def open_execution(self, notebook_id: str, execution_id: str) -> OpenUrl:
        data, response = await self.call_json(
            "GET",
            f"/notebooks/{notebook_id}/deployments/{execution_id}",
            not_found=self._deployment_not_found(notebook_id, execution_id),
        )
        wire = self.wire(WireDeployment, data, "a deployment", response)
        state = (wire.state or "").lower()
        if state not in UP_STATES or (notebook_id, execution_id) in self._canceled:
            raise Conflict(
                f"Deployment {execution_id} of Civis notebook {notebook_id} is not up "
                f"({state or 'no state'}); run the notebook again to open it.",
                reason="not_running",
                connection=self.connection.id,
            )
        if not wire.displayUrl:
            raise self.unreadable("the deployment has no displayUrl", response)
        parts = urlsplit(wire.displayUrl)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.unreadable("the displayUrl is not an http(s) URL", response)
        return OpenUrl(url=wire.displayUrl)

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        await self.http.send(
            "DELETE",
            f"/notebooks/{notebook_id}/deployments/{execution_id}",
            idempotent=True,
            not_found=self._deployment_not_found(notebook_id, execution_id),
        )
        self._canceled[(notebook_id, execution_id)] = None
        while len(self._canceled) > MAX_REMEMBERED_CANCELS:
            self._canceled.popitem(last=False)

    async def usage(self, notebook_id: str, *, start: datetime, end: datetime) -> Usage:
        start, end = as_utc(start), as_utc(end)
        days = usage_days(start, end)
        for page_num in range(1, MAX_USAGE_PAGES + 1):
            wires, response = await self._deployments(notebook_id, MAX_LIMIT, page_num)
            older = False
            for wire in wires:
                created = self.wire_datetime(wire.createdAt, response)
                if created is None or created > end:
                    continue
                if created < start:
                    older = True  # newest first: the rest are older still
                    break
                execution = self._execution(wire, notebook_id, response)
                if (wire.state or "").lower() != "terminated":
                    continue  # still going (or asleep): no final duration yet
                updated = self.wire_datetime(wire.updatedAt, response) or created
                entry = days[created.date().isoformat()]
                entry.minutes += max(0.0, (updated - created).total_seconds()) / 60
                if execution.status == "canceled":
                    entry.canceled += 1
                else:
                    entry.completed += 1
            if older or len(wires) < MAX_LIMIT:
                break
        ordered = [days[d] for d in sorted(days)]
        for entry in ordered:
            entry.minutes = round(entry.minutes, 3)
        return Usage(
            start=iso(start) or "",
            end=iso(end) or "",
            total_minutes=round(sum(d.minutes for d in ordered), 3),
            days=ordered,
        )

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        """A deployment's container logs, as the run's ``result.log``.

        Civis keeps no output files of a deployment (it is a notebook server,
        what it writes stays in Civis); its logs are the one thing to read.
        """
        if name != LOG_FILE:
            raise NotFound(
                f"A Civis deployment has no file '{name}'; its logs are '{LOG_FILE}'.",
                reason="file_not_found",
                connection=self.connection.id,
            )
        data, response = await self.call_json(
            "GET",
            f"/notebooks/{notebook_id}/deployments/{execution_id}/logs",
            params=[("limit", MAX_LOG_LINES)],
            not_found=self._deployment_not_found(notebook_id, execution_id),
        )
        if not isinstance(data, list):
            raise self.unreadable("the deployment logs are not a JSON array", response)
        lines: list[str] = []
        for item in data:
            entry = self.wire(WireLogEntry, item, "a log entry", response)
            stamp = self.wire_time(entry.createdAt, response) or "-"
            lines.append(f"{stamp} [{entry.source}/{entry.stream}] {entry.message.rstrip()}")
        # What a notebook prints is the user's, but never this connection's key.
        text = self.http.redact("\n".join(lines) + ("\n" if lines else ""))
        return ExecutionFile.from_bytes(LOG_FILE, "text/plain", text.encode("utf-8"))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
