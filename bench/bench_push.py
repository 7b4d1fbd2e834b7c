"""How fast a push goes, and how much memory the Jupyter server needs for it.

Writes notebooks of ``--sizes`` MiB (one code cell with a big stdout output,
the usual way a notebook gets that large) into the root of a real Jupyter
Server (a child process, the extension's ``bench`` connection pointing at
the loopback fake Losant in this process) and pushes each with
``POST notebook-remote/connections/bench/notebooks/{nb}/push`` two ways:

* **saved**: the notebook is first saved through Jupyter
  (``PUT /api/contents/...``, as JupyterLab does when the panel saves before
  a push; not timed), so the push check takes the verdict made from the
  saved model and the push only streams the file;
* **written**: the file is written behind Jupyter's back, so the push checks
  it in full while it streams (a child process above 8 MiB).

Each is followed by the same multipart upload straight to the fake (httpx,
streamed from the file), the baseline, and ``--repeat`` rounds of the three
give medians; the ratios are the push's throughput over the direct
upload's (direct s / push s: 1.0 is the speed of the wire). Every push is
checked to reach the fake byte for byte.

Peak RSS is the kernel's own high-water mark: VmHWM of /proc/<pid>/status,
reset to the current RSS just before each push (``echo 5 > clear_refs``),
minus VmRSS before the push (the largest of the rounds); a 5 ms VmRSS
sampler runs alongside as a cross-check. A child process calls
``GET /api/status`` every 10 ms during each push and direct upload; the
slowest answer shows whether the server's event loop stalled. A warm-up
push of a small notebook comes first, so imports and schema compilation are
not counted. The server's CPU during each push (its own and its checker
children's, from /proc/<pid>/stat) is printed too: on a busy machine it
says more than the seconds. After each push the script waits half a second
before the direct upload, since the server then starts a spare checker child
(push/checker.py) that would otherwise share the CPU with the baseline.

Then (unless ``--no-breakdown``) the server's own steps are run in this
process: ``resolve_upload`` and streaming ``upload.stream()`` through the
multipart body with the check beside it (seconds, and the tracemalloc peak
of streaming), and the check alone in its child process.

Run from the repository root: ``python bench/bench_push.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx
from _jupyter_harness import (
    CONNECTION_ID,
    JupyterServer,
    RssSampler,
    print_table,
    proc_cpu_seconds,
    proc_status_kib,
    reset_peak_rss,
)
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager

from jupyter_notebook_remote.http import MultipartBody, MultipartFile
from jupyter_notebook_remote.push import nbcheck
from jupyter_notebook_remote.push.upload import resolve_upload
from jupyter_notebook_remote.tests.fakes.losant import FakeLosant

MiB = 1024 * 1024
LINE = 99  # characters per output line, plus its newline


_PROBE = """
import sys, threading, time, httpx
url, token = sys.argv[1], sys.argv[2]
worst, calls, stop = 0.0, 0, threading.Event()
def run():
    global worst, calls
    with httpx.Client(headers={"Authorization": "token " + token}, timeout=60) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            c.get(url).raise_for_status()
            worst = max(worst, time.perf_counter() - t0)
            calls += 1
            stop.wait(0.01)
t = threading.Thread(target=run, daemon=True)
t.start()
for line in sys.stdin:
    if line.strip() == "reset":
        while calls < 3:
            time.sleep(0.005)
        worst, calls = 0.0, 0
        print("ok", flush=True)
    elif line.strip() == "report":
        print(f"{worst * 1000:.1f} {calls}", flush=True)
stop.set()
t.join(5)
"""


class StatusProber:
    """GET /api/status every 10 ms from a child process; the slowest answer.

    /api/status is answered by the Jupyter server's event loop at once, so
    its worst latency during a push shows how long the loop was held up. A
    child process, so that this process (which also runs the fake) being
    busy does not count.
    """

    def __init__(self, server: JupyterServer) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _PROBE, f"{server.url}/api/status", server.token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, command: str) -> str:
        if self.proc.stdin is None or self.proc.stdout is None:
            raise RuntimeError("the /api/status prober has no pipes")
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the /api/status prober died")
        return answer.strip()

    def reset(self) -> None:
        self._ask("reset")

    def worst_ms(self) -> float:
        return float(self._ask("report").split()[0])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def write_notebook(path: Path, size: int) -> int:
    """A valid nbformat 4.5 notebook of about ``size`` bytes; returns its size."""

    def notebook(lines: list[str]) -> dict[str, object]:
        return {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": 1,
                    "id": "big-output",
                    "metadata": {},
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": lines}],
                    "source": ["for i in range(n):\n", "    print(row(i))"],
                }
            ],
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }

    digest = hashlib.sha256(str(size).encode()).hexdigest()
    body = (digest * (LINE // len(digest) + 1))[: LINE - 8]
    one = len(json.dumps(notebook([f"{0:07d} {body}\n"]), indent=1))
    per_line = len(json.dumps(notebook([f"{0:07d} {body}\n"] * 2), indent=1)) - one
    count = max(1, (size - one) // per_line + 1)
    lines = [f"{i:07d} {body}\n" for i in range(count)]
    path.write_text(json.dumps(notebook(lines), indent=1), encoding="utf-8")
    return path.stat().st_size


def push(client: httpx.Client, server: JupyterServer, nb: str, name: str) -> httpx.Response:
    url = server.api("connections", CONNECTION_ID, "notebooks", nb, "push")
    r = client.post(url, json={"path": name})
    if r.status_code != 200:
        raise RuntimeError(f"push of {name} answered {r.status_code}: {r.text[:300]}")
    return r


def save_through_jupyter(client: httpx.Client, server: JupyterServer, path: Path) -> None:
    """Save the notebook at ``path`` through Jupyter's contents API, as JupyterLab does."""
    content = json.loads(path.read_text(encoding="utf-8"))
    r = client.put(
        f"{server.url}/api/contents/{path.name}",
        json={"type": "notebook", "format": "json", "content": content},
    )
    if r.status_code not in (200, 201):
        raise RuntimeError(f"saving {path.name} answered {r.status_code}: {r.text[:300]}")


def direct_upload(fake: FakeLosant, upload_path: str, path: Path) -> float:
    """Seconds to upload ``path`` straight to the fake (httpx multipart, streamed)."""
    with open(path, "rb") as f, httpx.Client(timeout=300) as client:
        t0 = time.perf_counter()
        r = client.post(
            f"{fake.url}{upload_path}",
            headers={"Authorization": f"Bearer {fake.token}"},
            files={"jupyterFile": (path.name, f, "application/x-ipynb+json")},
        )
        seconds = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"direct upload answered {r.status_code}: {r.text[:300]}")
    return seconds


def received(fake: FakeLosant, nb: str) -> bytes:
    with fake.lock:
        data = fake.notebooks[nb].file_bytes
    if data is None:
        raise RuntimeError("the fake has no file for the notebook")
    return data


async def _resolve_and_stream(root: Path, name: str, max_bytes: int, traced: bool) -> list[float]:
    """resolve_upload, then stream the multipart body (discarding it).

    Returns [seconds or peak bytes of resolve_upload, same of streaming, bytes streamed].
    """
    manager = AsyncFileContentsManager(root_dir=str(root))
    if traced:
        tracemalloc.start()
    try:
        t0 = time.perf_counter()
        upload = await resolve_upload(manager, name, max_bytes=max_bytes)
        t1 = time.perf_counter()
        if traced:
            _, resolve_cost = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
        body = MultipartBody(
            [
                MultipartFile(
                    field="jupyterFile",
                    file_name=upload.file_name,
                    chunks=upload.stream,
                    size=upload.size,
                )
            ]
        )
        sent = 0
        async for chunk in body.stream():
            sent += len(chunk)
        t2 = time.perf_counter()
        if traced:
            _, peak = tracemalloc.get_traced_memory()
            return [resolve_cost, peak - base, sent]
        return [t1 - t0, t2 - t1, sent]
    finally:
        if traced:
            tracemalloc.stop()


def check_in_child(path: Path) -> float:
    """Seconds the push check of ``path`` takes in its child process, alone."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    codes = nbcheck.validator_codes((5,))
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, nbcheck.__file__, str(path), str(stamp[0]), str(stamp[1])],
        input=codes,
        capture_output=True,
        check=True,
    ).stdout
    seconds = time.perf_counter() - t0
    if json.loads(out).get("problem") is not None:
        raise RuntimeError(f"the check refused {path.name}: {out[:300]!r}")
    return seconds


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def mib(n: float) -> str:
    return f"{n / MiB:.1f}"


class Measured:
    """One kind of push (or the direct upload) over the rounds of one size."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.peak = 0.0
        self.sampled = 0.0
        self.worst_status = 0.0
        self.cpu: list[float] = []

    def row(self, direct: Measured) -> list[str]:
        wall, base = median(self.seconds), median(direct.seconds)
        return [
            f"{wall:.3f}",
            f"**{base / wall:.2f}**",
            f"{median(self.cpu):.3f}",
            mib(self.peak),
            f"{self.worst_status:.0f}",
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1,10,50", help="notebook sizes in MiB, comma-separated (max 200)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds per size (medians)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process breakdown")
    args = parser.parse_args(argv)
    try:
        sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be numbers in MiB separated by commas, not {args.sizes!r}")
    if not sizes or any(not 0 < s <= 200 for s in sizes):
        parser.error("--sizes must be between 0 and 200 MiB each")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    limit = int(max(sizes) * MiB * 1.1) + MiB
    fake = FakeLosant(max_upload_bytes=limit + MiB).start()
    server = None
    prober = None
    rows = []
    peak_source = "kernel VmHWM reset before each push"
    files: list[tuple[str, int]] = []
    loads = []
    try:
        nb = fake.add_notebook("bench-push")
        server = JupyterServer(
            base_url=fake.url,
            application_id=fake.application_id,
            remote_token=fake.token,
            max_push_bytes=limit,
        ).start()
        pid = server.pid
        prober = StatusProber(server)

        def timed_push(client: httpx.Client, name: str, path: Path, into: Measured) -> None:
            nonlocal peak_source
            fake.clear_requests()  # the fake keeps request bodies; free the last one
            time.sleep(0.2)  # let the server settle
            rss_before = proc_status_kib(pid, "VmRSS") * 1024
            exact = reset_peak_rss(pid)
            prober.reset()
            cpu0 = proc_cpu_seconds(pid, children=True)
            with RssSampler(pid) as sampler:
                t0 = time.perf_counter()
                push(client, server, nb, name)
                into.seconds.append(time.perf_counter() - t0)
            into.cpu.append(proc_cpu_seconds(pid, children=True) - cpu0)
            into.worst_status = max(into.worst_status, prober.worst_ms())
            hwm = proc_status_kib(pid, "VmHWM") * 1024
            if not exact:
                peak_source = "sampled VmRSS (clear_refs refused, VmHWM not resettable)"
            into.peak = max(into.peak, (hwm if exact else sampler.peak_kib * 1024) - rss_before)
            into.sampled = max(into.sampled, sampler.peak_kib * 1024 - rss_before)
            if received(fake, nb) != path.read_bytes():
                raise RuntimeError(f"the fake did not receive {name} byte for byte")

        def timed_direct(path: Path, into: Measured) -> None:
            # After a big push the server starts a spare checker child (its
            # imports take ~0.1 s of CPU): not while the baseline is timed.
            time.sleep(0.5)
            upload_path = fake.requests_for("notebook.upload")[-1].path
            fake.clear_requests()
            fake.notebooks[nb].file_bytes = None
            prober.reset()
            into.seconds.append(direct_upload(fake, upload_path, path))
            into.worst_status = max(into.worst_status, prober.worst_ms())
            if received(fake, nb) != path.read_bytes():
                raise RuntimeError(f"the direct upload of {path.name} arrived damaged")
            fake.clear_requests()

        with httpx.Client(headers=server.headers, timeout=300) as client:
            write_notebook(server.root / "warmup.ipynb", 64 * 1024)
            push(client, server, nb, "warmup.ipynb")
            save_through_jupyter(client, server, server.root / "warmup.ipynb")
            push(client, server, nb, "warmup.ipynb")
            for size_mib in sizes:
                name = f"push-{size_mib:g}mib.ipynb"
                path = server.root / name
                size = write_notebook(path, int(size_mib * MiB))
                files.append((name, size))
                saved, written, direct = Measured(), Measured(), Measured()
                for _ in range(args.repeat):
                    save_through_jupyter(client, server, path)
                    timed_push(client, name, path, saved)
                    timed_direct(path, direct)
                    write_notebook(path, int(size_mib * MiB))  # behind Jupyter's back
                    timed_push(client, name, path, written)
                    timed_direct(path, direct)
                    with open("/proc/loadavg") as f:
                        loads.append(float(f.read().split()[0]))
                rows.append(
                    [
                        mib(size),
                        f"{median(direct.seconds):.3f}",
                        *saved.row(direct),
                        *written.row(direct),
                        f"{direct.worst_status:.0f}",
                    ]
                )
            if fake.bugs:
                raise RuntimeError(f"the fake broke its schemas: {fake.bugs}")
        breakdown_rows = []
        if not args.no_breakdown:
            # First call loads and compiles the nbformat schema: not counted.
            asyncio.run(_resolve_and_stream(server.root, "warmup.ipynb", limit, False))
            for name, size in files:
                resolve_s, stream_s, _ = asyncio.run(
                    _resolve_and_stream(server.root, name, limit, False)
                )
                _, stream_peak, sent = asyncio.run(
                    _resolve_and_stream(server.root, name, limit, True)
                )
                if sent < size:
                    raise RuntimeError(f"streamed {sent} bytes of {size}")
                child = check_in_child(server.root / name)
                breakdown_rows.append(
                    [
                        mib(size),
                        f"{resolve_s:.3f}",
                        f"{stream_s:.3f}",
                        f"{child:.3f}",
                        f"{stream_peak / 1024:.0f}",
                    ]
                )
    finally:
        if prober is not None:
            prober.close()
        if server is not None:
            server.stop()
        fake.stop()

    print(
        f"Push through the extension to the loopback fake Losant ({os.cpu_count()} CPUs, "
        f"load average {min(loads):.2f}-{max(loads):.2f} over the rounds), medians of "
        f"{args.repeat} rounds. 'x direct' is the push's throughput over the direct upload's "
        "(direct s / push s). Peak: "
        f"{peak_source}, minus VmRSS before the push, the largest of the rounds; 'status' is "
        "the slowest GET /api/status of those made every 10 ms during the pushes (from a "
        "child process; 'status, direct' during the direct uploads, when the server is idle). "
        "'CPU s': the server's CPU during the push, with its checker children's (a child's "
        "counts once it has exited: a spare started after one push counts in the next), "
        "medians; unlike the seconds, it hardly depends on what else the machine runs.\n"
    )
    print_table(
        [
            "file MiB",
            "direct s",
            "saved: push s",
            "x direct",
            "CPU s",
            "peak +MiB",
            "status ms",
            "written: push s",
            "x direct",
            "CPU s",
            "peak +MiB",
            "status ms",
            "status, direct",
        ],
        rows,
    )
    if breakdown_rows:
        print(
            "\nThe server's steps in this process, for a file written behind Jupyter's back "
            "(seconds; streaming's tracemalloc peak):\n"
        )
        print_table(
            [
                "file MiB",
                "resolve_upload s",
                "streaming with the check s",
                "the check alone, child s",
                "streaming peak KiB",
            ],
            breakdown_rows,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
