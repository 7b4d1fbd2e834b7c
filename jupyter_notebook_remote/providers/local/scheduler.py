"""The ``local`` connection's scheduler: schedules kept with the history, fired by the server.

A notebook has at most one schedule, a row of the store's ``schedules``
table (schema 4) beside its runs, so it survives a restart and is deleted
with its notebook. Each row holds the next slot it is due at
(``next_run_ms``). The server's :class:`Scheduler` sleeps until the earliest
slot (at most a minute, and it is woken by any change), then for each due
schedule:

* **claims** the slot: one UPDATE that moves ``next_run_ms`` from that slot
  to the first slot after now, and only if it still holds that slot. Of two
  servers sharing one store only one gets it, so a slot never fires twice;
* **fires** it once: the latest slot that is due, which is less than one
  interval old by definition (the next one is still ahead). A server that
  was down over several slots runs the last one it missed once, never a
  burst; the older ones are skipped, and the log says how many;
* runs it as an ordinary run: the same queue, parallel limit, cancel, logs
  and usage, with ``source: {"type": "schedule", "id": <notebook id>}``.

Times come from one clock (:attr:`Scheduler.clock`, milliseconds since the
epoch), which tests replace. The times a cron names, in its time zone and
across daylight saving changes, are :mod:`jupyter_notebook_remote.schedules`'.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from ...errors import NotebookRemoteError
from ...schedules import Rule
from .store import Store, now_ms

#: The longest the scheduler sleeps without looking at the store (another
#: server sharing it may have changed a schedule).
MAX_SLEEP_SECONDS = 60.0


@dataclass
class ScheduleRow:
    notebook_id: str
    cron: str
    timezone: str
    until_ms: Optional[float]
    active: bool
    template_context: Optional[str]
    next_run_ms: Optional[float]
    last_run_ms: Optional[float]
    last_execution_id: Optional[str]
    run_count: int

    @property
    def rule(self) -> Rule:
        return Rule(self.cron, self.timezone, instant(self.until_ms))

    @property
    def context(self) -> Optional[dict[str, Any]]:
        if self.template_context is None:
            return None
        value = json.loads(self.template_context)
        return value if isinstance(value, dict) else None


def instant(ms: Optional[float]) -> Optional[datetime]:
    """A time in ms since the epoch as an aware UTC datetime (None stays None)."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)


def _ms(moment: Optional[datetime]) -> Optional[float]:
    return None if moment is None else moment.timestamp() * 1000.0


def _row(row: sqlite3.Row) -> ScheduleRow:
    return ScheduleRow(
        notebook_id=row["notebook_id"],
        cron=row["cron"],
        timezone=row["timezone"],
        until_ms=row["until_ms"],
        active=bool(row["active"]),
        template_context=row["template_context"],
        next_run_ms=row["next_run_ms"],
        last_run_ms=row["last_run_ms"],
        last_execution_id=row["last_execution_id"],
        run_count=row["run_count"],
    )


# ----------------------------------------------------------------------------- store calls


def get_schedule(conn: sqlite3.Connection, notebook_id: str) -> Optional[ScheduleRow]:
    row = conn.execute("SELECT * FROM schedules WHERE notebook_id = ?", (notebook_id,)).fetchone()
    return _row(row) if row else None


def put_schedule(
    conn: sqlite3.Connection,
    notebook_id: str,
    rule: Rule,
    active: bool,
    template_context: Optional[str],
    next_run_ms: Optional[float],
    now: float,
) -> None:
    """Keep the schedule, replacing the notebook's last; its run history stays."""
    conn.execute(
        "INSERT INTO schedules (notebook_id, cron, timezone, until_ms, active, "
        "template_context, next_run_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (notebook_id) DO UPDATE SET cron = excluded.cron, "
        "timezone = excluded.timezone, until_ms = excluded.until_ms, "
        "active = excluded.active, template_context = excluded.template_context, "
        "next_run_ms = excluded.next_run_ms, updated_at = excluded.updated_at",
        (
            notebook_id,
            rule.cron,
            rule.timezone,
            _ms(rule.until),
            int(active),
            template_context,
            next_run_ms,
            now,
        ),
    )


def delete_schedule(conn: sqlite3.Connection, notebook_id: str) -> bool:
    cursor = conn.execute("DELETE FROM schedules WHERE notebook_id = ?", (notebook_id,))
    return cursor.rowcount > 0


def due_schedules(conn: sqlite3.Connection, now: float) -> list[ScheduleRow]:
    rows = conn.execute(
        "SELECT * FROM schedules WHERE active = 1 AND next_run_ms IS NOT NULL "
        "AND next_run_ms <= ? ORDER BY next_run_ms",
        (now,),
    )
    return [_row(r) for r in rows]


def next_due(conn: sqlite3.Connection) -> Optional[float]:
    row = conn.execute(
        "SELECT MIN(next_run_ms) FROM schedules WHERE active = 1 AND next_run_ms IS NOT NULL"
    ).fetchone()
    return row[0] if row else None


def claim_slot(
    conn: sqlite3.Connection, notebook_id: str, slot: float, next_ms: Optional[float]
) -> bool:
    """Move the schedule past ``slot``, if it is still there; True: this caller fires it."""
    cursor = conn.execute(
        "UPDATE schedules SET next_run_ms = ? WHERE notebook_id = ? AND active = 1 "
        "AND next_run_ms = ?",
        (next_ms, notebook_id, slot),
    )
    return cursor.rowcount == 1


def record_run(conn: sqlite3.Connection, notebook_id: str, slot: float, execution_id: str) -> None:
    conn.execute(
        "UPDATE schedules SET last_run_ms = ?, last_execution_id = ?, "
        "run_count = run_count + 1 WHERE notebook_id = ?",
        (slot, execution_id, notebook_id),
    )


# ----------------------------------------------------------------------------- the scheduler

#: At most this many missed slots are walked through to find the latest.
_MAX_MISSED = 200_000


def _latest_slot(rule: Rule, stored: float, now: float) -> tuple[float, int]:
    """The latest slot of ``rule`` from ``stored`` up to ``now``, and how many came before it."""
    slot, skipped = stored, 0
    start = instant(stored)
    assert start is not None
    for moment in rule.times(start):
        ms = moment.timestamp() * 1000.0
        if ms > now or skipped >= _MAX_MISSED:
            break
        slot, skipped = ms, skipped + 1
    return slot, skipped


#: Queues a scheduled run of the notebook; answers its execution id.
Fire = Callable[[ScheduleRow], Awaitable[str]]


class Scheduler:
    """Fires the due schedules of one ``local`` connection (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        fire: Fire,
        *,
        connection: str,
        log: logging.Logger,
        clock: Callable[[], float] = now_ms,
    ) -> None:
        self.store = store
        self.clock = clock
        self._fire = fire
        self.connection = connection
        self.log = log
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task[None]] = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"schedules-{self.connection}")

    def wake(self) -> None:
        """A schedule changed: look again now."""
        self._wake.set()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def next_slot(self, rule: Rule, after_ms: float) -> Optional[float]:
        """The first slot of ``rule`` strictly after ``after_ms``."""
        after = instant(after_ms)
        assert after is not None
        return _ms(rule.next_after(after))

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
                due = await self.store.call(next_due)
            except NotebookRemoteError as exc:  # the store failed: say so, try again later
                self.log.warning("Schedules of connection '%s': %s", self.connection, exc)
                due = None
            delay = MAX_SLEEP_SECONDS
            if due is not None:
                delay = min(MAX_SLEEP_SECONDS, max(0.0, (due - self.clock()) / 1000.0))
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def tick(self) -> list[str]:
        """Fire what is due now; return the execution ids of the runs queued."""
        now = self.clock()
        fired: list[str] = []
        for row in await self.store.call(due_schedules, now):
            execution_id = await self._due(row, now)
            if execution_id is not None:
                fired.append(execution_id)
        return fired

    async def _due(self, row: ScheduleRow, now: float) -> Optional[str]:
        stored = row.next_run_ms
        assert stored is not None
        rule = row.rule
        slot, skipped = await asyncio.to_thread(_latest_slot, rule, stored, now)
        if not await self.store.call(
            claim_slot, row.notebook_id, stored, self.next_slot(rule, now)
        ):
            return None  # another server sharing the store took this slot
        if skipped:
            self.log.info(
                "Schedule of local notebook %s: %d run(s) due while the server was not "
                "running were skipped; the latest, due at %s, runs now",
                row.notebook_id,
                skipped,
                instant(slot),
            )
        try:
            execution_id = await self._fire(row)
        except NotebookRemoteError as exc:
            self.log.warning(
                "Schedule of local notebook %s could not start its run: %s", row.notebook_id, exc
            )
            return None
        await self.store.call(record_run, row.notebook_id, slot, execution_id)
        return execution_id
