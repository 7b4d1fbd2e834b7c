"""A Losant-compatible HTTP server on loopback, for tests and UI tests.

``FakeLosant`` serves the Notebook and Notebooks resources of the Losant REST
API (API 1.30, see ``losant_schemas/``) from a Tornado application running
in its own daemon thread with its own event loop, so it works inside
pytest-jupyter tests (whose server runs on another loop), inside a
``jupyter_server_test_config.py`` and on its own::

    python -m jupyter_notebook_remote.tests.fakes.losant --port 8765 \\
        --token T --application-id 5f0c1a2b3c4d5e6f7a8b9c0d

It is faithful where a client can tell: Bearer auth (401 otherwise), 24-hex
ids, the global ``_actions/_links/_embedded`` parameters accepted and
ignored, every JSON request body validated against Losant's own schema (400
``{"type": "Validation"}``), every answer validated against the response
schema before it is sent (a mismatch is a bug in the fake: it raises
:class:`FakeBug`, answers 500 and is listed in ``bugs``).

Runs follow a clock: ``queued`` for ``queued_seconds``, ``inProgress`` for
``running_seconds``, then ``completed``; an uploaded notebook whose text
contains ``FAKE_LOSANT_ERROR`` ends ``errored``, ``FAKE_LOSANT_TIMEOUT`` ends
``timeout``, and ``FAKE_LOSANT_SLOW`` runs for ``slow_seconds``. A cancel goes
``canceling`` then ``canceled`` after ``canceling_seconds``.

Faults are injected from Python (:meth:`FakeLosant.fail_next`) or over HTTP
(``POST /__fake__/faults``); every API request is recorded in ``requests``,
and so is every file-storage request (route ``"files"``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fnmatch
import functools
import json
import math
import re
import secrets
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs

from jsonschema import Draft7Validator
from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

SCHEMA_DIR = Path(__file__).resolve().parent / "losant_schemas"
OBJECT_ID = re.compile(r"^[A-Fa-f\d]{24}$")

DEFAULT_APPLICATION_ID = "5f0c1a2b3c4d5e6f7a8b9c0d"

ERROR_MARK = b"FAKE_LOSANT_ERROR"
TIMEOUT_MARK = b"FAKE_LOSANT_TIMEOUT"
SLOW_MARK = b"FAKE_LOSANT_SLOW"

#: Route names: Losant's own action names (``resource.action``).
ROUTES = (
    "notebooks.get",
    "notebooks.post",
    "notebook.get",
    "notebook.patch",
    "notebook.delete",
    "notebook.upload",
    "notebook.execute",
    "notebook.cancelExecution",
    "notebook.logs",
    "notebook.notebookMinuteCounts",
    "notebook.requestInputDataExport",
)

#: (method, action suffix) -> route name, for paths under a notebook.
_NOTEBOOK_ACTIONS = {
    ("GET", ""): "notebook.get",
    ("PATCH", ""): "notebook.patch",
    ("DELETE", ""): "notebook.delete",
    ("POST", "upload"): "notebook.upload",
    ("POST", "execute"): "notebook.execute",
    ("POST", "cancelExecution"): "notebook.cancelExecution",
    ("GET", "logs"): "notebook.logs",
    ("GET", "notebookMinuteCounts"): "notebook.notebookMinuteCounts",
    ("POST", "requestInputDataExport"): "notebook.requestInputDataExport",
}

#: Request body schema per route (all of them are required JSON bodies).
REQUEST_SCHEMAS = {
    "notebooks.post": "notebookPost",
    "notebook.patch": "notebookPatch",
    "notebook.execute": "notebookExecutionOptions",
    "notebook.requestInputDataExport": "notebookDataExportOptions",
}

#: Success status and response schema per route (apiInfo.json).
RESPONSES = {
    "notebooks.get": (200, "notebooks"),
    "notebooks.post": (201, "notebook"),
    "notebook.get": (200, "notebook"),
    "notebook.patch": (200, "notebook"),
    "notebook.delete": (200, "success"),
    "notebook.upload": (200, "notebook"),
    "notebook.execute": (200, "successWithExecutionId"),
    "notebook.cancelExecution": (200, "success"),
    "notebook.logs": (200, "notebookExecutionLogs"),
    "notebook.notebookMinuteCounts": (200, "notebookMinuteCounts"),
    "notebook.requestInputDataExport": (202, "jobEnqueuedResult"),
}


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """One of Losant's JSON schemas, by file stem (``notebook``...)."""
    with open(SCHEMA_DIR / f"{name}.json", encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


@functools.cache
def validator(name: str) -> Draft7Validator:
    """A draft-07 validator for a schema, checking formats (date-time, uri, email)."""
    return Draft7Validator(schema(name), format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(name: str, instance: Any) -> list[str]:
    """Readable schema violations of ``instance`` (empty when valid)."""
    found = []
    for err in sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.absolute_path) or "body"
        found.append(f"{where}: {err.message}")
    return found


def iso_time(seconds: float) -> str:
    value = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class FakeBug(AssertionError):
    """The fake was about to send an answer its own schemas reject."""


class LosantFailure(Exception):
    """An error answer in Losant's shape: ``{"type", "message"}``."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def _validation(message: str) -> LosantFailure:
    return LosantFailure(400, "Validation", message)


class FakeClock:
    """A clock tests move by hand (``advance``), in epoch seconds."""

    def __init__(self, start: Optional[float] = None) -> None:
        self.now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


# ----------------------------------------------------------------------------- state


@dataclass
class RecordedRequest:
    """One API request as it reached the fake."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    route: Optional[str] = None

    def param(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    """What to do instead of (or before) answering a request."""

    route: str = "*"
    status: Optional[int] = None
    retry_after: Optional[str] = None
    garbage: bool = False
    slow: Optional[float] = None
    close: bool = False
    message: Optional[str] = None
    #: How many more requests it applies to; None: until cleared.
    times: Optional[int] = 1


@dataclass
class FakeNotebook:
    id: str
    name: str
    created: float
    updated: float
    description: Optional[str] = None
    image_version: str = "v4"
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    file_name: Optional[str] = None
    file_bytes: Optional[bytes] = None
    file_content_type: Optional[str] = None


@dataclass
class FakeRun:
    id: str
    notebook_id: str
    queued_at: float
    queued_for: float
    run_for: float
    outcome: str  # completed | errored | timeout
    image_version: str
    source_type: str
    source_id: str
    relative_to: float
    template_context: Optional[str] = None
    cancel_at: Optional[float] = None
    notebook_bytes: bytes = b""
    input_files: list[str] = field(default_factory=list)

    @property
    def started_at(self) -> float:
        return self.queued_at + self.queued_for

    @property
    def ends_at(self) -> float:
        return self.started_at + self.run_for


@dataclass
class _Call:
    """One API call on one notebook, as the per-route methods see it."""

    nb: FakeNotebook
    data: Any
    query: dict[str, list[str]]
    headers: Any
    body: bytes
    now: float


def _object_id() -> str:
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


# ----------------------------------------------------------------------------- the fake


class FakeLosant:
    """A Losant API on ``http://127.0.0.1:<port>``, in its own thread."""

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        application_id: str = DEFAULT_APPLICATION_ID,
        host: str = "127.0.0.1",
        port: int = 0,
        queued_seconds: float = 0.3,
        running_seconds: float = 1.0,
        slow_seconds: float = 60.0,
        canceling_seconds: float = 0.3,
        max_upload_bytes: int = 50 * 1024 * 1024,
        max_allowed_run_minutes: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Losant listens on loopback only")
        if not OBJECT_ID.match(application_id):
            raise ValueError("application_id must be 24 hexadecimal characters")
        self.token = token or f"fake-losant-{secrets.token_urlsafe(18)}"
        self.application_id = application_id
        self.host = host
        self.port = port
        self.queued_seconds = queued_seconds
        self.running_seconds = running_seconds
        self.slow_seconds = slow_seconds
        self.canceling_seconds = canceling_seconds
        self.max_upload_bytes = max_upload_bytes
        self.max_allowed_run_minutes = max_allowed_run_minutes
        self.clock = clock
        self.api_token_id = _object_id()

        self.lock = threading.RLock()
        self.notebooks: dict[str, FakeNotebook] = {}
        self.runs: dict[str, FakeRun] = {}
        self.exports: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        #: Answers the fake refused to send because they broke a schema.
        self.bugs: list[str] = []

        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[HTTPServer] = None
        self._start_error: Optional[BaseException] = None

    # ------------------------------------------------------------------ life cycle

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the fake Losant is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> FakeLosant:
        """Listen (on ``port``, or a free one) and serve from a daemon thread."""
        if self.running:
            raise RuntimeError("the fake Losant is already running")
        ready = threading.Event()
        self._start_error = None
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="fake-losant", daemon=True
        )
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("the fake Losant did not start within 15 s")
        if self._start_error is not None:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"the fake Losant could not start: {self._start_error}")
        return self

    def stop(self) -> None:
        """Stop listening and close every connection (the port then refuses)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(loop.stop)
            thread.join(15)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeLosant:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:
            self._start_error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _listen(self) -> None:
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        app = Application(
            [
                (r"/__fake__/faults", _FaultsHandler, {"fake": self}),
                (r"/__fake__/requests", _RequestsHandler, {"fake": self}),
                (r"/__fake__/reset", _ResetHandler, {"fake": self}),
                (r"/__fake__/token", _TokenHandler, {"fake": self}),
                (r"/__fake__/files/([^/]+)/([^/]+)", _FilesHandler, {"fake": self}),
                (r"/__fake__/notebook-files/([^/]+)", _NotebookFileHandler, {"fake": self}),
                (r"/.*", _ApiHandler, {"fake": self}),
            ],
            log_function=lambda handler: None,
        )
        self._server = HTTPServer(app, max_body_size=self.max_upload_bytes + (1 << 20))
        self._server.add_sockets(sockets)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.close_all_connections(), 5)
            self._server = None
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ test helpers

    def fail_next(
        self,
        route: str = "*",
        status: Optional[int] = None,
        *,
        retry_after: Optional[Union[int, float, str]] = None,
        garbage: bool = False,
        slow: Optional[float] = None,
        close: bool = False,
        message: Optional[str] = None,
        times: Optional[int] = 1,
    ) -> Fault:
        """Make the next ``times`` requests of ``route`` (or any, ``"*"``) fail.

        ``status``: answer that status with a Losant error body (429 can carry
        ``retry_after``); ``garbage``: answer 200 (or ``status``) with a body
        that is not JSON; ``slow``: wait that many seconds, then answer
        normally; ``close``: drop the connection without an answer.
        ``times=None`` keeps the fault until :meth:`clear_faults`.
        """
        if route != "*" and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; one of {', '.join(ROUTES)} or '*'")
        if status is None and not (garbage or slow or close):
            raise ValueError("say what should happen: status, garbage, slow or close")
        fault = Fault(
            route=route,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            garbage=garbage,
            slow=slow,
            close=close,
            message=message,
            times=times,
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def reset(self) -> None:
        """Forget notebooks, runs, faults and recorded requests."""
        with self.lock:
            self.notebooks.clear()
            self.runs.clear()
            self.exports.clear()
            self.requests.clear()
            self.faults.clear()
            self.bugs.clear()

    def requests_for(self, route: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.route == route]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def add_notebook(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        file_bytes: Optional[bytes] = None,
        file_name: str = "notebook.ipynb",
        inputs: Optional[list[dict[str, Any]]] = None,
        outputs: Optional[list[dict[str, Any]]] = None,
    ) -> str:
        """Create a notebook directly (no request recorded); return its id."""
        now = self.clock()
        nb = FakeNotebook(
            id=_object_id(),
            name=name,
            created=now,
            updated=now,
            description=description,
            inputs=list(inputs or []),
            outputs=list(outputs or []),
        )
        if file_bytes is not None:
            nb.file_bytes = file_bytes
            nb.file_name = file_name
        with self.lock:
            self.notebooks[nb.id] = nb
        return nb.id

    def add_run(
        self,
        notebook_id: str,
        *,
        queued_at: float,
        run_for: float = 60.0,
        outcome: str = "completed",
        canceled: bool = False,
    ) -> str:
        """Record a run in the past (for usage/log tests); return its id."""
        run = FakeRun(
            id=_object_id(),
            notebook_id=notebook_id,
            queued_at=queued_at,
            queued_for=0.0,
            run_for=run_for,
            outcome=outcome,
            image_version=self.notebooks[notebook_id].image_version,
            source_type="apiToken",
            source_id=self.api_token_id,
            relative_to=queued_at,
            cancel_at=(queued_at + run_for / 2) if canceled else None,
        )
        with self.lock:
            self.runs[run.id] = run
        return run.id

    # ------------------------------------------------------------------ runs

    def run_status(self, run: FakeRun, now: Optional[float] = None) -> str:
        now = self.clock() if now is None else now
        if run.cancel_at is not None:
            return "canceled" if now >= run.cancel_at + self.canceling_seconds else "canceling"
        if now < run.started_at:
            return "queued"
        if now < run.ends_at:
            return "inProgress"
        return run.outcome

    def _outputs(self, run: FakeRun, status: str) -> dict[str, tuple[str, bytes]]:
        """name -> (content type, bytes) of the files a run produced."""
        nb = self.notebooks.get(run.notebook_id)
        title = nb.name if nb else run.notebook_id
        log_text = f"Executing notebook {title} ({run.id})\n"
        files: dict[str, tuple[str, bytes]] = {}
        if status in ("completed", "errored"):
            html = f"<html><body><h1>{title}</h1><p>run {run.id}: {status}</p></body></html>"
            files["result.html"] = ("text/html", html.encode())
            files["result.ipynb"] = ("application/x-ipynb+json", run.notebook_bytes)
        if status == "completed":
            files["result.log"] = ("text/plain", (log_text + "Done.\n").encode())
        elif status == "errored":
            files["result.log"] = ("text/plain", log_text.encode())
            files["result.error.log"] = (
                "text/plain",
                b"Traceback (most recent call last):\nRuntimeError: FAKE_LOSANT_ERROR\n",
            )
        elif status == "timeout":
            files["result.log"] = ("text/plain", log_text.encode())
            files["result.error.log"] = (
                "text/plain",
                f"Notebook exceeded {self.max_allowed_run_minutes} minutes\n".encode(),
            )
        return files

    def output_file(self, run_id: str, name: str) -> Optional[tuple[str, bytes]]:
        with self.lock:
            run = self.runs.get(run_id)
            if run is None:
                return None
            return self._outputs(run, self.run_status(run)).get(name)

    def _log_entry(self, run: FakeRun, now: float) -> dict[str, Any]:
        status = self.run_status(run, now)
        entry: dict[str, Any] = {
            "id": run.id,
            "notebookExecutionId": run.id,
            "notebookId": run.notebook_id,
            "applicationId": self.application_id,
            "imageVersion": run.image_version,
            "status": status,
            "executionRelativeTo": iso_time(run.relative_to),
            "maxAllowedRunMinutes": self.max_allowed_run_minutes,
            "sourceType": run.source_type,
            "sourceId": run.source_id,
            "runQueuedAt": iso_time(run.queued_at),
            "inputInfo": {},
            "outputInfo": {},
            "executionErrors": [],
        }
        if run.template_context is not None:
            entry["templateContext"] = run.template_context
        started = now >= run.started_at and (
            run.cancel_at is None or run.cancel_at > run.started_at
        )
        if started:
            entry["runStartedAt"] = iso_time(run.started_at)
            entry["inputsCompletedAt"] = iso_time(run.started_at)
            entry["inputInfo"] = {
                name: {"size": 128, "url": f"{self.url}/__fake__/files/{run.id}/{name}"}
                for name in run.input_files
            }
        if status == "canceled" and run.cancel_at is not None:
            entry["notebookCompletedAt"] = iso_time(run.cancel_at + self.canceling_seconds)
        if status in ("completed", "errored", "timeout"):
            entry["notebookCompletedAt"] = iso_time(run.ends_at)
            entry["outputsCompletedAt"] = iso_time(run.ends_at)
            entry["outputInfo"] = {
                name: {
                    "size": len(data),
                    "url": f"{self.url}/__fake__/files/{run.id}/{name}",
                    "contentType": ctype,
                }
                for name, (ctype, data) in self._outputs(run, status).items()
            }
        if status == "errored":
            entry["executionErrors"] = [
                {"name": "RuntimeError", "message": "FAKE_LOSANT_ERROR raised in cell 1"}
            ]
        elif status == "timeout":
            entry["executionErrors"] = [
                {
                    "name": "Timeout",
                    "message": f"Notebook exceeded {self.max_allowed_run_minutes} minutes",
                }
            ]
        return entry

    def _run_minutes(self, run: FakeRun, now: float) -> int:
        status = self.run_status(run, now)
        if status in ("completed", "errored", "timeout"):
            end = run.ends_at
        elif status == "canceled" and run.cancel_at is not None:
            end = run.cancel_at
        else:
            return 0
        seconds = max(0.0, end - run.started_at)
        return math.ceil(seconds / 60) if seconds > 0 else 0

    def _stats(self, notebook_id: str, now: float) -> dict[str, Any]:
        month = datetime.fromtimestamp(now, tz=timezone.utc).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        runs = [
            r
            for r in self.runs.values()
            if r.notebook_id == notebook_id and r.queued_at >= month.timestamp()
        ]
        return {
            "minutesThisPeriod": sum(self._run_minutes(r, now) for r in runs),
            "runsThisPeriod": len(runs),
            "errorsThisPeriod": sum(
                1 for r in runs if self.run_status(r, now) in ("errored", "timeout")
            ),
        }

    def _notebook_json(self, nb: FakeNotebook, now: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": nb.id,
            "notebookId": nb.id,
            "applicationId": self.application_id,
            "creationDate": iso_time(nb.created),
            "lastUpdated": iso_time(nb.updated),
            "name": nb.name,
            "imageVersion": nb.image_version,
            "inputs": nb.inputs,
            "outputs": nb.outputs,
            "stats": self._stats(nb.id, now),
        }
        if nb.description is not None:
            body["description"] = nb.description
        if nb.file_name is not None:
            body["jupyterFileName"] = nb.file_name
            body["jupyterFileUrl"] = f"{self.url}/__fake__/notebook-files/{nb.id}"
        return body

    # ------------------------------------------------------------------ the API

    def take_fault(self, route: Optional[str]) -> Optional[Fault]:
        with self.lock:
            for fault in self.faults:
                if fault.route in ("*", route):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[Optional[str], int, Any]:
        """Route and answer one API call: (route, status, JSON body)."""
        route, args = self.route(method, path)
        return route, *self.answer(route, args, query, headers, body)

    def route(self, method: str, path: str) -> tuple[Optional[str], list[str]]:
        parts = [p for p in path.split("/") if p]
        if len(parts) < 3 or parts[0] != "applications" or parts[2] != "notebooks":
            return None, []
        if len(parts) == 3:
            name = {"GET": "notebooks.get", "POST": "notebooks.post"}.get(method)
            return name, [parts[1]]
        if len(parts) in (4, 5):
            action = parts[4] if len(parts) == 5 else ""
            return _NOTEBOOK_ACTIONS.get((method, action)), parts[1:2] + parts[3:4]
        return None, []

    def check_auth(self, headers: Any) -> None:
        value = headers.get("Authorization", "")
        if not value:
            raise LosantFailure(401, "Unauthorized", "Authorization header is required")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LosantFailure(401, "Unauthorized", "Authorization must be a Bearer token")
        if not secrets.compare_digest(token.strip().encode(), self.token.encode()):
            raise LosantFailure(401, "Unauthorized", "Invalid access token")

    def answer(
        self,
        route: Optional[str],
        args: list[str],
        query: dict[str, list[str]],
        headers: Any,
        body: bytes,
    ) -> tuple[int, Any]:
        if route is None:
            raise LosantFailure(404, "NotFound", "Resource was not found")
        self.check_auth(headers)
        app_id = args[0]
        if not OBJECT_ID.match(app_id):
            raise _validation("applicationId must be a valid object id")
        if app_id.lower() != self.application_id.lower():
            raise LosantFailure(404, "NotFound", "Application was not found")
        data: Any = None
        if route in REQUEST_SCHEMAS:
            data = self._json_body(route, headers, body)
        with self.lock:
            now = self.clock()
            if route == "notebooks.get":
                return 200, self._list(query, now)
            if route == "notebooks.post":
                return 201, self._create(data, now)
            nb_id = args[1]
            if not OBJECT_ID.match(nb_id):
                raise _validation("notebookId must be a valid object id")
            nb = self.notebooks.get(nb_id)
            if nb is None:
                raise LosantFailure(404, "NotFound", "Notebook was not found")
            handler = getattr(self, "_" + route.split(".", 1)[1])
            return handler(_Call(nb, data, query, headers, body, now))  # type: ignore[no-any-return]

    def _json_body(self, route: str, headers: Any, body: bytes) -> Any:
        ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not body.strip():
            raise _validation("A JSON request body is required")
        if ctype != "application/json":
            raise _validation("Request body must be application/json")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise _validation(f"Request body is not valid JSON: {exc}") from None
        problems = schema_errors(REQUEST_SCHEMAS[route], data)
        if problems:
            raise _validation("; ".join(problems[:5]))
        return data

    def _list(self, query: dict[str, list[str]], now: float) -> dict[str, Any]:
        def one(name: str, default: str) -> str:
            return query.get(name, [default])[0]

        sort_field = one("sortField", "name")
        if sort_field not in (
            "name",
            "id",
            "creationDate",
            "lastUpdated",
            "lastExecutionRequested",
        ):
            raise _validation(f"sortField {sort_field!r} is not supported")
        direction = one("sortDirection", "asc")
        if direction.lower() not in ("asc", "desc"):
            raise _validation("sortDirection must be asc or desc")
        page = _int_param(one("page", "0"), "page", 0)
        per_page = _int_param(one("perPage", "100"), "perPage", 1, 1000)
        filter_field = query.get("filterField", [None])[0]
        pattern = query.get("filter", [None])[0]
        if filter_field not in (None, "", "name"):
            raise _validation(f"filterField {filter_field!r} is not supported")
        items = list(self.notebooks.values())
        if pattern:
            items = [nb for nb in items if fnmatch.fnmatch(nb.name.lower(), pattern.lower())]
        keys: dict[str, Callable[[FakeNotebook], Any]] = {
            "name": lambda nb: nb.name.lower(),
            "id": lambda nb: nb.id,
            "creationDate": lambda nb: nb.created,
            "lastUpdated": lambda nb: nb.updated,
            "lastExecutionRequested": lambda nb: max(
                (r.queued_at for r in self.runs.values() if r.notebook_id == nb.id), default=0
            ),
        }
        items.sort(key=keys[sort_field], reverse=direction.lower() == "desc")
        chunk = items[page * per_page : (page + 1) * per_page]
        body: dict[str, Any] = {
            "items": [self._notebook_json(nb, now) for nb in chunk],
            "count": len(chunk),
            "totalCount": len(items),
            "perPage": per_page,
            "page": page,
            "sortField": sort_field,
            "sortDirection": direction,
            "applicationId": self.application_id,
        }
        if pattern:
            body["filter"] = pattern
            body["filterField"] = filter_field or "name"
        return body

    def _create(self, data: dict[str, Any], now: float) -> dict[str, Any]:
        nb = FakeNotebook(
            id=_object_id(),
            name=data["name"],
            created=now,
            updated=now,
            description=data.get("description"),
            image_version=data.get("imageVersion", "v4"),
            inputs=data.get("inputs", []),
            outputs=data.get("outputs", []),
        )
        self.notebooks[nb.id] = nb
        return self._notebook_json(nb, now)

    def _get(self, call: _Call) -> tuple[int, Any]:
        return 200, self._notebook_json(call.nb, call.now)

    def _patch(self, call: _Call) -> tuple[int, Any]:
        nb, data, now = call.nb, call.data, call.now
        for key, attr in (
            ("name", "name"),
            ("description", "description"),
            ("imageVersion", "image_version"),
            ("inputs", "inputs"),
            ("outputs", "outputs"),
        ):
            if key in data:
                setattr(nb, attr, data[key])
        nb.updated = now
        return 200, self._notebook_json(nb, now)

    def _delete(self, call: _Call) -> tuple[int, Any]:
        nb = call.nb
        del self.notebooks[nb.id]
        for run_id in [r.id for r in self.runs.values() if r.notebook_id == nb.id]:
            del self.runs[run_id]
        return 200, {"success": True}

    def _upload(self, call: _Call) -> tuple[int, Any]:
        nb, headers, body, now = call.nb, call.headers, call.body, call.now
        ctype = headers.get("Content-Type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            raise _validation("Upload must be multipart/form-data with a jupyterFile field")
        if len(body) > self.max_upload_bytes:
            raise LosantFailure(413, "TooLarge", "Request entity too large.")
        part = parse_multipart_field(ctype, body, "jupyterFile")
        if part is None:
            raise _validation("jupyterFile is required")
        file_name, content, part_type = part
        if not content:
            raise _validation("jupyterFile must not be empty")
        nb.file_name = file_name or "jupyterFile"
        nb.file_bytes = content
        nb.file_content_type = part_type
        nb.updated = now
        return 200, self._notebook_json(nb, now)

    def _execute(self, call: _Call) -> tuple[int, Any]:
        nb, data, now = call.nb, call.data, call.now
        if nb.file_bytes is None:
            raise _validation("Notebook has no jupyter file; upload one before executing")
        context = data.get("templateContext")
        if context is not None:
            try:
                parsed = json.loads(context)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise _validation("templateContext must be a JSON object")
        content = nb.file_bytes
        outcome = "completed"
        run_for = self.running_seconds
        if ERROR_MARK in content:
            outcome = "errored"
        elif TIMEOUT_MARK in content:
            outcome = "timeout"
        if SLOW_MARK in content:
            run_for = self.slow_seconds
        run = FakeRun(
            id=_object_id(),
            notebook_id=nb.id,
            queued_at=now,
            queued_for=self.queued_seconds,
            run_for=run_for,
            outcome=outcome,
            image_version=nb.image_version,
            source_type="apiToken",
            source_id=self.api_token_id,
            relative_to=_relative_to(data.get("relativeTo"), now),
            template_context=context,
            notebook_bytes=content,
            input_files=[i["fileName"] for i in nb.inputs if "{{" not in i.get("fileName", "")],
        )
        self.runs[run.id] = run
        return 200, {"success": True, "executionId": run.id}

    def _cancelExecution(self, call: _Call) -> tuple[int, Any]:
        nb, query, now = call.nb, call.query, call.now
        ex_id = query.get("executionId", [""])[0]
        if not ex_id:
            raise _validation("executionId is required")
        if not OBJECT_ID.match(ex_id):
            raise _validation("executionId must be a valid object id")
        run = self.runs.get(ex_id)
        if run is None or run.notebook_id != nb.id:
            raise LosantFailure(404, "NotFound", "Notebook execution was not found")
        status = self.run_status(run, now)
        if status in ("completed", "errored", "timeout", "canceled"):
            raise _validation(f"Notebook execution has already finished ({status})")
        if run.cancel_at is None:
            run.cancel_at = now
        return 200, {"success": True}

    def _logs(self, call: _Call) -> tuple[int, Any]:
        nb, query, now = call.nb, call.query, call.now
        limit = _int_param(query.get("limit", ["1"])[0], "limit", 1)
        since_raw = query.get("since", [None])[0]
        runs = [r for r in self.runs.values() if r.notebook_id == nb.id]
        if since_raw not in (None, ""):
            since = _int_param(since_raw, "since", 0) / 1000
            runs = [r for r in runs if r.queued_at >= since]
        runs.sort(key=lambda r: r.queued_at, reverse=True)
        return 200, [self._log_entry(r, now) for r in runs[:limit]]

    def _notebookMinuteCounts(self, call: _Call) -> tuple[int, Any]:
        nb, query, now = call.nb, call.query, call.now
        end_raw = query.get("end", [None])[0]
        start_raw = query.get("start", [None])[0]
        end = _int_param(end_raw, "end", 0) / 1000 if end_raw else now
        start = _int_param(start_raw, "start", 0) / 1000 if start_raw else end - 30 * 86400
        if end < start:
            raise _validation("end must be after start")
        days: dict[str, dict[str, int]] = {}
        for run in self.runs.values():
            if run.notebook_id != nb.id or not start <= run.queued_at <= end:
                continue
            status = self.run_status(run, now)
            day = datetime.fromtimestamp(run.queued_at, tz=timezone.utc).date().isoformat()
            counts = days.setdefault(
                day, {"minutes": 0, "completed": 0, "canceled": 0, "errored": 0, "timeout": 0}
            )
            counts["minutes"] += self._run_minutes(run, now)
            if status in ("completed", "canceled", "errored", "timeout"):
                counts[status] += 1
        return 200, {
            "start": iso_time(start),
            "end": iso_time(end),
            "counts": [{"date": f"{day}T00:00:00.000Z", **days[day]} for day in sorted(days)],
        }

    def _requestInputDataExport(self, call: _Call) -> tuple[int, Any]:
        nb, data = call.nb, call.data
        job_id = base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()[:21]
        self.exports.append({"notebookId": nb.id, "jobId": job_id, **data})
        return 202, {"jobQueued": True, "jobId": job_id, "success": True}

    def check_answer(self, route: Optional[str], status: int, body: Any) -> None:
        """Raise :class:`FakeBug` if an answer breaks Losant's response schema."""
        if route is not None and status == RESPONSES[route][0]:
            name = RESPONSES[route][1]
        else:
            name = "error"
        problems = schema_errors(name, body)
        if problems:
            bug = f"{route} answered {status} breaking {name}.json: {'; '.join(problems[:5])}"
            with self.lock:
                self.bugs.append(bug)
            raise FakeBug(bug)


def _int_param(raw: Optional[str], name: str, minimum: int, maximum: Optional[int] = None) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        raise _validation(f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise _validation(f"{name} must be {bound}")
    return value


def _relative_to(value: Any, now: float) -> float:
    if value is None:
        return now
    if isinstance(value, dict):
        value = value.get("$date")
    if isinstance(value, (int, float)):
        return float(value) / 1000
    try:
        text = str(value).replace("Z", "+00:00")
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise _validation("relativeTo is not a date") from None


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """``type; a=b; c="d"`` -> ("type", {"a": "b", "c": "d"})."""
    msg = Message()
    msg["X"] = value
    params = msg.get_params(header="X") or []
    if not params:
        return "", {}
    main = params[0][0].strip().lower()
    return main, {k.lower(): str(v) for k, v in params[1:]}


def parse_multipart_field(
    content_type: str, body: bytes, name: str
) -> Optional[tuple[Optional[str], bytes, Optional[str]]]:
    """(file name, bytes, part content type) of one multipart field, or None.

    Accepts the field as a file part (with ``filename``) or a plain part
    without one, with or without a part Content-Type, as the official JS
    client sends it in its different modes.
    """
    fields, params = _header_params(content_type)
    if fields.lower() != "multipart/form-data":
        return None
    boundary = params.get("boundary")
    if not boundary:
        raise _validation("multipart/form-data without a boundary")
    if boundary.startswith('"') and boundary.endswith('"'):
        boundary = boundary[1:-1]
    delimiter = b"--" + boundary.encode()
    end = body.rfind(delimiter + b"--")
    if end == -1:
        raise _validation("multipart body is not terminated")
    for part in body[:end].split(delimiter + b"\r\n"):
        if not part:
            continue
        head_end = part.find(b"\r\n\r\n")
        if head_end == -1:
            continue
        headers = httputil.HTTPHeaders.parse(part[:head_end].decode("utf-8"))
        disposition, disp_params = _header_params(headers.get("Content-Disposition", ""))
        if disposition != "form-data" or disp_params.get("name") != name:
            continue
        value = part[head_end + 4 :]
        if not value.endswith(b"\r\n"):
            raise _validation("multipart part is not terminated")
        return disp_params.get("filename"), value[:-2], headers.get("Content-Type")
    return None


# ----------------------------------------------------------------------------- handlers


class _FakeHandler(RequestHandler):
    def initialize(self, fake: FakeLosant) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:  # no browser session here
        return None

    def send_json(self, status: int, body: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))


class _ApiHandler(_FakeHandler):
    """Every Losant API route: record, faults, auth, route, validate, answer."""

    async def _dispatch(self) -> None:
        fake = self.fake
        req = self.request
        query = parse_qs(req.query, keep_blank_values=True)
        route, args = fake.route(req.method or "GET", req.path)
        record = RecordedRequest(
            method=req.method or "",
            path=req.path,
            query=query,
            headers=dict(req.headers.get_all()),
            body=req.body,
            route=route,
        )
        with fake.lock:
            fake.requests.append(record)
        fault = fake.take_fault(route)
        if fault is not None:
            if fault.slow:
                await asyncio.sleep(fault.slow)
            if fault.close:
                self._auto_finish = False
                stream = req.connection.detach()  # type: ignore[union-attr]
                stream.close()
                return
            if fault.garbage:
                self.set_status(fault.status or 200)
                self.set_header("Content-Type", "text/html")
                self.finish("<html><body>502 Bad Gateway (not JSON)</body></html>")
                return
            if fault.status is not None:
                if fault.retry_after is not None:
                    self.set_header("Retry-After", fault.retry_after)
                self._error(
                    route,
                    LosantFailure(
                        fault.status,
                        _status_type(fault.status),
                        fault.message or f"Injected failure {fault.status}",
                    ),
                )
                return
        try:
            status, body = fake.answer(route, args, query, req.headers, req.body)
        except LosantFailure as exc:
            self._error(route, exc)
            return
        fake.check_answer(route, status, body)
        self.send_json(status, body)

    def _error(self, route: Optional[str], exc: LosantFailure) -> None:
        body = {"type": exc.type, "message": exc.message}
        self.fake.check_answer(route, exc.status, body)
        self.send_json(exc.status, body)

    async def get(self) -> None:
        await self._dispatch()

    async def post(self) -> None:
        await self._dispatch()

    async def patch(self) -> None:
        await self._dispatch()

    async def delete(self) -> None:
        await self._dispatch()

    async def put(self) -> None:
        await self._dispatch()


def _status_type(status: int) -> str:
    return {
        400: "Validation",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "TooLarge",
        429: "TooManyRequests",
    }.get(status, "ServerError" if status >= 500 else "Error")


class _FaultsHandler(_FakeHandler):
    """``POST`` a fault (JSON: route, status, retryAfter, garbage, slow, close,
    message, times); ``GET`` the pending ones; ``DELETE`` clears them."""

    def post(self) -> None:
        try:
            data = json.loads(self.request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")
            fault = self.fake.fail_next(
                str(data.get("route", "*")),
                data.get("status"),
                retry_after=data.get("retryAfter"),
                garbage=bool(data.get("garbage", False)),
                slow=data.get("slow"),
                close=bool(data.get("close", False)),
                message=data.get("message"),
                times=data.get("times", 1),
            )
        except (ValueError, TypeError) as exc:
            self.send_json(400, {"type": "Validation", "message": str(exc)})
            return
        self.send_json(201, asdict(fault))

    def get(self) -> None:
        with self.fake.lock:
            self.send_json(200, [asdict(f) for f in self.fake.faults])

    def delete(self) -> None:
        self.fake.clear_faults()
        self.send_json(200, {"success": True})


class _RequestsHandler(_FakeHandler):
    def get(self) -> None:
        with self.fake.lock:
            items = [
                {
                    "method": r.method,
                    "path": r.path,
                    "query": r.query,
                    "route": r.route,
                    "bodySize": len(r.body),
                }
                for r in self.fake.requests
            ]
        self.send_json(200, items)

    def delete(self) -> None:
        self.fake.clear_requests()
        self.send_json(200, {"success": True})


class _ResetHandler(_FakeHandler):
    def post(self) -> None:
        self.fake.reset()
        self.send_json(200, {"success": True})


class _TokenHandler(_FakeHandler):
    """``POST {"token"}``: the token the fake accepts from now on (revocation)."""

    def post(self) -> None:
        try:
            token = json.loads(self.request.body)["token"]
            if not isinstance(token, str) or not token:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            self.send_json(400, {"type": "Validation", "message": 'body must be {"token": ...}'})
            return
        self.fake.token = token
        self.send_json(200, {"success": True})


#: The route name file-storage requests are recorded under (not an API route).
FILES_ROUTE = "files"


class _StorageHandler(_FakeHandler):
    """What Losant's signed storage URLs serve: no auth, every request recorded."""

    def record(self) -> None:
        req = self.request
        record = RecordedRequest(
            method=req.method or "",
            path=req.path,
            query=parse_qs(req.query, keep_blank_values=True),
            headers=dict(req.headers.get_all()),
            body=req.body,
            route=FILES_ROUTE,
        )
        with self.fake.lock:
            self.fake.requests.append(record)


class _FilesHandler(_StorageHandler):
    """The runs' files."""

    def get(self, run_id: str, name: str) -> None:
        self.record()
        found = self.fake.output_file(run_id, name)
        if found is None:
            self.send_json(404, {"type": "NotFound", "message": "File was not found"})
            return
        ctype, data = found
        self.set_header("Content-Type", ctype)
        self.finish(data)


class _NotebookFileHandler(_StorageHandler):
    """A notebook's file (its ``jupyterFileUrl``)."""

    def get(self, nb_id: str) -> None:
        self.record()
        with self.fake.lock:
            nb = self.fake.notebooks.get(nb_id)
            data = nb.file_bytes if nb else None
        if data is None:
            self.send_json(404, {"type": "NotFound", "message": "File was not found"})
            return
        self.set_header("Content-Type", "application/x-ipynb+json")
        self.finish(data)


# ----------------------------------------------------------------------------- CLI


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_notebook_remote.tests.fakes.losant",
        description="Serve a fake Losant notebook API on loopback (for tests only).",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=None, help="the Bearer token to accept")
    parser.add_argument("--application-id", default=DEFAULT_APPLICATION_ID)
    parser.add_argument("--queued-seconds", type=float, default=0.3)
    parser.add_argument("--running-seconds", type=float, default=1.0)
    parser.add_argument("--slow-seconds", type=float, default=60.0)
    parser.add_argument("--seed", action="append", default=[], help="create a notebook by name")
    args = parser.parse_args(argv)
    fake = FakeLosant(
        token=args.token,
        application_id=args.application_id,
        port=args.port,
        queued_seconds=args.queued_seconds,
        running_seconds=args.running_seconds,
        slow_seconds=args.slow_seconds,
    )
    for name in args.seed:
        fake.add_notebook(name)
    fake.start()
    print(
        json.dumps({"url": fake.url, "applicationId": fake.application_id, "token": fake.token}),
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
