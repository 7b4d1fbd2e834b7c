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
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Optional, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import RemoteError
from ..http import (
    ErrorMessageHook,
    NotFoundHint,
    RemoteClient,
    Sleep,
    default_error_message,
    truncate,
)
from ..models import iso, parse_time
from .base import ConnectionConfig, Provider, ProviderContext

WireT = TypeVar("WireT", bound="WireModel")

#: Storage hosts (pre-signed URLs' origins) a provider keeps a client for.
MAX_STORAGE_CLIENTS = 4


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

    def secrets(self) -> list[str]:
        """What redaction must remove from every text that leaves: the token."""
        token = self.context.tokens()
        return [token] if token else []

    async def aclose(self) -> None:
        await self.http.aclose()
        while self._storage:
            _, client = self._storage.popitem()
            await client.aclose()
