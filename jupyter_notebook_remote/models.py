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
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Optional, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .errors import InvalidInput
from .notebook_options import NotebookOptions

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
    "pull",
    "open",
)

# --------------------------------------------------------------------------- bounds
# Checked once, at the boundary (the REST handlers and the request models);
# providers trust what they are given and only map it onto their remote.

#: Notebook list: the page number (0-based), the page size, the filter text.
MAX_PAGE = 1_000_000
#: The latest time in ms the API takes: the end of the year 9999.
MAX_TIME_MS = 253402300799999
#: The most inputs (or outputs) a notebook declares.
MAX_NOTEBOOK_IO = 100
MAX_PER_PAGE = 1000
MAX_FILTER_CHARS = 1024
#: Runs answered by one ``GET executions``.
MAX_EXECUTIONS_LIMIT = 1000

CONNECTION_ID_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
OBJECT_ID_RE = re.compile(r"^[A-Fa-f0-9]{24}$")
#: A run file's name as the files route serves it: one segment, no spaces.
FILE_NAME_RE = re.compile(r"^[0-9A-Za-z_.-]{1,255}$")
# The patterns below are the spec's, spelled so that Python and JSON Schema
# (ECMA) read them alike: explicit ASCII classes, never \s, whose Unicode
# members differ between the two.
EMAIL_RE = re.compile(r"^[^@\x00-\x20\x7f]{1,64}@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$")
#: An input export's callback: an http(s) URL with a host name, an optional
#: port, path and query; a subset of RFC 3986 (which the remote checks).
CALLBACK_URL_RE = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?]([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"
)
#: What a notebook's name and description are trimmed of: ASCII white space.
TRIMMED = " \t\n\r\f\v"

#: A connection token: it travels in an HTTP header, which carries visible
#: ASCII only (httpx refuses anything else), so that is all a token may hold.
MAX_TOKEN_CHARS = 4096
TOKEN_RE = re.compile(rf"^[!-~]{{1,{MAX_TOKEN_CHARS}}}$")
_CHAR_NAMES = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a line break"}


def _describe_char(ch: str) -> str:
    """One character of a token, named so a user can find it (never the token)."""
    if ch in _CHAR_NAMES:
        return _CHAR_NAMES[ch]
    code = f"U+{ord(ch):04X}"
    if unicodedata.category(ch).startswith(("C", "Z")):
        return f"an invisible character {code}"
    name = unicodedata.name(ch, "")
    return f"'{ch}', {code} {name}".rstrip()


def token_problem(value: str) -> Optional[str]:
    """What makes ``value`` unusable as a token, or None when it is usable.

    Completes "the token ...". It names the first offending character and
    its position, never the token or any other part of it, so it can go
    into an error body or a log line.
    """
    if not value:
        return "is empty"
    if len(value) > MAX_TOKEN_CHARS:
        return f"is {len(value)} characters long; at most {MAX_TOKEN_CHARS} are allowed"
    for index, ch in enumerate(value):
        if not "!" <= ch <= "~":
            return (
                f"contains a character that is not visible ASCII (position {index + 1}: "
                f"{_describe_char(ch)}); a token is letters, digits and punctuation only, "
                "so copy it again from the service (not from a document or e-mail)"
            )
    return None


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
    # isoformat is several times cheaper than strftime, and a page of runs has
    # three times a run: "2026-12-01T10:00:00.123+00:00" -> "...00.123Z".
    return as_utc(value).isoformat(timespec="milliseconds")[:-6] + "Z"


class CamelModel(BaseModel):
    """Response model base: camelCase on the wire, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class RequestModel(CamelModel):
    """Request body base: unknown keys are an error, so typos are caught.

    Text is checked as it was sent, so each bound is the spec's; the fields
    that trim surrounding white space (a notebook's name and description)
    do it after the check.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


# --------------------------------------------------------------------------- responses


class NotebookStats(CamelModel):
    minutes_this_period: Optional[float] = None
    runs_this_period: Optional[int] = None
    errors_this_period: Optional[int] = None


class Notebook(CamelModel):
    id: str
    name: str
    description: str = ""
    file_name: Optional[str] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    image_version: Optional[str] = None
    stats: Optional[NotebookStats] = None
    #: The notebook's declared inputs and outputs, as the remote has them
    #: (Losant's own objects, verbatim: ``inputType``, ``fileName``...).
    inputs: list[dict[str, Any]] = Field(default_factory=list)
    outputs: list[dict[str, Any]] = Field(default_factory=list)
    #: The runtime options (:mod:`.notebook_options`) where the kind has them
    #: (Civis; a list item carries ``language`` only), else None.
    language: Optional[str] = None
    memory: Optional[int] = None
    cpu: Optional[int] = None
    idle_timeout: Optional[int] = None
    docker_image_name: Optional[str] = None
    docker_image_tag: Optional[str] = None
    requirements: Optional[str] = None
    #: The variables that do not look like credentials; the names of those
    #: that do are in ``hidden_environment_variables`` (kept by a PATCH).
    environment_variables: Optional[dict[str, str]] = None
    hidden_environment_variables: Optional[list[str]] = None
    #: Run history where the kind knows it (4pointx, ``local``; Civis its last run).
    last_run_at: Optional[str] = None
    run_count: Optional[int] = None


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


class ExecutionResources(CamelModel):
    """What a run asked for and used at most, where the kind reports it (Civis)."""

    memory_mb: Optional[float] = None
    cpu_millicores: Optional[float] = None
    max_memory_mb: Optional[float] = None
    max_cpu_millicores: Optional[float] = None


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
    #: What the run was given and allowed, where the kind says (Losant, ``local``).
    relative_to: Optional[str] = None
    template_context: Optional[Union[dict[str, Any], str]] = None
    max_allowed_run_minutes: Optional[float] = None
    #: The kind's own word for the run's state when ``status`` would hide it
    #: (Civis ``sleeping``), and what the kind says about it.
    remote_state: Optional[str] = None
    remote_message: Optional[str] = None
    resources: Optional[ExecutionResources] = None


class OpenUrl(CamelModel):
    """Where to open a run that is a live server (Civis)."""

    url: str


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
    # Counted, not stepped past ``last``: the day after 9999-12-31 does not exist.
    dates = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return {day.isoformat(): UsageDay(date=day.isoformat()) for day in dates}


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
    #: Whether a run (or an input export) may say where to report its end:
    #: ``email`` and ``callbackUrl`` (Losant); other kinds refuse them.
    run_notifications: bool = False
    #: Whether a run takes ``relativeTo`` and ``templateContext`` (Losant,
    #: ``local``); other kinds refuse a context, naming the field.
    run_context: bool = False
    capabilities: list[str]
    #: The runtime options its notebooks take (``memory``, ...; Civis), contract names.
    notebook_options: list[str] = Field(default_factory=list)
    #: capability -> why this connection cannot do it (for the UI to explain).
    unsupported: dict[str, str] = Field(default_factory=dict)


class ConnectionList(CamelModel):
    default: Optional[str]
    connections: list[ConnectionInfo]


# --------------------------------------------------------------------------- requests


class TokenBody(RequestModel):
    # Taken exactly as sent, so the rule here is the spec's pattern; the
    # panel trims what was pasted before sending it.
    token: str

    @field_validator("token")
    @classmethod
    def _usable(cls, value: str) -> str:
        problem = token_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class _NotebookText(RequestModel):
    """A notebook's name and description, trimmed of surrounding white space
    once their lengths were checked as sent."""

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.strip(TRIMMED):
            raise ValueError("must not be blank")
        return value.strip(TRIMMED) if value is not None else None

    @field_validator("description", check_fields=False)
    @classmethod
    def _description(cls, value: Optional[str]) -> Optional[str]:
        return value.strip(TRIMMED) if value is not None else None


class NotebookCreate(_NotebookText, NotebookOptions):
    name: str = Field(min_length=1, max_length=1024)
    description: Optional[str] = Field(default=None, max_length=32767)
    image_version: Optional[Literal["v1", "v2", "v3", "v4"]] = None


class NotebookPatch(_NotebookText, NotebookOptions):
    name: Optional[str] = Field(default=None, min_length=1, max_length=1024)
    description: Optional[str] = Field(default=None, max_length=32767)
    image_version: Optional[Literal["v1", "v2", "v3", "v4"]] = None
    #: The whole list of inputs / outputs, replacing the last (a kind that
    #: declares them, ``notebook_io``; checked against its schema).
    inputs: Optional[list[dict[str, Any]]] = Field(default=None, max_length=MAX_NOTEBOOK_IO)
    outputs: Optional[list[dict[str, Any]]] = Field(default=None, max_length=MAX_NOTEBOOK_IO)


class PushBody(RequestModel):
    path: str = Field(min_length=1, max_length=4096)
    #: For a kind that runs the notebook itself (``local``): which files beside
    #: it come along ("files": its folder's, "tree": with subfolders, "none").
    folder: Literal["files", "tree", "none"] = "files"
    #: The remote's ``updatedAt`` the link last saw (at its last push or pull):
    #: a remote changed since then is a 409 ``remote_changed``, nothing sent.
    expect_updated_at: Optional[str] = Field(default=None, min_length=1, max_length=64)

    @field_validator("expect_updated_at")
    @classmethod
    def _expect(cls, value: str) -> str:
        if is_time_text(value, dates=False):
            return value
        raise ValueError("must be a date-time like 2024-05-01T08:00:00.000Z (an updatedAt)")


class PullBody(RequestModel):
    """Where to save the remote's file: a new notebook, or (``overwrite``) over one."""

    path: str = Field(min_length=1, max_length=4096)
    overwrite: bool = False


class PullResult(CamelModel):
    """The saved copy's contents path, and the remote notebook it is linked to."""

    path: str
    notebook: Notebook


#: The longest ``templateContext``, as JSON text (Losant's limit).
MAX_CONTEXT_CHARS = 32767


def _context_text(value: Any) -> Optional[str]:
    """``templateContext`` as Losant wants it: the JSON text of an object, <= 32767.

    The contract takes a JSON object, or a string holding one (as Losant's own
    API does); a string is passed on as it was written.
    """
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
    if not isinstance(parsed, dict):
        raise ValueError('must be a JSON object, or a string holding one (e.g. {"site": "a"})')
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(text) > MAX_CONTEXT_CHARS:
        raise ValueError(f"must be at most {MAX_CONTEXT_CHARS} characters of JSON")
    return text


def context_value(text: Optional[str]) -> Optional[Union[dict[str, Any], str]]:
    """A run's ``templateContext`` as answered: the object its JSON holds, else the text."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


#: An RFC 3339 date-time, as the spec's ``format: date-time`` means it.
DATE_TIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


#: A calendar date, as the spec's ``format: date`` means it (midnight UTC).
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def is_time_text(value: str, *, dates: bool = True) -> bool:
    """Whether ``value`` is an RFC 3339 date-time (or, with ``dates``, a date) that exists."""
    if not (DATE_TIME_RE.fullmatch(value) or (dates and DATE_RE.fullmatch(value))):
        return False
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _relative_time(value: Any) -> Union[float, str]:
    """``relativeTo``: ms since 1970 (a number), or ISO 8601 text: an RFC 3339
    date-time, or a date (the contract's "ISO 8601").

    Checked here, not left to the remote: Losant answers "not a date" as a
    400 of its own, and ``true`` would pass as the number 1.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 <= value <= MAX_TIME_MS:
            raise ValueError("must be a time: ms since 1970, up to the end of the year 9999")
        return float(value)
    if isinstance(value, str) and is_time_text(value):
        return value
    raise ValueError(
        "must be a time: ms since 1970, a date-time like 2024-05-01T08:00:00Z, or a date"
    )


class ExecuteBody(RequestModel):
    relative_to: Optional[Union[float, str]] = None
    template_context: Optional[Union[str, dict[str, Any]]] = None
    #: Where the remote reports the run's end (Losant's ``email`` / ``callbackUrl``).
    email: Optional[str] = Field(default=None, max_length=1024)
    callback_url: Optional[str] = Field(default=None, max_length=1024)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_RE.fullmatch(value):
            raise ValueError("is not an email address (name@example.com)")
        return value

    @field_validator("callback_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not CALLBACK_URL_RE.fullmatch(value):
            raise ValueError("must be an http(s) URL (https://host/path, without a #fragment)")
        return value

    @field_validator("relative_to", mode="before")
    @classmethod
    def _relative_to(cls, value: Any) -> Union[float, str]:
        return _relative_time(value)

    @field_validator("template_context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Optional[str]:
        return _context_text(value)


class InputExportBody(ExecuteBody):
    """An export of the notebook's input data: the same options as a run."""


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
    nulls = {key: "must not be null; leave it out instead" for key, v in data.items() if v is None}
    if nulls:
        summary = "; ".join(f"{k}: {v}" for k, v in nulls.items())
        raise InvalidInput(f"Invalid request: {summary}", fields=nulls, connection=connection)
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
