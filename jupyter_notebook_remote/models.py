"""The JSON contract of the REST API (DESIGN.md), as pydantic v2 models.

Python attributes are snake_case; the wire is camelCase (``by_alias``).
Response models are what every provider returns, whatever its remote's
dialect; request models validate what the browser sends, and
:func:`parse_body` turns a validation failure into an
:class:`~jupyter_notebook_remote.errors.InvalidInput` that names each field.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Optional, TypeVar, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .errors import InvalidInput

ExecutionStatus = Literal[
    "queued", "inProgress", "completed", "errored", "timeout", "canceling", "canceled"
]
#: What a connection may be able to do (``GET connections`` names each it can).
ALL_CAPABILITIES: tuple[str, ...] = (
    "list",
    "create",
    "rename",
    "delete",
    "push",
    "execute",
    "cancel",
    "logs",
    "usage",
    "inputExport",
    "schedule",
)

# --------------------------------------------------------------------------- bounds
# Checked once, at the boundary (the REST handlers and the request models);
# providers trust what they are given and only map it onto their remote.

#: Notebook list: the page number (0-based), the page size, the filter text.
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 1000
MAX_FILTER_CHARS = 1024
#: Runs answered by one ``GET executions``.
MAX_EXECUTIONS_LIMIT = 1000

CONNECTION_ID_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
OBJECT_ID_RE = re.compile(r"^[A-Fa-f0-9]{24}$")
#: A run file's name as the files route serves it: one segment, no spaces.
FILE_NAME_RE = re.compile(r"^[0-9A-Za-z_.-]{1,255}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as remotes write it (``Z`` or an offset; naive = UTC), in UTC.

    Raises ValueError when ``value`` is not ISO 8601.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(text))


def iso(value: Optional[datetime]) -> Optional[str]:
    """ISO 8601 UTC with milliseconds and ``Z``, as Losant writes times."""
    if value is None:
        return None
    value = as_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class CamelModel(BaseModel):
    """Response model base: camelCase on the wire, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class RequestModel(CamelModel):
    """Request body base: unknown keys are an error, so typos are caught."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


# --------------------------------------------------------------------------- responses


class NotebookStats(CamelModel):
    minutes_this_period: Optional[float] = None
    runs_this_period: Optional[int] = None
    errors_this_period: Optional[int] = None


class NotebookIO(CamelModel):
    """One declared input or output of a remote notebook, in brief."""

    type: str
    file_name: str


class Notebook(CamelModel):
    id: str
    name: str
    description: str = ""
    file_name: Optional[str] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    image_version: Optional[str] = None
    stats: Optional[NotebookStats] = None
    inputs: list[NotebookIO] = Field(default_factory=list)
    outputs: list[NotebookIO] = Field(default_factory=list)


class PushWarning(CamelModel):
    """Where a pushed notebook departs from nbformat's schema (pushed all the same)."""

    message: str
    #: Where in the notebook: ``metadata.kernelspec``, ``cells[2].outputs[0]``; "" for all of it.
    path: str = ""


class FolderCarried(CamelModel):
    """The files beside the notebook that a push carried (``local``)."""

    files: int
    bytes: int
    subfolders: bool


class PushResult(Notebook):
    """The remote notebook after a push, and what the notebook check noticed."""

    warnings: list[PushWarning] = Field(default_factory=list)
    #: What was carried from the notebook's folder; None when nothing is (remote kinds).
    folder: Optional[FolderCarried] = None


class NotebookPage(CamelModel):
    items: list[Notebook]
    count: int
    total_count: int
    page: int
    per_page: int


class ExecutionSource(CamelModel):
    type: Optional[str] = None
    id: Optional[str] = None


class ExecutionError(CamelModel):
    name: str
    message: str


class ExecutionInput(CamelModel):
    name: str
    size: Optional[float] = None
    url: Optional[str] = None


class ExecutionOutput(ExecutionInput):
    content_type: Optional[str] = None


class ExecutionProgress(CamelModel):
    """Where a run in progress is: code cell ``cell`` of ``total``, running since ``startedAt``."""

    cell: int
    total: int
    started_at: str


class Execution(CamelModel):
    id: str
    notebook_id: str
    status: ExecutionStatus
    queued_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    source: ExecutionSource = Field(default_factory=ExecutionSource)
    errors: list[ExecutionError] = Field(default_factory=list)
    inputs: list[ExecutionInput] = Field(default_factory=list)
    outputs: list[ExecutionOutput] = Field(default_factory=list)
    #: While in progress, where the run is (kinds that know: ``local``).
    progress: Optional[ExecutionProgress] = None
    #: When the run's files were removed by the retention policy (``local``);
    #: the run is still listed, with no outputs.
    files_removed_at: Optional[str] = None


class ExecutionList(CamelModel):
    items: list[Execution]


class ExecutionStarted(CamelModel):
    execution_id: str


class UsageDay(CamelModel):
    date: str  # YYYY-MM-DD (UTC day)
    minutes: float = 0
    completed: int = 0
    canceled: int = 0
    errored: int = 0
    timeout: int = 0


#: The longest usage range one request may ask for.
MAX_USAGE_DAYS = 366


def usage_days(start: datetime, end: datetime) -> dict[str, UsageDay]:
    """One empty :class:`UsageDay` per UTC day from ``start`` to ``end``, in order.

    Every kind answers a day for each day of the range, runs or not, so a
    chart of the answer has one bar slot per day.
    """
    first = start.astimezone(timezone.utc).date()
    last = end.astimezone(timezone.utc).date()
    days: dict[str, UsageDay] = {}
    day = first
    while day <= last:
        days[day.isoformat()] = UsageDay(date=day.isoformat())
        day += timedelta(days=1)
    return days


class Usage(CamelModel):
    start: str
    end: str
    total_minutes: float
    days: list[UsageDay]
    #: Bytes the connection's store holds on this machine (``local``), else None.
    store_bytes: Optional[int] = None


class JobQueued(CamelModel):
    job_queued: bool = True
    job_id: str


class ConnectionInfo(CamelModel):
    id: str
    kind: str
    label: str
    base_url: Optional[str] = None
    application_id: Optional[str] = None
    auth_configured: bool
    #: Whether this kind uses a token at all (``local`` does not).
    needs_token: bool
    #: Whether a push carries the files beside the notebook (``local``).
    carries_folder: bool = False
    capabilities: list[str]
    #: capability -> why this connection cannot do it (for the UI to explain).
    unsupported: dict[str, str] = Field(default_factory=dict)


class ConnectionList(CamelModel):
    default: Optional[str]
    connections: list[ConnectionInfo]


# --------------------------------------------------------------------------- requests


class TokenBody(RequestModel):
    token: str = Field(min_length=1, max_length=4096)

    @field_validator("token")
    @classmethod
    def _no_whitespace(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError("must not contain spaces or line breaks")
        return value


class NotebookCreate(RequestModel):
    name: str = Field(min_length=1, max_length=1024)
    description: Optional[str] = Field(default=None, max_length=32767)
    image_version: Optional[Literal["v1", "v2", "v3", "v4"]] = None


class NotebookPatch(RequestModel):
    name: Optional[str] = Field(default=None, min_length=1, max_length=1024)
    description: Optional[str] = Field(default=None, max_length=32767)
    image_version: Optional[Literal["v1", "v2", "v3", "v4"]] = None


class PushBody(RequestModel):
    path: str = Field(min_length=1, max_length=4096)
    #: For a kind that runs the notebook itself (``local``): which files beside
    #: it come along ("files": its folder's, "tree": with subfolders, "none").
    folder: Literal["files", "tree", "none"] = "files"


def _context_text(value: Union[str, dict[str, Any], None]) -> Optional[str]:
    """``templateContext`` as Losant wants it: JSON text of an object, <= 32767."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValueError('must be a JSON object (e.g. {"site": "a"})') from None
    else:
        parsed = value
    if not isinstance(parsed, dict):
        raise ValueError('must be a JSON object (e.g. {"site": "a"})')
    text = value if isinstance(value, str) else json.dumps(parsed, separators=(",", ":"))
    if len(text) > 32767:
        raise ValueError("must be at most 32767 characters of JSON")
    return text


class ExecuteBody(RequestModel):
    relative_to: Optional[Union[float, str]] = None
    template_context: Optional[Union[str, dict[str, Any]]] = None

    @field_validator("template_context")
    @classmethod
    def _context(cls, value: Union[str, dict[str, Any], None]) -> Optional[str]:
        return _context_text(value)


class InputExportBody(RequestModel):
    email: Optional[str] = Field(default=None, max_length=1024)
    callback_url: Optional[str] = Field(default=None, max_length=1024)
    relative_to: Optional[Union[float, str]] = None
    template_context: Optional[Union[str, dict[str, Any]]] = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: Optional[str]) -> Optional[str]:
        if value in (None, ""):
            return None
        if not EMAIL_RE.match(value):
            raise ValueError("is not an email address (name@example.com)")
        return value

    @field_validator("callback_url")
    @classmethod
    def _url(cls, value: Optional[str]) -> Optional[str]:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("template_context")
    @classmethod
    def _context(cls, value: Union[str, dict[str, Any], None]) -> Optional[str]:
        return _context_text(value)


ModelT = TypeVar("ModelT", bound=BaseModel)


def _field_name(loc: tuple[Union[int, str], ...]) -> str:
    parts = [to_camel(p) if isinstance(p, str) else str(p) for p in loc]
    return ".".join(parts) or "body"


def parse_body(model: type[ModelT], data: Any, *, connection: Optional[str] = None) -> ModelT:
    """Validate a decoded JSON body; on failure raise InvalidInput naming fields."""
    if not isinstance(data, dict):
        raise InvalidInput(
            "The request body must be a JSON object.",
            fields={"body": "must be a JSON object"},
            connection=connection,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            name = _field_name(tuple(err["loc"]))
            msg = str(err["msg"])
            if err["type"] == "extra_forbidden":
                msg = "is not a known field"
            elif msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            fields.setdefault(name, msg)
        summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
        raise InvalidInput(
            f"Invalid request: {summary}", fields=fields, connection=connection
        ) from None
