"""Many tabs, one remote call: identical reads are shared, changes are seen at once.

End to end through a real Jupyter Server to the fake Losant on loopback (the
fake counts the requests it receives), plus the asyncio rules of
:class:`~jupyter_notebook_remote.http.SharedReads` that no HTTP test can
pin down (a caller that goes away, a read in flight across a change).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Optional

import httpx
import nbformat
import pytest
from nbformat.v4 import new_notebook

from ..http import READ_MAX_AGE, HttpSettings, SharedReads, max_age_of
from .fakes.losant import FakeLosant
from .test_http import Calls, client

CONN = "fake"
LOGS = "notebook.logs"


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], losant_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {CONN: losant_connection},
        "default_connection": CONN,
        "local_enabled": False,
        "http_read_freshness": 1.0,
        "http_max_attempts": 1,
    }


async def runs(
    jp_fetch: Any, nb_id: str, *, cache_control: Optional[str] = None
) -> tuple[int, Any]:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        CONN,
        "notebooks",
        nb_id,
        "executions",
        params={"limit": 20},
        headers=headers,
        raise_error=False,
    )
    return response.code, json.loads(response.body)


async def test_twenty_tabs_reading_one_runs_list_cost_one_remote_call(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fake_losant.add_notebook("Shared")
    fake_losant.add_run(nb_id, queued_at=time.time() - 10, run_for=600)
    # Slow enough that all twenty are in flight together.
    fake_losant.fail_next(LOGS, slow=0.3)
    answers = await asyncio.gather(*(runs(jp_fetch, nb_id) for _ in range(20)))
    assert {code for code, _ in answers} == {200}
    assert all(body == answers[0][1] for _, body in answers)
    assert len(answers[0][1]["items"]) == 1
    assert len(fake_losant.requests_for(LOGS)) == 1


async def test_reads_in_flight_are_shared_even_when_the_browser_wants_a_fresh_answer(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fake_losant.add_notebook("Shared")
    fake_losant.fail_next(LOGS, slow=0.3)
    answers = await asyncio.gather(
        *(runs(jp_fetch, nb_id, cache_control="no-cache") for _ in range(10))
    )
    assert {code for code, _ in answers} == {200}
    assert len(fake_losant.requests_for(LOGS)) == 1
    # ... but an answer already received is not reused for a no-cache read.
    code, _ = await runs(jp_fetch, nb_id, cache_control="no-cache")
    assert code == 200
    assert len(fake_losant.requests_for(LOGS)) == 2


async def test_an_answer_is_reused_within_the_window_and_not_after(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fake_losant.add_notebook("Shared")
    await runs(jp_fetch, nb_id)
    await runs(jp_fetch, nb_id)
    assert len(fake_losant.requests_for(LOGS)) == 1
    await asyncio.sleep(1.1)
    await runs(jp_fetch, nb_id)
    assert len(fake_losant.requests_for(LOGS)) == 2
    # A browser may ask for less than the window: max-age=0 reads anew.
    await runs(jp_fetch, nb_id, cache_control="max-age=0")
    assert len(fake_losant.requests_for(LOGS)) == 3
    # no-store: a request of its own, even beside one in flight.
    fake_losant.fail_next(LOGS, slow=0.3)
    await asyncio.gather(*(runs(jp_fetch, nb_id, cache_control="no-store") for _ in range(3)))
    assert len(fake_losant.requests_for(LOGS)) == 6


async def test_a_run_in_between_is_followed_by_a_fresh_list(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fake_losant.add_notebook("Shared", file_bytes=nbformat.writes(new_notebook()).encode())
    _, before = await runs(jp_fetch, nb_id)
    assert before["items"] == []
    started = await jp_fetch(
        "notebook-remote",
        "connections",
        CONN,
        "notebooks",
        nb_id,
        "executions",
        method="POST",
        body=b"",
    )
    ex_id = json.loads(started.body)["executionId"]
    _, after = await runs(jp_fetch, nb_id)
    assert [item["id"] for item in after["items"]] == [ex_id]
    assert len(fake_losant.requests_for(LOGS)) == 2


async def test_errors_are_not_kept(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fake_losant.add_notebook("Shared")
    fake_losant.fail_next(LOGS, 500)
    code, body = await runs(jp_fetch, nb_id)
    assert code == 502, body
    code, body = await runs(jp_fetch, nb_id)
    assert code == 200, body
    assert len(fake_losant.requests_for(LOGS)) == 2


# ----------------------------------------------------------------------------- the rules


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    reads = SharedReads(1.0, clock=lambda: 0.0)
    release = asyncio.Event()
    sent: list[int] = []

    async def fetch() -> httpx.Response:
        sent.append(1)
        await release.wait()
        return httpx.Response(200, json={"ok": True})

    leaving = asyncio.ensure_future(reads.read("k", fetch))
    staying = asyncio.ensure_future(reads.read("k", fetch))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    response = await staying
    assert response.json() == {"ok": True}
    assert leaving.cancelled()
    assert sent == [1]


async def test_a_read_in_flight_across_a_change_is_not_kept() -> None:
    now = [0.0]
    reads = SharedReads(1.0, clock=lambda: now[0])
    release = asyncio.Event()
    answers = iter(["before", "after"])

    async def fetch() -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json=next(answers))

    old = asyncio.ensure_future(reads.read("k", fetch))
    await asyncio.sleep(0)
    reads.invalidate()  # a Run was sent meanwhile
    release.set()
    assert (await old).json() == "before"
    assert (await reads.read("k", fetch)).json() == "after"


async def test_the_window_never_exceeds_what_the_caller_allows() -> None:
    now = [0.0]
    reads = SharedReads(1.0, clock=lambda: now[0])
    count = [0]

    async def fetch() -> httpx.Response:
        count[0] += 1
        return httpx.Response(200, json=count[0])

    assert (await reads.read("k", fetch)).json() == 1
    now[0] = 0.5
    token = READ_MAX_AGE.set(0.25)
    try:
        assert (await reads.read("k", fetch)).json() == 2
    finally:
        READ_MAX_AGE.reset(token)
    now[0] = 0.9
    assert (await reads.read("k", fetch)).json() == 2  # kept from t=0.5
    now[0] = 1.6
    assert (await reads.read("k", fetch)).json() == 3


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("no-cache", 0.0),
        ("No-Store", -1.0),
        ("no-cache, no-store", -1.0),
        ("max-age=0", 0.0),
        ("max-age=3", 3.0),
        ("private, max-age=2", 2.0),
        ("max-age=-1", None),
        ("max-age=soon", None),
    ],
)
def test_what_a_cache_control_header_asks_for(header: Optional[str], seconds: Any) -> None:
    assert max_age_of(header) == seconds


async def test_a_new_token_is_a_new_read_and_writes_empty_the_shared_reads() -> None:
    token = ["first-token-value"]
    calls = Calls((200, {"items": []}))
    rc = client(calls, token=lambda: token[0], settings=HttpSettings(read_freshness=5))
    await rc.send("GET", "/things")
    await rc.send("GET", "/things")
    assert len(calls.requests) == 1
    token[0] = "second-token-value"
    await rc.send("GET", "/things")
    assert len(calls.requests) == 2
    await rc.send("POST", "/things/run")
    await rc.send("GET", "/things")
    assert [r.method for r in calls.requests] == ["GET", "GET", "POST", "GET"]
    # Other queries, paths and bodies are other reads.
    await rc.send("GET", "/things", params=[("limit", 5)])
    await rc.send("GET", "/other")
    assert len(calls.requests) == 6
    await rc.aclose()


def test_a_reading_is_made_again_only_for_a_body_that_changed() -> None:
    reads = SharedReads(1.0, time.monotonic)
    made: list[bytes] = []

    def reading(response: httpx.Response) -> list[Any]:
        made.append(response.content)
        return list(response.json())

    def answer(body: bytes) -> httpx.Response:
        return httpx.Response(200, content=body)

    first = answer(b"[1, 2]")
    one = reads.derived(first, ("runs", "a"), lambda: reading(first))
    assert reads.derived(first, ("runs", "a"), lambda: reading(first)) is one
    # Another answer, byte for byte the same body: the same reading, not made again.
    same = answer(b"[1, 2]")
    assert reads.derived(same, ("runs", "a"), lambda: reading(same)) is one
    assert made == [b"[1, 2]"]
    # Another tag is another reading; a changed body is read anew.
    reads.derived(same, ("runs", "b"), lambda: reading(same))
    changed = answer(b"[1, 2, 3]")
    assert reads.derived(changed, ("runs", "a"), lambda: reading(changed)) == [1, 2, 3]
    assert made == [b"[1, 2]", b"[1, 2]", b"[1, 2, 3]"]
    # A failed reading is not kept.
    broken = answer(b"[4]")
    with pytest.raises(ZeroDivisionError):
        reads.derived(broken, ("runs", "a"), lambda: 1 / 0)
    assert reads.derived(broken, ("runs", "a"), lambda: reading(broken)) == [4]


def test_each_element_of_a_list_is_read_once_for_every_page_that_carries_it() -> None:
    reads = SharedReads(1.0, time.monotonic)
    made: list[bytes] = []

    def read_run(raw: bytes) -> dict[str, Any]:
        made.append(raw)
        return dict(json.loads(raw))

    def page(body: bytes) -> Optional[list[dict[str, Any]]]:
        return reads.derived_items(httpx.Response(200, content=body), "runs", read_run)

    first = page(b'[{"id": "b", "status": "inProgress"}, {"id": "a", "status": "completed"}]')
    # The next poll: run b has ended, c is new, a is byte for byte as it was.
    second = page(
        b'[{"id": "c", "status": "queued"},{"id": "b", "status": "completed"},'
        b'{"id": "a", "status": "completed"}]'
    )
    assert first is not None
    assert second is not None
    assert [r["status"] for r in second] == ["queued", "completed", "completed"]
    assert second[2] is first[1]  # a: the same reading, not made again
    assert made == [
        b'{"id": "b", "status": "inProgress"}',
        b'{"id": "a", "status": "completed"}',
        b'{"id": "c", "status": "queued"}',
        b'{"id": "b", "status": "completed"}',
    ]
    # Another tag reads its own; a body that is not a JSON array is the caller's.
    assert reads.derived_items(httpx.Response(200, content=b"[1]"), "other", lambda raw: raw)
    assert page(b'{"items": []}') is None
    assert page(b"[1, ") is None
    # What a reading raises is raised, and nothing of it is kept.
    with pytest.raises(ZeroDivisionError):
        reads.derived_items(httpx.Response(200, content=b'[{"id": "d"}]'), "runs", lambda r: 1 / 0)
    assert page(b'[{"id": "d"}]') == [{"id": "d"}]
    assert made[-1] == b'{"id": "d"}'
