"""Retention on the ``local`` connection: old runs' files go, their history stays.

Real runs through a real :class:`LocalProvider` (a kernel each), with the
policy set small so a few runs are enough.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import pytest

from jupyter_notebook_remote.errors import NotFound
from jupyter_notebook_remote.models import ExecuteBody, Execution
from jupyter_notebook_remote.providers.local import LocalProvider

from .local_support import execution, pushed_notebook, running, wait_for

FINISHED = {"completed", "errored", "timeout", "canceled"}


async def run_to_end(local: LocalProvider, nb: str) -> Execution:
    ex = await local.execute(nb, ExecuteBody())
    return await wait_for(local, nb, ex, FINISHED)


async def wait_removed(local: LocalProvider, nb: str, ex: str, timeout: float = 20.0) -> Execution:
    """The run once its files are gone: its row says so first, then they go from disk."""
    deadline = time.monotonic() + timeout
    while True:
        item = await execution(local, nb, ex)
        if item.files_removed_at is not None and not local._data.run(ex).root.exists():
            return item
        assert time.monotonic() < deadline, f"the files of {ex} were never removed"
        await asyncio.sleep(0.05)


def disk_use(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def run_dir(data_dir: Path, ex: str) -> Path:
    return data_dir / "runs" / ex


async def usage_bytes(local: LocalProvider, nb: str) -> Optional[int]:
    now = datetime.now(timezone.utc)
    return (await local.usage(nb, start=now.replace(hour=0), end=now)).store_bytes


async def test_runs_past_the_newest_n_lose_their_files_and_keep_their_history(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, keep_runs=2, keep_days=0) as local:
        nb = await pushed_notebook(local, ["print('hello')"])
        first = await run_to_end(local, nb)
        assert first.status == "completed"
        assert run_dir(tmp_path, first.id).is_dir()
        await run_to_end(local, nb)
        await run_to_end(local, nb)

        pruned = await wait_removed(local, nb, first.id)
        assert pruned.status == "completed"
        assert (pruned.queued_at, pruned.started_at, pruned.finished_at) == (
            first.queued_at,
            first.started_at,
            first.finished_at,
        )
        assert pruned.outputs == []
        assert not run_dir(tmp_path, first.id).exists()
        with pytest.raises(NotFound) as gone:
            await local.execution_file(nb, first.id, "result.html")
        assert gone.value.reason == "file_not_found"

        kept = [e for e in await local.list_executions(nb) if e.id != first.id]
        assert len(kept) == 2
        assert all(e.files_removed_at is None for e in kept)
        assert all(run_dir(tmp_path, e.id).is_dir() for e in kept)
        assert all("result.html" in [o.name for o in e.outputs] for e in kept)
        # The panel's usage says what the store holds on disk.
        held = await usage_bytes(local, nb)
        on_disk = await asyncio.to_thread(disk_use, tmp_path)
        assert held is not None
        assert held > 0
        assert abs(held - on_disk) <= on_disk * 0.1


async def test_a_run_in_flight_is_never_pruned(tmp_path: Path) -> None:
    async with running(tmp_path, keep_runs=1, keep_days=0, max_parallel=3) as local:
        nb = await pushed_notebook(local, ["import time\ntime.sleep(8)"])
        quick = await pushed_notebook(local, ["1"])
        slow = await local.execute(nb, ExecuteBody())
        await wait_for(local, nb, slow, {"inProgress"})
        # A second run of the same notebook makes the slow one the older of two.
        newer = await local.execute(nb, ExecuteBody())
        await run_to_end(local, quick)  # ends, and prunes, while both still go
        await asyncio.sleep(0.5)
        going = await execution(local, nb, slow)
        assert going.status == "inProgress"
        assert going.files_removed_at is None
        assert run_dir(tmp_path, slow).is_dir()
        assert "result.log" in [o.name for o in going.outputs]

        await wait_for(local, nb, slow, FINISHED)
        await wait_for(local, nb, newer, FINISHED)
        # Now it has ended and is past the newest one: its files go.
        assert (await wait_removed(local, nb, slow)).status == "completed"
        assert (await execution(local, nb, newer)).files_removed_at is None


async def test_runs_older_than_the_days_kept_lose_their_files(tmp_path: Path) -> None:
    two_seconds = 2 / 86_400
    async with running(tmp_path, keep_runs=0, keep_days=two_seconds) as local:
        nb = await pushed_notebook(local, ["1"])
        old = await run_to_end(local, nb)
        await asyncio.sleep(2.5)
        recent = await run_to_end(local, nb)  # its end starts a pass
        await wait_removed(local, nb, old.id)
        assert (await execution(local, nb, recent.id)).files_removed_at is None
        assert run_dir(tmp_path, recent.id).is_dir()


async def test_no_limits_keep_every_run(tmp_path: Path) -> None:
    async with running(tmp_path, keep_runs=0, keep_days=0) as local:
        nb = await pushed_notebook(local, ["1"])
        runs = [await run_to_end(local, nb) for _ in range(2)]
        await asyncio.sleep(0.5)
        listed = await local.list_executions(nb)
        assert {e.id for e in listed} == {r.id for r in runs}
        assert all(e.files_removed_at is None for e in listed)
