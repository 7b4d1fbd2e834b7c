"""The interface every remote service ("kind") implements.

A provider speaks one remote's dialect and returns the models of
:mod:`jupyter_notebook_remote.models`; it raises only
:class:`~jupyter_notebook_remote.errors.NotebookRemoteError` subclasses. It
never imports Tornado or Jupyter Server: the handlers call it, the app builds
it from configuration and closes it at shutdown.

A method a kind cannot serve is simply not overridden: the default raises
:class:`~jupyter_notebook_remote.errors.Unsupported` with the reason the kind
gives in ``unsupported``, and the same reasons reach the UI through
``GET connections``.
"""

from __future__ import annotations

import abc
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ClassVar, Optional, Protocol
from urllib.parse import quote

from pydantic.alias_generators import to_camel

from ..errors import Conflict, NotFound, TokenMissing, Unsupported, invalid
from ..http.settings import HttpSettings
from ..models import (
    ALL_CAPABILITIES,
    OBJECT_ID_RE,
    ConnectionInfo,
    ExecuteBody,
    Execution,
    InputExportBody,
    JobQueued,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    OpenUrl,
    PushWarning,
    Usage,
)
from ..notebook_options import OPTION_FIELDS
from ..schedules import Schedule, ScheduleBody

_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def _segment(text: str) -> str:
    """``text`` quoted as one URL path segment (ids and file names mostly need nothing)."""
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


@dataclass(frozen=True)
class ConnectionConfig:
    """One entry of ``c.NotebookRemote.connections``, validated."""

    id: str
    kind: str
    label: str
    base_url: Optional[str] = None
    application_id: Optional[str] = None
    #: Kind-specific settings (e.g. ``max_parallel`` for ``local``).
    options: Mapping[str, Any] = field(default_factory=dict)


#: Returns the connection's current token, or None. Called per request, so a
#: token set from the UI takes effect at once and is never cached elsewhere.
TokenSource = Callable[[], Optional[str]]


@dataclass(frozen=True)
class ProviderContext:
    tokens: TokenSource
    http: HttpSettings = field(default_factory=HttpSettings)
    #: A directory this connection may keep state in (local store, caches).
    data_dir: Optional[Path] = None
    #: Jupyter Server's base_url, for links to this extension's own routes.
    server_base_url: str = "/"
    #: Names of environment variables that hold any connection's credentials.
    #: A provider that starts processes (``local``) must not pass them on.
    secret_env: frozenset[str] = frozenset()
    #: A schedule may not run more often than this (``c.NotebookRemote.schedule_min_minutes``).
    schedule_min_minutes: float = 1.0
    log: logging.Logger = field(
        default_factory=lambda: logging.getLogger("jupyter_notebook_remote")
    )


class UploadCheck(Protocol):
    """The notebook check of an upload, running while it streams (``push/checker.py``)."""

    async def verdict(self) -> Sequence[PushWarning]:
        """The check's warnings, or its refusal (raised); may be awaited again."""

    def done(self) -> bool:
        """Whether the verdict is in."""

    async def aclose(self) -> None:
        """Stop the check if it still runs."""


@dataclass(frozen=True)
class FolderFile:
    """One file beside a pushed notebook: its path below the notebook's folder."""

    relative: str
    os_path: str
    size: int


@dataclass(frozen=True)
class FolderSnapshot:
    """The files beside a pushed notebook that a push carries (``push/folder.py``)."""

    files: tuple[FolderFile, ...]
    subfolders: bool

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class NotebookUpload:
    """A saved notebook, read from the Jupyter contents, ready to stream.

    ``chunks()`` returns a fresh async iterator over the file's bytes each
    time it is called, so the whole file never needs to sit in memory.
    ``check``, if given, is the notebook check, running while the file
    streams: the last piece waits for its verdict.
    """

    file_name: str
    size: int
    chunks: Callable[[], AsyncIterator[bytes]]
    content_type: str = "application/x-ipynb+json"
    check: Optional[UploadCheck] = None
    #: The files beside the notebook, for a kind that runs it with them
    #: (:attr:`Provider.carries_folder`); None: none are carried.
    folder: Optional[FolderSnapshot] = None

    async def stream(self) -> AsyncIterator[bytes]:
        """The file's bytes, exactly ``size`` of them, once the check let them through.

        The one guard against a file that changes while it is sent, and
        against sending a notebook the check refuses: a provider streams this
        (never ``chunks()`` itself). The remote never gets a body of another
        length than was announced (``Conflict(file_changed)``), and the last
        piece is held back until the verdict: a refusal raises before it, so
        the remote never holds the whole of a refused file.
        """
        sent = 0
        held: Optional[bytes] = None
        async for chunk in self.chunks():
            if not chunk:
                continue
            sent += len(chunk)
            if sent > self.size:
                raise self._changed(sent)
            if held is not None:
                yield held
            held = bytes(chunk)
        if sent != self.size:
            raise self._changed(sent)
        await self.warnings()
        if held is not None:
            yield held

    async def warnings(self) -> Sequence[PushWarning]:
        """What the check noticed (pushed all the same), or its refusal."""
        return [] if self.check is None else await self.check.verdict()

    async def raise_refusal(self) -> None:
        """Raise the check's refusal if it is in: a better answer than the error
        the remote gave for a body cut short because of it."""
        if self.check is not None and self.check.done():
            await self.check.verdict()

    async def aclose(self) -> None:
        """Stop the check if it still runs; safe to call more than once."""
        if self.check is not None:
            await self.check.aclose()

    def _changed(self, sent: int) -> Conflict:
        return Conflict(
            f"'{self.file_name}' changed while it was being sent (expected {self.size} "
            f"bytes, read {sent} or more). Save it and push again.",
            reason="file_changed",
        )


@dataclass(frozen=True)
class ExecutionFile:
    """A file of a run, served through the extension's own route.

    ``chunks()`` may stream from an open remote response: call it once.
    Reading it to the end releases the response; a reader that stops early
    (the browser went away) calls :meth:`aclose`, which releases it too.
    """

    name: str
    content_type: str
    size: Optional[int]
    chunks: Callable[[], AsyncIterator[bytes]]
    release: Optional[Callable[[], Awaitable[Any]]] = None

    async def aclose(self) -> None:
        """Release what the file holds open; safe to call more than once."""
        if self.release is not None:
            await self.release()

    @classmethod
    def from_bytes(cls, name: str, content_type: str, data: bytes) -> ExecutionFile:
        """A file made here, already in memory (a log rendered from the remote's entries)."""

        async def chunks() -> AsyncIterator[bytes]:
            yield data

        return cls(name=name, content_type=content_type, size=len(data), chunks=chunks)


@dataclass(frozen=True)
class IdFormat:
    """What an id of a kind looks like, checked before any request leaves the server."""

    pattern: re.Pattern[str]
    #: Completes "must be ...": "24 hexadecimal characters".
    description: str
    #: Ids compare case-insensitively and are passed on in lower case.
    lower: bool = False

    def check(self, field_name: str, value: Any, *, connection: Optional[str] = None) -> str:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise invalid(field_name, f"must be {self.description}", connection=connection)
        return value.lower() if self.lower else value


#: Losant's ids (and the ``local`` kind's, which copies Losant).
HEX24 = IdFormat(OBJECT_ID_RE, "24 hexadecimal characters")


@dataclass(frozen=True)
class EnvConnection:
    """A connection the environment asks for, as a kind reads it.

    ``entry`` is a ``connections`` entry (validated like any other); None
    with a ``problem`` when the variables are set but not enough of them.
    """

    id: str
    #: How the variables are named in messages ("LOSANT_*").
    variables: str
    entry: Optional[Mapping[str, Any]] = None
    problem: Optional[str] = None


# --------------------------------------------------------------------------- the name filter
# One rule for every kind's ``GET notebooks?filter=``: case-insensitive; ``*``
# stands for any run of characters; a filter without ``*`` matches anywhere in
# the name; every other character (``?`` and ``[`` included) stands for itself.
# A kind that filters remotely translates the rule (Losant: filter_glob);
# the others match with name_matches.


def name_pattern(filter_text: Optional[str]) -> Optional[re.Pattern[str]]:
    """The filter as a compiled pattern, or None for "everything"."""
    text = (filter_text or "").strip()
    if not text:
        return None
    if "*" not in text:
        text = f"*{text}*"
    body = ".*".join(re.escape(part) for part in text.split("*"))
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def name_matches(filter_text: Optional[str], *names: Optional[str]) -> bool:
    """Whether any of ``names`` passes the filter (see the rule above)."""
    pattern = name_pattern(filter_text)
    return pattern is None or any(n is not None and pattern.fullmatch(n) for n in names)


def filter_glob(filter_text: Optional[str]) -> str:
    """The filter as a shell-style glob (``?`` and ``[`` quoted), "" for none."""
    text = (filter_text or "").strip()
    if not text:
        return ""
    if "*" not in text:
        text = f"*{text}*"
    return "".join({"?": "[?]", "[": "[[]"}.get(ch, ch) for ch in text)


#: How a capability reads in a sentence ("cannot ... : why").
_ACTIONS: Mapping[str, str] = {
    "list": "list notebooks",
    "create": "create notebooks",
    "rename": "rename notebooks",
    "delete": "delete notebooks",
    "push": "push a notebook",
    "execute": "run a notebook",
    "cancel": "cancel a run",
    "logs": "list runs",
    "usage": "report usage",
    "inputExport": "export input data",
    "schedule": "schedule runs",
    "pull": "send the notebook's file",
    "open": "open a run as a live notebook server",
}


class Provider(abc.ABC):
    """One connection to one remote notebook service."""

    #: The ``kind`` in configuration (``losant``, ``civis``, ``local``...).
    kind: ClassVar[str]
    #: capability -> why this kind cannot do it, for each one it lacks.
    unsupported: ClassVar[Mapping[str, str]] = {}
    #: What this kind can do: every capability of
    #: :data:`~jupyter_notebook_remote.models.ALL_CAPABILITIES` it does not say
    #: ``unsupported`` (a kind lacking one always says why).
    capabilities: ClassVar[frozenset[str]] = frozenset(ALL_CAPABILITIES)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.capabilities = frozenset(ALL_CAPABILITIES) - frozenset(cls.unsupported)

    #: Whether the kind needs a token at all (``local`` does not).
    needs_token: ClassVar[bool] = True
    #: Default base URL when the configuration gives none.
    default_base_url: ClassVar[Optional[str]] = None
    #: Kind-specific keys a connection entry may carry besides the common ones
    #: (kind, label, base_url, application_id, token, token_env); any other
    #: key is a configuration error naming the connection and the key.
    option_names: ClassVar[frozenset[str]] = frozenset()
    #: The label of a connection whose entry gives none (None: its id).
    default_label: ClassVar[Optional[str]] = None
    #: The ``application_id`` a connection of this kind must have (None: none).
    application_ids: ClassVar[Optional[IdFormat]] = None
    #: Environment variables that hold this kind's credentials; a process the
    #: server starts for a run (``local``) never sees them.
    secret_env: ClassVar[frozenset[str]] = frozenset()
    #: Whether a connection keeps state in a directory of its own (``data_dir``).
    keeps_state: ClassVar[bool] = False
    #: Whether a run (or an export) can say where to report its end: ``email``
    #: and ``callbackUrl`` (Losant); other kinds refuse them, naming the field.
    run_notifications: ClassVar[bool] = False
    #: Whether a run takes a query time and a context (``relativeTo``,
    #: ``templateContext``: Losant, ``local``); the others refuse a context.
    run_context: ClassVar[bool] = False
    #: Whether a notebook declares inputs and outputs that a PATCH may set (Losant).
    notebook_io: ClassVar[bool] = False
    #: The runtime options (:data:`~..notebook_options.OPTION_FIELDS`, Python
    #: names) its notebooks take on create and PATCH (Civis: all of them); the
    #: REST layer refuses the others, naming the field, before anything is sent.
    notebook_options: ClassVar[frozenset[str]] = frozenset()
    #: Where a secret belongs instead of an environment variable: completes
    #: "store a secret ..." in the refusal of a credential-looking variable.
    credential_advice: ClassVar[str] = "where the remote service keeps credentials"
    #: Whether a push carries the files beside the notebook (its folder) along,
    #: to be the run's working directory (``local``); remotes have their own inputs.
    carries_folder: ClassVar[bool] = False
    #: The format of notebook and execution ids.
    notebook_ids: ClassVar[IdFormat] = HEX24
    execution_ids: ClassVar[IdFormat] = HEX24

    @classmethod
    def environment_connection(cls, environ: Mapping[str, str]) -> Optional[EnvConnection]:
        """The connection this kind's environment variables ask for, if any."""
        return None

    def __init__(self, connection: ConnectionConfig, context: ProviderContext) -> None:
        self.connection = connection
        self.context = context
        self.log = context.log

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Called once when the server starts (recover state, start workers)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients, workers and files; called once at shutdown."""

    # ------------------------------------------------------------------ description

    @property
    def auth_configured(self) -> bool:
        return (not self.needs_token) or bool(self.context.tokens())

    def token(self) -> str:
        """The current token, or :class:`TokenMissing` naming the connection."""
        token = self.context.tokens()
        if not token:
            raise TokenMissing(
                f"Connection '{self.connection.id}' has no token. Set one in the "
                "Remote Notebooks panel, or in the server configuration "
                "(token / token_env).",
                connection=self.connection.id,
            )
        return token

    def info(self) -> ConnectionInfo:
        return ConnectionInfo(
            id=self.connection.id,
            kind=self.kind,
            label=self.connection.label,
            base_url=self.connection.base_url,
            application_id=self.connection.application_id,
            auth_configured=self.auth_configured,
            needs_token=self.needs_token,
            carries_folder=self.carries_folder,
            run_notifications=self.run_notifications,
            run_context=self.run_context,
            capabilities=sorted(self.capabilities),
            notebook_options=[to_camel(n) for n in OPTION_FIELDS if n in self.notebook_options],
            unsupported=dict(self.unsupported),
        )

    # ------------------------------------------------------------------ validation

    def validate_notebook_id(self, value: str) -> str:
        """Check a notebook id before any request leaves the server (the REST layer calls it)."""
        return self.notebook_ids.check("notebookId", value, connection=self.connection.id)

    def validate_execution_id(self, value: str) -> str:
        return self.execution_ids.check("executionId", value, connection=self.connection.id)

    def file_route(self, notebook_id: str, execution_id: str, name: str) -> str:
        """The extension's own URL of a run's file (served by ``execution_file``).

        A path on the Jupyter server (its ``base_url`` first), each segment
        quoted, so the browser reads every run file from the Jupyter origin,
        with Jupyter's login, never from the remote service.
        """
        return self.files_route(notebook_id, execution_id) + _segment(name)

    def files_route(self, notebook_id: str, execution_id: str) -> str:
        """:meth:`file_route` without the name: the same for all of a run's files."""
        nb, ex = _segment(notebook_id), _segment(execution_id)
        return f"{self._route_base}{nb}/executions/{ex}/files/"

    @functools.cached_property
    def _route_base(self) -> str:
        base = self.context.server_base_url
        if not base.endswith("/"):
            base += "/"
        return f"{base}notebook-remote/connections/{_segment(self.connection.id)}/notebooks/"

    def require(self, capability: str) -> None:
        """400 ``unsupported`` unless this kind can do ``capability``; before any remote call."""
        if capability not in self.capabilities:
            raise self._unsupported(capability)

    def _unsupported(self, capability: str) -> Unsupported:
        why = self.unsupported.get(capability, "this kind of connection does not offer it")
        action = _ACTIONS.get(capability, capability)
        return Unsupported(
            f"Connection '{self.connection.id}' ({self.kind}) cannot {action}: {why}",
            connection=self.connection.id,
        )

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        raise self._unsupported("list")

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        raise self._unsupported("create")

    async def get_notebook(self, notebook_id: str) -> Notebook:
        raise self._unsupported("list")

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        raise self._unsupported("rename")

    async def delete_notebook(self, notebook_id: str) -> None:
        raise self._unsupported("delete")

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        raise self._unsupported("push")

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        """Queue a run; return its execution id. Never retried blindly."""
        raise self._unsupported("execute")

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        """Runs of a notebook, newest first."""
        raise self._unsupported("logs")

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        raise self._unsupported("cancel")

    async def usage(self, notebook_id: str, *, start: datetime, end: datetime) -> Usage:
        raise self._unsupported("usage")

    async def input_export(self, notebook_id: str, body: InputExportBody) -> JobQueued:
        raise self._unsupported("inputExport")

    async def open_execution(self, notebook_id: str, execution_id: str) -> OpenUrl:
        """Where to open a run that is a live server (409 ``not_running`` if it is not up)."""
        raise self._unsupported("open")

    async def notebook_file(self, notebook_id: str) -> ExecutionFile:
        """The notebook's file as the remote holds it now (404 ``no_file`` if none)."""
        raise self._unsupported("pull")

    def no_file(self, notebook_id: str) -> NotFound:
        return NotFound(
            f"Notebook {notebook_id} on connection '{self.connection.id}' has no file yet: "
            "push a notebook to it first.",
            reason="no_file",
            connection=self.connection.id,
        )

    # ------------------------------------------------------------------ schedules

    async def get_schedule(self, notebook_id: str) -> Optional[Schedule]:
        """The notebook's schedule; None when it has none."""
        raise self._unsupported("schedule")

    async def put_schedule(self, notebook_id: str, body: ScheduleBody) -> Schedule:
        """Keep ``body`` as the notebook's schedule (checked with :func:`.schedules.check_rule`)."""
        raise self._unsupported("schedule")

    async def delete_schedule(self, notebook_id: str) -> None:
        """Remove the notebook's schedule; none is fine."""
        raise self._unsupported("schedule")

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        """A file of a run, served by the extension's files route (see :meth:`file_route`)."""
        raise Unsupported(
            f"Connection '{self.connection.id}' ({self.kind}) keeps run outputs on the "
            "remote service; open them from the links in the run's details.",
            connection=self.connection.id,
        )
