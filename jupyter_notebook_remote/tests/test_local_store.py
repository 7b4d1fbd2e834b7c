"""The ``local`` connection's notebooks, pushes, history and restarts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import jupyter_notebook_remote
from jupyter_notebook_remote.errors import (
    Conflict,
    InvalidInput,
    LocalRunError,
    NotFound,
    Unsupported,
)
from jupyter_notebook_remote.models import (
    ExecuteBody,
    InputExportBody,
    NotebookCreate,
    NotebookPatch,
)
from jupyter_notebook_remote.providers.base import NotebookUpload
from jupyter_notebook_remote.providers.local import LocalProvider
from jupyter_notebook_remote.providers.local.outcome import RESTART_MESSAGE
from jupyter_notebook_remote.providers.local.store import MIGRATIONS, SCHEMA_VERSION

from .local_support import (
    LOOP_FOREVER,
    execution,
    make_provider,
    notebook_bytes,
    pushed_notebook,
    read_text,
    running,
    upload,
    wait_for,
    wait_for_file,
    wait_gone,
)

FINISHED = {"completed", "errored", "timeout", "canceled"}


def test_the_local_kind_describes_itself() -> None:
    info = make_provider(Path("/nonexistent")).info()
    assert info.kind == "local"
    assert info.auth_configured is True
    assert info.capabilities == sorted(
        [
            "list",
            "create",
            "rename",
            "delete",
            "push",
            "execute",
            "cancel",
            "logs",
            "usage",
            "schedule",
            "pull",
        ]
    )
    assert set(info.unsupported) == {"inputExport", "open"}
    assert all(len(why) > 20 for why in info.unsupported.values())


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_parallel": 0}, "options.max_parallel"),
        ({"max_parallel": 1.5}, "options.max_parallel"),
        ({"max_run_minutes": -1}, "options.max_run_minutes"),
        ({"max_output_mb": "lots"}, "options.max_output_mb"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        make_provider(Path("/nonexistent"), **options)
    assert field in err.value.fields


async def test_notebooks_are_created_listed_renamed_and_deleted(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        a = await local.create_notebook(NotebookCreate(name="Daily report", description="d"))
        b = await local.create_notebook(NotebookCreate(name="anomaly_scan"))
        assert len(a.id) == 24
        assert int(a.id, 16) >= 0
        assert a.file_name is None
        assert a.image_version is None
        assert a.created_at is not None
        assert a.created_at.endswith("Z")

        page = await local.list_notebooks()
        assert [n.name for n in page.items] == ["anomaly_scan", "Daily report"]
        assert (page.count, page.total_count, page.page, page.per_page) == (2, 2, 0, 100)
        assert [n.id for n in (await local.list_notebooks(filter="report")).items] == [a.id]
        assert [n.id for n in (await local.list_notebooks(filter="anomaly*")).items] == [b.id]
        assert (await local.list_notebooks(filter="_")).total_count == 1  # not a wildcard
        second = await local.list_notebooks(page=1, per_page=1)
        assert ([n.id for n in second.items], second.total_count) == ([a.id], 2)

        renamed = await local.update_notebook(a.id, NotebookPatch(name="Weekly report"))
        assert (renamed.name, renamed.description) == ("Weekly report", "d")
        assert (await local.get_notebook(a.id)).name == "Weekly report"

        await local.delete_notebook(b.id)
        with pytest.raises(NotFound) as err:
            await local.get_notebook(b.id)
        assert err.value.reason == "notebook_not_found"
        with pytest.raises(Unsupported):
            await local.input_export(a.id, InputExportBody())


async def test_push_keeps_a_copy_and_a_failed_push_leaves_the_last_one(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = (await local.create_notebook(NotebookCreate(name="n"))).id
        with pytest.raises(Conflict) as err:
            await local.execute(nb, ExecuteBody())
        assert err.value.reason == "not_pushed"
        assert "push" in err.value.message

        good = notebook_bytes(["print('v1')"])
        pushed = await local.push(nb, upload(good, "report.ipynb"))
        assert pushed.file_name == "report.ipynb"
        stored = tmp_path / "notebooks" / nb / "notebook.ipynb"
        assert await asyncio.to_thread(stored.read_bytes) == good

        # The file changes on disk while it is read (the upload says so part-way).
        async def changing() -> AsyncIterator[bytes]:
            yield b'{"cells": ['
            raise Conflict("changed while it was being pushed", reason="file_changed")

        changed = NotebookUpload(file_name="changed.ipynb", size=len(good), chunks=changing)
        with pytest.raises(Conflict) as err:
            await local.push(nb, changed)
        assert err.value.reason == "file_changed"
        # The last good copy is untouched and no temporary file is left behind.
        assert await asyncio.to_thread(stored.read_bytes) == good
        assert sorted(p.name for p in stored.parent.iterdir()) == ["notebook.ipynb"]
        assert (await local.get_notebook(nb)).file_name == "report.ipynb"

        big = notebook_bytes([f"print(1)  # {'x' * (9 * 1024 * 1024)}"])
        await local.push(nb, upload(big, "big.ipynb", chunk=1024 * 1024))
        assert (await local.get_notebook(nb)).file_name == "big.ipynb"
        assert await asyncio.to_thread(stored.read_bytes) == big


async def test_a_run_uses_the_pushed_copy_not_a_later_push(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        blocker = await pushed_notebook(local, LOOP_FOREVER)
        busy = await local.execute(blocker, ExecuteBody())
        nb = await pushed_notebook(local, ["print('first version')"])
        queued = await local.execute(nb, ExecuteBody())
        await local.push(nb, upload(notebook_bytes(["print('second version')"])))
        await local.cancel(blocker, busy)
        done = await wait_for(local, nb, queued, FINISHED)
        assert done.status == "completed"
        log = read_text(tmp_path / "runs" / queued / "result" / "result.log")
        assert "first version" in log
        assert "second version" not in log


async def test_delete_waits_for_runs_and_then_removes_their_files(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        ex = await local.execute(nb, ExecuteBody())
        with pytest.raises(Conflict) as err:
            await local.delete_notebook(nb)
        assert err.value.reason == "run_active"
        await local.cancel(nb, ex)
        await wait_for(local, nb, ex, FINISHED, timeout=15)
        await local.delete_notebook(nb)
        assert not (tmp_path / "runs" / ex).exists()
        assert not (tmp_path / "notebooks" / nb).exists()
        with pytest.raises(NotFound):
            await local.list_executions(nb)


async def test_history_is_filtered_by_time_and_limited(tmp_path: Path) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        nb = await pushed_notebook(local, LOOP_FOREVER)
        first = await local.execute(nb, ExecuteBody())
        await asyncio.sleep(0.05)
        middle = datetime.now(timezone.utc)
        await asyncio.sleep(0.05)
        second = await local.execute(nb, ExecuteBody())
        third = await local.execute(nb, ExecuteBody())
        assert [e.id for e in await local.list_executions(nb, limit=2)] == [third, second]
        assert [e.id for e in await local.list_executions(nb, since=middle)] == [third, second]
        for ex in (third, second, first):
            await local.cancel(nb, ex)
        await wait_for(local, nb, first, FINISHED, timeout=15)


async def test_a_notebook_answers_its_run_count_and_when_its_newest_run_started(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, max_parallel=1) as local:
        nb = await pushed_notebook(local, ["1 + 1"])
        other = await local.create_notebook(NotebookCreate(name="never run"))
        fresh = await local.get_notebook(nb)
        assert (fresh.last_run_at, fresh.run_count) == (None, 0)
        first = await local.execute(nb, ExecuteBody())
        await wait_for(local, nb, first, FINISHED)
        second = await local.execute(nb, ExecuteBody())
        done = await wait_for(local, nb, second, FINISHED)
        got = await local.get_notebook(nb)
        assert (got.last_run_at, got.run_count) == (done.started_at, 2)
        assert got.last_run_at is not None
        page = await local.list_notebooks()
        by_id = {n.id: (n.last_run_at, n.run_count) for n in page.items}
        assert by_id == {nb: (done.started_at, 2), other.id: (None, 0)}


async def test_stopping_the_server_ends_its_runs_and_their_processes(tmp_path: Path) -> None:
    local = make_provider(tmp_path, max_parallel=1)
    await local.start()
    nb = await pushed_notebook(local, LOOP_FOREVER)
    ex = await local.execute(nb, ExecuteBody())
    queued = await local.execute(nb, ExecuteBody())
    queued_too = await local.execute(nb, ExecuteBody())
    pids = await wait_for_file(tmp_path / "runs" / ex / "output" / "pids")
    await local.aclose()
    await wait_gone([int(p) for p in pids.split()], timeout=5)
    with pytest.raises(LocalRunError):
        await local.execute(nb, ExecuteBody())

    async with running(tmp_path) as again:
        runs = {e.id: e for e in await again.list_executions(nb)}
        assert runs[ex].status == "errored"
        assert runs[ex].errors[0].name == "ServerRestart"
        for waiting in (queued, queued_too):
            assert runs[waiting].status == "errored"
            assert "before this run started" in runs[waiting].errors[0].message


RESTART_SCRIPT = """
import asyncio, sys
from pathlib import Path
from jupyter_notebook_remote.models import ExecuteBody
from jupyter_notebook_remote.tests.local_support import LOOP_FOREVER, make_provider, pushed_notebook

async def main():
    local = make_provider(Path(sys.argv[1]))
    await local.start()
    nb = await pushed_notebook(local, LOOP_FOREVER)
    ex = await local.execute(nb, ExecuteBody())
    print(nb, ex, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_runs_in_flight_when_the_server_dies_are_errored_after_restart(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as before:
        quick = await pushed_notebook(before, ["print('done')"])
        finished = await before.execute(quick, ExecuteBody())
        assert (await wait_for(before, quick, finished, FINISHED)).status == "completed"

    # A server process that dies abruptly (SIGKILL) in the middle of a run.
    root = str(Path(jupyter_notebook_remote.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RESTART_SCRIPT,
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert server.stdout is not None
    try:
        line = await asyncio.wait_for(server.stdout.readline(), 60)
        nb, ex = line.decode().split()
        pids_text = await wait_for_file(tmp_path / "runs" / ex / "output" / "pids")
        pids = [int(p) for p in pids_text.split()]
        # Freeze the runner, so that it cannot see its server go and leave by
        # itself: the next server has to recognise it as this run's and stop it.
        runner = pids[1]
        os.kill(runner, signal.SIGSTOP)
    finally:
        server.send_signal(signal.SIGKILL)
        await server.wait()

    try:
        async with running(tmp_path) as after:
            [lost] = await after.list_executions(nb)
            assert lost.id == ex
            assert lost.status == "errored"
            assert [(e.name, e.message) for e in lost.errors] == [
                ("ServerRestart", RESTART_MESSAGE)
            ]
            assert lost.finished_at is not None
            assert lost.started_at is not None
            assert lost.finished_at >= lost.started_at
            assert "result.log" in [o.name for o in lost.outputs]
            await wait_gone(pids, timeout=5)
            # What ended before is still there, unchanged.
            kept = await execution(after, quick, finished)
            assert kept.status == "completed"
            assert "result.html" in [o.name for o in kept.outputs]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(runner, signal.SIGKILL)


async def test_two_servers_on_one_store_leave_each_others_runs_alone(tmp_path: Path) -> None:
    async with running(tmp_path) as first:
        nb = await pushed_notebook(first, LOOP_FOREVER)
        ex = await first.execute(nb, ExecuteBody())
        pids = await wait_for_file(tmp_path / "runs" / ex / "output" / "pids")
        async with running(tmp_path) as second:
            # Starting the second server did not take the first one's run for lost.
            assert (await execution(second, nb, ex)).status == "inProgress"
            # A cancel through the second reaches the server that runs it.
            await second.cancel(nb, ex)
            done = await wait_for(second, nb, ex, FINISHED, timeout=15)
            assert done.status == "canceled"
            await wait_gone([int(p) for p in pids.split()], timeout=5)
        assert (await execution(first, nb, ex)).status == "canceled"


async def test_an_older_store_is_migrated_and_its_runs_recovered(tmp_path: Path) -> None:
    db = tmp_path / "local.sqlite3"
    nb, ex = "6b0000000000000000000001", "6b0000000000000000000002"
    with sqlite3.connect(db) as conn:  # a store as version 1 of the schema wrote it
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute(
            "INSERT INTO notebooks (id, name, created_at, updated_at) VALUES (?, 'old', 1, 1)",
            (nb,),
        )
        conn.execute(
            "INSERT INTO executions (id, notebook_id, status, queued_at, started_at, "
            "max_minutes) VALUES (?, ?, 'inProgress', 1000, 2000, 60)",
            (ex, nb),
        )
    conn.close()
    async with running(tmp_path) as local:
        [run] = await local.list_executions(nb)
        assert run.status == "errored"
        assert run.errors[0].name == "ServerRestart"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


async def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    async with running(tmp_path):
        pass
    db = tmp_path / "local.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(LocalRunError) as err:
        async with running(tmp_path):
            pass
    assert "newer version" in err.value.message


async def test_the_store_can_live_elsewhere(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "runs.db"
    async with running(tmp_path / "data", db_path=str(db)) as local:
        await local.create_notebook(NotebookCreate(name="n"))
    assert db.exists()
    assert not (tmp_path / "data" / "local.sqlite3").exists()
    provider = make_provider(tmp_path / "data", db_path=str(db))
    assert isinstance(provider, LocalProvider)
    await provider.start()
    try:
        assert (await provider.list_notebooks()).total_count == 1
    finally:
        await provider.aclose()


def test_a_run_of_a_fraction_of_a_second_still_counts_its_minutes() -> None:
    from jupyter_notebook_remote.providers.local.store import ExecutionRow
    from jupyter_notebook_remote.providers.local.usage import tally

    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    begun = start.timestamp() * 1000 + 3_600_000
    row = ExecutionRow(
        id="6b0e00000000000000000001",
        notebook_id="6b0e00000000000000000002",
        status="completed",
        queued_at=begun,
        started_at=begun,
        finished_at=begun + 200,  # 0.2 s, as a run on a pre-started kernel takes
        max_minutes=60,
        file_name="a.ipynb",
        runner_pid=None,
    )
    usage = tally([row], start, start.replace(hour=23))
    assert usage.total_minutes == round(0.2 / 60, 4)
    assert usage.total_minutes > 0
