"""A ``local`` notebook's usage: minutes and ended runs per UTC day, from the store."""

from __future__ import annotations

from datetime import datetime, timezone

from ...models import Usage, iso, usage_days
from .store import ExecutionRow


def tally(rows: list[ExecutionRow], start: datetime, end: datetime) -> Usage:
    """Usage of the ended runs ``rows`` over ``start`` .. ``end`` (UTC datetimes).

    A run counts on the day it started (a run canceled before it started, on
    the day it was queued), for the minutes it ran.
    """
    days = usage_days(start, end)
    raw_minutes: dict[str, float] = dict.fromkeys(days, 0.0)
    for row in rows:
        begun = row.started_at if row.started_at is not None else row.queued_at
        key = datetime.fromtimestamp(begun / 1000, tz=timezone.utc).date().isoformat()
        if key not in days:
            continue
        day = days[key]
        if row.started_at is not None and row.finished_at is not None:
            raw_minutes[key] += max(0.0, row.finished_at - row.started_at) / 60000.0
        setattr(day, row.status, getattr(day, row.status) + 1)
    for key, day in days.items():
        # To 1/10,000 of a minute: a run of 0.2 s (with the head start, common) is not 0.
        day.minutes = round(raw_minutes[key], 4)
    return Usage(
        start=iso(start) or "",
        end=iso(end) or "",
        total_minutes=round(sum(raw_minutes.values()), 4),
        days=list(days.values()),
    )
