"""A loopback fake of the Civis Platform notebooks API, for tests.

Faithful to the Swagger spec the ``civis`` client bundles (copied in
``civis_spec/``) where the tests depend on it:

* HTTP Basic with the API key as user name and an empty password on every
  API path; anything else is a 401 carrying ``WWW-Authenticate`` (the
  ``civis`` client reads that header unconditionally).
* snake_case request bodies and queries, camelCase answers, integer ids,
  errors as ``{"error", "errorDescription", "code"}``.
* ``GET /notebooks`` with ``limit`` (at most 50), 1-based ``page_num``,
  ``order``/``order_dir``, ``archived``, and the ``X-Pagination-*`` headers.
* ``GET /notebooks/{id}/update-links`` hands out pre-signed, expiring
  storage URLs on this same loopback server; a ``PUT`` there stores the
  bytes like S3 would: it checks the signature and expiry, refuses an
  ``Authorization`` header next to the signature, and refuses a chunked body
  (S3 needs a Content-Length). ``notebookUrl`` serves the stored bytes.
* A notebook's settings (``memory``, ``cpu``, ``idle_timeout``, the Docker
  image, ``environment_variables``, ``requirements``) are taken on create and
  PATCH with the types the spec gives them and answered on the
  single-notebook GET; a PATCH replaces each one given whole (the variables
  too). ``requirements`` become a file: answered as a pre-signed
  ``requirementsUrl`` and a ``requirementsFileId``, as Civis does. A
  deployment starts with its notebook's memory, CPU and image.
* Deployments move pending -> running -> terminated on the fake's clock;
  ``DELETE`` terminates one at once and fills in ``maxMemoryUsage`` /
  ``maxCpuUsage``. Each has logs with the four fields of the spec.

Every answer is checked against its response definition in the spec before
it is sent (null allowed, as the spec's own recorded examples send it); a
mismatch is a bug in the fake: it is listed in ``fake.bugs`` and answered
500. Stricter than Civis on purpose: a body key the spec does not name (say
a camelCase ``fileId``) is a 400, so a provider speaking the wrong case fails.

Tests read and change the state directly (``fake.notebooks``,
``fake.deployments``), inject failures with :meth:`FakeCivis.fail_next`, and
see every request in ``fake.requests``. The clock is injectable
(:class:`FakeClock`) so runs progress without sleeping. On its own::

    python -m jupyter_notebook_remote.tests.fakes.civis --port 8766 --seed Demo
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import tornado.web
from jsonschema import Draft4Validator

from .loopback import FakeClock, LoopbackServer, intercept, quiet, serve_until_stopped

__all__ = ["FakeCivis", "FakeClock", "FakeDeployment", "FakeNotebook", "civis_time"]

SPEC_PATH = Path(__file__).parent / "civis_spec" / "civis_api_spec_notebooks_files.json"
MAX_LIMIT = 50
#: Seconds a pre-signed storage URL stays valid (Civis's are minutes).
LINK_SECONDS = 300


@functools.lru_cache(maxsize=1)
def _spec_text() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


def load_spec() -> dict[str, Any]:
    """A fresh copy of the spec extract (parsed from a cached read)."""
    return dict(json.loads(_spec_text()))


def _nullable(node: Any, name: str = "") -> Any:
    """The spec with ``null`` allowed wherever a type or an enum is named.

    Civis's spec marks most fields required but the recorded examples in it
    send null for many of them (``description``, ``state``...), and an
    integer ``fileId`` where the spec says string. The answers are checked
    for shape and types with those allowances, so the spec's own examples
    pass.
    """
    if isinstance(node, dict):
        out = {k: _nullable(v, k if isinstance(v, dict) else "") for k, v in node.items()}
        kind = out.get("type")
        if isinstance(kind, str) and "$ref" not in out:
            kinds = [kind, "null"]
            if kind == "string" and name.endswith(("fileId", "FileId")):
                kinds.insert(1, "integer")
            out["type"] = kinds
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


class SpecChecker:
    """Checks the fake's answers against the response definitions of the spec."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.definitions = _nullable(spec["definitions"])
        self._validators: dict[tuple[str, bool], Draft4Validator] = {}

    def errors(self, definition: str, instance: Any, *, many: bool = False) -> list[str]:
        validator = self._validators.get((definition, many))
        if validator is None:
            ref: dict[str, Any] = {"$ref": f"#/definitions/{definition}"}
            shape = {"type": "array", "items": ref} if many else ref
            validator = Draft4Validator({"definitions": self.definitions, **shape})
            self._validators[(definition, many)] = validator
        return [
            f"{definition}{'[]' if many else ''} {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(instance)
        ]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _body_fields(spec: Mapping[str, Any], definition: str) -> frozenset[str]:
    props = spec["definitions"][definition]["properties"]
    return frozenset(_snake(name) for name in props)


def civis_time(seconds: float) -> str:
    """Civis's time format: ISO 8601 UTC with milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(text: str) -> float:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


#: A notebook's settings, by wire name: the JSON types the spec gives them.
SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "memory": (int,),
    "cpu": (int,),
    "idle_timeout": (int,),
    "docker_image_name": (str,),
    "docker_image_tag": (str,),
    "requirements": (str,),
    "environment_variables": (dict,),
}
DEFAULT_IMAGE = ("civisanalytics/datascience-python", "latest")


@dataclass
class FakeNotebook:
    id: int
    name: str
    description: Optional[str]
    language: str
    created: float
    updated: float
    archived: bool = False
    hidden: bool = False
    content: bytes = b""
    preview: bytes = b""
    file_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    memory: int = 3000
    cpu: int = 1000
    idle_timeout: int = 3
    docker_image_name: str = DEFAULT_IMAGE[0]
    docker_image_tag: str = DEFAULT_IMAGE[1]
    environment_variables: dict[str, str] = field(default_factory=dict)
    #: The requirements text, kept as a file (None: no file).
    requirements: Optional[bytes] = None
    requirements_file_id: Optional[int] = None


@dataclass
class FakeDeployment:
    id: int
    notebook_id: int
    created: float
    pending_seconds: float
    #: None: runs until deleted.
    running_seconds: Optional[float]
    memory: int = 3000
    cpu: int = 1000
    docker_image_name: str = DEFAULT_IMAGE[0]
    docker_image_tag: str = DEFAULT_IMAGE[1]
    deleted_at: Optional[float] = None
    #: Set: the deployment fails after its pending time, with this message.
    failure: Optional[str] = None
    user_lines: list[str] = field(default_factory=list)
    #: Set: it goes to sleep (its idle timeout) this long after it started running.
    sleep_after_seconds: Optional[float] = None


USER = {
    "id": 4242,
    "name": "Fake Civis User",
    "username": "fakeuser",
    "initials": "FU",
    "online": True,
}


class FakeCivis(LoopbackServer):
    """The fake service; ``start()`` it, point a ``civis`` connection at ``url``."""

    name = "fake-civis"

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        clock: Callable[[], float] = time.time,
        pending_seconds: float = 0.2,
        running_seconds: Optional[float] = 1.0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key or f"civis-{secrets.token_hex(16)}"
        self.clock = clock
        self.pending_seconds = pending_seconds
        self.running_seconds = running_seconds
        self.spec = load_spec()
        self.create_fields = _body_fields(self.spec, "NotebookCreateRequest")
        self.update_fields = _body_fields(self.spec, "NotebookUpdateRequest")
        self.checker = SpecChecker(self.spec)
        #: Answers of the fake that broke the spec (a bug in the fake).
        self.bugs: list[str] = []
        self.notebooks: dict[int, FakeNotebook] = {}
        self.deployments: dict[int, FakeDeployment] = {}
        self._next_notebook = 7001
        self._next_deployment = 301
        self._next_file = 1
        self._next_failure: Optional[str] = None
        self._signing_key = secrets.token_bytes(32)

    @property
    def token(self) -> str:
        """The credential a connection configures (the API key)."""
        return self.api_key

    # ------------------------------------------------------------------ test controls

    def add_notebook(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        content: bytes = b"",
        archived: bool = False,
        created: Optional[float] = None,
    ) -> FakeNotebook:
        with self.lock:
            now = self.clock() if created is None else created
            nb = FakeNotebook(
                id=self._next_notebook,
                name=name,
                description=description,
                language="python3",
                created=now,
                updated=now,
                archived=archived,
                content=content or _template(name),
                file_id=90000 + self._next_notebook,
            )
            self._next_notebook += 1
            self.notebooks[nb.id] = nb
            return nb

    def add_deployment(
        self,
        notebook_id: int,
        *,
        created: Optional[float] = None,
        running_seconds: Optional[float] = -1.0,
        failure: Optional[str] = None,
        sleep_after_seconds: Optional[float] = None,
    ) -> FakeDeployment:
        """A deployment as if started at ``created`` (default: now), sized as its notebook."""
        with self.lock:
            nb = self.notebooks.get(notebook_id)
            sized: dict[str, Any] = {}
            if nb is not None:
                sized = {
                    "memory": nb.memory,
                    "cpu": nb.cpu,
                    "docker_image_name": nb.docker_image_name,
                    "docker_image_tag": nb.docker_image_tag,
                }
            dep = FakeDeployment(
                **sized,
                id=self._next_deployment,
                notebook_id=notebook_id,
                created=self.clock() if created is None else created,
                pending_seconds=self.pending_seconds,
                running_seconds=self.running_seconds
                if running_seconds == -1.0
                else running_seconds,
                failure=failure,
                user_lines=["[I NotebookApp] Kernel started", "hello from the notebook"],
                sleep_after_seconds=sleep_after_seconds,
            )
            self._next_deployment += 1
            self.deployments[dep.id] = dep
            return dep

    def apply_settings(self, nb: FakeNotebook, settings: Mapping[str, Any]) -> None:
        """Keep checked settings on ``nb``: each one given replaces the last."""
        with self.lock:
            for name, value in settings.items():
                if name == "requirements":
                    nb.requirements = value.encode("utf-8")
                    nb.requirements_file_id = 95000 + self._next_file
                    self._next_file += 1
                elif name == "environment_variables":
                    nb.environment_variables = dict(value)
                else:
                    setattr(nb, name, value)

    def fail_next_deployment(self, message: str) -> None:
        """The next deployment created through the API fails with ``message``."""
        with self.lock:
            self._next_failure = message

    # ------------------------------------------------------------------ derived state

    def state_of(self, dep: FakeDeployment) -> tuple[str, float, Optional[str]]:
        """(state, updatedAt, stateMessage) at the fake's current time."""
        now = self.clock()
        if dep.deleted_at is not None and dep.deleted_at <= now:
            return "terminated", dep.deleted_at, "Deployment deleted by user"
        started = dep.created + dep.pending_seconds
        if now < started:
            return "pending", dep.created, "Waiting for an instance"
        if dep.failure is not None:
            return "terminated", started, dep.failure
        if dep.running_seconds is None or now < started + dep.running_seconds:
            asleep = dep.sleep_after_seconds
            if asleep is not None and now >= started + asleep:
                return "sleeping", started + asleep, "Notebook server is asleep after being idle"
            return "running", started, "Notebook server is running"
        return "terminated", started + dep.running_seconds, None

    def deployment_json(self, dep: FakeDeployment, *, full: bool) -> dict[str, Any]:
        state, updated, message = self.state_of(dep)
        done = state == "terminated"
        body: dict[str, Any] = {
            "deploymentId": dep.id,
            "userId": USER["id"],
            "host": f"deployment-{dep.id}.notebooks.civis.test",
            "name": f"notebook-{dep.notebook_id}-deployment-{dep.id}",
            "dockerImageName": dep.docker_image_name,
            "dockerImageTag": dep.docker_image_tag,
            "instanceType": "m5.large",
            "memory": dep.memory,
            "cpu": dep.cpu,
            "state": state,
            "stateMessage": message,
            "maxMemoryUsage": round(dep.memory * 0.42, 1) if done else None,
            "maxCpuUsage": round(dep.cpu * 0.37, 1) if done else None,
            "createdAt": civis_time(dep.created),
            "updatedAt": civis_time(updated),
            "notebookId": dep.notebook_id,
        }
        if full:
            body["displayUrl"] = (
                f"https://deployment-{dep.id}.notebooks.civis.test/civis-platform-auth"
                f"?token={secrets.token_urlsafe(24)}"
            )
        return body

    def logs_of(self, dep: FakeDeployment) -> list[dict[str, Any]]:
        state, updated, message = self.state_of(dep)
        entries = [
            _log(dep.created, "Pulling image civisanalytics/datascience-python:latest"),
        ]
        started = dep.created + dep.pending_seconds
        if state != "pending" and dep.failure is None:
            entries.append(_log(started, "Notebook server started on port 8888"))
            for i, line in enumerate(dep.user_lines):
                entries.append(_log(started + 0.001 * (i + 1), line, source="user"))
        if state == "terminated":
            if dep.failure is not None:
                entries.append(_log(updated, dep.failure, stream="stderr"))
            entries.append(_log(updated, f"Deployment stopped: {message or 'idle timeout'}"))
        return entries

    def notebook_json(self, nb: FakeNotebook, *, full: bool) -> dict[str, Any]:
        deps = [d for d in self.deployments.values() if d.notebook_id == nb.id]
        latest = max(deps, key=lambda d: (d.created, d.id)) if deps else None
        body: dict[str, Any] = {
            "id": nb.id,
            "name": nb.name,
            "language": nb.language,
            "description": nb.description,
            "user": dict(USER),
            "createdAt": civis_time(nb.created),
            "updatedAt": civis_time(nb.updated),
            "mostRecentDeployment": self.deployment_json(latest, full=full) if latest else None,
            "archived": nb.archived,
        }
        if full:
            body.update(
                {
                    "notebookUrl": self.presign("GET", nb.id, "notebook.ipynb"),
                    "notebookPreviewUrl": self.presign("GET", nb.id, "preview.html"),
                    "requirementsUrl": None
                    if nb.requirements is None
                    else self.presign("GET", nb.id, "requirements.txt"),
                    "fileId": nb.file_id,  # an integer, as Civis sends it
                    "requirementsFileId": nb.requirements_file_id,
                    "dockerImageName": nb.docker_image_name,
                    "dockerImageTag": nb.docker_image_tag,
                    "instanceType": None,
                    "memory": nb.memory,
                    "cpu": nb.cpu,
                    "credentials": [],
                    "environmentVariables": dict(nb.environment_variables),
                    "idleTimeout": nb.idle_timeout,
                    "partitionLabel": None,
                    "gitRepoId": None,
                    "gitRepoUrl": None,
                    "gitRef": None,
                    "gitPath": None,
                    "myPermissionLevel": "manage",
                    "hidden": nb.hidden,
                }
            )
            body.update(nb.extra)
        return body

    # ------------------------------------------------------------------ pre-signed URLs

    def _signature(self, method: str, path: str, amz_date: str, expires: str) -> str:
        text = "\n".join([method, path, amz_date, expires]).encode()
        return hmac.new(self._signing_key, text, hashlib.sha256).hexdigest()

    def presign(self, method: str, notebook_id: int, name: str) -> str:
        path = f"/storage/notebooks/{notebook_id}/{name}"
        amz_date = datetime.fromtimestamp(self.clock(), tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        expires = str(LINK_SECONDS)
        query = urlencode(
            [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", f"FAKEACCESSKEY/{amz_date[:8]}/us-east-1/s3/aws4_request"),
                ("X-Amz-Date", amz_date),
                ("X-Amz-Expires", expires),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Signature", self._signature(method, path, amz_date, expires)),
            ]
        )
        return f"{self.url}{path}?{query}"

    def check_presigned(
        self, method: str, path: str, query: Mapping[str, str]
    ) -> Optional[tuple[int, str, str]]:
        """None if the pre-signed request is good, else (status, code, message)."""
        amz_date = query.get("X-Amz-Date", "")
        expires = query.get("X-Amz-Expires", "")
        given = query.get("X-Amz-Signature", "")
        wanted = self._signature(method, path, amz_date, expires)
        if not given or not hmac.compare_digest(given, wanted):
            return (
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        if self.clock() > signed.timestamp() + int(expires):
            return 403, "AccessDenied", "Request has expired"
        return None

    # ------------------------------------------------------------------ server

    def make_app(self) -> tornado.web.Application:
        ids = r"([^/]+)"
        return tornado.web.Application(
            [
                (r"/endpoints/?", EndpointsHandler, {"fake": self}),
                (r"/notebooks/?", NotebooksHandler, {"fake": self}),
                (rf"/notebooks/{ids}/?", NotebookHandler, {"fake": self}),
                (rf"/notebooks/{ids}/update-links/?", UpdateLinksHandler, {"fake": self}),
                (rf"/notebooks/{ids}/archive/?", ArchiveHandler, {"fake": self}),
                (rf"/notebooks/{ids}/deployments/?", DeploymentsHandler, {"fake": self}),
                (
                    rf"/notebooks/{ids}/deployments/{ids}/?",
                    DeploymentHandler,
                    {"fake": self},
                ),
                (
                    rf"/notebooks/{ids}/deployments/{ids}/logs/?",
                    LogsHandler,
                    {"fake": self},
                ),
                (
                    r"/storage/notebooks/([0-9]+)/(notebook\.ipynb|preview\.html|requirements\.txt)",
                    StorageHandler,
                    {"fake": self},
                ),
            ],
            default_handler_class=MissingHandler,
            default_handler_args={"fake": self},
            log_function=quiet,
        )


def _fault_body(status: int) -> Any:
    return {"error": "injected", "errorDescription": f"Injected failure {status}", "code": status}


def _log(
    at: float, message: str, *, stream: str = "stdout", source: str = "system"
) -> dict[str, Any]:
    return {"message": message, "stream": stream, "createdAt": civis_time(at), "source": source}


def _template(name: str) -> bytes:
    """What Civis puts in a new notebook: an empty notebook marked as new."""
    notebook = {
        "cells": [],
        "metadata": {"civis": {"new_notebook": True}, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook).encode()


# ----------------------------------------------------------------------------- handlers


class CivisHandler(tornado.web.RequestHandler):
    """Records, injects faults, checks auth, speaks Civis's error shape."""

    #: Storage paths carry their own signature instead of the API key.
    needs_auth = True

    def initialize(self, fake: FakeCivis) -> None:
        self.fake = fake

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "private, no-store")

    def prepare(self) -> None:
        if intercept(self, self.fake, _fault_body):
            return
        if self.needs_auth and not self._authorized():
            self.set_header("WWW-Authenticate", 'Basic realm="Civis Platform API"')
            self.error(401, "unauthorized", "Invalid or missing API key.")

    def _authorized(self) -> bool:
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        return bool(sep) and password == "" and hmac.compare_digest(user, self.fake.api_key)

    def error(self, status: int, code: str, description: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": code, "errorDescription": description, "code": status}))

    def send(
        self, body: Any, status: int = 200, *, definition: str = "", many: bool = False
    ) -> None:
        """Answer JSON, checked against the spec's ``definition`` first."""
        if definition:
            problems = self.fake.checker.errors(definition, body, many=many)
            if problems:
                with self.fake.lock:
                    self.fake.bugs.extend(problems)
                self.error(500, "fake_bug", f"The fake broke the spec: {problems[0]}")
                return
        self.set_status(status)
        self.finish(json.dumps(body))

    def json_body(self, allowed: frozenset[str]) -> Optional[dict[str, Any]]:
        """The request's JSON object, or None after answering 400."""
        raw = self.request.body or b""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            self.error(400, "invalid", "The request body is not valid JSON.")
            return None
        if not isinstance(data, dict):
            self.error(400, "invalid", "The request body must be a JSON object.")
            return None
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            self.error(400, "invalid", f"Unrecognized parameter: {unknown[0]}")
            return None
        return data

    def settings(self, data: Mapping[str, Any]) -> Optional[dict[str, Any]]:
        """The notebook settings in a create or PATCH body, type-checked as the spec
        types them; None after answering 400."""
        found: dict[str, Any] = {}
        for name, types in SETTING_TYPES.items():
            if name not in data:
                continue
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, types):
                wanted = {int: "an integer", str: "a string", dict: "an object"}[types[0]]
                self.error(400, "invalid", f"{name} must be {wanted}")
                return None
            if name == "environment_variables" and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                self.error(400, "invalid", "environment_variables values must be strings")
                return None
            found[name] = value
        language = data.get("language", "python3")
        if "language" in data and language not in ("python3", "r"):
            self.error(400, "invalid", 'language must be "python3" or "r"')
            return None
        return found

    def int_arg(self, name: str, default: int) -> Optional[int]:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        if not raw.isdigit():
            self.error(400, "invalid", f"{name} must be an integer")
            return None
        return int(raw)

    def notebook(self, raw_id: str) -> Optional[FakeNotebook]:
        nb = self.fake.notebooks.get(int(raw_id)) if raw_id.isdigit() else None
        if nb is None:
            self.error(404, "not_found", "The requested resource could not be found.")
        return nb

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(
            json.dumps({"error": "error", "errorDescription": self._reason, "code": status_code})
        )


class MissingHandler(CivisHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            self.error(404, "not_found", "The requested resource could not be found.")


class EndpointsHandler(CivisHandler):
    def get(self) -> None:
        self.send(self.fake.spec)


class NotebooksHandler(CivisHandler):
    def get(self) -> None:
        fake = self.fake
        limit = self.int_arg("limit", 20)
        page_num = self.int_arg("page_num", 1)
        if limit is None or page_num is None:
            return
        if not 1 <= limit <= MAX_LIMIT:
            self.error(400, "invalid", f"limit must be between 1 and {MAX_LIMIT}")
            return
        if page_num < 1:
            self.error(400, "invalid", "page_num must be 1 or more")
            return
        order = self.get_query_argument("order", "updated_at")
        if order not in ("updated_at", "name", "created_at"):
            self.error(400, "invalid", "order must be one of: updated_at, name, created_at")
            return
        order_dir = self.get_query_argument("order_dir", "desc")
        if order_dir not in ("asc", "desc"):
            self.error(400, "invalid", "order_dir must be asc or desc")
            return
        archived = self.get_query_argument("archived", "false") or "false"
        with fake.lock:
            items = [
                nb
                for nb in fake.notebooks.values()
                if not nb.hidden and (archived == "all" or nb.archived == (archived == "true"))
            ]
            key = {
                "updated_at": lambda nb: (nb.updated, nb.id),
                "created_at": lambda nb: (nb.created, nb.id),
                "name": lambda nb: (nb.name.lower(), nb.id),
            }[order]
            items.sort(key=key, reverse=order_dir == "desc")
            total = len(items)
            page = items[(page_num - 1) * limit : page_num * limit]
            body = [fake.notebook_json(nb, full=False) for nb in page]
        self.set_header("X-Pagination-Per-Page", str(limit))
        self.set_header("X-Pagination-Current-Page", str(page_num))
        self.set_header("X-Pagination-Total-Pages", str(max(1, -(-total // limit))))
        self.set_header("X-Pagination-Total-Entries", str(total))
        self.send(body, definition="NotebookSummary", many=True)

    def post(self) -> None:
        fake = self.fake
        data = self.json_body(fake.create_fields)
        if data is None:
            return
        name = data.get("name", "Untitled Notebook")
        description = data.get("description")
        language = data.get("language", "python3")
        if not isinstance(name, str) or not name.strip():
            self.error(400, "invalid", "name must be a non-empty string")
            return
        if description is not None and not isinstance(description, str):
            self.error(400, "invalid", "description must be a string")
            return
        if language not in ("python3", "r"):
            self.error(400, "invalid", 'language must be "python3" or "r"')
            return
        settings = self.settings(data)
        if settings is None:
            return
        nb = fake.add_notebook(name, description=description)
        with fake.lock:
            nb.language = language
            fake.apply_settings(nb, settings)
            self.send(fake.notebook_json(nb, full=True), 201, definition="Notebook")


class NotebookHandler(CivisHandler):
    def get(self, raw_id: str) -> None:
        with self.fake.lock:
            nb = self.notebook(raw_id)
            if nb is not None:
                self.send(self.fake.notebook_json(nb, full=True), definition="Notebook")

    def patch(self, raw_id: str) -> None:
        self._update(raw_id)

    def put(self, raw_id: str) -> None:
        self._update(raw_id)

    def _update(self, raw_id: str) -> None:
        fake = self.fake
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            data = self.json_body(fake.update_fields)
            if data is None:
                return
            if "name" in data and (not isinstance(data["name"], str) or not data["name"].strip()):
                self.error(400, "invalid", "name must be a non-empty string")
                return
            description = data.get("description")
            if description is not None and not isinstance(description, str):
                self.error(400, "invalid", "description must be a string")
                return
            settings = self.settings(data)
            if settings is None:  # refused whole: nothing changes
                return
            if "name" in data:
                nb.name = data["name"]
            if "description" in data:
                nb.description = description
            if "language" in data:
                nb.language = data["language"]
            fake.apply_settings(nb, settings)
            nb.updated = fake.clock()
            self.send(fake.notebook_json(nb, full=True), definition="Notebook")

    def delete(self, raw_id: str) -> None:
        # Deprecated in the spec ("no client method"), still answers 204.
        with self.fake.lock:
            nb = self.notebook(raw_id)
            if nb is not None:
                del self.fake.notebooks[nb.id]
                self.set_status(204)
                self.finish()


class ArchiveHandler(CivisHandler):
    def put(self, raw_id: str) -> None:
        fake = self.fake
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            data = self.json_body(frozenset({"status"}))
            if data is None:
                return
            if not isinstance(data.get("status"), bool):
                self.error(400, "invalid", "status is required and must be true or false")
                return
            nb.archived = data["status"]
            nb.updated = fake.clock()
            self.send(fake.notebook_json(nb, full=True), definition="Notebook")


class UpdateLinksHandler(CivisHandler):
    def get(self, raw_id: str) -> None:
        fake = self.fake
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            self.send(
                {
                    "updateUrl": fake.presign("PUT", nb.id, "notebook.ipynb"),
                    "updatePreviewUrl": fake.presign("PUT", nb.id, "preview.html"),
                },
                definition="NotebookUrls",
            )


class DeploymentsHandler(CivisHandler):
    def get(self, raw_id: str) -> None:
        fake = self.fake
        limit = self.int_arg("limit", 20)
        page_num = self.int_arg("page_num", 1)
        if limit is None or page_num is None:
            return
        if not 1 <= limit <= MAX_LIMIT or page_num < 1:
            self.error(400, "invalid", f"limit must be 1-{MAX_LIMIT} and page_num 1 or more")
            return
        if self.get_query_argument("order", "created_at") != "created_at":
            self.error(400, "invalid", "order must be one of: created_at")
            return
        order_dir = self.get_query_argument("order_dir", "desc")
        if order_dir not in ("asc", "desc"):
            self.error(400, "invalid", "order_dir must be asc or desc")
            return
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            deps = [d for d in fake.deployments.values() if d.notebook_id == nb.id]
            deps.sort(key=lambda d: (d.created, d.id), reverse=order_dir == "desc")
            page = deps[(page_num - 1) * limit : page_num * limit]
            body = [fake.deployment_json(d, full=False) for d in page]
            total = len(deps)
        self.set_header("X-Pagination-Per-Page", str(limit))
        self.set_header("X-Pagination-Current-Page", str(page_num))
        self.set_header("X-Pagination-Total-Pages", str(max(1, -(-total // limit))))
        self.set_header("X-Pagination-Total-Entries", str(total))
        self.send(body, definition="NotebookDeploymentSummary", many=True)

    def post(self, raw_id: str) -> None:
        fake = self.fake
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            data = self.json_body(frozenset({"deployment_id"}))
            if data is None:
                return
            failure, fake._next_failure = fake._next_failure, None
            dep = fake.add_deployment(nb.id, failure=failure)
            self.send(fake.deployment_json(dep, full=True), 201, definition="NotebookDeployment")


class DeploymentHandler(CivisHandler):
    def _find(self, raw_id: str, raw_dep: str) -> Optional[FakeDeployment]:
        nb = self.notebook(raw_id)
        if nb is None:
            return None
        dep = self.fake.deployments.get(int(raw_dep)) if raw_dep.isdigit() else None
        if dep is None or dep.notebook_id != nb.id:
            self.error(404, "not_found", "The requested resource could not be found.")
            return None
        return dep

    def get(self, raw_id: str, raw_dep: str) -> None:
        with self.fake.lock:
            dep = self._find(raw_id, raw_dep)
            if dep is not None:
                self.send(
                    self.fake.deployment_json(dep, full=True), definition="NotebookDeployment"
                )

    def delete(self, raw_id: str, raw_dep: str) -> None:
        fake = self.fake
        with fake.lock:
            dep = self._find(raw_id, raw_dep)
            if dep is None:
                return
            if fake.state_of(dep)[0] != "terminated":
                dep.deleted_at = fake.clock()
            self.set_status(204)
            self.clear_header("Content-Type")
            self.finish()


class LogsHandler(CivisHandler):
    def get(self, raw_id: str, raw_dep: str) -> None:
        fake = self.fake
        limit = self.int_arg("limit", 10000)
        if limit is None:
            return
        bounds: list[Optional[float]] = []
        for name in ("start_at", "end_at"):
            raw = self.get_query_argument(name, None)
            if raw:
                try:
                    bounds.append(_parse_time(raw))
                except ValueError:
                    self.error(400, "invalid", f"{name} must be a date-time")
                    return
            else:
                bounds.append(None)
        start_at, end_at = bounds
        with fake.lock:
            nb = self.notebook(raw_id)
            if nb is None:
                return
            dep = fake.deployments.get(int(raw_dep)) if raw_dep.isdigit() else None
            if dep is None or dep.notebook_id != nb.id:
                self.error(404, "not_found", "The requested resource could not be found.")
                return
            entries = []
            for entry in fake.logs_of(dep):
                at = _parse_time(entry["createdAt"])
                if start_at is not None and at < start_at:
                    continue
                if end_at is not None and at > end_at:
                    continue
                entries.append(entry)
        self.send(entries[:limit], definition="LogDeploymentLogResponseSummary", many=True)


class StorageHandler(CivisHandler):
    """The pre-signed storage URLs (what S3 does for Civis)."""

    needs_auth = False

    def set_default_headers(self) -> None:
        self.set_header("Server", "FakeS3")

    def s3_error(self, status: int, code: str, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/xml")
        self.finish(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )

    def _checked(self, nb_id: str) -> Optional[FakeNotebook]:
        query = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        problem = self.fake.check_presigned(self.request.method or "", self.request.path, query)
        if problem is not None:
            self.s3_error(*problem)
            return None
        if "Authorization" in self.request.headers:
            self.s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
            )
            return None
        nb = self.fake.notebooks.get(int(nb_id))
        if nb is None:
            self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return nb

    def put(self, nb_id: str, name: str) -> None:
        fake = self.fake
        headers = self.request.headers
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            self.s3_error(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            )
            return
        if "Content-Length" not in headers:
            self.s3_error(
                411, "MissingContentLength", "You must provide the Content-Length HTTP header."
            )
            return
        with fake.lock:
            nb = self._checked(nb_id)
            if nb is None:
                return
            body = self.request.body or b""
            if name == "notebook.ipynb":
                nb.content = body
                nb.updated = fake.clock()
            elif name == "preview.html":
                nb.preview = body
            else:  # requirements are set through the API, never uploaded
                self.s3_error(403, "AccessDenied", "Access Denied")
                return
            etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        self.set_header("ETag", f'"{etag}"')
        self.set_status(200)
        self.finish()

    def get(self, nb_id: str, name: str) -> None:
        with self.fake.lock:
            nb = self._checked(nb_id)
            if nb is None:
                return
            if name == "requirements.txt":
                if nb.requirements is None:
                    self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
                    return
                body = nb.requirements
            else:
                body = nb.content if name == "notebook.ipynb" else nb.preview
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(body)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_notebook_remote.tests.fakes.civis",
        description="Serve a fake Civis notebooks API on loopback (for tests only).",
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--api-key", default=None, help="the API key to accept")
    parser.add_argument("--pending-seconds", type=float, default=2.0)
    parser.add_argument("--running-seconds", type=float, default=60.0)
    parser.add_argument("--seed", action="append", default=[], help="create a notebook by name")
    args = parser.parse_args(argv)
    fake = FakeCivis(
        api_key=args.api_key,
        port=args.port,
        pending_seconds=args.pending_seconds,
        running_seconds=args.running_seconds,
    )
    for name in args.seed:
        fake.add_notebook(name)
    fake.start()
    return serve_until_stopped(fake, {"url": fake.url, "apiKey": fake.api_key})


if __name__ == "__main__":
    sys.exit(main())
