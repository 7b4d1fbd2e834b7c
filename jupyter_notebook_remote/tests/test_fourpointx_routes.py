"""A 4pointx connection end to end: jp_fetch -> Jupyter Server (auth on) ->
FourPointXProvider -> httpx -> the fake 4pointx on loopback. What 4pointx
can do works; what it cannot (push, cancel, run history, usage, input
export) is a clear 400 that names the reason; bad ids send nothing; the
token is never in an answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

from .fakes.fourpointx import FakeFourPointX
from .fakes.loopback import FakeClock
from .rest import call_api

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

CONN = "site"
WRONG = "site-wrong-token"
WRONG_TOKEN = "d3JvbmctdG9rZW4tZm9yLTRwb2ludHg="
NB_ID = "603d4b06-be33-41bd-b610-34b41df9653a"


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], fourpointx_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {
            CONN: fourpointx_connection,
            WRONG: {**fourpointx_connection, "token": WRONG_TOKEN},
        },
        "default_connection": CONN,
        "local_enabled": False,
        "http_max_attempts": 2,
    }


async def call(
    jp_fetch: Any,
    method: str,
    *parts: str,
    body: Any = None,
    params: Optional[dict[str, Any]] = None,
    conn: str = CONN,
) -> tuple[HTTPResponse, Any]:
    return await call_api(jp_fetch, method, "connections", conn, *parts, body=body, params=params)


def assert_no_secret(response: HTTPResponse, fake: FakeFourPointX) -> None:
    text = response.body.decode("utf-8", "replace") + json.dumps(dict(response.headers))
    assert fake.token not in text
    assert WRONG_TOKEN not in text


async def test_connections_describe_4pointx_and_what_it_lacks(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX
) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    data = json.loads(response.body)
    conn = next(c for c in data["connections"] if c["id"] == CONN)
    assert conn["kind"] == "fourpointx"
    assert conn["baseUrl"] == fake_fourpointx.url
    assert (conn["runContext"], conn["runNotifications"]) == (False, False)
    assert set(conn["capabilities"]) == {
        "list",
        "create",
        "rename",
        "delete",
        "execute",
        "schedule",
    }
    assert set(conn["unsupported"]) == {
        "push",
        "cancel",
        "logs",
        "usage",
        "inputExport",
        "pull",
        "open",
    }
    assert all(text for text in conn["unsupported"].values())
    assert_no_secret(response, fake_fourpointx)
    assert fake_fourpointx.requests == []


async def test_create_list_rename_run_delete(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX, fourpointx_clock: FakeClock
) -> None:
    r, created = await call(jp_fetch, "POST", "notebooks", body={"name": "Boiler"})
    assert r.code == 201, created
    nb_id = created["id"]
    assert (created["name"], created["fileName"]) == ("Boiler", "Boiler.ipynb")
    assert fake_fourpointx.notebooks[nb_id].notebook_name == "Boiler.ipynb"

    fourpointx_clock.advance(5)
    fake_fourpointx.add_notebook("pump.ipynb")
    r, page = await call(jp_fetch, "GET", "notebooks", params={"perPage": 1})
    assert r.code == 200
    assert (page["count"], page["totalCount"], page["perPage"]) == (1, 2, 1)
    assert page["items"][0]["name"] == "pump"
    r, page = await call(jp_fetch, "GET", "notebooks", params={"filter": "boil"})
    assert [i["id"] for i in page["items"]] == [nb_id]

    r, renamed = await call(jp_fetch, "PATCH", "notebooks", nb_id, body={"name": "Boiler v2"})
    assert (r.code, renamed["name"]) == (200, "Boiler v2")
    r, err = await call(jp_fetch, "PATCH", "notebooks", nb_id, body={"name": "pump"})
    assert (r.code, err["reason"]) == (409, "conflict")

    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 202, started
    assert started["executionId"]
    assert fake_fourpointx.notebooks[nb_id].no_of_runs == 1

    r, ok = await call(jp_fetch, "DELETE", "notebooks", nb_id)
    assert (r.code, ok) == (200, {"success": True})
    assert nb_id not in fake_fourpointx.notebooks
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert (r.code, err["reason"]) == (404, "notebook_not_found")
    r, err = await call(jp_fetch, "DELETE", "notebooks", nb_id)
    assert (r.code, err["reason"]) == (404, "notebook_not_found")


async def test_what_4pointx_cannot_do_is_a_400_naming_why(
    jp_fetch: Any, jp_root_dir: Path, fake_fourpointx: FakeFourPointX
) -> None:
    nb_id = fake_fourpointx.add_notebook("x.ipynb").notebook_id
    nb = nbformat.v4.new_notebook()
    (jp_root_dir / "a.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    cases = [
        ("POST", ("notebooks", nb_id, "push"), {"path": "a.ipynb"}, "upload"),
        ("POST", ("notebooks", nb_id, "executions", NB_ID, "cancel"), None, "stop a run"),
        ("GET", ("notebooks", nb_id, "executions"), None, "run history"),
        ("GET", ("notebooks", nb_id, "usage"), None, "minutes"),
        ("POST", ("notebooks", nb_id, "input-export"), {}, "input data"),
    ]
    for method, parts, body, why in cases:
        r, err = await call(jp_fetch, method, *parts, body=body)
        assert (r.code, err["reason"]) == (400, "unsupported"), (parts, err)
        assert why in err["message"]
    assert fake_fourpointx.requests == []


@pytest.mark.parametrize("bad", ["7001", "603d4b06be3341bdb61034b41df9653a", "_all"])
async def test_bad_ids_are_400_and_send_nothing(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX, bad: str
) -> None:
    for method, parts in [
        ("GET", ("notebooks", bad)),
        ("PATCH", ("notebooks", bad)),
        ("DELETE", ("notebooks", bad)),
        ("POST", ("notebooks", bad, "executions")),
    ]:
        r, err = await call(
            jp_fetch, method, *parts, body={"name": "x"} if method == "PATCH" else None
        )
        assert (r.code, err["reason"]) == (400, "invalid_input"), (method, parts, err)
        assert "notebookId" in err["fields"]
    assert fake_fourpointx.requests == []


async def test_a_refused_token_is_403_remote_auth_without_the_token(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX
) -> None:
    r, err = await call(jp_fetch, "GET", "notebooks", conn=WRONG)
    assert (r.code, err["reason"], err["remoteStatus"]) == (403, "remote_auth", 401)
    assert_no_secret(r, fake_fourpointx)


async def test_a_description_is_refused_before_anything_is_created(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX
) -> None:
    r, err = await call(jp_fetch, "POST", "notebooks", body={"name": "x", "description": "y"})
    assert (r.code, err["reason"]) == (400, "invalid_input")
    assert "description" in err["fields"]
    assert fake_fourpointx.notebooks == {}
    assert fake_fourpointx.requests == []


# ----------------------------------------------------------------------------- run history


async def test_a_notebook_answers_when_it_last_ran_and_how_often(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX, fourpointx_clock: FakeClock
) -> None:
    ran = fake_fourpointx.add_notebook("boiler.ipynb").notebook_id
    fake_fourpointx.add_notebook("pump.ipynb")
    r, got = await call(jp_fetch, "GET", "notebooks", ran)
    assert (got["lastRunAt"], got["runCount"]) == (None, 0)  # never run: null alone
    r, page = await call(jp_fetch, "GET", "notebooks")
    assert [(i["lastRunAt"], i["runCount"]) for i in page["items"]] == [(None, 0)] * 2  # "-"

    fourpointx_clock.advance(90)
    for _ in range(2):
        r, started = await call(jp_fetch, "POST", "notebooks", ran, "executions")
        assert r.code == 202, started
    last = fake_fourpointx.notebooks[ran].last_run
    assert last == int(fourpointx_clock() * 1000)
    r, got = await call(jp_fetch, "GET", "notebooks", ran)
    assert (got["lastRunAt"], got["runCount"]) == ("2026-01-05T09:01:30.000Z", 2)
    r, page = await call(jp_fetch, "GET", "notebooks")
    by_name = {i["name"]: (i["lastRunAt"], i["runCount"]) for i in page["items"]}
    assert by_name == {"boiler": ("2026-01-05T09:01:30.000Z", 2), "pump": (None, 0)}


async def test_the_total_is_what_count_says(jp_fetch: Any, fake_fourpointx: FakeFourPointX) -> None:
    for name in ("a.ipynb", "b.ipynb"):
        fake_fourpointx.add_notebook(name)
    fake_fourpointx.fail_next(
        200,
        path=r"/_count/?$",
        body={"Total Notebooks": 7, "Not Scheduled": 6, "Scheduled": 1},
    )
    r, page = await call(jp_fetch, "GET", "notebooks", params={"perPage": 1})
    assert r.code == 200, page
    assert (page["count"], page["totalCount"]) == (1, 7)
    # Unless it says less than the list holds, or nothing usable: the list counts.
    for body in [{"Total Notebooks": 1}, {"Total": "many"}, {"error": {"status": 400}}]:
        fake_fourpointx.fail_next(200, path=r"/_count/?$", body=body)
        r, page = await call(jp_fetch, "GET", "notebooks")
        assert (r.code, page["totalCount"]) == (200, 2), body
    fake_fourpointx.fail_next(500, path=r"/_count/?$")
    r, page = await call(jp_fetch, "GET", "notebooks")
    assert (r.code, page["totalCount"]) == (200, 2)
    assert len(fake_fourpointx.requests_to(r"/_count/?$")) == 5


async def test_a_filtered_total_counts_the_matches_and_asks_no_count(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX
) -> None:
    for name in ("boiler-a.ipynb", "boiler-b.ipynb", "pump.ipynb"):
        fake_fourpointx.add_notebook(name)
    r, page = await call(jp_fetch, "GET", "notebooks", params={"filter": "boiler"})
    assert (r.code, page["count"], page["totalCount"]) == (200, 2, 2)
    assert fake_fourpointx.requests_to(r"/_count/?$") == []
