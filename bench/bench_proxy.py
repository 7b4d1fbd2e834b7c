"""How much the server extension adds to a remote call.

Starts the loopback fake Losant (in this process, its own thread) and a real
Jupyter Server (a child process) whose ``bench`` connection points at it,
then measures ``GET notebook-remote/connections/bench/notebooks/{nb}/executions``
through the extension against the very same Losant call
(``GET /applications/{app}/notebooks/{nb}/logs?...``, replayed byte for byte
from what the extension sent) made straight to the fake:

* latency: ``--requests`` sequential calls on one keep-alive client, after
  ``--warmup`` calls, p50/p95/p99;
* throughput: ``--concurrent-requests`` calls, ``--concurrency`` at a time;
* TCP connections the fake accepted during each phase (it records each
  peer address), which shows the extension keeps one httpx client per
  connection and reuses its pooled keep-alive connections.

By default the notebook's runs do not change while it is measured, as when
a panel polls runs that are over: every answer is the same page, and the
extension reads that page into its models once (``SharedReads.derived``).
``--changing`` adds a run before every timed call, so that every page
differs and every one is read anew.

Run from the repository root: ``python bench/bench_proxy.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import httpx
from _jupyter_harness import (
    CONNECTION_ID,
    JupyterServer,
    percentile,
    print_table,
    proc_cpu_seconds,
)

from jupyter_notebook_remote.tests.fakes.losant import FakeLosant


class BenchFakeLosant(FakeLosant):
    """The fake, counting the TCP connections it accepts (peer address of
    each), and able to skip validating its own answers against Losant's
    schemas (about 10-20 ms of jsonschema per 20-run answer here, which
    would otherwise be most of what the benchmark measures)."""

    check_answers = True

    def start(self) -> BenchFakeLosant:
        super().start()
        self.peers: list[tuple[str, int]] = []
        server = self._server
        if server is None:
            raise RuntimeError("the fake has no HTTP server")
        accept = server.handle_stream

        def counting(stream: Any, address: Any) -> Any:
            with self.lock:
                self.peers.append((str(address[0]), int(address[1])))
            return accept(stream, address)

        # Tornado's TCPServer calls self.handle_stream once per accepted connection.
        server.handle_stream = counting  # type: ignore[method-assign]
        return self

    def accepted(self) -> int:
        with self.lock:
            return len(self.peers)

    def check_answer(self, route: Optional[str], status: int, body: Any) -> None:
        if self.check_answers:
            super().check_answer(route, status, body)


@dataclass
class Phase:
    name: str
    latencies_ms: list[float]
    rps: float
    seq_connections: int
    conc_connections: int
    server_cpu_ms: Optional[float]


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{what} answered {response.status_code}: {response.text[:300]}")


def measure(
    name: str,
    url: str,
    headers: dict[str, str],
    *,
    requests: int,
    warmup: int,
    fake: BenchFakeLosant,
    check_answers: bool,
    concurrent_requests: int,
    concurrency: int,
    expect_items: int,
    items_of: Callable[[httpx.Response], int],
    cpu_pid: Optional[int] = None,
    before_each: Callable[[], Any] = lambda: None,
) -> Phase:
    before = fake.accepted()
    latencies: list[float] = []
    with httpx.Client(headers=headers, timeout=30) as client:
        fake.check_answers = True  # the warm-up answers are schema-checked
        for _ in range(warmup):
            _check(client.get(url), name)
        fake.check_answers = check_answers
        cpu0 = proc_cpu_seconds(cpu_pid) if cpu_pid else 0.0
        for _ in range(requests):
            before_each()
            t0 = time.perf_counter()
            r = client.get(url)
            latencies.append((time.perf_counter() - t0) * 1000)
            _check(r, name)
        cpu_ms = (proc_cpu_seconds(cpu_pid) - cpu0) * 1000 / requests if cpu_pid else None
        if items_of(r) != expect_items:
            raise RuntimeError(f"{name}: expected {expect_items} items, got {items_of(r)}")
    seq_connections = fake.accepted() - before

    before = fake.accepted()
    rps = asyncio.run(_throughput(url, headers, concurrent_requests, concurrency, name))
    conc_connections = fake.accepted() - before
    latencies.sort()
    return Phase(name, latencies, rps, seq_connections, conc_connections, cpu_ms)


async def _throughput(
    url: str, headers: dict[str, str], total: int, concurrency: int, name: str
) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as client:
        # One call per worker first, so every pooled connection is open.
        for r in await asyncio.gather(*(client.get(url) for _ in range(concurrency))):
            _check(r, name)
        left = total

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                _check(await client.get(url), name)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - t0)


def jupyter_floor(server: JupyterServer, requests: int) -> tuple[float, float]:
    """Jupyter Server's own cost of an authenticated API call on the same server
    (``GET /api/status``, which touches no remote): p50 ms and CPU ms per call."""
    url = f"{server.url}/api/status"
    latencies: list[float] = []
    with httpx.Client(headers=server.headers, timeout=30) as client:
        for _ in range(30):
            _check(client.get(url), "GET /api/status")
        cpu0 = proc_cpu_seconds(server.pid)
        for _ in range(requests):
            t0 = time.perf_counter()
            _check(client.get(url), "GET /api/status")
            latencies.append((time.perf_counter() - t0) * 1000)
        cpu_ms = (proc_cpu_seconds(server.pid) - cpu0) * 1000 / requests
    latencies.sort()
    return percentile(latencies, 50), cpu_ms


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="sequential calls (latency)")
    parser.add_argument("--warmup", type=int, default=30, help="calls before measuring")
    parser.add_argument(
        "--concurrent-requests", type=int, default=600, help="calls in the throughput phase"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight at once")
    parser.add_argument("--runs", type=int, default=20, help="executions the notebook has")
    parser.add_argument(
        "--check-answers",
        action="store_true",
        help="keep the fake validating every answer against Losant's schemas while measuring "
        "(slower remote; by default only warm-up answers are checked)",
    )
    parser.add_argument(
        "--changing",
        action="store_true",
        help="add a run before every timed sequential call, so that no two pages are the same",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the Jupyter server under cProfile and write its stats to FILE "
        "(read with python -m pstats FILE)",
    )
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrent_requests, args.concurrency, args.runs) < 1:
        parser.error("--requests, --concurrent-requests, --concurrency, --runs must be >= 1")
    if args.runs > 1000:
        parser.error("--runs must be at most 1000 (the extension's page limit)")

    fake = BenchFakeLosant().start()
    server = None
    try:
        nb = fake.add_notebook("bench")
        now = time.time()
        for i in range(args.runs):
            fake.add_run(nb, queued_at=now - 3600 - 120 * i, run_for=30 + i)
        server = JupyterServer(
            base_url=fake.url,
            application_id=fake.application_id,
            remote_token=fake.token,
            profile_to=os.path.abspath(args.profile) if args.profile else None,
        ).start()

        proxied_url = server.api("connections", CONNECTION_ID, "notebooks", nb, "executions")
        proxied_url += f"?limit={args.runs}"
        clock = [now]

        def new_run() -> None:
            clock[0] += 1
            fake.add_run(nb, queued_at=clock[0] - 3600, run_for=30)

        common = dict(
            before_each=new_run if args.changing else (lambda: None),
            requests=args.requests,
            warmup=args.warmup,
            concurrent_requests=args.concurrent_requests,
            concurrency=args.concurrency,
            expect_items=args.runs,
            fake=fake,
            check_answers=args.check_answers,
        )
        load_before = _loadavg()
        fake.clear_requests()
        proxied = measure(
            "through extension",
            proxied_url,
            # Every call a remote call of its own: this measures the proxy, not
            # the sharing of identical reads (bench_tabs.py measures that).
            {**server.headers, "Cache-Control": "no-store"},
            items_of=lambda r: len(r.json()["items"]),
            cpu_pid=server.pid,
            **common,  # type: ignore[arg-type]
        )
        sent = fake.requests_for("notebook.logs")
        # The exact Losant call the extension made, replayed straight to the fake.
        params = [(k, v) for k, vs in sent[0].query.items() for v in vs]
        direct_url = str(httpx.URL(f"{fake.url}{sent[0].path}", params=params))
        direct_headers = {"Authorization": sent[0].headers["Authorization"]}
        direct = measure(
            "direct to fake",
            direct_url,
            direct_headers,
            items_of=lambda r: len(r.json()),
            **common,  # type: ignore[arg-type]
        )
        floor = jupyter_floor(server, args.requests)
        load_after = _loadavg()
        # One Losant call per request through the extension (no retries, no extras).
        expected_calls = args.warmup + args.requests + args.concurrency + args.concurrent_requests
        if len(sent) != expected_calls:
            raise RuntimeError(f"expected {expected_calls} Losant calls, saw {len(sent)}")
        if fake.bugs:
            raise RuntimeError(f"the fake broke its schemas: {fake.bugs}")
    finally:
        if server is not None:
            server.stop()
        fake.stop()

    checks = "every answer" if args.check_answers else "warm-up answers only"
    pages = "a new run before each timed call" if args.changing else "the same page every call"
    print(
        f"GET executions (limit={args.runs}, {args.runs} runs in the answer, {pages}; fake's "
        f"schema checks: {checks}); "
        f"latency: {args.requests} sequential after {args.warmup} warm-up; "
        f"throughput: {args.concurrent_requests} at concurrency {args.concurrency}; "
        f"{os.cpu_count()} CPUs, load average {load_before} before, {load_after} after\n"
    )
    rows = []
    for p in (direct, proxied):
        lat = p.latencies_ms
        rows.append(
            [
                p.name,
                f"{percentile(lat, 50):.2f}",
                f"{percentile(lat, 95):.2f}",
                f"{percentile(lat, 99):.2f}",
                f"{p.rps:.0f}",
            ]
        )
    rows.append(
        [
            "overhead",
            *(
                f"{percentile(proxied.latencies_ms, q) - percentile(direct.latencies_ms, q):+.2f}"
                for q in (50, 95, 99)
            ),
            f"{proxied.rps / direct.rps:.2f}x",
        ]
    )
    print_table(["path", "p50 ms", "p95 ms", "p99 ms", "req/s"], rows)
    cpu = proxied.server_cpu_ms or 0.0
    print(
        f"\nJupyter server CPU (user+system, /proc/<pid>/stat) per call through the extension: "
        f"{cpu:.2f} ms (sequential phase). Jupyter Server's own floor on the same server "
        f"(GET /api/status, no remote): p50 {floor[0]:.2f} ms, CPU {floor[1]:.2f} ms per call; "
        f"so the extension's part of a proxied call (its handler, the httpx call, reading "
        f"and writing the page) is {cpu - floor[1]:.2f} ms of CPU. At that CPU per call, one "
        f"core of the server answers at most {1000 / cpu:.0f} proxied calls a second (the "
        "throughput above is also bounded by this benchmark's own process, which runs the "
        "clients and the fake).\n"
        if cpu
        else ""
    )
    print_table(
        ["TCP connections to the fake", "sequential phase", "concurrent phase"],
        [
            [
                f"{p.name} ({args.warmup + args.requests} / {args.concurrency}"
                f"+{args.concurrent_requests} calls)",
                p.seq_connections,
                p.conc_connections,
            ]
            for p in (direct, proxied)
        ],
    )
    print(
        "\nConnections: TCP connections the fake accepted in each phase (it records the peer "
        "address of each). 'through extension' are the Jupyter server's connections to the "
        "fake: one pooled httpx client per connection, connections kept alive and reused. "
        "A few more than the concurrency can show up: httpx closes a pooled connection idle "
        "for 5 s (its default keepalive_expiry) and opens a new one when a burst needs it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
