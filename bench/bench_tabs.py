"""How many remote calls N browser tabs watching one run cost.

Starts the loopback fake Losant (in this process, its own thread) and a real
Jupyter Server (a child process, its ``bench`` connection pointing at the
fake, ``http_read_freshness`` at its default of 1 s). A notebook has a run
in progress. For each N in ``--tabs``, N "tabs" poll
``GET notebook-remote/connections/bench/notebooks/{nb}/executions?limit=20``
every ``--interval`` seconds (the panel's active interval; each tab starts
at a random moment of the first interval, as real tabs do) for
``--seconds``, and the fake counts the Losant calls it receives. Two ways,
side by side for each N:

* **shared**: the requests as the panel sends them, so identical reads are
  shared (in flight, and for the freshness window);
* **one each**: the same requests with ``Cache-Control: no-store``, which
  makes each its own remote call, as every poll was before reads were shared.

Prints, for each N, the remote calls per poll interval both ways and their
ratio. Run from the repository root: ``python bench/bench_tabs.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time

import httpx
from _jupyter_harness import CONNECTION_ID, JupyterServer, print_table

from jupyter_notebook_remote.tests.fakes.losant import FakeLosant

LOGS = "notebook.logs"


async def watch(
    url: str,
    headers: dict[str, str],
    *,
    tabs: int,
    interval: float,
    seconds: float,
    rng: random.Random,
) -> tuple[int, int]:
    """N tabs polling ``url``; (answers, failures)."""
    answers = failures = 0
    limits = httpx.Limits(max_connections=tabs, max_keepalive_connections=tabs)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds

        async def tab(offset: float) -> None:
            nonlocal answers, failures
            await asyncio.sleep(offset)
            while loop.time() < end:
                started = loop.time()
                r = await client.get(url)
                answers += 1
                if r.status_code != 200:
                    failures += 1
                await asyncio.sleep(max(0.0, interval - (loop.time() - started)))

        await asyncio.gather(*(tab(rng.uniform(0, interval)) for _ in range(tabs)))
    return answers, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tabs", default="1,2,5,10,20", help="comma-separated numbers of tabs (default 1..20)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between one tab's polls (default 1, the freshness window; the panel's "
        "activeInterval is 2 s by default)",
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each case watches")
    parser.add_argument("--seed", type=int, default=7, help="seed of the tabs' start moments")
    args = parser.parse_args(argv)
    counts = sorted({int(n) for n in args.tabs.split(",") if n.strip()})
    if not counts or counts[0] < 1 or args.interval <= 0 or args.seconds < args.interval:
        parser.error("--tabs must be >= 1, --interval > 0, --seconds >= --interval")

    rng = random.Random(args.seed)
    fake = FakeLosant(queued_seconds=0.0, running_seconds=24 * 3600).start()
    fake.check_answers = False  # jsonschema on each answer would make the fake the bottleneck
    server = None
    rows = []
    try:
        nb = fake.add_notebook("watched")
        fake.add_run(nb, queued_at=time.time() - 60, run_for=24 * 3600)
        server = JupyterServer(
            base_url=fake.url, application_id=fake.application_id, remote_token=fake.token
        ).start()
        url = server.api("connections", CONNECTION_ID, "notebooks", nb, "executions")
        url += "?limit=20"
        polls = args.seconds / args.interval
        for tabs in counts:
            result = {}
            for way, extra in (("one each", {"Cache-Control": "no-store"}), ("shared", {})):
                fake.clear_requests()
                answers, failures = asyncio.run(
                    watch(
                        url,
                        {**server.headers, **extra},
                        tabs=tabs,
                        interval=args.interval,
                        seconds=args.seconds,
                        rng=rng,
                    )
                )
                if failures:
                    raise RuntimeError(f"{tabs} tabs, {way}: {failures} of {answers} failed")
                result[way] = (len(fake.requests_for(LOGS)), answers)
            one_calls, one_answers = result["one each"]
            shared_calls, shared_answers = result["shared"]
            rows.append(
                [
                    tabs,
                    f"{one_answers}",
                    f"{one_calls / polls:.2f}",
                    f"{shared_answers}",
                    f"{shared_calls / polls:.2f}",
                    f"{shared_calls / one_calls:.2f}",
                ]
            )
    finally:
        if server is not None:
            server.stop()
        fake.stop()

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(
        f"N tabs polling one run's list every {args.interval:g} s for {args.seconds:g} s "
        f"(server: http_read_freshness 1 s); {os.cpu_count()} CPUs, load average {load}\n"
    )
    print_table(
        [
            "tabs",
            "answers (one each)",
            "remote calls / interval (one each)",
            "answers (shared)",
            "remote calls / interval (shared)",
            "shared / one each",
        ],
        rows,
    )
    print(
        "\nremote calls / interval: Losant calls the fake received, divided by the number of "
        "poll intervals in the watch. 'one each' sends Cache-Control: no-store, so every poll "
        "is its own remote call (as before reads were shared)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
