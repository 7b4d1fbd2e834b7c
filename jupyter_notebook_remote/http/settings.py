"""The knobs of the shared HTTP policy, and the constants it is built on."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .. import __version__ as _version  # type: ignore[attr-defined]

USER_AGENT = f"jupyter-notebook-remote/{_version} (JupyterLab extension; httpx/{httpx.__version__})"

#: Methods that may be repeated without changing anything remotely.
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
#: Statuses after which a safe call is tried again.
RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 502, 503, 504})
#: The longest remote message passed on to the user, in characters.
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, pool limits and retry policy of every remote client."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    pool_timeout: float = 10.0
    max_connections: int = 20
    max_keepalive_connections: int = 10
    #: Seconds an idle pooled connection is kept. Longer than the UI's idle
    #: polling interval, so a panel polling every 30 s reuses its connection
    #: instead of paying a new TCP + TLS handshake each time.
    keepalive_expiry: float = 60.0
    #: Attempts in all for a safe (idempotent) call; 1 means no retry.
    max_attempts: int = 4
    #: Give up retrying once this many seconds have passed since the first try.
    retry_deadline: float = 30.0
    #: First back-off delay in seconds (doubles each try, with full jitter).
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    #: Seconds an answer to a safe read may be reused by identical reads
    #: (0: only reads in flight at the same time are shared). See :mod:`.reads`.
    read_freshness: float = 1.0

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )

    def limits(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_keepalive_connections,
            keepalive_expiry=self.keepalive_expiry,
        )
