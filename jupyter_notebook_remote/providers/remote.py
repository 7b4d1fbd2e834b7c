"""The part every provider that talks HTTP to a remote service shares.

:class:`RemoteProvider` builds the connection's one
:class:`~jupyter_notebook_remote.http.RemoteClient` from the configuration
(``base_url`` or the kind's default) and the shared policy, keeps the test
seams (an httpx transport, a sleep function) in one place, feeds the token to
redaction, and closes the client at shutdown. A subclass says how its service
authenticates (:meth:`RemoteProvider.auth_headers`), how its error bodies
read (:meth:`RemoteProvider.error_message`) and which headers every call carries, and keeps
everything else about its dialect to itself.
"""

from __future__ import annotations

import abc
import mimetypes
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Optional, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InvalidInput, RemoteAuthError, RemoteError, RemoteUnreachable
from ..http import (
    ErrorMessageHook,
    NotFoundHint,
    RemoteClient,
    SharedReads,
    Sleep,
    default_error_message,
    truncate,
)
from ..models import iso, parse_time
from .base import ConnectionConfig, ExecutionFile, Provider, ProviderContext

WireT = TypeVar("WireT", bound="WireModel")

#: A time as the REST contract writes one (see :func:`~..models.iso`).
_CONTRACT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
#: Storage hosts (pre-signed URLs' origins) a provider keeps a client for.
MAX_STORAGE_CLIENTS = 4
#: Bytes handed on at a time when a stored file streams through.
FILE_CHUNK = 64 * 1024
#: Content types that say nothing (a storage's default): the remote's own is better.
_GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})


class WireModel(BaseModel):
    """Base of a provider's private models of its remote's JSON, as received.

    Unknown keys are ignored (remotes add fields); a provider validates what
    it reads and turns a body that does not fit into a RemoteError.
    """

    model_config = ConfigDict(extra="ignore")


class RemoteProvider(Provider):
    """A provider whose service is reached over HTTP(S)."""

    #: The service's name in messages ("Losant at api.losant.com refused ...").
    service_name: ClassVar[str]
    #: Headers sent with every API call, besides authentication.
    api_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    #: Query parameters sent first on every :meth:`call_json` (Losant's globals).
    api_params: ClassVar[Sequence[tuple[str, str]]] = ()

    def __init__(
        self,
        connection: ConnectionConfig,
        context: ProviderContext,
        *,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Optional[Sleep] = None,
    ) -> None:
        super().__init__(connection, context)
        self.base_url = (connection.base_url or self.default_base_url or "").rstrip("/")
        self._transport = transport
        self._sleep = sleep
        self._storage: OrderedDict[str, RemoteClient] = OrderedDict()
        #: Shared by the API client and the storage clients: a write through
        #: either (a PUT to a signed URL is a push) empties the shared reads.
        self.reads = SharedReads(context.http.read_freshness, time.monotonic)
        self.http = self.remote_client(
            service=self.service_name,
            base_url=self.base_url,
            auth=self.auth_headers,
            headers=self.api_headers,
            error_message=self.error_message,
        )

    @abc.abstractmethod
    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate one request (raises TokenMissing if none)."""

    def error_message(self, body: Any) -> Optional[str]:
        """The human message in one of the service's error bodies, if any."""
        return default_error_message(body)

    # ------------------------------------------------------------------ the dialect's plumbing

    async def call_json(
        self,
        method: str,
        path: str,
        *,
        not_found: NotFoundHint,
        params: Sequence[tuple[str, Any]] = (),
        **options: Any,
    ) -> tuple[Any, httpx.Response]:
        """One API call and its decoded JSON body (with the response, for messages)."""
        response = await self.http.send(
            method, path, params=[*self.api_params, *params], not_found=not_found, **options
        )
        return self.http.decode_json(response), response

    def notebook_not_found(self, notebook_id: str) -> NotFoundHint:
        """What a 404 about a notebook says (a kind may say where it looked)."""
        return (
            "notebook_not_found",
            f"{self.service_name} notebook {notebook_id} was not found at {self.http.host}.",
        )

    def unreadable(
        self, what: str, response: httpx.Response, exc: Optional[Exception] = None
    ) -> RemoteError:
        """A RemoteError for an answer that is not what the API promises.

        With the pydantic error that found it, the message names the field.
        """
        detail = what
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            detail = f"{what} ({where}: {first['msg']})"
        elif exc is not None:
            detail = f"{what} ({exc})"
        return self.http.malformed(detail, response)

    def wire(self, model: type[WireT], data: Any, what: str, response: httpx.Response) -> WireT:
        """``data`` read as one of the kind's wire models, or :meth:`unreadable`."""
        if not isinstance(data, dict):
            raise self.unreadable(f"{what} is not a JSON object", response)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self.unreadable(
                f"{what} does not match the {self.service_name} API", response, exc
            ) from None

    def wire_datetime(self, value: Optional[str], response: httpx.Response) -> Optional[datetime]:
        """An ISO 8601 time of the remote's (None when absent), or :meth:`unreadable`."""
        if value is None or value == "":
            return None
        try:
            return parse_time(value)
        except ValueError:
            raise self.unreadable(
                f"the time {truncate(value, 40)!r} is not ISO 8601", response
            ) from None

    def wire_time(self, value: Optional[str], response: httpx.Response) -> Optional[str]:
        """:meth:`wire_datetime` as the REST contract's ISO 8601 UTC text."""
        if value is not None and _CONTRACT_TIME.fullmatch(value):
            # Already the contract's form (Losant writes it): check it is a
            # real time, and pass it on as it is.
            try:
                datetime.fromisoformat(value[:-1])
            except ValueError:
                pass  # the full path below says what is wrong with it
            else:
                return value
        return iso(self.wire_datetime(value, response))

    def remote_client(
        self,
        *,
        service: str,
        base_url: str,
        auth: Any,
        headers: Optional[Mapping[str, str]] = None,
        error_message: ErrorMessageHook = default_error_message,
    ) -> RemoteClient:
        """A client for ``base_url`` under this connection's policy and test seams.

        The main API client is built by ``__init__``; a provider that must
        reach a second host builds one more here, with its own ``auth`` (or
        uses :meth:`storage_client` for pre-signed storage URLs).
        """
        extra: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        return RemoteClient(
            service=service,
            connection_id=self.connection.id,
            base_url=base_url,
            settings=self.context.http,
            auth=auth,
            secrets=self.secrets,
            error_message=error_message,
            headers=dict(headers or {}),
            transport=self._transport,
            logger=self.context.log,
            reads=self.reads,
            **extra,
        )

    async def storage_client(self, origin: str, *, service: str) -> RemoteClient:
        """A client for a file-storage host (``scheme://host[:port]``) of pre-signed URLs.

        Same policy, and an auth that adds nothing: the URL is signed, and the
        connection's token must never reach that host. The token is still
        redacted from whatever the host says, should it echo it. Kept per
        origin (usually the same bucket from one call to the next), a few at most.
        """
        client = self._storage.get(origin)
        if client is not None:
            self._storage.move_to_end(origin)
            return client
        client = self.remote_client(service=service, base_url=origin, auth=dict)
        self._storage[origin] = client
        while len(self._storage) > MAX_STORAGE_CLIENTS:
            _, old = self._storage.popitem(last=False)
            await old.aclose()
        return client

    async def signed_file(
        self, url: str, *, name: str, service: str, content_type: Optional[str] = None
    ) -> ExecutionFile:
        """A file at a pre-signed storage ``url``, streamed through without the token.

        ``content_type`` is what the remote said the file is, used when the
        storage says nothing better. The body passes through in chunks and
        is never held whole; reading it to the end releases the response.
        """
        conn = self.connection.id
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username is not None
            or parts.password is not None
        ):
            raise RemoteError(
                f"{self.service_name} at {self.http.host} gave a link for '{name}' that is "
                "not a plain http(s) URL; this extension does not follow it.",
                connection=conn,
            )
        storage = await self.storage_client(f"{parts.scheme}://{parts.netloc}", service=service)
        # Path and query exactly as the remote signed them.
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            remote = await storage.open_stream(
                target,
                not_found=(
                    "file_not_found",
                    f"{service} at {storage.host} no longer has '{name}'. Refresh and try again.",
                ),
            )
        except (RemoteAuthError, InvalidInput) as exc:
            # The storage refused the signed link (expired, or altered on the
            # way), not the user's token: the remote signs a new one on asking.
            raise RemoteError(
                f"{service} at {storage.host} refused the link {self.service_name} gave for "
                f"'{name}' ({exc.remote_status}); it may have expired. Refresh and try again.",
                connection=conn,
                remote_status=exc.remote_status,
            ) from None
        kind = _file_type(remote.headers.get("Content-Type"), content_type, name)
        host = storage.host

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for piece in remote.aiter_bytes(FILE_CHUNK):
                    yield piece
            except httpx.HTTPError:
                raise RemoteUnreachable(
                    f"{service} at {host} broke off while sending '{name}'. Try again.",
                    connection=conn,
                ) from None
            finally:
                await remote.aclose()

        return ExecutionFile(
            name=name,
            content_type=kind,
            size=_length(remote),
            chunks=chunks,
            release=remote.aclose,
        )

    def secrets(self) -> list[str]:
        """What redaction must remove from every text that leaves: the token."""
        token = self.context.tokens()
        return [token] if token else []

    async def aclose(self) -> None:
        await self.http.aclose()
        while self._storage:
            _, client = self._storage.popitem()
            await client.aclose()


def _file_type(storage: Optional[str], remote: Optional[str], name: str) -> str:
    """The storage's Content-Type, unless it says nothing; then the remote's, then the name's."""
    if storage and storage.split(";")[0].strip().lower() not in _GENERIC_TYPES:
        return storage
    if remote and remote.strip():
        return remote.strip()
    guessed, _ = mimetypes.guess_type(name)
    return guessed or storage or "application/octet-stream"


def _length(response: httpx.Response) -> Optional[int]:
    """The body's size as it will be passed on, when the storage says it."""
    if response.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        return None  # httpx decodes it: the header counts the encoded bytes
    raw = response.headers.get("Content-Length", "")
    return int(raw) if raw.isdigit() else None
