"""The shared HTTP policy every remote provider uses.

One :class:`RemoteClient` per connection wraps one ``httpx.AsyncClient`` and
owns everything that is the same whatever the remote's dialect:

* timeouts and connection limits from :class:`~.providers.base.HttpSettings`,
  no redirects followed, a User-Agent naming this extension;
* credentials added per request from the provider (so a token set from the UI
  takes effect at once), and removed again from every text that leaves;
* retries of *safe* calls only (GET/HEAD, or ``idempotent=True``) on 408, 429,
  502, 503, 504 and on connect errors, with full-jitter exponential back-off
  that honours ``Retry-After``, under a deadline; a POST that starts a run,
  uploads or cancels is sent once;
* the one translation of transport failures and remote statuses into the
  domain errors of :mod:`jupyter_notebook_remote.errors`;
* request logging at debug level (method, host, path, status, elapsed ms;
  never headers, never query strings);
* a streaming ``multipart/form-data`` body whose file part comes from an
  async iterator, so a notebook is never held in memory whole; and a
  streaming GET (:meth:`RemoteClient.open_stream`) for files read the same way.

Nothing here knows a remote's URLs or JSON: providers pass a hook that pulls
the human message out of an error body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import json
import logging
import random
import re
import secrets
import socket
import ssl
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Union

import httpx

from . import __version__ as _version  # type: ignore[attr-defined]
from .errors import (
    Conflict,
    InvalidInput,
    NotebookRemoteError,
    NotFound,
    RateLimited,
    RemoteAuthError,
    RemoteError,
    RemoteTimeout,
    RemoteUnreachable,
    TooLarge,
)
from .providers.base import HttpSettings

__all__ = [
    "MESSAGE_LIMIT",
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "USER_AGENT",
    "MultipartBody",
    "MultipartFile",
    "RedactingFilter",
    "RemoteClient",
    "build_client",
    "install_log_redaction",
    "parse_retry_after",
    "redact",
    "register_secrets",
]

USER_AGENT = f"jupyter-notebook-remote/{_version} (JupyterLab extension; httpx/{httpx.__version__})"

#: Methods that may be repeated without changing anything remotely.
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
#: Statuses after which a safe call is tried again.
RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 502, 503, 504})
#: The longest remote message passed on to the user, in characters.
MESSAGE_LIMIT = 300

log = logging.getLogger("jupyter_notebook_remote.http")

REDACTED = "[redacted]"

#: The HTTP libraries' own loggers (a filter applies only to its own logger,
#: not to children, so each one is named).
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

# ----------------------------------------------------------------------------- redaction

#: Credential-looking header values that must never be shown even when the
#: secret itself is not known (a stale token, another connection's token).
_AUTH_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*)(?:(?:bearer|basic|token)\s+)?[^\s,;'\"}]+"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
)

SecretSource = Callable[[], Iterable[str]]

# Every live connection registers where its current secrets come from, so the
# logging filter can redact any of them, whichever logger the text reaches.
_SOURCES: weakref.WeakValueDictionary[int, _SecretHolder] = weakref.WeakValueDictionary()


class _SecretHolder:
    def __init__(self, source: SecretSource) -> None:
        self.source = source


def register_secrets(source: SecretSource) -> object:
    """Make :class:`RedactingFilter` redact what ``source()`` returns.

    Returns a handle; the registration lasts as long as the handle is
    referenced (keep it on the object that owns the secret).
    """
    holder = _SecretHolder(source)
    _SOURCES[id(holder)] = holder
    return holder


def _secret_forms(secret: str) -> list[str]:
    """A secret and the encodings it travels in (HTTP Basic base64)."""
    forms = [secret]
    for raw in (secret, f"{secret}:", f":{secret}"):
        forms.append(base64.b64encode(raw.encode()).decode())
    return forms


_COLLECTING = threading.local()


def _registered_secrets() -> list[str]:
    # A token source may log (a keyring that fails); that record comes back
    # through the filter, which must not ask the sources again.
    if getattr(_COLLECTING, "active", False):
        return []
    _COLLECTING.active = True
    found: list[str] = []
    try:
        for holder in list(_SOURCES.values()):
            try:
                found.extend(s for s in holder.source() if s)
            except Exception:  # noqa: S112 - a broken source must not break logging
                continue
    finally:
        _COLLECTING.active = False
    return found


def redact(text: str, secrets_: Iterable[str] = ()) -> str:
    """``text`` with every given secret, every registered connection's secret
    (and their base64 forms) and any Authorization-style value replaced."""
    if not text:
        return text
    candidates = [*secrets_, *_registered_secrets()]
    forms: set[str] = set()
    for secret in candidates:
        # Very short "secrets" would shred ordinary words; tokens are long.
        if secret and len(secret) >= 4:
            forms.update(_secret_forms(secret))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    text = _AUTH_PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_PATTERNS[1].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts credentials from every record it sees.

    The record's message is rendered once, redacted, and stored back (with
    no args), so handlers and formatters downstream see only clean text.
    """

    def __init__(self, secrets_: Optional[SecretSource] = None) -> None:
        super().__init__()
        self._secrets = secrets_

    def filter(self, record: logging.LogRecord) -> bool:
        extra = list(self._secrets()) if self._secrets else []
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw text
            message = str(record.msg)
        clean = redact(message, extra)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = str(exc)
            if redact(text, extra) != text:
                # The traceback would repeat the secret: keep only the clean line.
                record.msg = f"{clean} ({type(exc).__name__}: {redact(text, extra)})"
                record.exc_info = None
                record.exc_text = None
        return True


def install_log_redaction(*loggers: Union[str, logging.Logger]) -> None:
    """Attach one :class:`RedactingFilter` to each logger (idempotent).

    Logger filters apply only to records created on that very logger, so
    this covers our own loggers and the HTTP libraries' ones.
    """
    for item in loggers:
        logger = logging.getLogger(item) if isinstance(item, str) else item
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


# ----------------------------------------------------------------------------- client


def build_client(
    base_url: str,
    settings: HttpSettings,
    *,
    transport: Optional[httpx.AsyncBaseTransport] = None,
    headers: Optional[Mapping[str, str]] = None,
) -> httpx.AsyncClient:
    """The one ``httpx.AsyncClient`` of a connection.

    No credentials here: they are added per request, so a token replaced from
    the UI is used by the very next call.
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.write_timeout,
        pool=settings.pool_timeout,
    )
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_keepalive_connections,
        keepalive_expiry=settings.keepalive_expiry,
    )
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers=all_headers,
        transport=transport,
    )


def parse_retry_after(value: Optional[str], *, now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = now or datetime.now(timezone.utc)
        return max(0.0, (when - current).total_seconds())
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return seconds


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def default_error_message(body: Any) -> Optional[str]:
    """Pull a message out of a decoded JSON error body, for common shapes."""
    if isinstance(body, Mapping):
        for key in ("message", "error", "errorMessage", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value
    if isinstance(body, str) and body.strip():
        return body
    return None


ErrorMessageHook = Callable[[Any], Optional[str]]
Sleep = Callable[[float], Awaitable[Any]]
_UNSET: Any = object()


class RemoteClient:
    """One connection's HTTP client: retries, auth, redaction, error mapping.

    ``auth`` returns the headers that carry the credential; it is called for
    every attempt and may raise :class:`~.errors.TokenMissing`. ``secrets``
    returns the current secret(s) to redact (the token); the Authorization
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
    ) -> None:
        self.service = service
        self.connection_id = connection_id
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._secrets = secrets
        self._error_message = error_message
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.log = logger or log
        self.client = build_client(self.base_url, settings, transport=transport, headers=headers)
        url = httpx.URL(self.base_url)
        default_port = {"http": 80, "https": 443}.get(url.scheme)
        self.host = url.host if url.port in (None, default_port) else f"{url.host}:{url.port}"
        self._sent_auth: list[str] = []
        self._registration = register_secrets(self.secret_values)
        install_log_redaction(self.log, log, *LIBRARY_LOGGERS)

    # ------------------------------------------------------------------ secrets

    def secret_values(self) -> list[str]:
        """Every secret this client may have put on the wire."""
        values: list[str] = []
        if self._secrets is not None:
            with contextlib.suppress(NotebookRemoteError):
                values.extend(v for v in self._secrets() if v)
        values.extend(self._sent_auth)
        return values

    def redact(self, text: str) -> str:
        return redact(text, self.secret_values())

    def _remember_auth(self, headers: Mapping[str, str]) -> None:
        for name, value in headers.items():
            if name.lower() in ("authorization", "proxy-authorization", "x-api-key"):
                parts = value.split(None, 1)
                for item in (value, parts[-1]):
                    if item not in self._sent_auth:
                        self._sent_auth.append(item)
        del self._sent_auth[:-8]  # only the recent values matter

    # ------------------------------------------------------------------ life cycle

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ requests

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Sequence[tuple[str, Union[str, int, float]]]] = None,
        json_body: Any = _UNSET,
        content: Optional[Union[bytes, AsyncIterator[bytes], MultipartBody]] = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: Optional[bool] = None,
        not_found: Optional[tuple[str, str]] = None,
    ) -> httpx.Response:
        """Send one call, retrying it only when that is safe; return a 2xx.

        Any other outcome raises a domain error. ``not_found`` is
        ``(reason, message)`` for a 404 (e.g. ``notebook_not_found``).
        """
        return await self._request(
            method,
            path,
            params=params,
            json_body=json_body,
            content=content,
            headers=headers,
            idempotent=idempotent,
            not_found=not_found,
            stream=False,
        )

    async def open_stream(
        self,
        path: str,
        *,
        params: Optional[Sequence[tuple[str, Union[str, int, float]]]] = None,
        headers: Optional[Mapping[str, str]] = None,
        not_found: Optional[tuple[str, str]] = None,
    ) -> httpx.Response:
        """GET ``path`` and return the 2xx response with its body not yet read.

        Retried like any read, but only until a 2xx arrives: once the body
        starts, a failure is the reader's (``aiter_bytes`` raises). The
        caller reads the body in chunks and must ``aclose()`` the response.
        """
        return await self._request(
            "GET",
            path,
            params=params,
            json_body=_UNSET,
            content=None,
            headers=headers,
            idempotent=True,
            not_found=not_found,
            stream=True,
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Sequence[tuple[str, Union[str, int, float]]]],
        json_body: Any,
        content: Optional[Union[bytes, AsyncIterator[bytes], MultipartBody]],
        headers: Optional[Mapping[str, str]],
        idempotent: Optional[bool],
        not_found: Optional[tuple[str, str]],
        stream: bool,
    ) -> httpx.Response:
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        if isinstance(content, MultipartBody) or (
            content is not None and not isinstance(content, bytes)
        ):
            # A stream can be read only once; never replay it.
            safe = False
        attempts = max(1, self.settings.max_attempts) if safe else 1
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send_once(
                    method, path, params, json_body, content, headers, stream=stream
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                delay = self._retry_delay(attempt, attempts, started, None)
                if delay is None:
                    raise self._transport_error(exc) from None
                self.log.debug(
                    "%s %s%s: %s, retrying in %.2f s (attempt %d of %d)",
                    method,
                    self.host,
                    _path_only(path),
                    type(exc).__name__,
                    delay,
                    attempt + 1,
                    attempts,
                )
                await self._sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
            if 200 <= response.status_code < 300:
                return response
            if stream:
                # An error body is small; read it for the message, free the connection.
                try:
                    await response.aread()
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from None
                finally:
                    await response.aclose()
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code in RETRY_STATUSES:
                delay = self._retry_delay(attempt, attempts, started, retry_after)
                if delay is not None:
                    self.log.debug(
                        "%s %s%s: %d, retrying in %.2f s (attempt %d of %d)",
                        method,
                        self.host,
                        _path_only(path),
                        response.status_code,
                        delay,
                        attempt + 1,
                        attempts,
                    )
                    await self._sleep(delay)
                    continue
            raise self.status_error(response, retry_after=retry_after, not_found=not_found)

    async def send_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`send`, then the decoded JSON body (RemoteError if unreadable)."""
        response = await self.send(method, path, **kwargs)
        return self.decode_json(response)

    def decode_json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise RemoteError(
                f"{self.service} at {self.host} answered {response.status_code} with a body "
                f"that is not JSON ({kind}, {len(response.content)} bytes). Check the "
                f"connection's base_url points at the {self.service} API.",
                connection=self.connection_id,
                remote_status=response.status_code,
            ) from None

    def malformed(self, what: str, response: Optional[httpx.Response] = None) -> RemoteError:
        """A RemoteError for a JSON body that is not what the API promises."""
        return RemoteError(
            f"{self.service} at {self.host} sent an answer this extension cannot read: "
            f"{truncate(self.redact(what))}",
            connection=self.connection_id,
            remote_status=None if response is None else response.status_code,
        )

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Optional[Sequence[tuple[str, Union[str, int, float]]]],
        json_body: Any,
        content: Optional[Union[bytes, AsyncIterator[bytes], MultipartBody]],
        headers: Optional[Mapping[str, str]],
        *,
        stream: bool = False,
    ) -> httpx.Response:
        all_headers: dict[str, str] = {}
        auth_headers = dict(self._auth())
        self._remember_auth(auth_headers)
        all_headers.update(auth_headers)
        body: Optional[Union[bytes, AsyncIterator[bytes]]] = None
        if json_body is not _UNSET:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        elif isinstance(content, MultipartBody):
            all_headers.update(content.headers)
            body = content.stream()
        else:
            body = content
        all_headers.update(headers or {})
        request = self.client.build_request(
            method, path, params=list(params) if params else None, content=body, headers=all_headers
        )
        t0 = time.perf_counter()
        try:
            response = await self.client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            self.log.debug(
                "%s %s%s failed after %d ms: %s",
                method,
                self.host,
                request.url.path,
                (time.perf_counter() - t0) * 1000,
                type(exc).__name__,
            )
            raise
        self.log.debug(
            "%s %s%s -> %d in %d ms",
            method,
            self.host,
            request.url.path,
            response.status_code,
            (time.perf_counter() - t0) * 1000,
        )
        return response

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

    # ------------------------------------------------------------------ errors

    def _transport_error(self, exc: httpx.HTTPError) -> NotebookRemoteError:
        conn = self.connection_id
        if isinstance(exc, httpx.TimeoutException):
            phase = {
                httpx.ConnectTimeout: "did not accept a connection",
                httpx.ReadTimeout: "did not answer",
                httpx.WriteTimeout: "did not accept the request body",
                httpx.PoolTimeout: "had no free connection (too many calls at once)",
            }.get(type(exc), "did not answer")
            limit = {
                httpx.ConnectTimeout: self.settings.connect_timeout,
                httpx.ReadTimeout: self.settings.read_timeout,
                httpx.WriteTimeout: self.settings.write_timeout,
                httpx.PoolTimeout: self.settings.pool_timeout,
            }.get(type(exc), self.settings.read_timeout)
            return RemoteTimeout(
                f"{self.service} at {self.host} {phase} within {limit:g} s. "
                "Try again later; if it keeps happening, raise the timeout in the "
                "server configuration.",
                connection=conn,
            )
        if isinstance(exc, httpx.ConnectError):
            why = _connect_reason(exc)
            return RemoteUnreachable(
                f"Cannot reach {self.service} at {self.host}: {why}. Check the network and "
                "the connection's base_url.",
                connection=conn,
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return RemoteUnreachable(
                f"{self.service} at {self.host} closed the connection before answering. Try again.",
                connection=conn,
            )
        return RemoteUnreachable(
            f"The call to {self.service} at {self.host} failed ({type(exc).__name__}). Try again.",
            connection=conn,
        )

    def remote_message(self, response: httpx.Response) -> Optional[str]:
        """The remote's own words about a failure, cleaned for the user."""
        if not response.content:
            return None
        try:
            body: Any = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return None
        try:
            message = self._error_message(body)
        except Exception:  # a hook must never hide the real error
            message = None
        if not message:
            return None
        return truncate(self.redact(message))

    def status_error(
        self,
        response: httpx.Response,
        *,
        retry_after: Optional[float] = None,
        not_found: Optional[tuple[str, str]] = None,
    ) -> NotebookRemoteError:
        """The domain error for a non-2xx answer."""
        status = response.status_code
        conn = self.connection_id
        said = self.remote_message(response)
        where = f"{self.service} at {self.host}"
        suffix = f": {said}" if said else "."
        common: dict[str, Any] = {"connection": conn, "remote_status": status}
        if status in (400, 422):
            return InvalidInput(f"{where} rejected the request{suffix}", **common)
        if status in (401, 403):
            return RemoteAuthError(
                f"{where} refused the token of connection '{conn}' ({status}"
                f"{', ' + said if said else ''}). Set a new token for this connection.",
                **common,
            )
        if status == 404:
            if not_found is not None:
                reason, message = not_found
                # The caller's message names what is missing better than the remote's.
                return NotFound(message, reason=reason, **common)
            return NotFound(f"{where}: not found{suffix}", **common)
        if status == 409:
            return Conflict(f"{where} refused the change{suffix}", **common)
        if status == 413:
            return TooLarge(f"{where} refused the upload as too large{suffix}", **common)
        if status == 429:
            wait = (
                f" Try again in {retry_after:g} s."
                if retry_after is not None
                else " Try again later."
            )
            return RateLimited(
                f"{where} is limiting requests (too many at once){suffix}{wait}",
                retry_after=retry_after,
                **common,
            )
        if 300 <= status < 400:
            return RemoteError(
                f"{where} answered with a redirect ({status}). Check the connection's "
                "base_url (scheme and host).",
                **common,
            )
        if status >= 500:
            return RemoteError(f"{where} failed ({status}){suffix}", **common)
        return RemoteError(f"{where} answered {status}{suffix}", **common)


def _connect_reason(exc: BaseException) -> str:
    """Why a connection failed, from the exception and what caused it."""
    seen: list[BaseException] = []
    current: Optional[BaseException] = exc
    while current is not None and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for item in seen:
        if isinstance(item, socket.gaierror):
            return "its host name could not be resolved"
        if isinstance(item, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(item, ssl.SSLError):
            return "the secure connection (TLS) failed"
    text = " ".join(str(item) for item in seen).lower()
    if any(w in text for w in ("name or service", "nodename", "getaddrinfo", "resolve")):
        return "its host name could not be resolved"
    if "refused" in text:
        return "the connection was refused"
    if any(w in text for w in ("ssl", "certificate", "tls")):
        return "the secure connection (TLS) failed"
    return "the connection failed"


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


# ----------------------------------------------------------------------------- multipart


@dataclass(frozen=True)
class MultipartFile:
    """One file part: bytes from an async iterator made fresh per call."""

    field: str
    chunks: Callable[[], AsyncIterator[bytes]]
    file_name: Optional[str] = None
    size: Optional[int] = None
    content_type: Optional[str] = "application/octet-stream"


def _quote(value: str) -> str:
    # As browsers do (WHATWG): escape the characters that would end the value.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """A ``multipart/form-data`` body streamed part by part.

    Plain fields are small and kept as text; file parts are read from their
    async iterators only while the body is being sent. When every file part
    knows its size the total ``Content-Length`` is known up front, so the
    request is not chunked; a file that yields a different number of bytes
    than announced stops the upload with :class:`~.errors.Conflict`.
    """

    def __init__(
        self,
        files: Sequence[MultipartFile],
        fields: Optional[Mapping[str, str]] = None,
        *,
        boundary: Optional[str] = None,
    ) -> None:
        self.files = list(files)
        self.fields = dict(fields or {})
        self.boundary = boundary or f"jupyter-notebook-remote-{secrets.token_hex(12)}"
        if not re.fullmatch(r"[0-9A-Za-z'()+_,./:=?-]{1,70}", self.boundary):
            raise ValueError("invalid multipart boundary")

    def _field_head(self, name: str) -> bytes:
        return (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
        ).encode()

    def _file_head(self, part: MultipartFile) -> bytes:
        disposition = f'form-data; name="{_quote(part.field)}"'
        if part.file_name is not None:
            disposition += f'; filename="{_quote(part.file_name)}"'
        lines = [f"--{self.boundary}", f"Content-Disposition: {disposition}"]
        if part.content_type:
            lines.append(f"Content-Type: {part.content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _tail(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> Optional[int]:
        total = 0
        for name, value in self.fields.items():
            total += len(self._field_head(name)) + len(value.encode()) + 2
        for part in self.files:
            if part.size is None:
                return None
            total += len(self._file_head(part)) + part.size + 2
        return total + len(self._tail())

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        length = self.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    async def stream(self) -> AsyncIterator[bytes]:
        for name, value in self.fields.items():
            yield self._field_head(name) + value.encode() + b"\r\n"
        for part in self.files:
            yield self._file_head(part)
            sent = 0
            async for chunk in part.chunks():
                if not chunk:
                    continue
                sent += len(chunk)
                if part.size is not None and sent > part.size:
                    raise _changed(part, sent)
                yield bytes(chunk)
            if part.size is not None and sent != part.size:
                raise _changed(part, sent)
            yield b"\r\n"
        yield self._tail()


def _changed(part: MultipartFile, sent: int) -> Conflict:
    return Conflict(
        f"'{part.file_name or part.field}' changed while it was being sent "
        f"(expected {part.size} bytes, read {sent} or more). Save it and push again.",
    )
