"""One connection's HTTP client: the shared policy every remote provider uses.

:class:`RemoteClient` wraps one ``httpx.AsyncClient`` and owns everything
that is the same whatever the remote's dialect:

* timeouts and pool limits from :class:`~.settings.HttpSettings`, no
  redirects followed, a User-Agent naming this extension;
* credentials added per request by an ``httpx.Auth`` flow
  (:class:`HeaderAuth`), so a token set from the UI takes effect at once, and
  removed again from every text that leaves
  (:mod:`jupyter_notebook_remote.credentials.redaction`);
* identical safe reads shared (single-flight and a short freshness window,
  emptied by any change: :mod:`.reads`);
* retries of *safe* calls only (GET/HEAD, or ``idempotent=True``) on 408, 429,
  502, 503, 504 and on connect errors, with full-jitter exponential back-off
  that honours ``Retry-After``, under a deadline; a POST that starts a run,
  uploads or cancels is sent once;
* failures translated once (:mod:`.failures`);
* request logging at debug level (method, host, path, status, elapsed ms;
  never headers, never query strings);
* streaming both ways: a :class:`~.multipart.MultipartBody` or any async
  iterator as the request body, and :meth:`RemoteClient.open_stream` for a
  response read in chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import httpx
import msgspec

from ..credentials.redaction import (
    LIBRARY_LOGGERS,
    SecretSource,
    install_log_redaction,
    redact,
    register_secrets,
    would_emit,
)
from ..errors import NotebookRemoteError, RemoteError
from .failures import (
    ErrorMessageHook,
    NotFoundHint,
    Remote,
    default_error_message,
    host_of,
    parse_retry_after,
    remote_message,
    status_error,
    transport_error,
    truncate,
)
from .multipart import MultipartBody
from .reads import SharedReads
from .settings import RETRY_STATUSES, SAFE_METHODS, USER_AGENT, HttpSettings

log = logging.getLogger("jupyter_notebook_remote.http")

Sleep = Callable[[float], Awaitable[Any]]
Params = Sequence[tuple[str, Union[str, int, float]]]
Content = Union[bytes, AsyncIterator[bytes], MultipartBody]
_UNSET: Any = object()
#: Header names whose values are credentials, remembered for redaction.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key"})
#: Request URLs a client keeps built (path and query -> httpx.URL): a poll asks
#: for the same few URLs every few seconds, and parsing and quoting one is a
#: fifth of httpx's own work on a call.
MAX_KEPT_URLS = 256


class HeaderAuth(httpx.Auth):
    """Adds the headers ``source()`` returns to each request, and remembers them.

    ``source`` is asked on every attempt (it may raise
    :class:`~jupyter_notebook_remote.errors.TokenMissing`); the credential
    values it sent are kept, the last few, so redaction removes them even
    after the token was replaced.
    """

    def __init__(self, source: Callable[[], Mapping[str, str]]) -> None:
        self._source = source
        self.sent: list[str] = []

    def headers(self) -> Mapping[str, str]:
        """The headers a request would carry now (raises like ``source``)."""
        return self._source()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name, value in self._source().items():
            request.headers[name] = value
            if name.lower() in _CREDENTIAL_HEADERS:
                self._remember(value)
        yield request

    def _remember(self, value: str) -> None:
        for item in (value, value.split(None, 1)[-1]):
            if item not in self.sent:
                self.sent.append(item)
        del self.sent[:-8]  # only the recent values matter


@dataclass(frozen=True)
class RemoteRequest:
    """One call as a provider asks for it (before auth, retries and translation)."""

    method: str
    path: str
    params: Optional[Params] = None
    json_body: Any = _UNSET
    content: Optional[Content] = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Whether a retry is safe; None: decided by the method.
    idempotent: Optional[bool] = None
    not_found: Optional[NotFoundHint] = None

    @property
    def retryable(self) -> bool:
        if self.content is not None and not isinstance(self.content, bytes):
            return False  # a stream can be read only once; never replay it
        if self.idempotent is not None:
            return self.idempotent
        return self.method in SAFE_METHODS

    @property
    def where(self) -> str:
        return self.path.split("?", 1)[0]


class _Cookies(httpx.Cookies):
    """A client's cookie jar that looks into an answer only when it sets a cookie.

    httpx hands every answer, and its request, to the standard library's
    cookie jar through urllib adapters, cookie or not: a tenth of the CPU
    of a proxied call. The remote APIs authenticate by header and seldom set
    a cookie; when one does, it is kept and sent back as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if any(name.lower() == b"set-cookie" for name, _ in response.headers.raw):
            super().extract_cookies(response)


class ApiClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` with :class:`_Cookies` for its jar."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._jar = _Cookies(super().cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = _Cookies(cookies)


def build_client(
    base_url: str,
    settings: HttpSettings,
    *,
    transport: Optional[httpx.AsyncBaseTransport] = None,
    headers: Optional[Mapping[str, str]] = None,
) -> httpx.AsyncClient:
    """The one ``httpx.AsyncClient`` of a connection (credentials come per request)."""
    return ApiClient(
        base_url=base_url,
        timeout=settings.timeout(),
        limits=settings.limits(),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        transport=transport,
    )


class RemoteClient:
    """One connection's HTTP client: retries, auth, redaction, error mapping.

    ``auth`` returns the headers that carry the credential. ``secrets``
    returns the current secret(s) to redact (the token); the credential
    values actually sent are redacted as well.
    """

    def __init__(
        self,
        *,
        service: str,
        connection_id: str,
        base_url: str,
        settings: HttpSettings,
        auth: Callable[[], Mapping[str, str]],
        secrets: Optional[SecretSource] = None,
        error_message: ErrorMessageHook = default_error_message,
        headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        logger: Optional[logging.Logger] = None,
        reads: Optional[SharedReads] = None,
    ) -> None:
        self.service = service
        self.connection_id = connection_id
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.auth = HeaderAuth(auth)
        self._secrets = secrets
        self._error_message = error_message
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.log = logger or log
        self.client = build_client(self.base_url, settings, transport=transport, headers=headers)
        self._urls: dict[tuple[str, tuple[tuple[str, Union[str, int, float]], ...]], httpx.URL] = {}
        #: Shared reads; a provider passes one for all its clients (API and storage).
        self.reads = reads if reads is not None else SharedReads(settings.read_freshness, clock)
        self.host = host_of(httpx.URL(self.base_url))
        self.remote = Remote(service=service, host=self.host, connection_id=connection_id)
        self._registration = register_secrets(self.secret_values)
        install_log_redaction(self.log, log, *LIBRARY_LOGGERS)

    # ------------------------------------------------------------------ secrets

    def secret_values(self) -> list[str]:
        """Every secret this client may have put on the wire."""
        values: list[str] = []
        if self._secrets is not None:
            with contextlib.suppress(NotebookRemoteError):
                values.extend(v for v in self._secrets() if v)
        values.extend(self.auth.sent)
        return values

    def redact(self, text: str) -> str:
        return redact(text, self.secret_values())

    # ------------------------------------------------------------------ life cycle

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ requests

    async def send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send one call (see :class:`RemoteRequest` for ``options``); return a 2xx.

        Retried only when that is safe; any other outcome raises a domain
        error. ``not_found`` is ``(reason, message)`` for a 404. A safe call
        without a body is shared with identical ones (:mod:`.reads`); any
        other call empties the shared reads before and after it.
        """
        request = RemoteRequest(method.upper(), path, **options)
        if request.method in SAFE_METHODS:
            key = self._read_key(request)
            if key is not None:
                return await self.reads.read(key, lambda: self._request(request, stream=False))
            return await self._request(request, stream=False)
        self.reads.invalidate()
        try:
            return await self._request(request, stream=False)
        finally:
            self.reads.invalidate()

    def _read_key(self, request: RemoteRequest) -> Optional[tuple[Any, ...]]:
        """What makes two reads the same one; None for a read never shared."""
        if request.content is not None or request.json_body is not _UNSET:
            return None
        try:
            # The credential is part of it: a new token is a new read.
            credential = hash(tuple(sorted(self.auth.headers().items())))
        except NotebookRemoteError:
            return None  # no token: the request itself says so
        return (
            self.base_url,
            request.method,
            request.path,
            tuple(request.params or ()),
            tuple(sorted(request.headers.items())),
            credential,
        )

    async def send_json(self, method: str, path: str, **options: Any) -> Any:
        """:meth:`send`, then the decoded JSON body (RemoteError if unreadable)."""
        return self.decode_json(await self.send(method, path, **options))

    async def open_stream(self, path: str, **options: Any) -> httpx.Response:
        """GET ``path`` and return the 2xx response with its body not yet read.

        Retried like any read, but only until a 2xx arrives: once the body
        starts, a failure is the reader's (``aiter_bytes`` raises). The
        caller reads the body in chunks and must ``aclose()`` the response.
        """
        request = RemoteRequest("GET", path, idempotent=True, **options)
        return await self._request(request, stream=True)

    async def _request(self, request: RemoteRequest, *, stream: bool) -> httpx.Response:
        attempts = max(1, self.settings.max_attempts) if request.retryable else 1
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send_once(request, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                delay = self._retry_delay(attempt, attempts, started, None)
                if delay is None:
                    raise transport_error(exc, self.remote, self.settings) from None
                self._log_retry(request, type(exc).__name__, delay, attempt, attempts)
                await self._sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise transport_error(exc, self.remote, self.settings) from None
            if 200 <= response.status_code < 300:
                return response
            if stream:
                # An error body is small; read it for the message, free the connection.
                try:
                    await response.aread()
                except httpx.HTTPError as exc:
                    raise transport_error(exc, self.remote, self.settings) from None
                finally:
                    await response.aclose()
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code in RETRY_STATUSES:
                delay = self._retry_delay(attempt, attempts, started, retry_after)
                if delay is not None:
                    self._log_retry(request, str(response.status_code), delay, attempt, attempts)
                    await self._sleep(delay)
                    continue
            raise self.status_error(response, retry_after=retry_after, not_found=request.not_found)

    def _log_retry(
        self, request: RemoteRequest, why: str, delay: float, attempt: int, attempts: int
    ) -> None:
        self.log.debug(
            "%s %s%s: %s, retrying in %.2f s (attempt %d of %d)",
            request.method,
            self.host,
            request.where,
            why,
            delay,
            attempt + 1,
            attempts,
        )

    async def _send_once(self, request: RemoteRequest, *, stream: bool) -> httpx.Response:
        headers: dict[str, str] = {}
        body: Optional[Union[bytes, AsyncIterator[bytes]]]
        if request.json_body is not _UNSET:
            body = msgspec.json.encode(request.json_body)
            headers["Content-Type"] = "application/json"
        elif isinstance(request.content, MultipartBody):
            headers.update(request.content.headers)
            body = request.content.stream()
        else:
            body = request.content
        headers.update(request.headers)
        built = self.client.build_request(
            request.method, self._url(request), content=body, headers=headers
        )
        if not would_emit(self.log, logging.DEBUG):
            return await self.client.send(built, stream=stream, auth=self.auth)
        t0 = time.perf_counter()
        try:
            response = await self.client.send(built, stream=stream, auth=self.auth)
        except httpx.HTTPError as exc:
            self.log.debug(
                "%s %s%s failed after %d ms: %s",
                request.method,
                self.host,
                built.url.path,
                (time.perf_counter() - t0) * 1000,
                type(exc).__name__,
            )
            raise
        self.log.debug(
            "%s %s%s -> %d in %d ms",
            request.method,
            self.host,
            built.url.path,
            response.status_code,
            (time.perf_counter() - t0) * 1000,
        )
        return response

    def _url(self, request: RemoteRequest) -> httpx.URL:
        """The absolute URL of ``request``'s path and query, built once per client."""
        key = (request.path, tuple(request.params or ()))
        url = self._urls.get(key)
        if url is None:
            # Exactly what httpx builds from them: the base URL joined, the query encoded.
            url = self.client.build_request(
                "GET", request.path, params=list(request.params) if request.params else None
            ).url
            if len(self._urls) >= MAX_KEPT_URLS:
                self._urls.clear()
            self._urls[key] = url
        return url

    def _retry_delay(
        self, attempt: int, attempts: int, started: float, retry_after: Optional[float]
    ) -> Optional[float]:
        """Seconds to wait before the next attempt, or None to stop."""
        if attempt >= attempts:
            return None
        s = self.settings
        if retry_after is not None:
            if retry_after > s.backoff_max:
                return None  # the remote asks for longer than we hold a user's request
            delay = retry_after
        else:
            ceiling = min(s.backoff_max, s.backoff_base * (2 ** (attempt - 1)))
            delay = self._jitter() * ceiling
        if self._clock() - started + delay > s.retry_deadline:
            return None
        return delay

    # ------------------------------------------------------------------ answers

    def decode_json(self, response: httpx.Response) -> Any:
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            pass  # the standard library takes a little more (NaN): let it decide
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise RemoteError(
                f"{self.remote} answered {response.status_code} with a body that is not JSON "
                f"({kind}, {len(response.content)} bytes). Check the connection's base_url "
                f"points at the {self.service} API.",
                connection=self.connection_id,
                remote_status=response.status_code,
            ) from None

    def malformed(self, what: str, response: Optional[httpx.Response] = None) -> RemoteError:
        """A RemoteError for a JSON body that is not what the API promises."""
        return RemoteError(
            f"{self.remote} sent an answer this extension cannot read: "
            f"{truncate(self.redact(what))}",
            connection=self.connection_id,
            remote_status=None if response is None else response.status_code,
        )

    def remote_message(self, response: httpx.Response) -> Optional[str]:
        """The remote's own words about a failure, cleaned for the user."""
        return remote_message(response, self._error_message, self.redact)

    def status_error(
        self,
        response: httpx.Response,
        *,
        retry_after: Optional[float] = None,
        not_found: Optional[NotFoundHint] = None,
    ) -> NotebookRemoteError:
        """The domain error for a non-2xx answer."""
        return status_error(
            response,
            self.remote,
            said=self.remote_message(response),
            retry_after=retry_after,
            not_found=not_found,
        )
