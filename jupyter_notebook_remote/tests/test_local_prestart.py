"""The ``local`` connection's head start: a kernel started before the run (``warm.py``).

Real runs: the run after a push goes on the kernel that was started for it,
and that kernel is the one a cold run would have had (the run's working
directory, with the files carried beside the notebook, the run's INPUT_DIR
and OUTPUT_DIR, nothing executed before the first cell). A kernel that does
not fit the run (another kernel name, dead) is stopped and the run starts
its own; a spare nobody takes leaves, and takes its kernel with it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from jupyter_notebook_remote.models import ExecuteBody
from jupyter_notebook_remote.providers.base import FolderFile, FolderSnapshot, NotebookUpload
from jupyter_notebook_remote.providers.local import LocalProvider
from jupyter_notebook_remote.providers.local.warm import SPARE_FILE
from jupyter_notebook_remote.tests.local_support import (
    notebook_bytes,
    pushed_notebook,
    running,
    upload,
    wait_for,
)

FINISHED = {"completed", "errored", "timeout", "canceled"}

#: What the kernel says about itself, written to OUTPUT_DIR/kernel.json.
SELF_REPORT = [
    "import json, os\n"
    "report = {'pid': os.getpid(), 'cwd': os.getcwd(), 'input': os.environ['INPUT_DIR'],\n"
    "          'output': os.environ['OUTPUT_DIR'], 'count': get_ipython().execution_count,\n"
    "          'data': open('data.csv').read()}\n"
    "with open(os.path.join(os.environ['OUTPUT_DIR'], 'kernel.json'), 'w') as f:\n"
    "    json.dump(report, f)",
]


def spare_dirs(data_dir: Path) -> list[Path]:
    runs = data_dir / "runs"
    return sorted(p for p in runs.iterdir() if (p / SPARE_FILE).exists()) if runs.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


async def spare_kernel_pid(local: LocalProvider, data_dir: Path) -> int:
    assert await local._runs.spares.ready(60), "no kernel was started ahead of the run"
    [spare] = spare_dirs(data_dir)
    return int((spare / "kernel.pid").read_text())


async def until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def with_folder(data: bytes, folder: Path) -> NotebookUpload:
    files = tuple(
        FolderFile(relative=p.name, os_path=str(p), size=p.stat().st_size)
        for p in sorted(folder.iterdir())
    )
    plain = upload(data)
    return NotebookUpload(
        file_name=plain.file_name,
        size=plain.size,
        chunks=plain.chunks,
        folder=FolderSnapshot(files=files, subfolders=False),
    )


async def test_the_run_after_a_push_goes_on_the_kernel_started_for_it(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "data.csv").write_text("a,b\n1,2\n")
    data_dir = tmp_path / "data"
    async with running(data_dir) as local:
        created = await pushed_notebook(local, ["1"])
        await local.push(created, with_folder(notebook_bytes(SELF_REPORT), folder))
        ahead = await spare_kernel_pid(local, data_dir)

        ex = await local.execute(created, ExecuteBody())
        done = await wait_for(local, created, ex, FINISHED)
        assert done.status == "completed", done.errors
        run = data_dir / "runs" / ex
        report = json.loads((run / "output" / "kernel.json").read_text())
        # The kernel started ahead is the run's, and it is what a cold run would have had.
        assert report["pid"] == ahead
        assert Path(report["cwd"]) == (run / "work").resolve()
        assert Path(report["input"]) == (run / "input").resolve()
        assert Path(report["output"]) == (run / "output").resolve()
        assert report["data"] == "a,b\n1,2\n"  # carried in after the kernel started
        assert (
            "kernel python3 (started before the run)" in (run / "result" / "result.log").read_text()
        )
        executed = nbformat.read(run / "result" / "result.ipynb", as_version=4)
        assert executed.cells[1].execution_count == 1  # nothing ran on it before
        assert not (run / SPARE_FILE).exists()  # a run's directory now
        # That kernel is gone with its run; the next run gets a kernel of its own.
        await until(lambda: not alive(ahead))
        assert await spare_kernel_pid(local, data_dir) != ahead


async def test_a_notebook_on_another_kernel_starts_its_own_and_the_next_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernels = tmp_path / "jupyter" / "kernels" / "python3-copy"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (copy)",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    data_dir = tmp_path / "data"
    async with running(data_dir) as local:
        nb = await pushed_notebook(local, ["print('copy')"], kernel="python3-copy")
        ahead = await spare_kernel_pid(local, data_dir)  # python3: nothing ran yet

        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "completed", done.errors
        log = (data_dir / "runs" / ex / "result" / "result.log").read_text()
        assert "the notebook's kernel is python3-copy, the pre-started one python3" in log
        assert "kernel python3-copy; 1 code cells" in log
        assert not alive(ahead)  # the kernel that did not fit was stopped, not left over
        # The next spare is for the kernel this notebook runs on.
        await spare_kernel_pid(local, data_dir)
        [spare] = spare_dirs(data_dir)
        assert local._runs.spares.kernel_name == "python3-copy"
        again = await local.execute(nb, ExecuteBody())
        assert (await wait_for(local, nb, again, FINISHED)).status == "completed"
        log = (data_dir / "runs" / again / "result" / "result.log").read_text()
        assert "kernel python3-copy (started before the run)" in log
        assert again == spare.name


async def test_a_spare_whose_kernel_died_still_runs_the_notebook(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, ["print('still here')"])
        ahead = await spare_kernel_pid(local, tmp_path)
        os.kill(ahead, 9)
        await until(lambda: not alive(ahead))
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "completed", done.errors
        log = (tmp_path / "runs" / ex / "result" / "result.log").read_text()
        assert "the pre-started kernel is no longer running: starting a kernel" in log
        assert "still here" in log


async def test_an_unused_spare_leaves_in_time_with_its_kernel(tmp_path: Path) -> None:
    async with running(tmp_path, prestart_minutes=0.1) as local:  # 6 s
        await pushed_notebook(local, ["1"])
        ahead = await spare_kernel_pid(local, tmp_path)
        await until(lambda: not spare_dirs(tmp_path) and not alive(ahead))


async def test_prestart_off_every_run_starts_its_own_kernel(tmp_path: Path) -> None:
    async with running(tmp_path, prestart_minutes=0) as local:
        nb = await pushed_notebook(local, ["print(2)"])
        assert not await local._runs.spares.ready(1.0)
        ex = await local.execute(nb, ExecuteBody())
        assert (await wait_for(local, nb, ex, FINISHED)).status == "completed"
        log = (tmp_path / "runs" / ex / "result" / "result.log").read_text()
        assert "kernel python3; 1 code cells" in log
        assert spare_dirs(tmp_path) == []


async def test_shutdown_takes_the_spare_and_its_kernel(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        await pushed_notebook(local, ["1"])
        ahead = await spare_kernel_pid(local, tmp_path)
    assert spare_dirs(tmp_path) == []
    await until(lambda: not alive(ahead), timeout=10)


async def test_the_spares_of_a_server_that_is_gone_are_removed_at_start(tmp_path: Path) -> None:
    left = tmp_path / "runs" / "0123456789abcdef01234567"
    (left / "work").mkdir(parents=True)
    (left / SPARE_FILE).write_text("dead-server")
    kept = tmp_path / "runs" / "76543210fedcba9876543210"  # a run's directory: not touched
    (kept / "work").mkdir(parents=True)
    async with running(tmp_path, prestart_minutes=0):
        assert not left.exists()
        assert kept.exists()


async def test_a_run_queued_behind_others_does_not_take_the_spare(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        nb = await pushed_notebook(local, ["import time; time.sleep(1.5)"])
        await spare_kernel_pid(local, tmp_path)
        first = await local.execute(nb, ExecuteBody())
        second = await local.execute(nb, ExecuteBody())  # waits for the one slot
        for ex in (first, second):
            assert (await wait_for(local, nb, ex, FINISHED)).status == "completed"
        logs = [
            (tmp_path / "runs" / ex / "result" / "result.log").read_text() for ex in (first, second)
        ]
        assert "(started before the run)" in logs[0]
        assert "(started before the run)" not in logs[1]
