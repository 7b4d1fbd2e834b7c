"""How long the ``local`` connection keeps its runs' files, and the pruning that holds it.

Every run leaves a directory (the pushed copy, ``result.ipynb``, the HTML, the
logs, what the notebook wrote to ``OUTPUT_DIR``); left alone, the data
directory grows for ever. :class:`Retention` says what to keep: the newest
``keep_runs`` runs of each notebook and the runs that finished less than
``keep_days`` ago (``0`` turns a limit off; a run is pruned when either
limit lets it go). :class:`Pruner` applies it: the files of such a run are
removed, its history row stays (status, times, errors, minutes) with
``files_removed_at`` set and no outputs listed. A run in flight is never
touched. Pruning runs after every run ends, once at start-up and every hour,
one pass at a time, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Optional

from . import store as q
from .rundir import DataDir
from .store import Store, now_ms

#: Defaults of ``local_keep_runs`` / ``local_keep_days``.
DEFAULT_KEEP_RUNS = 50
DEFAULT_KEEP_DAYS = 30.0
#: Seconds between two passes when nothing else asks for one.
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Retention:
    """What a ``local`` connection keeps (0: no limit of that sort)."""

    keep_runs: int = DEFAULT_KEEP_RUNS
    keep_days: float = DEFAULT_KEEP_DAYS

    def finished_before(self, now: float) -> Optional[float]:
        """Runs that finished before this (ms) may go; None: no age limit."""
        return now - self.keep_days * 86_400_000 if self.keep_days > 0 else None

    def describe(self) -> str:
        parts = []
        if self.keep_runs > 0:
            parts.append(f"the newest {self.keep_runs} runs of each notebook")
        if self.keep_days > 0:
            parts.append(f"runs of the last {self.keep_days:g} days")
        return " and ".join(parts) or "every run"


class Pruner:
    """Removes the files of runs past the retention policy (see the module docstring)."""

    def __init__(
        self,
        data: DataDir,
        store: Store,
        retention: Retention,
        *,
        connection: str,
        log: logging.Logger,
    ) -> None:
        self.data = data
        self.retention = retention
        self.connection = connection
        self.log = log
        self._store = store
        self._pass: Optional[asyncio.Task[list[str]]] = None
        self._again = False
        self._timer: Optional[asyncio.Task[None]] = None

    def start(self) -> None:
        """A pass now, then one every hour."""
        if self._timer is None and (self.retention.keep_runs or self.retention.keep_days):
            self._timer = asyncio.create_task(self._every_hour(), name="local-retention")

    def soon(self) -> None:
        """Ask for a pass (a run ended): started now, or right after the one going."""
        if self._pass is not None and not self._pass.done():
            self._again = True
            return
        self._pass = asyncio.create_task(self._passes(), name="local-retention-pass")

    async def _every_hour(self) -> None:
        while True:
            self.soon()
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    async def _passes(self) -> list[str]:
        removed: list[str] = []
        while True:
            self._again = False
            removed += await self.prune()
            if not self._again:
                return removed

    async def prune(self) -> list[str]:
        """One pass; the ids whose files were removed. A failure is logged, never raised."""
        policy = self.retention
        try:
            ids = await self._store.call(
                q.runs_past_retention,
                policy.keep_runs or None,
                policy.finished_before(now_ms()),
            )
            if not ids:
                return []
            # The rows first: a run never lists files that are gone.
            await self._store.call(q.mark_files_removed, ids, now_ms())
            await asyncio.to_thread(self._remove, ids)
        except Exception:
            self.log.warning(
                "Local connection '%s': old runs' files could not be removed; trying again later.",
                self.connection,
                exc_info=True,
            )
            return []
        self.log.info(
            "Local connection '%s': removed the files of %d old run(s); keeping %s "
            "(c.NotebookRemote.local_keep_runs / local_keep_days).",
            self.connection,
            len(ids),
            policy.describe(),
        )
        return ids

    def _remove(self, ids: list[str]) -> None:
        for execution_id in ids:
            self.data.run(execution_id).remove()

    async def aclose(self) -> None:
        for task in (self._timer, self._pass):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._timer = self._pass = None
