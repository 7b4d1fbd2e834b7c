"""The one translation of HTTP failures into the domain errors.

Two kinds of failure reach a remote client: the transport's (httpx raises:
no connection, a timeout, a connection closed half way) and the remote's (a
non-2xx answer). :func:`transport_error` and :func:`status_error` turn each
into an error of :mod:`jupyter_notebook_remote.errors` whose message names the
service and its host and says what to do. Transport errors are matched by
exception class, subclasses included, so a new httpx subclass still reads
right. Nothing here knows a remote's JSON: a provider passes a hook that
pulls the human message out of its error bodies.
"""

from __future__ import annotations

import email.utils
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import httpx

from ..errors import (
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
from .settings import MESSAGE_LIMIT, HttpSettings

#: Pulls the human message out of a decoded error body, or None.
ErrorMessageHook = Callable[[Any], Optional[str]]
#: ``(reason, message)`` for a 404 that the caller can name better than the remote.
NotFoundHint = tuple[str, str]


@dataclass(frozen=True)
class Remote:
    """Who a failure is about, for the messages: the service, its host, the connection."""

    service: str
    host: str
    connection_id: str

    def __str__(self) -> str:
        return f"{self.service} at {self.host}"


def host_of(url: httpx.URL) -> str:
    """``host`` or ``host:port`` when the port is not the scheme's default."""
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.host if url.port in (None, default_port) else f"{url.host}:{url.port}"


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of at most ``limit`` characters, white space folded."""
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


# ----------------------------------------------------------------------------- transport

#: Timeout class -> (what the remote did not do, the setting that ran out).
_TIMEOUTS: Mapping[type[httpx.TimeoutException], tuple[str, str]] = {
    httpx.ConnectTimeout: ("did not accept a connection", "connect_timeout"),
    httpx.ReadTimeout: ("did not answer", "read_timeout"),
    httpx.WriteTimeout: ("did not accept the request body", "write_timeout"),
    httpx.PoolTimeout: ("had no free connection (too many calls at once)", "pool_timeout"),
}
#: Errors of a connection that was open and then broke.
_BROKEN = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def _lookup(table: Mapping[type[Any], Any], exc: BaseException) -> Any:
    """The entry for the nearest class of ``exc`` in ``table`` (subclasses match)."""
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


def transport_error(
    exc: httpx.HTTPError, remote: Remote, settings: HttpSettings
) -> NotebookRemoteError:
    """The domain error for a request that got no HTTP answer."""
    conn = remote.connection_id
    if isinstance(exc, httpx.TimeoutException):
        phase, setting = _lookup(_TIMEOUTS, exc) or ("did not answer", "read_timeout")
        limit = float(getattr(settings, setting))
        return RemoteTimeout(
            f"{remote} {phase} within {limit:g} s. Try again later; if it keeps "
            "happening, raise the timeout in the server configuration.",
            connection=conn,
        )
    if isinstance(exc, httpx.ConnectError):
        return RemoteUnreachable(
            f"Cannot reach {remote}: {_connect_reason(exc)}. Check the network and "
            "the connection's base_url.",
            connection=conn,
        )
    if isinstance(exc, _BROKEN):
        return RemoteUnreachable(
            f"{remote} closed the connection before answering. Try again.", connection=conn
        )
    return RemoteUnreachable(
        f"The call to {remote} failed ({type(exc).__name__}). Try again.", connection=conn
    )


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


# ----------------------------------------------------------------------------- statuses


def remote_message(
    response: httpx.Response, hook: ErrorMessageHook, clean: Callable[[str], str]
) -> Optional[str]:
    """The remote's own words about a failure, cleaned (``clean``) and shortened."""
    if not response.content:
        return None
    try:
        body: Any = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    try:
        message = hook(body)
    except Exception:  # a hook must never hide the real error
        message = None
    if not message:
        return None
    return truncate(clean(message))


def status_error(
    response: httpx.Response,
    remote: Remote,
    *,
    said: Optional[str],
    retry_after: Optional[float] = None,
    not_found: Optional[NotFoundHint] = None,
) -> NotebookRemoteError:
    """The domain error for a non-2xx answer; ``said`` is the remote's cleaned message."""
    status = response.status_code
    conn = remote.connection_id
    suffix = f": {said}" if said else "."
    common: dict[str, Any] = {"connection": conn, "remote_status": status}
    if status in (400, 422):
        return InvalidInput(f"{remote} rejected the request{suffix}", **common)
    if status in (401, 403):
        return RemoteAuthError(
            f"{remote} refused the token of connection '{conn}' ({status}"
            f"{', ' + said if said else ''}). Set a new token for this connection.",
            **common,
        )
    if status == 404:
        if not_found is not None:
            reason, message = not_found
            # The caller's message names what is missing better than the remote's.
            return NotFound(message, reason=reason, **common)
        return NotFound(f"{remote}: not found{suffix}", **common)
    if status == 409:
        return Conflict(f"{remote} refused the change{suffix}", **common)
    if status == 413:
        return TooLarge(f"{remote} refused the upload as too large{suffix}", **common)
    if status == 429:
        wait = " Try again later."
        if retry_after is not None:
            wait = f" Try again in {retry_after:g} s."
        return RateLimited(
            f"{remote} is limiting requests (too many at once){suffix}{wait}",
            retry_after=retry_after,
            **common,
        )
    if 300 <= status < 400:
        return RemoteError(
            f"{remote} answered with a redirect ({status}). Check the connection's "
            "base_url (scheme and host).",
            **common,
        )
    if status >= 500:
        return RemoteError(f"{remote} failed ({status}){suffix}", **common)
    return RemoteError(f"{remote} answered {status}{suffix}", **common)
