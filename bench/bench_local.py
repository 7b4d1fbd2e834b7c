"""How long a small notebook takes on the ``local`` connection, against nbconvert.

Builds a small notebook (a few cells: imports, a computation, a print, a file
written to OUTPUT_DIR), then times, alternately, N runs of

* ``local``: ``LocalProvider.execute`` until the run is listed ``completed``
  (a queued run, a child process, a kernel, result.ipynb + result.html +
  logs, the history written to SQLite), polled every 20 ms like a fast UI;
* ``nbconvert``: ``jupyter nbconvert --to notebook --execute`` of the same
  file, as a fresh process, with INPUT_DIR / OUTPUT_DIR set the same way;
* ``nbclient``: for scale, the floor: a fresh Python that reads the file,
  runs it with nbclient and writes it back, nothing else (with the same
  import shortcut as the local runner, see providers/local/runner.py).

Prints each median (and min / max) and the ratios local / nbconvert (the
number asked for) and local / nbclient (what the queue, the store, the
process handling and result.html cost on top of executing).

    python bench/bench_local.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_notebook_remote.models import ExecuteBody, NotebookCreate  # noqa: E402
from jupyter_notebook_remote.providers.base import (  # noqa: E402
    ConnectionConfig,
    NotebookUpload,
    ProviderContext,
)
from jupyter_notebook_remote.providers.local import LocalProvider  # noqa: E402

CELLS = [
    "import json, math, os, statistics",
    "values = [math.sin(i / 10) for i in range(10_000)]\nsummary = statistics.fmean(values)",
    "print(f'mean {summary:.4f} over {len(values)} values')",
    "with open(os.path.join(os.environ['OUTPUT_DIR'], 'summary.json'), 'w') as f:\n"
    "    json.dump({'mean': summary}, f)",
]


def build_notebook() -> bytes:
    nb = new_notebook(cells=[new_markdown_cell("# bench")] + [new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nbformat.writes(nb).encode("utf-8")


async def time_local(provider: LocalProvider, notebook_id: str) -> float:
    started = time.perf_counter()
    execution_id = await provider.execute(notebook_id, ExecuteBody())
    while True:
        [run] = await provider.list_executions(notebook_id, limit=1)
        assert run.id == execution_id
        if run.status == "completed":
            return time.perf_counter() - started
        if run.status in ("errored", "timeout", "canceled"):
            raise SystemExit(f"local run ended {run.status}: {run.errors}")
        await asyncio.sleep(0.02)


NBCLIENT_FLOOR = """
import sys
sys.modules["rfc3987_syntax"] = None
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, shutdown_kernel="immediate").execute()
nbformat.write(nb, sys.argv[2])
"""


def nbconvert_command(path: Path, work: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--output-dir",
        str(work),
        "--output",
        "executed",
        str(path),
    ]


def nbclient_command(path: Path, work: Path) -> list[str]:
    return [sys.executable, "-c", NBCLIENT_FLOOR, str(path), str(work / "executed.ipynb")]


def time_process(command: list[str], work: Path) -> float:
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INPUT_DIR": str(work), "OUTPUT_DIR": str(out)}
    started = time.perf_counter()
    subprocess.run(
        command,
        check=True,
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    assert (out / "summary.json").exists()
    return elapsed


async def main(runs: int) -> None:
    data = build_notebook()
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        tmp_path = Path(tmp)
        notebook_file = tmp_path / "bench.ipynb"
        notebook_file.write_bytes(data)
        provider = LocalProvider(
            ConnectionConfig(id="local", kind="local", label="This machine", options={}),
            ProviderContext(tokens=lambda: None, data_dir=tmp_path / "local"),
        )
        await provider.start()
        try:

            async def chunks() -> AsyncIterator[bytes]:
                yield data

            created = await provider.create_notebook(NotebookCreate(name="bench"))
            await provider.push(
                created.id, NotebookUpload(file_name="bench.ipynb", size=len(data), chunks=chunks)
            )
            # One untimed run of each, so all start with warm file caches.
            await time_local(provider, created.id)
            for make in (nbconvert_command, nbclient_command):
                warm = tmp_path / f"warm-{make.__name__}"
                await asyncio.to_thread(time_process, make(notebook_file, warm), warm)
            local_times: list[float] = []
            nbconvert_times: list[float] = []
            nbclient_times: list[float] = []
            for n in range(runs):
                local_times.append(await time_local(provider, created.id))
                work = tmp_path / f"nbconvert-{n}"
                command = nbconvert_command(notebook_file, work)
                nbconvert_times.append(await asyncio.to_thread(time_process, command, work))
                work = tmp_path / f"nbclient-{n}"
                command = nbclient_command(notebook_file, work)
                nbclient_times.append(await asyncio.to_thread(time_process, command, work))
        finally:
            await provider.aclose()

    def line(name: str, times: list[float]) -> str:
        return (
            f"{name:<10} median {statistics.median(times):6.2f} s   "
            f"min {min(times):6.2f} s   max {max(times):6.2f} s"
        )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{runs} runs each of a {len(CELLS)}-code-cell notebook; load average {load:.2f}")
    print(line("local", local_times))
    print(line("nbconvert", nbconvert_times))
    print(line("nbclient", nbclient_times))
    local = statistics.median(local_times)
    to_nbconvert = local / statistics.median(nbconvert_times)
    to_nbclient = local / statistics.median(nbclient_times)
    print(f"ratio local / nbconvert (medians): {to_nbconvert:.2f}")
    print(f"ratio local / nbclient floor (medians): {to_nbclient:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
