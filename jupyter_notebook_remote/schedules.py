"""Schedules: the REST models and the rules every kind checks before it keeps one.

A schedule is a five-field cron (minute, hour, day of month, month, day of
week) read in an IANA time zone, with an optional end (``until``), a switch
(``active``) and the context its runs get. The times it names are computed
by `cronsim <https://pypi.org/project/cronsim/>`_, which treats daylight
saving time as Debian's cron does: a job at a fixed time that falls in the
hour skipped in spring runs once at the first valid minute after it, a job
at a fixed time in the hour repeated in autumn runs once, and a job on every
hour (``*``) runs every real hour. The kinds that keep schedules map them on
their own terms: ``local`` runs its own scheduler
(:mod:`.providers.local.scheduler`), ``fourpointx`` has ``_schedule``
(:func:`daily_or_weekly`), others say how they schedule instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from pydantic import Field, field_validator

from .errors import invalid
from .models import DATE_RE, CamelModel, RequestModel, _context_text, is_time_text, iso, parse_time

#: How many of the next run times a schedule answers.
NEXT_RUNS = 5
#: The default floor: a schedule may not run more often than once a minute.
DEFAULT_MIN_MINUTES = 1.0
#: How many consecutive run times the floor is checked over.
_FLOOR_SAMPLES = 200
#: The longest cron expression taken.
MAX_CRON_CHARS = 200

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class ScheduleBody(RequestModel):
    """PUT ``.../schedule``: what to keep."""

    cron: str = Field(min_length=1, max_length=MAX_CRON_CHARS)
    timezone: Optional[str] = Field(default=None, min_length=1, max_length=100)
    until: Optional[str] = Field(default=None, min_length=1, max_length=64)
    active: bool = True
    template_context: Optional[Union[str, dict[str, Any]]] = None

    @field_validator("until")
    @classmethod
    def _until(cls, value: str) -> str:
        if is_time_text(value):
            return value
        raise ValueError("must be a date-time like 2027-12-13T06:50:00Z, or a date")

    @field_validator("template_context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Optional[str]:
        return _context_text(value)


class Schedule(CamelModel):
    """A notebook's schedule as the REST API answers it."""

    cron: str
    timezone: str
    until: Optional[str] = None
    active: bool
    next_run_at: Optional[str] = None
    last_run_at: Optional[str] = None
    #: Beyond the shared contract: the next few run times (empty when paused or over).
    next_runs: list[str] = Field(default_factory=list)
    #: Beyond the shared contract: the cron in words (cronsim's ``explain``).
    description: Optional[str] = None
    template_context: Optional[dict[str, Any]] = None
    #: Beyond the shared contract: the run the schedule started last, and how many.
    last_execution_id: Optional[str] = None
    run_count: Optional[int] = None


class ScheduleAnswer(CamelModel):
    schedule: Optional[Schedule] = None


@dataclass(frozen=True)
class Rule:
    """A checked schedule: a cron in a time zone, until an end."""

    cron: str
    timezone: str
    until: Optional[datetime]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def times(self, after: datetime) -> Iterator[datetime]:
        """Run times strictly after ``after`` (aware, UTC), up to ``until``."""
        local = after.astimezone(self.zone)
        sim = CronSim(self.cron, local)
        for t in sim:
            moment = t.astimezone(timezone.utc)
            if moment <= after:
                continue
            if self.until is not None and moment > self.until:
                return
            yield moment

    def next_after(self, after: datetime) -> Optional[datetime]:
        return next(iter(self.times(after)), None)

    def upcoming(self, after: datetime, count: int = NEXT_RUNS) -> list[datetime]:
        return list(itertools.islice(self.times(after), count))

    def describe(self) -> str:
        try:
            text = CronSim(self.cron, datetime.now(self.zone)).explain()
        except (CronSimError, ValueError):
            text = f"cron {self.cron}"
        return f"{text} ({self.timezone})"


def check_rule(
    body: ScheduleBody,
    *,
    now: datetime,
    min_minutes: float = DEFAULT_MIN_MINUTES,
    connection: Optional[str] = None,
) -> Rule:
    """The body's cron, time zone and end, checked; 400 naming the field otherwise."""
    cron = " ".join(body.cron.split())
    fields = cron.split(" ")
    if len(fields) != 5:
        raise invalid(
            "cron",
            f"must have five fields (minute hour day-of-month month day-of-week), not "
            f"{len(fields)}: e.g. '50 6 * * 1' for Mondays at 06:50",
            connection=connection,
        )
    zone_name = body.timezone or "UTC"
    try:
        if zone_name not in _zone_names():
            raise ZoneInfoNotFoundError(zone_name)
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            "timezone",
            f"'{zone_name}' is not an IANA time zone; use a name like 'Europe/Berlin' or 'UTC'",
            connection=connection,
        ) from None
    try:
        CronSim(cron, now.astimezone(zone))
    except (CronSimError, ValueError) as exc:
        raise invalid(
            "cron",
            f"'{cron}' is not a cron expression cron understands ({exc}); "
            "e.g. '*/15 * * * *' or '50 6 * * 1'",
            connection=connection,
        ) from None
    until = _until(body.until, zone) if body.until else None
    if until is not None and until <= now:
        raise invalid(
            "until", "is in the past: give an end after now, or none", connection=connection
        )
    rule = Rule(cron, zone_name, until)
    times = list(itertools.islice(rule.times(now), _FLOOR_SAMPLES))
    if not times:
        raise invalid(
            "cron",
            "never runs"
            + (" before until" if until is not None else "")
            + ": check the day and month fields",
            connection=connection,
        )
    gaps = [b - a for a, b in itertools.pairwise(times)]
    if gaps and min(gaps) < timedelta(minutes=min_minutes):
        raise invalid(
            "cron",
            f"runs more often than every {min_minutes:g} minutes, this server's floor "
            "(c.NotebookRemote.schedule_min_minutes)",
            connection=connection,
        )
    return rule


def _until(text: str, zone: ZoneInfo) -> datetime:
    """``until`` as a UTC instant; a bare date means the end of that day in ``zone``."""
    if DATE_RE.fullmatch(text):
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=zone)
        return (day + timedelta(days=1) - timedelta(seconds=1)).astimezone(timezone.utc)
    return parse_time(text).astimezone(timezone.utc)


_ZONES: Optional[frozenset[str]] = None


def _zone_names() -> frozenset[str]:
    """IANA names only: ZoneInfo would also open any file path-like key."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def answer(
    rule: Rule,
    *,
    active: bool,
    now: datetime,
    template_context: Optional[dict[str, Any]] = None,
    last_run_at: Optional[datetime] = None,
    last_execution_id: Optional[str] = None,
    run_count: Optional[int] = None,
) -> Schedule:
    """The REST answer for a schedule that follows ``rule``."""
    upcoming = rule.upcoming(now) if active else []
    return Schedule(
        cron=rule.cron,
        timezone=rule.timezone,
        until=iso(rule.until),
        active=active,
        next_run_at=iso(upcoming[0]) if upcoming else None,
        last_run_at=iso(last_run_at),
        next_runs=[t for t in (iso(u) for u in upcoming) if t],
        description=rule.describe(),
        template_context=template_context,
        last_execution_id=last_execution_id,
        run_count=run_count,
    )


# ----------------------------------------------------------------------------- 4pointx

_NUMBER = re.compile(r"^[0-9]{1,2}$")
_DAY_NAMES = {name[:3].lower(): i for i, name in enumerate(WEEKDAYS)}


def daily_or_weekly(cron: str) -> Optional[tuple[Optional[str], str]]:
    """``(weekday name or None for daily, "HH:MM")`` if ``cron`` is one 4pointx can keep.

    4pointx's ``_schedule`` takes a time of day and, optionally, one day of
    the week: so ``M H * * *`` (daily) and ``M H * * D`` (weekly on D).
    """
    minute, hour, dom, month, dow = cron.split(" ")
    if not (_NUMBER.match(minute) and _NUMBER.match(hour)) or dom != "*" or month != "*":
        return None
    if int(minute) > 59 or int(hour) > 23:
        return None
    at = f"{int(hour):02d}:{int(minute):02d}"
    if dow == "*":
        return None, at
    if _NUMBER.match(dow) and int(dow) <= 7:
        return WEEKDAYS[int(dow) % 7], at
    if dow[:3].lower() in _DAY_NAMES and len(dow) == 3:
        return WEEKDAYS[_DAY_NAMES[dow.lower()]], at
    return None


def cron_of(period: Optional[str], at: str) -> Optional[str]:
    """The cron of a 4pointx schedule read back (``period``, ``time``); None if unreadable."""
    try:
        hour, minute = (int(p) for p in at.strip().split(":"))
    except ValueError:
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if not period or not period.strip():
        return f"{minute} {hour} * * *"
    day = period.strip().capitalize()
    if day not in WEEKDAYS:
        return None
    return f"{minute} {hour} * * {WEEKDAYS.index(day)}"
