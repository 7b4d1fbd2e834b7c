"""Serve a Tornado application on 127.0.0.1 from its own daemon thread.

The fakes of remote services (Civis, 4pointx) run this way so that a test's
Jupyter Server, on the test's event loop, talks to them over real loopback
HTTP exactly as it would to the real service, and a fake never blocks the
server it answers. The pieces every fake shares live here too: a manual
clock, the request record, and injected failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Callable, Optional

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

#: 2026-01-05 09:00:00 UTC, a Monday: where manual clocks start.
CLOCK_START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc).timestamp()


class FakeClock:
    """A clock tests move by hand (``advance``), in epoch seconds."""

    def __init__(self, start: float = CLOCK_START) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class RecordedRequest:
    """One request as it reached a fake."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """An injected answer for the next ``times`` matching requests."""

    status: int
    method: Optional[str]
    path: Optional[re.Pattern[str]]
    body: Any
    headers: dict[str, str]
    times: int
    #: Drop the connection without answering.
    close: bool = False


class LoopbackServer:
    """Base class: subclasses build their application in :meth:`make_app`."""

    #: Thread name, for debugging.
    name = "loopback-fake"

    def __init__(self, *, port: int = 0) -> None:
        #: The port asked for (0: any free one); after start(), the one in use.
        self.port = port
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def make_app(self) -> tornado.web.Application:
        raise NotImplementedError

    # ------------------------------------------------------------------ test controls

    def fail_next(
        self,
        status: int,
        *,
        method: Optional[str] = None,
        path: Optional[str] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        times: int = 1,
        close: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        ``path`` is a regular expression searched in the request path;
        ``body`` defaults to the service's own error shape; ``close`` drops
        the connection instead of answering.
        """
        with self.lock:
            self.faults.append(
                Fault(
                    status=status,
                    method=method.upper() if method else None,
                    path=re.compile(path) if path else None,
                    body=body,
                    headers=dict(headers or {}),
                    times=times,
                    close=close,
                )
            )

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def requests_to(self, pattern: str, method: Optional[str] = None) -> list[RecordedRequest]:
        """Requests whose path matches ``pattern`` (and method, if given)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if re.search(pattern, r.path) and (method is None or r.method == method.upper())
            ]

    # ------------------------------------------------------------------ life cycle

    @property
    def url(self) -> str:
        """Where the fake listens, ``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._thread is None or not self.port:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Any:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                sockets = bind_sockets(self.port, "127.0.0.1")
                server = HTTPServer(self.make_app())
                server.add_sockets(sockets)
                self.port = sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.stop()
                loop.run_until_complete(server.close_all_connections())
                loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise RuntimeError(f"{type(self).__name__} could not start") from failure[0]
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


def intercept(
    handler: tornado.web.RequestHandler,
    fake: LoopbackServer,
    fault_body: Callable[[int], Any],
) -> bool:
    """Record the request; answer it from an injected fault if one matches.

    Returns True when the request has been answered.
    """
    req = handler.request
    with fake.lock:
        fake.requests.append(
            RecordedRequest(
                method=req.method or "",
                path=req.path,
                query={k: [v.decode() for v in vs] for k, vs in req.query_arguments.items()},
                headers=dict(req.headers.items()),
                body=req.body or b"",
            )
        )
        fault = next(
            (
                f
                for f in fake.faults
                if f.times > 0
                and (f.method is None or f.method == req.method)
                and (f.path is None or f.path.search(req.path))
            ),
            None,
        )
        if fault is None:
            return False
        fault.times -= 1
        fake.faults = [f for f in fake.faults if f.times > 0]
    if fault.close:
        stream = req.connection.detach()  # type: ignore[union-attr]
        stream.close()
        handler._finished = True  # nothing more to send: the method must not run
        return True
    for name, value in fault.headers.items():
        handler.set_header(name, value)
    body = fault.body if fault.body is not None else fault_body(fault.status)
    handler.set_status(fault.status)
    handler.finish(body if isinstance(body, (bytes, str)) else json.dumps(body))
    return True


def serve_until_stopped(fake: LoopbackServer, about: Mapping[str, Any]) -> int:
    """Run a started fake from the command line until Ctrl-C or SIGTERM.

    Prints ``about`` (where it listens, its credential) as one JSON line.
    """
    print(json.dumps(dict(about)), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        while not done.wait(0.5):
            pass
    fake.stop()
    return 0


def quiet(handler: tornado.web.RequestHandler) -> None:
    """An Application ``log_function`` that logs nothing: tests read ``requests``."""
