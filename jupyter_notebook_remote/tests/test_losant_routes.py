"""Every REST route of the extension, end to end: jp_fetch -> Jupyter Server
(auth on) -> LosantProvider -> httpx -> the fake Losant on loopback.

Success and failure: remote 500 / 429 / garbage / slow / dropped connection /
refused, a refused token, bad ids (which must send nothing), and the server
keeps serving after each fault."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

from .fakes.losant import FILES_ROUTE, FakeLosant
from .rest import call_api

CONN = "fake"
#: The same fake, configured without a token.
NO_TOKEN = "fake-no-token"
#: Short enough that a "slow" remote times out quickly.
READ_TIMEOUT = 0.6


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], losant_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {
            CONN: losant_connection,
            NO_TOKEN: {k: v for k, v in losant_connection.items() if k != "token"},
        },
        "default_connection": CONN,
        "local_enabled": False,
        "http_read_timeout": READ_TIMEOUT,
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


def fresh(fake: FakeLosant, name: str = "Report", content: Optional[bytes] = None) -> str:
    return fake.add_notebook(name, file_bytes=content)


def ipynb(*sources: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(nb).encode()


async def wait_status(
    jp_fetch: Any, nb_id: str, wanted: set[str], timeout: float = 5.0
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        r, data = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
        assert r.code == 200, data
        if data["items"] and data["items"][0]["status"] in wanted:
            return dict(data["items"][0])
        assert loop.time() < deadline, f"still {data['items'][:1]}"
        await asyncio.sleep(0.05)


# ----------------------------------------------------------------------------- success


async def test_connections_describe_the_losant_connection(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    r = await jp_fetch("notebook-remote", "connections")
    data = json.loads(r.body)
    assert data["default"] == CONN
    conn, no_token = data["connections"]
    assert (conn["id"], no_token["id"]) == (CONN, NO_TOKEN)
    assert no_token["authConfigured"] is False
    assert conn["kind"] == "losant"
    assert conn["baseUrl"] == fake_losant.url
    assert conn["applicationId"] == fake_losant.application_id
    assert conn["authConfigured"] is True
    # A run may say where Losant reports its end (email, callbackUrl).
    assert conn["runNotifications"] is True
    assert conn["runContext"] is True  # relativeTo and templateContext
    assert "schedule" not in conn["capabilities"]
    assert "schedule" in conn["unsupported"]
    assert fake_losant.requests == []  # describing sends nothing


async def test_notebook_crud(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    r, created = await call(jp_fetch, "POST", "notebooks", body={"name": "Daily report"})
    assert r.code == 201, created
    nb_id = created["id"]
    assert created["name"] == "Daily report"
    assert created["createdAt"].endswith("Z")
    assert fake_losant.notebooks[nb_id].name == "Daily report"

    fresh(fake_losant, "Weekly report")
    fresh(fake_losant, "Scratch")
    r, page = await call(jp_fetch, "GET", "notebooks", params={"filter": "report"})
    assert r.code == 200
    assert [i["name"] for i in page["items"]] == ["Daily report", "Weekly report"]
    assert (page["count"], page["totalCount"], page["page"]) == (2, 2, 0)
    sent = fake_losant.requests_for("notebooks.get")[-1]
    assert (sent.param("filterField"), sent.param("filter")) == ("name", "*report*")

    r, page = await call(jp_fetch, "GET", "notebooks", params={"page": 1, "perPage": 2})
    assert [i["name"] for i in page["items"]] == ["Weekly report"]
    assert page["perPage"] == 2

    r, got = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert (r.code, got["id"], got["description"]) == (200, nb_id, "")

    r, patched = await call(
        jp_fetch, "PATCH", "notebooks", nb_id, body={"name": "Renamed", "description": "d"}
    )
    assert r.code == 200, patched
    assert (patched["name"], patched["description"]) == ("Renamed", "d")
    sent = fake_losant.requests_for("notebook.patch")[-1]
    assert json.loads(sent.body) == {"name": "Renamed", "description": "d"}

    r, deleted = await call(jp_fetch, "DELETE", "notebooks", nb_id)
    assert (r.code, deleted) == (200, {"success": True})
    assert nb_id not in fake_losant.notebooks
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert (r.code, err["reason"], err["remoteStatus"]) == (404, "notebook_not_found", 404)


async def test_push_streams_the_saved_file_as_jupyter_file(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    folder = jp_root_dir / "work"
    folder.mkdir()
    content = ipynb("print('héllo')", "x = 1" * 5000)
    (folder / "daily report.ipynb").write_bytes(content)
    nb_id = fresh(fake_losant)
    r, nb = await call(
        jp_fetch, "POST", "notebooks", nb_id, "push", body={"path": "work/daily report.ipynb"}
    )
    assert r.code == 200, nb
    assert nb["fileName"] == "daily report.ipynb"
    (upload,) = fake_losant.requests_for("notebook.upload")
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(upload.headers["Content-Length"]) == len(upload.body)
    assert b'name="jupyterFile"; filename="daily report.ipynb"' in upload.body
    assert fake_losant.notebooks[nb_id].file_bytes == content


async def test_push_of_what_jupyter_tolerates_and_of_what_a_run_cannot_use(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    """Off nbformat's schema: pushed as saved, with warnings. Without the structure
    a run needs: refused, and the remote never gets the whole file (the check
    runs while the file streams; its last piece waits for the verdict)."""
    old = ipynb("print('the last good push')")
    nb_id = fresh(fake_losant, content=old)
    data = json.loads(ipynb("print(1)"))
    data["metadata"]["kernelspec"] = {"name": "python3"}  # no display_name
    odd = json.dumps(data).encode()
    (jp_root_dir / "odd.ipynb").write_bytes(odd)
    r, nb = await call(jp_fetch, "POST", "notebooks", nb_id, "push", body={"path": "odd.ipynb"})
    assert r.code == 200, nb
    assert nb["warnings"] == [
        {"message": "'display_name' is a required property", "path": "metadata.kernelspec"}
    ]
    assert fake_losant.notebooks[nb_id].file_bytes == odd

    fake_losant.notebooks[nb_id].file_bytes = old
    fake_losant.clear_requests()
    data["cells"][0]["cell_type"] = "sql"
    data["cells"][0]["source"] = "x" * (2 * 1024 * 1024)  # many pieces: the upload starts
    (jp_root_dir / "wrong.ipynb").write_text(json.dumps(data), encoding="utf-8")
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "push", body={"path": "wrong.ipynb"})
    assert (r.code, err["reason"], list(err["fields"])) == (400, "invalid_input", ["path"])
    assert "cell_type" in err["message"]
    assert fake_losant.requests_for("notebook.upload") == []  # no whole request arrived
    assert fake_losant.notebooks[nb_id].file_bytes == old


async def test_push_of_a_missing_file_sends_nothing(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "push", body={"path": "nope.ipynb"})
    assert r.code == 404, err
    assert fake_losant.requests == []


async def test_run_watch_and_finish(
    jp_fetch: Any, jp_base_url: str, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1 + 1"))
    r, started = await call(
        jp_fetch,
        "POST",
        "notebooks",
        nb_id,
        "executions",
        body={"templateContext": {"site": "a"}, "relativeTo": 1570549199451},
    )
    assert r.code == 202, started
    ex_id = started["executionId"]
    sent = json.loads(fake_losant.requests_for("notebook.execute")[-1].body)
    assert sent == {"relativeTo": 1570549199451, "templateContext": '{"site":"a"}'}

    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    assert runs["items"][0]["id"] == ex_id
    assert runs["items"][0]["status"] in ("queued", "inProgress")
    assert fake_losant.requests_for("notebook.logs")[-1].param("limit") == "20"

    done = await wait_status(jp_fetch, nb_id, {"completed"})
    assert done["id"] == ex_id
    assert done["notebookId"] == nb_id
    assert done["finishedAt"] >= done["startedAt"] >= done["queuedAt"]
    assert done["source"]["type"] == "apiToken"
    names = {o["name"]: o for o in done["outputs"]}
    assert names["result.html"]["contentType"] == "text/html"
    route = f"notebook-remote/connections/{CONN}/notebooks/{nb_id}/executions/{ex_id}/files"
    assert names["result.html"]["url"] == f"{jp_base_url}{route}/result.html"


async def test_run_outputs_are_read_through_the_extension_not_from_losant(
    jp_fetch: Any, jp_base_url: str, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1 + 1"))
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 202, started
    ex_id = started["executionId"]
    done = await wait_status(jp_fetch, nb_id, {"completed"})
    assert {"result.html", "result.ipynb", "result.log"} <= {o["name"] for o in done["outputs"]}
    route = f"{jp_base_url}notebook-remote/connections/{CONN}/notebooks/{nb_id}/executions/{ex_id}"
    for output in done["outputs"]:
        # Same origin, the extension's own route: never the fake's host.
        assert output["url"] == f"{route}/files/{output['name']}"
        assert fake_losant.url not in output["url"]
        expected_type, expected = fake_losant.output_file(ex_id, output["name"]) or ("", b"")
        fake_losant.clear_requests()
        segments = [unquote(p) for p in output["url"][len(jp_base_url) :].split("/")]
        response = await jp_fetch(*segments, method="GET")
        assert response.code == 200
        assert response.body == expected
        assert response.headers["Content-Type"].startswith(expected_type)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        (fetched,) = fake_losant.requests_for(FILES_ROUTE)
        assert fetched.path == f"/__fake__/files/{ex_id}/{output['name']}"
        # The signed URL is fetched without the Losant token.
        assert "Authorization" not in fetched.headers
        assert fake_losant.token not in json.dumps(fetched.headers)
        assert fake_losant.requests_for("notebook.logs")  # found through the logs


async def test_a_run_file_that_does_not_exist_is_a_clear_404(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1 + 1"))
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    ex_id = started["executionId"]
    await wait_status(jp_fetch, nb_id, {"completed"})
    r, err = await call(
        jp_fetch, "GET", "notebooks", nb_id, "executions", ex_id, "files", "nothing.csv"
    )
    assert (r.code, err["reason"]) == (404, "file_not_found"), err
    assert "result.html" in err["message"]
    other = "e" * 24
    r, err = await call(
        jp_fetch, "GET", "notebooks", nb_id, "executions", other, "files", "result.html"
    )
    assert (r.code, err["reason"]) == (404, "execution_not_found"), err
    assert fake_losant.requests_for(FILES_ROUTE) == []


async def test_a_failing_run_reports_its_errors(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant, content=ipynb("raise RuntimeError('FAKE_LOSANT_ERROR')"))
    r, _ = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 202
    done = await wait_status(jp_fetch, nb_id, {"errored"})
    assert done["errors"][0]["message"]
    assert "result.error.log" in {o["name"] for o in done["outputs"]}


async def test_executions_since_and_limit_reach_losant(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    r, _ = await call(
        jp_fetch,
        "GET",
        "notebooks",
        nb_id,
        "executions",
        params={"limit": 3, "since": 1465790400000},
    )
    assert r.code == 200
    sent = fake_losant.requests_for("notebook.logs")[-1]
    assert (sent.param("limit"), sent.param("since")) == ("3", "1465790400000")


async def test_cancel_a_slow_run(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant, content=ipynb("# FAKE_LOSANT_SLOW"))
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    ex_id = started["executionId"]
    await wait_status(jp_fetch, nb_id, {"inProgress"})
    r, answer = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", ex_id, "cancel")
    assert (r.code, answer) == (200, {"success": True})
    (sent,) = fake_losant.requests_for("notebook.cancelExecution")
    assert sent.param("executionId") == ex_id
    assert sent.body == b""
    canceled = await wait_status(jp_fetch, nb_id, {"canceled"})
    assert canceled["id"] == ex_id
    # Losant's 400 for a finished run is a conflict with its state, as on every kind.
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", ex_id, "cancel")
    assert (r.code, err["reason"], err["remoteStatus"]) == (409, "already_finished", 400)
    assert "already finished" in err["message"]
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", "e" * 24, "cancel")
    assert (r.code, err["reason"]) == (404, "execution_not_found")


async def test_usage_counts_minutes_per_day(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    day_ms = 86_400_000
    start_ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    fake_losant.add_run(nb_id, queued_at=(start_ms + day_ms + 3600_000) / 1000, run_for=150)
    fake_losant.add_run(
        nb_id, queued_at=(start_ms + 3 * day_ms) / 1000, run_for=30, outcome="timeout"
    )
    r, usage = await call(
        jp_fetch,
        "GET",
        "notebooks",
        nb_id,
        "usage",
        params={"start": start_ms, "end": start_ms + 7 * day_ms},
    )
    assert r.code == 200, usage
    assert usage["start"] == "2026-01-01T00:00:00.000Z"
    assert usage["totalMinutes"] == 4
    assert len(usage["days"]) == 8  # 2026-01-01 .. 2026-01-08, one a day
    busy = [(d["date"], d["minutes"], d["completed"], d["timeout"]) for d in usage["days"]]
    assert [day for day in busy if day[1]] == [
        ("2026-01-02", 3, 1, 0),
        ("2026-01-04", 1, 0, 1),
    ]
    sent = fake_losant.requests_for("notebook.notebookMinuteCounts")[-1]
    assert sent.param("start") == str(start_ms)


async def test_input_export_is_queued(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant)
    r, job = await call(
        jp_fetch, "POST", "notebooks", nb_id, "input-export", body={"email": "me@example.com"}
    )
    assert r.code == 202, job
    assert job["jobQueued"] is True
    assert fake_losant.exports[-1]["jobId"] == job["jobId"]
    assert fake_losant.exports[-1]["email"] == "me@example.com"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("method", "parts", "body", "field"),
    [
        ("GET", ("notebooks", "not-an-id"), None, "notebookId"),
        ("PATCH", ("notebooks", "z" * 24), {"name": "x"}, "notebookId"),
        ("DELETE", ("notebooks", "123"), None, "notebookId"),
        ("POST", ("notebooks", "abc", "push"), {"path": "a.ipynb"}, "notebookId"),
        ("POST", ("notebooks", "abc", "executions"), None, "notebookId"),
        ("GET", ("notebooks", "a" * 23, "executions"), None, "notebookId"),
        ("POST", ("notebooks", "a" * 24, "executions", "x", "cancel"), None, "executionId"),
        ("POST", ("notebooks", "nope", "executions", "a" * 24, "cancel"), None, "notebookId"),
        ("GET", ("notebooks", "a" * 24, "executions", "b" * 23, "files", "x"), None, "executionId"),
        ("GET", ("notebooks", "g" * 24, "executions", "b" * 24, "files", "x"), None, "notebookId"),
        ("GET", ("notebooks", "a" * 24, "executions", "b" * 24, "files", "a b"), None, "name"),
        ("GET", ("notebooks", "a" * 25, "usage"), None, "notebookId"),
        ("POST", ("notebooks", "..", "input-export"), None, "notebookId"),
        ("POST", ("notebooks",), {"name": ""}, "name"),
        ("POST", ("notebooks",), {"name": "x", "colour": "red"}, "colour"),
        ("PATCH", ("notebooks", "a" * 24), {"imageVersion": "v9"}, "imageVersion"),
        (
            "POST",
            ("notebooks", "a" * 24, "executions"),
            {"templateContext": "[1]"},
            "templateContext",
        ),
        ("POST", ("notebooks", "a" * 24, "input-export"), {"email": "nobody"}, "email"),
    ],
)
async def test_bad_input_is_400_and_sends_nothing(
    jp_fetch: Any,
    fake_losant: FakeLosant,
    method: str,
    parts: tuple[str, ...],
    body: Any,
    field: str,
) -> None:
    r, err = await call(jp_fetch, method, *parts, body=body)
    assert r.code == 400, err
    assert err["reason"] == "invalid_input"
    assert field in err["fields"]
    assert fake_losant.requests == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"perPage": 0}, "perPage"), ({"page": -1}, "page"), ({"perPage": "all"}, "perPage")],
)
async def test_bad_paging_is_400_and_sends_nothing(
    jp_fetch: Any, fake_losant: FakeLosant, params: dict[str, Any], field: str
) -> None:
    r, err = await call(jp_fetch, "GET", "notebooks", params=params)
    assert r.code == 400
    assert field in err["fields"]
    assert fake_losant.requests == []


async def test_losants_own_validation_message_comes_back_as_400(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant)  # no file uploaded yet
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 400
    assert err["remoteStatus"] == 400
    assert "upload" in err["message"]


# ----------------------------------------------------------------------------- faults


async def still_serving(jp_fetch: Any, fake: FakeLosant) -> None:
    r, page = await call(jp_fetch, "GET", "notebooks")
    assert r.code == 200, page
    assert isinstance(page["items"], list)


@pytest.mark.parametrize(
    ("route", "parts", "method"),
    [
        ("notebooks.get", ("notebooks",), "GET"),
        ("notebook.get", ("notebooks", "{nb}"), "GET"),
        ("notebook.execute", ("notebooks", "{nb}", "executions"), "POST"),
        ("notebook.logs", ("notebooks", "{nb}", "executions"), "GET"),
        ("notebook.notebookMinuteCounts", ("notebooks", "{nb}", "usage"), "GET"),
    ],
)
async def test_a_remote_500_is_a_502_and_the_server_keeps_serving(
    jp_fetch: Any, fake_losant: FakeLosant, route: str, parts: tuple[str, ...], method: str
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    fake_losant.fail_next(route, status=500, message="database on fire")
    r, err = await call(jp_fetch, method, *[p.format(nb=nb_id) for p in parts])
    assert r.code == 502, err
    assert (err["reason"], err["remoteStatus"], err["connection"]) == ("remote_error", 500, CONN)
    assert "database on fire" in err["message"]
    assert len(fake_losant.requests_for(route)) == 1  # 500 is not retried
    await still_serving(jp_fetch, fake_losant)


async def test_a_503_on_a_read_is_retried_but_execute_is_not(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    fake_losant.fail_next("notebook.get", status=503)
    r, nb = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert r.code == 200, nb
    assert len(fake_losant.requests_for("notebook.get")) == 2
    fake_losant.fail_next("notebook.execute", status=503)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert (r.code, err["remoteStatus"]) == (502, 503)
    assert len(fake_losant.requests_for("notebook.execute")) == 1
    assert fake_losant.runs == {}


async def test_a_remote_429_passes_retry_after_on(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    fake_losant.fail_next("notebook.execute", status=429, retry_after=42)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 429, err
    assert err["reason"] == "rate_limited"
    assert r.headers["Retry-After"] == "42"
    await still_serving(jp_fetch, fake_losant)


async def test_a_read_limited_for_long_is_not_waited_out(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    fake_losant.fail_next("notebooks.get", status=429, retry_after=300)
    r, err = await call(jp_fetch, "GET", "notebooks")
    assert (r.code, r.headers["Retry-After"]) == (429, "300")
    assert "300 s" in err["message"]
    assert len(fake_losant.requests_for("notebooks.get")) == 1


async def test_garbage_is_a_502(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    fake_losant.fail_next("notebooks.get", garbage=True)
    r, err = await call(jp_fetch, "GET", "notebooks")
    assert r.code == 502, err
    assert err["reason"] == "remote_error"
    assert "not JSON" in err["message"]
    await still_serving(jp_fetch, fake_losant)


async def test_a_slow_remote_times_out_as_504(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant)
    fake_losant.fail_next("notebook.get", slow=READ_TIMEOUT + 1.0)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert r.code == 504, err
    assert err["reason"] == "remote_timeout"
    assert loop.time() - t0 < READ_TIMEOUT + 1.0
    assert f"{READ_TIMEOUT:g} s" in err["message"]
    await still_serving(jp_fetch, fake_losant)


async def test_a_dropped_connection_is_a_502(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    fake_losant.fail_next("notebook.execute", close=True)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 502, err
    assert err["reason"] == "remote_unreachable"
    assert len(fake_losant.requests_for("notebook.execute")) == 1
    await still_serving(jp_fetch, fake_losant)


async def test_a_refused_connection_is_a_502_naming_the_host(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    await still_serving(jp_fetch, fake_losant)
    fake_losant.stop()
    r, err = await call(jp_fetch, "GET", "notebooks", params={"filter": "private words"})
    assert r.code == 502, err
    assert err["reason"] == "remote_unreachable"
    assert "refused" in err["message"]
    assert f"127.0.0.1:{fake_losant.port}" in err["message"]
    assert "private" not in err["message"]
    assert "applications" not in err["message"]
    fake_losant.start()
    await still_serving(jp_fetch, fake_losant)


async def test_a_refused_token_is_403_remote_auth_and_a_new_token_fixes_it(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    old = fake_losant.token
    fake_losant.token = "rotated-on-the-losant-side-1234"
    r, err = await call(jp_fetch, "GET", "notebooks")
    assert r.code == 403, err
    assert (err["reason"], err["remoteStatus"]) == ("remote_auth", 401)
    assert "Set a new token" in err["message"]
    assert old not in r.body.decode()
    r, _ = await call(jp_fetch, "PUT", "token", body={"token": fake_losant.token})
    assert r.code == 204
    await still_serving(jp_fetch, fake_losant)
    assert fake_losant.requests[-1].headers["Authorization"] == f"Bearer {fake_losant.token}"


async def test_without_a_token_nothing_is_sent_until_one_is_set(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    r, err = await call(jp_fetch, "GET", "notebooks", conn=NO_TOKEN)
    assert (r.code, err["reason"], err["connection"]) == (403, "token_missing", NO_TOKEN)
    assert fake_losant.requests == []
    r, _ = await call(jp_fetch, "PUT", "token", body={"token": fake_losant.token}, conn=NO_TOKEN)
    assert r.code == 204
    r, page = await call(jp_fetch, "GET", "notebooks", conn=NO_TOKEN)
    assert r.code == 200, page
    r, _ = await call(jp_fetch, "DELETE", "token", conn=NO_TOKEN)
    assert r.code == 204
    r, err = await call(jp_fetch, "GET", "notebooks", conn=NO_TOKEN)
    assert (r.code, err["reason"]) == (403, "token_missing")
    assert len(fake_losant.requests) == 1


async def test_usage_has_a_day_for_every_day_of_the_range(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    """A chart of the answer needs one slot per day, runs or not."""
    nb_id = fresh(fake_losant)
    start_ms = 1_700_000_000_000  # 2023-11-14T22:13:20Z
    r, usage = await call(
        jp_fetch,
        "GET",
        "notebooks",
        nb_id,
        "usage",
        params={"start": start_ms, "end": start_ms + 6 * 86_400_000},
    )
    assert r.code == 200, usage
    assert [d["date"] for d in usage["days"]] == [
        "2023-11-14",
        "2023-11-15",
        "2023-11-16",
        "2023-11-17",
        "2023-11-18",
        "2023-11-19",
        "2023-11-20",
    ]
    assert usage["totalMinutes"] == 0


async def test_usage_over_a_year_is_refused_naming_start(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant)
    r, err = await call(
        jp_fetch, "GET", "notebooks", nb_id, "usage", params={"start": 0, "end": 400 * 86_400_000}
    )
    assert r.code == 400, err
    assert "start" in err["fields"]
    assert fake_losant.requests == []


# --------------------------------------------------------------------------- pull


async def test_pull_streams_the_file_losant_holds_without_the_losant_token(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    content = ipynb("print('as Losant holds it')")
    nb_id = fresh(fake_losant, content=content)
    fake_losant.clear_requests()
    r, _ = await call(jp_fetch, "GET", "notebooks", nb_id, "file")
    assert r.code == 200
    assert r.body == content
    assert r.headers["Content-Type"].startswith("application/x-ipynb+json")
    (fetched,) = fake_losant.requests_for(FILES_ROUTE)
    assert fetched.path == f"/__fake__/notebook-files/{nb_id}"
    assert "Authorization" not in fetched.headers
    assert fake_losant.token not in json.dumps(fetched.headers)


async def test_pull_of_a_notebook_without_a_file_says_so(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant)
    r, body = await call(jp_fetch, "GET", "notebooks", nb_id, "file")
    assert r.code == 404
    assert body["reason"] == "no_file"
    assert "push" in body["message"]


async def test_a_push_over_a_remote_that_changed_since_is_refused_and_sends_nothing(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("print('theirs')"))
    (jp_root_dir / "mine.ipynb").write_bytes(ipynb("print('mine')"))
    r, seen = await call(jp_fetch, "GET", "notebooks", nb_id)
    # Pushed with the updatedAt the link saw: it goes through.
    r, pushed = await call(
        jp_fetch,
        "POST",
        "notebooks",
        nb_id,
        "push",
        body={"path": "mine.ipynb", "expectUpdatedAt": seen["updatedAt"]},
    )
    assert r.code == 200, pushed
    # Pushed again with the old updatedAt: someone else's push came in between.
    fake_losant.clear_requests()
    r, body = await call(
        jp_fetch,
        "POST",
        "notebooks",
        nb_id,
        "push",
        body={"path": "mine.ipynb", "expectUpdatedAt": "2001-01-01T00:00:00.000Z"},
    )
    assert r.code == 409
    assert body["reason"] == "remote_changed"
    assert "nothing was sent" in body["message"]
    assert fake_losant.requests_for("notebook.upload") == []
    assert fake_losant.notebooks[nb_id].file_bytes == (jp_root_dir / "mine.ipynb").read_bytes()
    r, body = await call(
        jp_fetch,
        "POST",
        "notebooks",
        nb_id,
        "push",
        body={"path": "mine.ipynb", "expectUpdatedAt": "yesterday"},
    )
    assert r.code == 400
    assert "expectUpdatedAt" in body["fields"]


async def test_a_run_with_options_reaches_losant_and_says_what_it_was_given(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant, content=ipynb("1"))
    options = {
        "relativeTo": "2026-11-30T08:00:00Z",
        "templateContext": {"site": "plant-a", "limit": 3},
        "email": "ops@example.com",
        "callbackUrl": "https://hooks.example.com/done?run=1",
    }
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", body=options)
    assert r.code == 202, started
    (sent,) = fake_losant.requests_for("notebook.execute")
    body = json.loads(sent.body)
    # Losant takes the context as JSON text, and the rest as given.
    assert json.loads(body["templateContext"]) == options["templateContext"]
    assert body["email"] == options["email"]
    assert body["callbackUrl"] == options["callbackUrl"]
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    [run] = runs["items"]
    assert run["templateContext"] == options["templateContext"]
    assert run["relativeTo"] == "2026-11-30T08:00:00.000Z"
    assert run["maxAllowedRunMinutes"] == fake_losant.max_allowed_run_minutes
    r, body = await call(
        jp_fetch, "POST", "notebooks", nb_id, "executions", body={"email": "not-an-address"}
    )
    assert r.code == 400
    assert "email" in body["fields"]


# --------------------------------------------------------------------------- configuration

ALL_INPUTS = [
    {
        "inputType": "deviceData",
        "fileName": "temps.csv",
        "deviceTags": [{"key": "floor", "value": "2"}],
        "deviceIds": ["5f0c1a2b3c4d5e6f7a8b9c0d"],
        "attributes": ["temperature"],
        "start": -86400000,
        "end": 0,
    },
    {
        "inputType": "deviceConnectionHistory",
        "fileName": "connections.csv",
        "queryJson": '{"$and": []}',
        "start": -3600000,
        "end": 0,
    },
    {"inputType": "deviceMetadata", "fileName": "devices.csv", "format": "csv"},
    {"inputType": "dataTable", "fileName": "table.csv", "dataTableId": "5f0c1a2b3c4d5e6f7a8b9c0e"},
    {"inputType": "eventData", "fileName": "events.json", "format": "json"},
    {"inputType": "externalUrl", "fileName": "rates.json", "sourceUrl": "https://example.com/r"},
    {"inputType": "applicationFile", "fileName": "model.pkl", "filePath": "/models/m.pkl"},
]
ALL_OUTPUTS = [
    {"outputType": "dataTable", "fileName": "out.csv", "dataTableId": "5f0c1a2b3c4d5e6f7a8b9c0f"},
    {
        "outputType": "file",
        "fileName": "plot.png",
        "destinationFileNameTemplate": "plot-{{time}}.png",
        "destinationPrivate": True,
    },
    {"outputType": "directory", "directoryName": "charts", "destinationDirectoryTemplate": "c"},
    {"outputType": "executionResult", "fileName": "result.html"},
    {"outputType": "temporaryUrl", "fileName": "report.pdf"},
]


async def test_every_input_and_output_type_round_trips(
    jp_fetch: Any, fake_losant: FakeLosant
) -> None:
    nb_id = fresh(fake_losant)
    patch = {"inputs": ALL_INPUTS, "outputs": ALL_OUTPUTS, "imageVersion": "v3"}
    r, body = await call(jp_fetch, "PATCH", "notebooks", nb_id, body=patch)
    assert r.code == 200, body
    (sent,) = fake_losant.requests_for("notebook.patch")
    assert json.loads(sent.body) == patch  # verbatim, as Losant takes them
    r, again = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert again["inputs"] == ALL_INPUTS
    assert again["outputs"] == ALL_OUTPUTS
    assert again["imageVersion"] == "v3"


@pytest.mark.parametrize(
    ("patch", "field", "says"),
    [
        (
            {"inputs": [ALL_INPUTS[0], {"inputType": "dataTable", "fileName": "t.csv"}]},
            "inputs[1].dataTableId",
            "required",
        ),
        (
            {"inputs": [{"inputType": "weather", "fileName": "w.csv"}]},
            "inputs[0].inputType",
            "must be one of",
        ),
        (
            {"inputs": [{**ALL_INPUTS[3], "fileName": "../etc/passwd"}]},
            "inputs[0].fileName",
            "file name",
        ),
        ({"inputs": [{**ALL_INPUTS[3], "colour": "red"}]}, "inputs[0].colour", "not a field"),
        (
            {"outputs": [{"outputType": "file", "fileName": "a.png"}]},
            "outputs[0].destinationFileNameTemplate",
            "required",
        ),
        (
            {"outputs": [{**ALL_OUTPUTS[1], "destinationPrivate": "yes"}]},
            "outputs[0].destinationPrivate",
            "must be a boolean",
        ),
    ],
)
async def test_a_configuration_losant_would_refuse_is_refused_and_nothing_is_sent(
    jp_fetch: Any, fake_losant: FakeLosant, patch: dict[str, Any], field: str, says: str
) -> None:
    nb_id = fresh(fake_losant)
    fake_losant.clear_requests()
    r, body = await call(jp_fetch, "PATCH", "notebooks", nb_id, body=patch)
    assert r.code == 400, body
    assert says in body["fields"][field]
    assert "Nothing was sent" in body["message"]
    assert fake_losant.requests == []
