"""Execute to completed for a small notebook: ``local`` against nbclient and jupyter-scheduler.

Issue 11 ("Faster starts") asks for a local run in at most 0.25x of
jupyter-scheduler's time and within 1.2x of nbclient executing the same
notebook in an already-running Python. This prints where we stand. With
bench_local.py's small notebook it times, alternately, N runs of

* ``local``: ``LocalProvider.execute`` until the run is listed
  ``completed``, polled every 20 ms (bench_local's measurement), with the
  default configuration: the run goes on the kernel the connection started
  for it ahead of time (``providers/local/warm.py``). After each local run
  the next one's kernel is let get ready (untimed) before anything else is
  timed, as it is between a user's runs, so that its start does not slow
  the others down;
* ``local cold``: the same on a second connection with
  ``prestart_minutes=0``: every run starts its runner and kernel, as before
  the head start (for the record; the goals are for ``local``);
* ``nbclient``: the floor the issue names: this very process (imports done
  before timing) reads the file, runs it with
  ``await NotebookClient(...).async_execute()`` and writes it back;
* ``scheduler``: jupyter-scheduler 2.12.1 in a real Jupyter Server (a child
  process on 127.0.0.1, temporary root, config and data dirs, a token):
  ``POST /scheduler/jobs`` (the notebook in the root, output format ipynb,
  runtime environment ``python3``), then ``GET /scheduler/jobs/{id}`` every
  20 ms until the job is ``COMPLETED``.

All three run the same kernel: the benchmark's own Python (the scheduler's
server gets a ``python3`` kernelspec pointing at it). One untimed run of each
comes first. Then one more ``local`` run, watched closely (result.log read
every 5 ms, the cells' nbclient timings, the files' mtimes, the run's
queuedAt / startedAt / finishedAt), shows where its time goes.

jupyter-scheduler is not a dependency of this project: **the first run
installs it** (``python -m venv`` + ``pip install jupyter-scheduler==2.12.1``)
into its own virtual environment under
``~/.cache/notebook-remote-bench/jupyter-scheduler-2.12.1`` (``--venv``), and
reuses it afterwards. Linux and macOS; nothing talks to anything but
127.0.0.1 (and the package index, once).

    python bench/bench_scheduler.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import httpx
import nbformat
from bench_local import CELLS, build_notebook
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_notebook_remote.models import ExecuteBody, NotebookCreate  # noqa: E402
from jupyter_notebook_remote.providers.base import (  # noqa: E402
    ConnectionConfig,
    NotebookUpload,
    ProviderContext,
)
from jupyter_notebook_remote.providers.local import LocalProvider  # noqa: E402
from jupyter_notebook_remote.tests.live_server import free_port, server_config  # noqa: E402

SCHEDULER_VERSION = "2.12.1"
CACHE = Path.home() / ".cache" / "notebook-remote-bench"
DEFAULT_VENV = CACHE / f"jupyter-scheduler-{SCHEDULER_VERSION}"
POLL = 0.02

# ----------------------------------------------------------------------------- local


async def wait_local(provider: LocalProvider, notebook_id: str, execution_id: str) -> Any:
    while True:
        [run] = await provider.list_executions(notebook_id, limit=1)
        assert run.id == execution_id
        if run.status == "completed":
            return run
        if run.status in ("errored", "timeout", "canceled"):
            raise SystemExit(f"local run ended {run.status}: {run.errors}")
        await asyncio.sleep(POLL)


async def time_local(provider: LocalProvider, notebook_id: str) -> float:
    started = time.perf_counter()
    execution_id = await provider.execute(notebook_id, ExecuteBody())
    await wait_local(provider, notebook_id, execution_id)
    elapsed = time.perf_counter() - started
    if provider._runs.spares.seconds and not await provider._runs.spares.ready(60):
        raise SystemExit("local: no kernel was started ahead of the next run")
    return elapsed


def _epoch(iso: Optional[str]) -> Optional[float]:
    return datetime.fromisoformat(iso).timestamp() if iso else None


async def local_breakdown(provider: LocalProvider, notebook_id: str, data_dir: Path) -> None:
    """One run, watched: print when each step happened, from the call to execute."""
    seen: dict[str, float] = {}
    stop = asyncio.Event()
    run_root: list[Path] = []

    async def tail() -> None:
        while not stop.is_set():
            if run_root:
                try:
                    text = (run_root[0] / "result" / "result.log").read_text(encoding="utf-8")
                except OSError:
                    text = ""
                now = time.time()
                for line in text.splitlines():
                    if line.startswith("[") and line not in seen:
                        seen[line] = now
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(tail())
    t0 = time.time()
    execution_id = await provider.execute(notebook_id, ExecuteBody())
    run_root.append(data_dir / "runs" / execution_id)
    run = await wait_local(provider, notebook_id, execution_id)
    t_seen = time.time()
    await asyncio.sleep(0.05)  # the log's last line comes just before status.json
    stop.set()
    await watcher

    root = run_root[0]
    nb = nbformat.read(root / "result" / "result.ipynb", as_version=4)
    timings = [c.metadata.get("execution", {}) for c in nb.cells if c.cell_type == "code"]
    status = json.loads((root / "status.json").read_text(encoding="utf-8"))

    def mtime(path: Path) -> Optional[float]:
        try:
            return path.stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def first_line(prefix: str) -> Optional[float]:
        hits = [t for line, t in seen.items() if line.split("] ", 1)[-1].startswith(prefix)]
        return min(hits) if hits else None

    steps: list[tuple[str, Optional[float]]] = [
        ("queued (queuedAt)", _epoch(run.queued_at)),
        ("runner process started (startedAt)", _epoch(run.started_at)),
        ("runner up, notebook read ('run started' seen)", first_line("run started")),
        ("kernel launch begins ('kernel ...' seen)", first_line("kernel ")),
        ("kernel process started (kernel.pid written)", mtime(root / "kernel.pid")),
        ("first cell sent (kernel ready)", _epoch(timings[0].get("iopub.status.busy"))),
        ("last cell done (its execute_reply)", _epoch(timings[-1].get("shell.execute_reply"))),
        ("'all cells ran' seen (kernel shut down; up to 5 ms late)", first_line("all cells ran")),
        ("result.ipynb written", mtime(root / "result" / "result.ipynb")),
        ("result.html written", mtime(root / "result" / "result.html")),
        ("status.json written (runner's finishedAt)", status.get("finishedAt")),
        ("run finished (finishedAt: outputs listed)", _epoch(run.finished_at)),
        ("seen completed (20 ms poll)", t_seen),
    ]
    total = t_seen - t0
    print(
        f"\nwhere local's time goes, one run ({total:.2f} s; 'seen': result.log read every 5 ms):"
    )
    previous = 0.0
    for name, at in steps:
        if at is None:
            print(f"  {'':>7}   {'':>8}  {name}: not found")
            continue
        offset = at - t0
        print(f"  {offset:7.3f} s  +{offset - previous:6.3f}  {name}")
        previous = offset


# ----------------------------------------------------------------------------- nbclient


async def time_nbclient(path: Path, work: Path) -> float:
    """The floor: this process, imports done, runs the notebook and writes it back."""
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INPUT_DIR": str(work), "OUTPUT_DIR": str(out)}
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}}
    )
    await client.async_execute(env=env)
    nbformat.write(nb, work / "executed.ipynb")
    elapsed = time.perf_counter() - started
    assert (out / "summary.json").exists()
    return elapsed


# ----------------------------------------------------------------------------- jupyter-scheduler


def ensure_scheduler_venv(venv: Path) -> Path:
    """The Python of a venv with jupyter-scheduler, created (once) if missing."""
    python = venv / "bin" / "python3"
    marker = venv / ".bench-complete"
    if marker.exists() and python.exists():
        return python
    print(f"installing jupyter-scheduler {SCHEDULER_VERSION} into {venv} (once)...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"jupyter-scheduler=={SCHEDULER_VERSION}"],
        check=True,
    )
    marker.write_text(SCHEDULER_VERSION + "\n")
    return python


class SchedulerServer:
    """``python -m jupyter_server`` from the scheduler's venv, in a child process."""

    def __init__(self, python: Path, tmp: Path, output_dir: Path) -> None:
        self.tmp = tmp
        self.root = tmp / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        for name in ("root", "config", "data", "runtime", "path/kernels/python3"):
            (tmp / name).mkdir(parents=True, exist_ok=True)
        # The same kernel as the other two: the benchmark's own Python.
        kernel = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        (tmp / "path/kernels/python3/kernel.json").write_text(json.dumps(kernel))
        db_url = "sqlite:///" + str(tmp / "scheduler.sqlite")
        (tmp / "config" / "jupyter_server_config.py").write_text(
            server_config(
                extension="jupyter_scheduler",
                port=self.port,
                root=str(self.root),
                token=self.token,
            )
            + f"c.SchedulerApp.db_url = {db_url!r}\n"
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_DATA_DIR": str(tmp / "data"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTER_PATH": str(tmp / "path"),
            "INPUT_DIR": str(tmp),
            "OUTPUT_DIR": str(output_dir),
        }
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_CONFIG_PATH"):
            env.pop(name, None)
        self.log = open(tmp / "jupyter.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(python), "-m", "jupyter_server"],
            env=env,
            cwd=self.root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.client = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"token {self.token}"}, timeout=60
        )

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the scheduler's server exited; see {self.tmp / 'jupyter.log'}")
            try:
                if (await self.client.get("/scheduler/runtime_environments")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        raise SystemExit("jupyter-scheduler's server did not answer in time")

    async def run_job(self, input_uri: str) -> tuple[float, dict[str, Any]]:
        """Create a job and poll it: seconds from the POST to the poll that saw it completed."""
        body = {
            "input_uri": input_uri,
            "runtime_environment_name": "python3",
            "output_formats": ["ipynb"],
            "name": "bench",
        }
        started = time.perf_counter()
        answer = await self.client.post("/scheduler/jobs", json=body)
        answer.raise_for_status()
        job_id = answer.json()["job_id"]
        while True:
            answer = await self.client.get(f"/scheduler/jobs/{job_id}")
            answer.raise_for_status()
            job = answer.json()
            if job["status"] == "COMPLETED":
                return time.perf_counter() - started, job
            # A new job reads STOPPED (the table's default) until its process
            # marks it IN_PROGRESS, so only FAILED ends the wait early.
            if job["status"] == "FAILED" or time.perf_counter() - started > 300:
                why = job.get("status_message")
                raise SystemExit(f"jupyter-scheduler job {job['status']}: {why}")
            await asyncio.sleep(POLL)

    async def stop(self) -> None:
        await self.client.aclose()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# ----------------------------------------------------------------------------- main


async def main(runs: int, venv: Path) -> None:
    python = ensure_scheduler_venv(venv)
    data = build_notebook()
    with tempfile.TemporaryDirectory(prefix="bench-scheduler-") as tmp:
        tmp_path = Path(tmp)
        notebook_file = tmp_path / "bench.ipynb"
        notebook_file.write_bytes(data)
        sched_out = tmp_path / "scheduler-out"
        sched_out.mkdir()
        server = SchedulerServer(python, tmp_path / "scheduler", sched_out)
        (server.root / "bench.ipynb").write_bytes(data)
        local_dir = tmp_path / "local"
        provider = LocalProvider(
            ConnectionConfig(id="local", kind="local", label="This machine", options={}),
            ProviderContext(tokens=lambda: None, data_dir=local_dir),
        )
        cold = LocalProvider(
            ConnectionConfig(
                id="cold", kind="local", label="cold", options={"prestart_minutes": 0}
            ),
            ProviderContext(tokens=lambda: None, data_dir=tmp_path / "local-cold"),
        )
        await provider.start()
        await cold.start()
        try:
            await server.wait_ready()

            async def chunks() -> AsyncIterator[bytes]:
                yield data

            pushed = []
            for each in (provider, cold):
                created = await each.create_notebook(NotebookCreate(name="bench"))
                await each.push(
                    created.id,
                    NotebookUpload(file_name="bench.ipynb", size=len(data), chunks=chunks),
                )
                pushed.append(created.id)
            notebook_id, cold_id = pushed
            # One untimed run of each: imports done, caches warm.
            await time_local(provider, notebook_id)
            await time_local(cold, cold_id)
            await time_nbclient(notebook_file, tmp_path / "nbclient-warm")
            await server.run_job("bench.ipynb")
            local_times: list[float] = []
            cold_times: list[float] = []
            nbclient_times: list[float] = []
            sched_times: list[float] = []
            sched_jobs: list[dict[str, Any]] = []
            for n in range(runs):
                local_times.append(await time_local(provider, notebook_id))
                cold_times.append(await time_local(cold, cold_id))
                work = tmp_path / f"nbclient-{n}"
                nbclient_times.append(await time_nbclient(notebook_file, work))
                (sched_out / "summary.json").unlink(missing_ok=True)
                elapsed, job = await server.run_job("bench.ipynb")
                assert (sched_out / "summary.json").exists()
                sched_times.append(elapsed)
                sched_jobs.append(job)
            await local_breakdown(provider, notebook_id, local_dir)
        finally:
            await provider.aclose()
            await cold.aclose()
            await server.stop()

    def line(name: str, times: list[float]) -> str:
        return (
            f"{name:<11} median {statistics.median(times):6.2f} s   "
            f"min {min(times):6.2f} s   max {max(times):6.2f} s"
        )

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"\n{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{runs} runs each of a {len(CELLS)}-code-cell notebook, alternating; "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min)"
    )
    print(line("local", local_times))
    print(line("local cold", cold_times))
    print(line("nbclient", nbclient_times))
    print(line("scheduler", sched_times))
    # The job's own timestamps (ms): creation -> its process marked it started -> ended.
    to_start = [(j["start_time"] - j["create_time"]) / 1000 for j in sched_jobs]
    to_end = [(j["end_time"] - j["start_time"]) / 1000 for j in sched_jobs]
    print(
        f"  scheduler job, medians: create_time -> start_time {statistics.median(to_start):.2f} s "
        f"(the job's spawned Python starting up and importing), start_time -> end_time "
        f"{statistics.median(to_end):.2f} s (kernel, cells, ipynb written)"
    )
    local = statistics.median(local_times)
    to_sched = local / statistics.median(sched_times)
    to_nbclient = local / statistics.median(nbclient_times)
    print(f"ratio local / jupyter-scheduler (medians): {to_sched:.2f}   (goal: <= 0.25)")
    print(f"ratio local / nbclient in-process (medians): {to_nbclient:.2f}   (goal: <= 1.2)")
    cold_ratio = statistics.median(cold_times) / statistics.median(nbclient_times)
    print(f"ratio local cold / nbclient in-process (medians): {cold_ratio:.2f}   (for the record)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=(
            f"The first run installs jupyter-scheduler {SCHEDULER_VERSION} into its own "
            "venv (--venv) with pip; later runs reuse it."
        ),
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--venv",
        type=Path,
        default=DEFAULT_VENV,
        help=f"jupyter-scheduler's venv, created if missing (default {DEFAULT_VENV})",
    )
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.venv))
