"""Schedules: the rules every kind checks, and ``local``'s own scheduler firing real runs.

The times a cron names are checked across daylight saving changes; the
scheduler's clock is injected so that most tests need not wait, and one
test waits for real: an every-minute schedule fires a run with no browser,
survives a restart of the provider and fires again.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from jupyter_notebook_remote.errors import Conflict, InvalidInput
from jupyter_notebook_remote.models import ExecuteBody, NotebookCreate
from jupyter_notebook_remote.providers.local import LocalProvider
from jupyter_notebook_remote.providers.local import scheduler as sq
from jupyter_notebook_remote.schedules import (
    Rule,
    ScheduleBody,
    check_rule,
    cron_of,
    daily_or_weekly,
)
from jupyter_notebook_remote.tests.local_support import (
    notebook_bytes,
    pushed_notebook,
    running,
    upload,
    wait_for,
)

from .rest import call_api
from .test_local_routes import create_and_push

FINISHED = {"completed", "errored", "timeout", "canceled"}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def rule(cron: str, zone: str = "UTC", **extra: Any) -> Rule:
    return check_rule(ScheduleBody(cron=cron, timezone=zone, **extra), now=NOW)


def ms(moment: datetime) -> float:
    return moment.timestamp() * 1000.0


# ----------------------------------------------------------------------------- times


def test_a_weekly_schedule_keeps_its_wall_time_across_daylight_saving() -> None:
    weekly = rule("50 6 * * 1", "Europe/Berlin")
    winter = weekly.upcoming(utc("2027-03-20T00:00:00+00:00"), 2)
    # 06:50 in Berlin is 05:50 UTC in winter, 04:50 UTC once summer time starts (28 March).
    assert winter == [utc("2027-03-22T05:50:00+00:00"), utc("2027-03-29T04:50:00+00:00")]


def test_a_daily_run_in_the_skipped_hour_runs_once_just_after_it() -> None:
    daily = rule("30 2 * * *", "Europe/Berlin")
    # 2027-03-28: clocks go from 02:00 to 03:00; 02:30 does not exist that day.
    times = daily.upcoming(utc("2027-03-27T12:00:00+00:00"), 2)
    assert times == [utc("2027-03-28T03:00:00+02:00"), utc("2027-03-29T02:30:00+02:00")]


def test_a_daily_run_in_the_repeated_hour_runs_once_and_an_hourly_one_every_hour() -> None:
    # 2027-10-31: clocks go from 03:00 back to 02:00; 02:30 happens twice.
    daily = rule("30 2 * * *", "Europe/Berlin").upcoming(utc("2027-10-30T12:00:00+00:00"), 2)
    assert daily == [utc("2027-10-31T02:30:00+02:00"), utc("2027-11-01T02:30:00+01:00")]
    hourly = rule("0 * * * *", "Europe/Berlin").upcoming(utc("2027-10-30T23:30:00+00:00"), 3)
    # Every real hour: 02:00 summer time, then 02:00 winter time an hour later.
    assert hourly == [
        utc("2027-10-31T00:00:00Z"),
        utc("2027-10-31T01:00:00Z"),
        utc("2027-10-31T02:00:00Z"),
    ]


def test_until_ends_the_times_and_a_bare_date_means_the_end_of_that_day() -> None:
    daily = rule("0 9 * * *", "America/New_York", until="2026-12-03")
    assert daily.until == utc("2026-12-03T23:59:59-05:00")
    assert len(daily.upcoming(NOW, 10)) == 3  # 1, 2 and 3 December


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"cron": "61 * * * *"}, "cron", "Bad minute"),
        ({"cron": "0 6 * *"}, "cron", "five fields"),
        ({"cron": "0 0 6 * * 1"}, "cron", "five fields"),
        ({"cron": "@daily"}, "cron", "five fields"),
        ({"cron": "0 0 30 2 *"}, "cron", "Bad day-of-month"),
        ({"cron": "0 6 1 1 *", "until": "2026-12-31"}, "cron", "never runs before until"),
        ({"cron": "0 6 * * *", "timezone": "Mars/Olympus"}, "timezone", "IANA"),
        ({"cron": "0 6 * * *", "timezone": "../../etc/passwd"}, "timezone", "IANA"),
        ({"cron": "0 6 * * *", "until": "2026-11-30T00:00:00Z"}, "until", "past"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(
    body: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        check_rule(ScheduleBody.model_validate(body), now=NOW)
    assert says in err.value.fields[field]


def test_a_schedule_more_often_than_the_floor_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        check_rule(ScheduleBody(cron="*/5 * * * *"), now=NOW, min_minutes=15)
    assert "every 15 minutes" in err.value.fields["cron"]
    assert check_rule(ScheduleBody(cron="*/15 * * * *"), now=NOW, min_minutes=15)


@pytest.mark.parametrize(
    ("cron", "mapped"),
    [
        ("50 6 * * 1", ("Monday", "06:50")),
        ("0 18 * * 0", ("Sunday", "18:00")),
        ("0 18 * * 7", ("Sunday", "18:00")),
        ("5 7 * * fri", ("Friday", "07:05")),
        ("5 7 * * *", (None, "07:05")),
        ("*/5 7 * * *", None),
        ("5 7 * * 1-5", None),
        ("5 7 1 * *", None),
        ("5 7,8 * * *", None),
    ],
)
def test_what_4pointx_can_keep(cron: str, mapped: Any) -> None:
    assert daily_or_weekly(cron) == mapped
    if mapped is not None:
        again = cron_of(*mapped)
        assert again is not None
        assert daily_or_weekly(again) == mapped


# ----------------------------------------------------------------------------- local


class Clock:
    """The scheduler's clock, set by the test (ms since the epoch)."""

    def __init__(self, at: datetime) -> None:
        self.now = ms(at)

    def __call__(self) -> float:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = ms(at)


def with_clock(local: LocalProvider, at: datetime) -> Clock:
    clock = Clock(at)
    local.scheduler.clock = clock
    return clock


async def test_a_schedule_fires_an_ordinary_run_marked_as_the_schedule_s(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        await local.scheduler.aclose()  # ticks by hand, on the test's clock
        clock = with_clock(local, NOW)
        nb = await pushed_notebook(local, ["print('scheduled')"])
        kept = await local.put_schedule(
            nb, ScheduleBody(cron="0 * * * *", templateContext={"site": "a"})
        )
        assert kept.next_run_at == "2026-12-01T13:00:00.000Z"
        assert kept.next_runs[:2] == ["2026-12-01T13:00:00.000Z", "2026-12-01T14:00:00.000Z"]
        assert kept.description is not None
        assert "every hour" in kept.description.lower()
        assert await local.scheduler.tick() == []  # not due yet

        clock.set(utc("2026-12-01T13:00:00Z"))
        [ex] = await local.scheduler.tick()
        done = await wait_for(local, nb, ex, FINISHED)
        assert done.status == "completed", done.errors
        assert (done.source.type, done.source.id) == ("schedule", nb)
        assert [i.name for i in done.inputs] == ["context.json"]
        again = await local.get_schedule(nb)
        assert again is not None
        assert again.last_run_at == "2026-12-01T13:00:00.000Z"
        assert (again.last_execution_id, again.run_count) == (ex, 1)
        assert again.next_run_at == "2026-12-01T14:00:00.000Z"
        assert await local.scheduler.tick() == []  # that slot is spent

        # A run by hand is the user's.
        by_hand = await local.execute(nb, ExecuteBody())
        assert (await wait_for(local, nb, by_hand, FINISHED)).source.type == "user"


async def test_slots_missed_while_down_run_once_not_as_a_burst(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        await local.scheduler.aclose()
        clock = with_clock(local, NOW)
        nb = await pushed_notebook(local, ["1"])
        await local.put_schedule(nb, ScheduleBody(cron="*/10 * * * *"))
        clock.set(utc("2026-12-01T13:05:00Z"))  # six slots have passed
        fired = await local.scheduler.tick()
        assert len(fired) == 1
        schedule = await local.get_schedule(nb)
        assert schedule is not None
        assert schedule.last_run_at == "2026-12-01T13:00:00.000Z"  # the latest one
        assert schedule.next_run_at == "2026-12-01T13:10:00.000Z"
        assert await local.scheduler.tick() == []
        await wait_for(local, nb, fired[0], FINISHED)


async def test_two_servers_on_one_store_fire_a_slot_once(tmp_path: Path) -> None:
    async with running(tmp_path) as one, running(tmp_path) as two:
        for each in (one, two):
            await each.scheduler.aclose()
        clocks = [with_clock(each, NOW) for each in (one, two)]
        nb = await pushed_notebook(one, ["1"])
        await one.put_schedule(nb, ScheduleBody(cron="0 13 * * *"))
        for clock in clocks:
            clock.set(utc("2026-12-01T13:00:30Z"))
        fired = await asyncio.gather(one.scheduler.tick(), two.scheduler.tick())
        assert sorted(len(f) for f in fired) == [0, 1]
        [ex] = fired[0] or fired[1]
        runs = await one.list_executions(nb)
        assert [r.id for r in runs] == [ex]
        await wait_for(one, nb, ex, FINISHED)


async def test_a_paused_schedule_does_not_fire_and_resumes_from_now(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        await local.scheduler.aclose()
        clock = with_clock(local, NOW)
        nb = await pushed_notebook(local, ["1"])
        paused = await local.put_schedule(nb, ScheduleBody(cron="0 * * * *", active=False))
        assert (paused.active, paused.next_run_at, paused.next_runs) == (False, None, [])
        clock.set(utc("2026-12-01T15:30:00Z"))
        assert await local.scheduler.tick() == []
        resumed = await local.put_schedule(nb, ScheduleBody(cron="0 * * * *"))
        assert resumed.next_run_at == "2026-12-01T16:00:00.000Z"  # no catching up


async def test_no_schedule_before_a_push_and_none_after_the_notebook_goes(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        created = await local.create_notebook(NotebookCreate(name="never pushed"))
        with pytest.raises(Conflict) as err:
            await local.put_schedule(created.id, ScheduleBody(cron="0 * * * *"))
        assert err.value.reason == "not_pushed"
        assert await local.get_schedule(created.id) is None

        await local.push(created.id, upload(notebook_bytes(["1"])))
        assert await local.put_schedule(created.id, ScheduleBody(cron="0 * * * *"))
        await local.delete_schedule(created.id)
        assert await local.get_schedule(created.id) is None
        await local.put_schedule(created.id, ScheduleBody(cron="0 * * * *"))
        await local.delete_notebook(created.id)
        fresh = await local.create_notebook(NotebookCreate(name="other"))
        assert await local.get_schedule(fresh.id) is None
        assert await local._store.call(sq.get_schedule, created.id) is None


def offset_clock(seconds_before_a_minute: float) -> Callable[[], float]:
    """Real time, shifted so that a minute boundary comes ``seconds_before_a_minute`` from now."""
    real = time.time() * 1000.0
    boundary = (real // 60000 + 1) * 60000
    shift = boundary - (real + seconds_before_a_minute * 1000.0)
    return lambda: time.time() * 1000.0 + shift


def shifted_to(at_ms: float) -> Callable[[], float]:
    """Real time, shifted so that it is ``at_ms`` now."""
    shift = at_ms - time.time() * 1000.0
    return lambda: time.time() * 1000.0 + shift


async def wait_for_runs(
    local: LocalProvider, nb: str, count: int, timeout: float = 60
) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = await local.list_executions(nb)
        if len(runs) >= count:
            return runs
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(runs)} runs after {timeout} s, not {count}")
        await asyncio.sleep(0.1)


async def test_an_every_minute_schedule_fires_survives_a_restart_and_is_removed(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as local:
        nb = await pushed_notebook(local, ["print('tick')"])
        await local.scheduler.aclose()
        local.scheduler.clock = offset_clock(2.0)
        local.scheduler.start()  # the server's own loop, no one calling tick()
        await local.put_schedule(nb, ScheduleBody(cron="* * * * *"))
        [first] = await wait_for_runs(local, nb, 1, timeout=30)
        assert first.source.type == "schedule"
        await wait_for(local, nb, first.id, FINISHED)

    # The server restarts: the schedule is still there and fires again.
    async with running(tmp_path) as local:
        await local.scheduler.aclose()
        row = await local._store.call(sq.get_schedule, nb)
        assert row is not None
        assert row.next_run_ms is not None
        # The clock goes on from where it was: the next slot is two seconds away.
        local.scheduler.clock = shifted_to(row.next_run_ms - 2000.0)
        local.scheduler.start()
        schedule = await local.get_schedule(nb)
        assert schedule is not None
        assert schedule.run_count == 1
        runs = await wait_for_runs(local, nb, 2, timeout=30)
        assert runs[0].source.type == "schedule"
        await wait_for(local, nb, runs[0].id, FINISHED)
        await local.delete_schedule(nb)
        await asyncio.sleep(2.5)  # past the next boundary of the shifted clock
        assert len(await local.list_executions(nb)) == 2


# ----------------------------------------------------------------------------- REST


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], fake_losant: Any
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {
            "losant": {
                "kind": "losant",
                "base_url": fake_losant.url,
                "application_id": fake_losant.application_id,
                "token": fake_losant.token,
            }
        },
    }


async def test_the_schedule_routes(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = await create_and_push(jp_fetch, jp_root_dir, "nightly", ["1"])
    where = ("connections", "local", "notebooks", nb, "schedule")
    response, body = await call_api(jp_fetch, "GET", *where)
    assert (response.code, body) == (200, {"schedule": None})

    response, body = await call_api(
        jp_fetch,
        "PUT",
        *where,
        body={"cron": "50 6 * * 1", "timezone": "Europe/Berlin", "until": "2099-12-13"},
    )
    assert response.code == 200, body
    schedule = body["schedule"]
    assert schedule["cron"] == "50 6 * * 1"
    assert schedule["timezone"] == "Europe/Berlin"
    assert schedule["active"] is True
    assert schedule["until"] == "2099-12-13T22:59:59.000Z"
    assert schedule["lastRunAt"] is None
    assert len(schedule["nextRuns"]) == 5
    assert schedule["nextRunAt"] == schedule["nextRuns"][0]

    response, body = await call_api(jp_fetch, "PUT", *where, body={"cron": "every monday"})
    assert response.code == 400
    assert body["reason"] == "invalid_input"
    assert "cron" in body["fields"]
    response, body = await call_api(jp_fetch, "GET", *where)
    assert body["schedule"]["cron"] == "50 6 * * 1"  # the bad one changed nothing

    response, body = await call_api(jp_fetch, "DELETE", *where)
    assert (response.code, body) == (200, {"success": True})
    response, body = await call_api(jp_fetch, "GET", *where)
    assert body == {"schedule": None}


async def test_losant_says_how_it_schedules(jp_fetch: Any, fake_losant: Any) -> None:
    nb_id = fake_losant.add_notebook("Report")
    response, body = await call_api(
        jp_fetch,
        "PUT",
        "connections",
        "losant",
        "notebooks",
        nb_id,
        "schedule",
        body={"cron": "0 6 * * *"},
    )
    assert response.code == 400
    assert body["reason"] == "unsupported"
    assert "Timer trigger" in body["message"]
    assert "Notebook: Execute" in body["message"]
