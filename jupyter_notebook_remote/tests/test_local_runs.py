"""Real runs on the ``local`` connection: kernels, child processes, statuses, files."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_notebook_remote.errors import Conflict, NotFound
from jupyter_notebook_remote.models import ExecuteBody, NotebookCreate
from jupyter_notebook_remote.providers.local.lifecycle import runner_command
from jupyter_notebook_remote.providers.local.rundir import RunDir
from jupyter_notebook_remote.providers.local.shared import EXIT_BAD_SPEC

from .local_support import (
    LOOP_FOREVER,
    execution,
    pushed_notebook,
    read_file,
    read_text,
    running,
    upload,
    wait_for,
    wait_for_file,
    wait_gone,
)

FINISHED = {"completed", "errored", "timeout", "canceled"}

WRITES_OUTPUT = [
    "import json, os\n"
    "context = json.load(open(os.path.join(os.environ['INPUT_DIR'], 'context.json')))\n"
    "print('site is', context['site'])",
    "with open(os.path.join(os.environ['OUTPUT_DIR'], 'report.csv'), 'w') as f:\n"
    "    f.write('site,value\\n' + context['site'] + ',42\\n')\n"
    "os.makedirs(os.path.join(os.environ['OUTPUT_DIR'], 'plots'))\n"
    "open(os.path.join(os.environ['OUTPUT_DIR'], 'plots', 'a b.png'), 'wb').write(b'png')\n"
    "open('scratch.txt', 'w').write('working directory file')\n"
    "print(os.getcwd())\n"
    "secrets = ('LOSANT_API_TOKEN', 'JUPYTER_TOKEN')\n"
    "print('secrets visible:', [k for k in secrets if k in os.environ])",
]


async def test_a_run_reads_its_context_writes_outputs_and_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's credentials (a kind's, Jupyter's) never reach the notebook's environment.
    monkeypatch.setenv("LOSANT_API_TOKEN", "server-side-secret")
    monkeypatch.setenv("JUPYTER_TOKEN", "jupyter-server-secret")
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, WRITES_OUTPUT)
        ex = await local.execute(nb, ExecuteBody(template_context={"site": "plant-a"}))
        queued = await execution(local, nb, ex)
        assert queued.status in ("queued", "inProgress")
        assert [(i.name, i.size) for i in queued.inputs] == [
            ("context.json", len('{"site":"plant-a"}'))
        ]

        done = await wait_for(local, nb, ex, FINISHED)

        assert done.status == "completed", done.errors
        assert done.errors == []
        assert done.source.type == "user"
        assert done.queued_at <= done.started_at < done.finished_at  # type: ignore[operator]
        names = [o.name for o in done.outputs]
        assert names == [
            "result.ipynb",
            "result.html",
            "result.log",
            "result.error.log",
            "report.csv",
            "plots__a_b.png",
        ]
        by_name = {o.name: o for o in done.outputs}
        assert by_name["report.csv"].content_type == "text/csv"
        assert by_name["report.csv"].size == len("site,value\nplant-a,42\n")
        assert by_name["result.html"].content_type == "text/html"
        assert by_name["result.error.log"].size == 0
        assert by_name["report.csv"].url == (
            f"/base/notebook-remote/connections/local/notebooks/{nb}/executions/{ex}"
            "/files/report.csv"
        )

        assert await read_file(local, nb, ex, "report.csv") == b"site,value\nplant-a,42\n"
        assert await read_file(local, nb, ex, "plots__a_b.png") == b"png"
        html = await read_file(local, nb, ex, "result.html")
        assert html.lstrip().lower().startswith(b"<!doctype html")
        assert b"site is plant-a" in html
        executed = json.loads(await read_file(local, nb, ex, "result.ipynb"))
        outputs = executed["cells"][1]["outputs"]
        assert "".join(outputs[0]["text"]) == "site is plant-a\n"
        # The kernel ran in the run's own working directory, not in OUTPUT_DIR.
        printed = "".join(executed["cells"][2]["outputs"][0]["text"]).splitlines()
        cwd = printed[0]
        assert printed[1] == "secrets visible: []"
        assert read_text(Path(cwd, "scratch.txt")) == "working directory file"
        assert "scratch.txt" not in names
        log = (await read_file(local, nb, ex, "result.log")).decode()
        assert "run started: analysis.ipynb" in log
        assert "cell 1/2 started" in log
        assert "    site is plant-a" in log
        assert "cell 2/2 done" in log
        assert log.rstrip().endswith("run completed")


async def test_a_failing_cell_ends_errored_with_its_exception(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(
            local,
            ["print('before')", "raise ValueError('sensor 7 has no data')", "print('never')"],
        )
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)

        assert done.status == "errored"
        assert [(e.name, e.message) for e in done.errors] == [
            ("ValueError", "sensor 7 has no data")
        ]
        error_log = (await read_file(local, nb, ex, "result.error.log")).decode()
        assert "ValueError" in error_log
        assert "sensor 7 has no data" in error_log
        assert "\x1b[" not in error_log
        executed = json.loads(await read_file(local, nb, ex, "result.ipynb"))
        assert "".join(executed["cells"][1]["outputs"][0]["text"]) == "before\n"
        assert executed["cells"][2]["outputs"][-1]["ename"] == "ValueError"
        assert executed["cells"][3].get("outputs") == []
        assert "result.html" in [o.name for o in done.outputs]
        assert (
            "cell 2/3 failed: ValueError: sensor 7 has no data"
            in (await read_file(local, nb, ex, "result.log")).decode()
        )


async def test_an_exception_with_a_cause_is_named_by_the_cell_not_none(tmp_path: Path) -> None:
    # IPython.display.Image raises FileNotFoundError from within its own except
    # clause; ipykernel 7 / IPython 9 then reply ename None, evalue None.
    async with running(tmp_path) as local:
        nb = await pushed_notebook(
            local,
            ["from IPython.display import Image", "Image('missing.png')"],
        )
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)

        assert done.status == "errored"
        assert len(done.errors) == 1
        error = done.errors[0]
        assert error.name == "FileNotFoundError"
        assert "missing.png" in error.message
        assert "None" not in (error.name, error.message)
        log = (await read_file(local, nb, ex, "result.log")).decode()
        assert "cell 2/2 failed: FileNotFoundError:" in log
        assert "NoneType" not in log


async def test_a_chained_exception_keeps_the_name_of_the_one_raised(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(
            local,
            [
                "try:\n    {}['sensor']\nexcept KeyError as exc:\n"
                "    raise RuntimeError('sensor table is empty') from exc"
            ],
        )
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert [(e.name, e.message) for e in done.errors] == [
            ("RuntimeError", "sensor table is empty")
        ]


async def test_a_run_in_progress_says_which_cell_runs(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(
            local,
            ["x = 1", "import time\ntime.sleep(4)", "print(x)"],
        )
        before = time.time()
        ex = await local.execute(nb, ExecuteBody())
        deadline = time.monotonic() + 60
        while True:
            run = await execution(local, nb, ex)
            if run.progress is not None and run.progress.cell == 2:
                break
            assert run.status in ("queued", "inProgress"), run
            assert time.monotonic() < deadline, f"no progress seen: {run}"
            await asyncio.sleep(0.05)
        assert run.status == "inProgress"
        assert run.progress.total == 3
        started = datetime.fromisoformat(run.progress.started_at.replace("Z", "+00:00"))
        assert before - 1 <= started.timestamp() <= time.time() + 1
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "completed"
        assert done.progress is None


async def test_cancel_stops_the_kernel_the_runner_and_their_children(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        ex = await local.execute(nb, ExecuteBody())
        pids_file = tmp_path / "runs" / ex / "output" / "pids"
        kernel, runner, grandchild = map(int, (await wait_for_file(pids_file)).split())
        running_now = await execution(local, nb, ex)
        assert running_now.status == "inProgress"
        # While it runs, its progress log can already be read.
        assert [o.name for o in running_now.outputs] == ["result.log"]
        assert b"cell 1/2 started" in await read_file(local, nb, ex, "result.log")

        asked = time.monotonic()
        await local.cancel(nb, ex)
        assert (await execution(local, nb, ex)).status in ("canceling", "canceled")
        done = await wait_for(local, nb, ex, FINISHED, timeout=10)
        assert done.status == "canceled"
        assert done.errors == []
        await wait_gone([kernel, runner, grandchild], timeout=5)
        assert time.monotonic() - asked < 8
        with pytest.raises(Conflict) as err:
            await local.cancel(nb, ex)
        assert err.value.reason == "already_finished"
        assert "canceled" in err.value.message


async def test_a_run_over_its_minutes_ends_as_timeout(tmp_path: Path) -> None:
    async with running(tmp_path, max_run_minutes=0.05) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED, timeout=30)

        assert done.status == "timeout"
        assert done.errors[0].name == "Timeout"
        assert "0.05 minutes" in done.errors[0].message
        started = datetime.fromisoformat(done.started_at.replace("Z", "+00:00"))  # type: ignore[union-attr]
        finished = datetime.fromisoformat(done.finished_at.replace("Z", "+00:00"))  # type: ignore[union-attr]
        assert 3.0 <= (finished - started).total_seconds() < 3.0 + 6
        # On a busy machine the kernel may not even have started within 3 s;
        # when it did, it is gone with everything it started.
        pids = read_text(tmp_path / "runs" / ex / "output" / "pids")
        if pids:
            await wait_gone([int(pid) for pid in pids.split()], timeout=5)


async def test_at_most_max_parallel_runs_at_once_the_rest_wait(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=2) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        first, second, third = [await local.execute(nb, ExecuteBody()) for _ in range(3)]
        for ex in (first, second):
            await wait_for_file(tmp_path / "runs" / ex / "output" / "pids")
        for _ in range(10):  # a second of watching: the third never starts
            assert (await execution(local, nb, third)).status == "queued"
            await asyncio.sleep(0.1)
        statuses = {e.id: e.status for e in await local.list_executions(nb)}
        assert statuses == {first: "inProgress", second: "inProgress", third: "queued"}
        # Newest first.
        assert [e.id for e in await local.list_executions(nb)] == [third, second, first]

        await local.cancel(nb, first)
        await wait_for_file(tmp_path / "runs" / third / "output" / "pids")
        assert (await execution(local, nb, third)).status == "inProgress"
        for ex in (second, third):
            await local.cancel(nb, ex)
        for ex in (first, second, third):
            assert (await wait_for(local, nb, ex, FINISHED, timeout=10)).status == "canceled"


async def test_a_queued_run_is_canceled_at_once(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        busy = await local.execute(nb, ExecuteBody())
        waiting = await local.execute(nb, ExecuteBody())
        assert (await execution(local, nb, waiting)).status == "queued"
        await local.cancel(nb, waiting)
        canceled = await execution(local, nb, waiting)
        assert canceled.status == "canceled"
        assert canceled.started_at is None
        assert canceled.finished_at is not None
        await local.cancel(nb, busy)
        await wait_for(local, nb, busy, FINISHED, timeout=10)
        assert not (tmp_path / "runs" / waiting / "result" / "result.log").exists()


async def test_a_missing_kernel_ends_errored_saying_which(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, ["print(1)"], kernel="no-such-kernel")
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "errored"
        assert done.errors[0].name == "NoSuchKernel"
        assert "'no-such-kernel'" in done.errors[0].message
        assert "python3" in done.errors[0].message  # what is installed instead
        assert "NoSuchKernel" in (await read_file(local, nb, ex, "result.error.log")).decode()


async def test_a_file_that_is_not_a_notebook_ends_errored_saying_so(tmp_path: Path) -> None:
    # The push route refuses such a file; a provider called directly keeps it,
    # and the run says what is wrong instead of failing somewhere inside.
    async with running(tmp_path) as local:
        nb = (await local.create_notebook(NotebookCreate(name="n"))).id
        await local.push(nb, upload(b"{not json", "broken.ipynb"))
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "errored"
        assert done.errors[0].name == "InvalidNotebook"
        assert "push it again" in done.errors[0].message
        assert [o.name for o in done.outputs] == ["result.log", "result.error.log"]
        assert "InvalidNotebook" in (await read_file(local, nb, ex, "result.error.log")).decode()


async def test_huge_outputs_stop_the_run_and_the_others_go_on(tmp_path: Path) -> None:
    async with running(tmp_path, max_output_mb=1, max_parallel=3) as local:
        writes = await pushed_notebook(
            local,
            [
                "import os, time\n"
                "with open(os.path.join(os.environ['OUTPUT_DIR'], 'big.bin'), 'wb') as f:\n"
                "    f.write(b'x' * 3_000_000)\n"
                "while True:\n    time.sleep(0.05)"
            ],
        )
        prints = await pushed_notebook(local, ["while True:\n    print('y' * 100_000)"])
        fine = await pushed_notebook(local, ["print('small')"])
        big_file = await local.execute(writes, ExecuteBody())
        big_print = await local.execute(prints, ExecuteBody())
        small = await local.execute(fine, ExecuteBody())

        for nb, ex in ((writes, big_file), (prints, big_print)):
            done = await wait_for(local, nb, ex, FINISHED, timeout=30)
            assert done.status == "errored"
            assert done.errors[0].name == "OutputTooLarge"
            assert "1 MiB" in done.errors[0].message
        assert (await wait_for(local, fine, small, FINISHED)).status == "completed"
        executed = json.loads(await read_file(local, prints, big_print, "result.ipynb"))
        kept = sum(len("".join(o.get("text", ""))) for o in executed["cells"][1]["outputs"])
        assert 0 < kept <= 1024 * 1024


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full for ENOSPC")
async def test_a_full_disk_ends_that_run_errored_and_the_server_goes_on(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        nb = await pushed_notebook(local, ["print('ok')"])
        blocker = await pushed_notebook(local, LOOP_FOREVER)
        busy = await local.execute(blocker, ExecuteBody())
        full = await local.execute(nb, ExecuteBody())
        # While it waits, make every result file it writes land on a full device.
        result_dir = tmp_path / "runs" / full / "result"
        for name in ("result.ipynb", "result.html"):
            (result_dir / f".{name}.tmp").symlink_to("/dev/full")
        (tmp_path / "runs" / full / ".status.json.tmp").symlink_to("/dev/full")
        await local.cancel(blocker, busy)

        done = await wait_for(local, nb, full, FINISHED)
        assert done.status == "errored"
        assert done.errors[0].name == "DiskFull"
        assert "No space left" in done.errors[0].message
        after = await local.execute(nb, ExecuteBody())
        assert (await wait_for(local, nb, after, FINISHED)).status == "completed"


async def test_usage_counts_real_minutes_per_day(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=2) as local:
        nb = await pushed_notebook(local, ["import time; time.sleep(0.5)"])
        failing = await pushed_notebook(local, ["1 / 0"])
        ok = await local.execute(nb, ExecuteBody())
        bad = await local.execute(failing, ExecuteBody())
        waiting = await local.execute(nb, ExecuteBody())
        await local.cancel(nb, waiting)
        ok_run = await wait_for(local, nb, ok, FINISHED)
        bad_run = await wait_for(local, failing, bad, FINISHED)
        assert bad_run.status == "errored"
        assert bad_run.errors[0].name == "ZeroDivisionError"

        now = datetime.now(timezone.utc)
        usage = await local.usage(nb, start=now - timedelta(days=2), end=now)
        assert [d.date for d in usage.days] == [
            (now - timedelta(days=n)).date().isoformat() for n in (2, 1, 0)
        ]
        today = usage.days[-1]
        assert (today.completed, today.canceled, today.errored, today.timeout) == (1, 1, 0, 0)
        assert (usage.days[0].minutes, usage.days[0].completed) == (0, 0)

        def minutes(run: object) -> float:
            start = datetime.fromisoformat(run.started_at.replace("Z", "+00:00"))  # type: ignore[attr-defined]
            end = datetime.fromisoformat(run.finished_at.replace("Z", "+00:00"))  # type: ignore[attr-defined]
            return (end - start).total_seconds() / 60

        assert today.minutes == pytest.approx(minutes(ok_run), abs=0.011)
        assert today.minutes > 0.5 / 60
        assert usage.total_minutes == today.minutes
        other = await local.usage(failing, start=now - timedelta(hours=1), end=now)
        assert other.days[-1].errored == 1
        notebook = await local.get_notebook(nb)
        assert notebook.stats is not None
        assert notebook.stats.runs_this_period == 2


async def test_outputs_are_served_only_by_their_listed_names(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(
            local,
            [
                "import os\n"
                "out = os.environ['OUTPUT_DIR']\n"
                "open(os.path.join(out, 'data.txt'), 'w').write('d' * 200_000)\n"
                "os.symlink('/etc/hostname', os.path.join(out, 'link.txt'))"
            ],
        )
        ex = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "completed"
        assert "link.txt" not in [o.name for o in done.outputs]
        assert (
            "link.txt: not a regular file"
            in (await read_file(local, nb, ex, "result.log")).decode()
        )

        file = await local.execution_file(nb, ex, "data.txt")
        assert (file.size, file.content_type) == (200_000, "text/plain")
        chunks = [chunk async for chunk in file.chunks()]
        assert len(chunks) > 1  # streamed, not read whole
        assert b"".join(chunks) == b"d" * 200_000

        for name in ("link.txt", "../notebook.ipynb", "../../local.sqlite3", "run.json", ""):
            with pytest.raises(NotFound) as err:
                await local.execution_file(nb, ex, name)
            assert err.value.reason == "file_not_found"
        with pytest.raises(NotFound) as err:
            await local.execution_file(nb, "0" * 24, "result.html")
        assert err.value.reason == "execution_not_found"


async def test_a_runner_that_cannot_start_ends_errored_saying_why(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, ["print(1)"])
        ex = await local.execute(nb, ExecuteBody())
        # Before the run gets going (no await in between), lose its run.json.
        (tmp_path / "runs" / ex / "run.json").unlink()
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "errored"
        assert done.errors[0].name == "RunnerFailed"
        assert "exit code 4" in done.errors[0].message
        assert "run.json" in done.errors[0].message
        after = await local.execute(nb, ExecuteBody())
        assert (await wait_for(local, nb, after, FINISHED)).status == "completed"


def test_the_runner_starts_without_the_servers_modules(tmp_path: Path) -> None:
    # Each run pays for what its child process imports before it gets going:
    # the server's modules (and pydantic, httpx, tornado) would make every run slower.
    run_dir = RunDir(tmp_path / "run")  # no run.json: the runner stops after its imports
    run_dir.root.mkdir()
    result = subprocess.run(
        runner_command(run_dir),
        cwd=run_dir.root,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_BAD_SPEC, result.stderr
    assert "cannot start the run" in result.stderr
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "asyncio" in imported  # the runner's own imports are listed
    heavy = {"jupyter_notebook_remote", "pydantic", "httpx", "tornado"}
    assert {name for name in imported if name.split(".")[0] in heavy} == set()


@pytest.mark.parametrize(
    ("cell", "ename", "evalue", "traceback", "expected"),
    [
        # The cell's error output first (what Jupyter shows under the cell).
        (
            {"outputs": [{"output_type": "error", "ename": "OSError", "evalue": "disk"}]},
            None,
            None,
            "",
            ("OSError", "disk"),
        ),
        # Then the reply, unless it says None.
        ({"outputs": []}, "KeyError", "'k'", "", ("KeyError", "'k'")),
        ({"outputs": []}, "ValueError", "None", "", ("ValueError", "")),
        # Then the traceback's last "Name: message" line, colours stripped.
        (
            None,
            "NoneType",
            "None",
            "Traceback ...\n  File 'x', line 1\n\x1b[31mFileNotFoundError\x1b[0m: no 'a.png'",
            ("FileNotFoundError", "no 'a.png'"),
        ),
        (None, None, None, "", ("Error", "")),
    ],
)
def test_a_cells_error_is_named_from_what_says_it_best(
    cell: Any, ename: Any, evalue: Any, traceback: str, expected: tuple[str, str]
) -> None:
    from jupyter_notebook_remote.providers.local.runner import cell_error

    assert cell_error(cell, ename, evalue, traceback) == expected
