"""The extension under load for a while: many clients polling, pushing and running.

Starts the loopback fake Losant (in this process, its own thread; quick runs)
and a real Jupyter Server (a child process, its ``bench`` connection pointing
at the fake, every setting at its default). Then ``--clients`` clients (50 by
default) work at once for ``--seconds`` (30), each in a loop with no pause,
on one of ``--notebooks`` remote notebooks (clients share them, as tabs
of one team do):

* **poll** (most requests): ``GET .../executions?limit=20``, as the panel does;
* **run** (``--run-share``): ``POST .../executions``, a run on the fake;
* **push** (``--push-share``): ``POST .../push`` of a ``--push-mib`` MiB
  notebook (10) from the server's root.

Prints for each kind of request the count, answers per second, p50 / p99
latency and errors (anything but the expected 200 / 202, or a transport
failure: the goal is 0); the Jupyter server's RSS and open file descriptors
before and after (a few seconds after the load stops; the goal: flat), and
the Losant calls the fake received per client request (polls share reads, so
under load it is well below 1).

Run from the repository root: ``python bench/bench_load.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _jupyter_harness import (
    CONNECTION_ID,
    JupyterServer,
    percentile,
    print_table,
    proc_cpu_seconds,
    proc_status_kib,
)

from jupyter_notebook_remote.tests.fakes.losant import FakeLosant


class CountingFakeLosant(FakeLosant):
    """The fake, keeping only a count of what it received (pushes would otherwise
    pile up in its request log, ten MiB each)."""

    def start(self) -> CountingFakeLosant:
        super().start()
        self.received = 0
        self._stop_counting = threading.Event()
        self._counter = threading.Thread(target=self._count, name="fake-counter", daemon=True)
        self._counter.start()
        return self

    def _count(self) -> None:
        while not self._stop_counting.wait(0.2):
            self.drain()

    def drain(self) -> int:
        with self.lock:
            self.received += len(self.requests)
            self.requests.clear()
            return self.received

    def stop(self) -> None:
        self._stop_counting.set()
        super().stop()


@dataclass
class Kind:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def write_big_notebook(path: Path, mib: float) -> int:
    """A valid nbformat 4 notebook of about ``mib`` MiB (one cell with a long output)."""
    line = "x" * 1000 + "\n"
    lines = [line] * max(1, int(mib * 1024 * 1024 / (len(line) + 4)))
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "load",
        "metadata": {},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": lines}],
        "source": ["print('x' * 1000)"],
    }
    notebook = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path.stat().st_size


async def load(
    server: JupyterServer,
    notebooks: list[str],
    push_name: str,
    *,
    clients: int,
    seconds: float,
    run_share: float,
    push_share: float,
    seed: int,
) -> dict[str, Kind]:
    kinds = {name: Kind(name) for name in ("poll", "run", "push")}
    expected = {"poll": 200, "run": 202, "push": 200}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(headers=server.headers, timeout=timeout, limits=limits) as http:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds

        async def client(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            nb = notebooks[index % len(notebooks)]
            runs = server.api("connections", CONNECTION_ID, "notebooks", nb, "executions")
            while loop.time() < end:
                draw = rng.random()
                if draw < push_share:
                    kind = "push"
                    url = server.api("connections", CONNECTION_ID, "notebooks", nb, "push")
                    request = http.post(url, json={"path": push_name})
                elif draw < push_share + run_share:
                    kind, request = "run", http.post(runs, content=b"")
                else:
                    kind, request = "poll", http.get(runs, params={"limit": 20})
                t0 = time.perf_counter()
                try:
                    r = await request
                except httpx.HTTPError as exc:
                    kinds[kind].errors.append(type(exc).__name__)
                    continue
                kinds[kind].latencies_ms.append((time.perf_counter() - t0) * 1000)
                if r.status_code != expected[kind]:
                    kinds[kind].errors.append(f"{r.status_code} {r.text[:120]}")

        await asyncio.gather(*(client(i) for i in range(clients)))
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="clients at once (default 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long (default 30 s)")
    parser.add_argument("--notebooks", type=int, default=5, help="remote notebooks shared")
    parser.add_argument("--run-share", type=float, default=0.05, help="share of runs (0.05)")
    parser.add_argument("--push-share", type=float, default=0.01, help="share of pushes (0.01)")
    parser.add_argument("--push-mib", type=float, default=10.0, help="pushed notebook's MiB")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.notebooks < 1:
        parser.error("--clients and --notebooks must be >= 1, --seconds > 0")
    if not 0 <= args.run_share + args.push_share <= 1:
        parser.error("--run-share + --push-share must be from 0 to 1")

    fake = CountingFakeLosant(queued_seconds=0.2, running_seconds=2.0).start()
    fake.check_answers = False  # jsonschema on every answer would make the fake the bottleneck
    server = None
    try:
        small = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
        notebooks = [
            fake.add_notebook(f"load-{i}", file_bytes=small) for i in range(args.notebooks)
        ]
        server = JupyterServer(
            base_url=fake.url, application_id=fake.application_id, remote_token=fake.token
        ).start()
        push_name = "load.ipynb"
        size = write_big_notebook(server.root / push_name, args.push_mib)
        # Warm up: every route once, so imports and first connections are not counted.
        asyncio.run(
            load(
                server,
                notebooks,
                push_name,
                clients=2,
                seconds=1.0,
                run_share=0.3,
                push_share=0.3,
                seed=args.seed,
            )
        )
        time.sleep(1.0)
        rss_before = proc_status_kib(server.pid, "VmRSS")
        fds_before = open_fds(server.pid)
        received_before = fake.drain()
        with open("/proc/loadavg") as f:
            load_before = " ".join(f.read().split()[:3])
        cpu0, own0 = proc_cpu_seconds(server.pid), time.process_time()
        t0 = time.perf_counter()
        kinds = asyncio.run(
            load(
                server,
                notebooks,
                push_name,
                clients=args.clients,
                seconds=args.seconds,
                run_share=args.run_share,
                push_share=args.push_share,
                seed=args.seed,
            )
        )
        wall = time.perf_counter() - t0
        server_cpu = proc_cpu_seconds(server.pid) - cpu0
        own_cpu = time.process_time() - own0
        remote_calls = fake.drain() - received_before
        time.sleep(3.0)  # let idle connections and finished runs settle
        rss_after = proc_status_kib(server.pid, "VmRSS")
        fds_after = open_fds(server.pid)
        with open("/proc/loadavg") as f:
            load_after = " ".join(f.read().split()[:3])
    finally:
        if server is not None:
            server.stop()
        fake.stop()

    total = sum(len(k.latencies_ms) + len(k.errors) for k in kinds.values())
    print(
        f"{args.clients} clients for {args.seconds:g} s on {args.notebooks} notebooks "
        f"(runs {args.run_share:.0%}, pushes {args.push_share:.0%} of {size / 2**20:.1f} MiB, "
        f"the rest polls); {os.cpu_count()} CPUs, load average {load_before} before, "
        f"{load_after} after\n"
    )
    rows = []
    for k in kinds.values():
        lat = sorted(k.latencies_ms)
        rows.append(
            [
                k.name,
                len(lat) + len(k.errors),
                f"{len(lat) / wall:.1f}",
                f"{percentile(lat, 50):.1f}" if lat else "-",
                f"{percentile(lat, 99):.1f}" if lat else "-",
                len(k.errors),
            ]
        )
    all_lat = sorted(x for k in kinds.values() for x in k.latencies_ms)
    errors = sum(len(k.errors) for k in kinds.values())
    rows.append(
        [
            "all",
            total,
            f"{len(all_lat) / wall:.1f}",
            f"{percentile(all_lat, 50):.1f}" if all_lat else "-",
            f"{percentile(all_lat, 99):.1f}" if all_lat else "-",
            errors,
        ]
    )
    print_table(["request", "count", "answers/s", "p50 ms", "p99 ms", "errors"], rows)
    print()
    print_table(
        ["Jupyter server", "before", "after", "change"],
        [
            ["RSS MiB", f"{rss_before / 1024:.1f}", f"{rss_after / 1024:.1f}",
             f"{(rss_after - rss_before) / 1024:+.1f}"],
            ["open fds", fds_before, fds_after, f"{fds_after - fds_before:+d}"],
        ],
    )  # fmt: skip
    print(
        f"\nCPU during the load: Jupyter server {server_cpu / wall:.0%} of one core "
        f"({server_cpu * 1000 / max(1, total):.2f} ms per request); this process (the clients "
        f"and the fake) {own_cpu / wall:.0%}"
    )
    print(
        f"Losant calls the fake received: {remote_calls}, "
        f"{remote_calls / max(1, total):.2f} per client request"
    )
    for k in kinds.values():
        if k.errors:
            print(f"{k.name} errors, first few: {k.errors[:3]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
