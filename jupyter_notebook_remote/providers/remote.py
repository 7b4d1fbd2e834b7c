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
from collections.abc import Mapping
from typing import Any, ClassVar, Optional

import httpx
from pydantic import BaseModel, ConfigDict

from ..http import ErrorMessageHook, RemoteClient, Sleep, default_error_message
from .base import ConnectionConfig, Provider, ProviderContext

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
