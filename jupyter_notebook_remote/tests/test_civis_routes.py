"""A Civis connection end to end: jp_fetch -> Jupyter Server (auth on) ->
CivisProvider -> httpx -> the fake Civis on loopback (and its pre-signed
storage). Success paths, Civis's quirks (archive for delete, update-links for
push, deployments for runs), failures, bad ids that must send nothing, and
the API key never in an answer."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

from .fakes.civis import FakeCivis
from .fakes.loopback import FakeClock
from .rest import call_api

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

CONN = "civis-fake"
NO_TOKEN = "civis-no-token"
WRONG = "civis-wrong-key"
WRONG_KEY = "wrong-civis-key-5a7c9e1b3d"


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], civis_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {
            CONN: civis_connection,
            NO_TOKEN: {k: v for k, v in civis_connection.items() if k != "token"},
            WRONG: {**civis_connection, "token": WRONG_KEY},
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


def secret_forms(fake: FakeCivis) -> list[str]:
    return [
        fake.api_key,
        base64.b64encode(f"{fake.api_key}:".encode()).decode(),
        WRONG_KEY,
        base64.b64encode(f"{WRONG_KEY}:".encode()).decode(),
    ]


def assert_no_secret(response: HTTPResponse, fake: FakeCivis) -> None:
    text = response.body.decode("utf-8", "replace") + json.dumps(dict(response.headers))
    for secret in secret_forms(fake):
        assert secret not in text


def write_notebook(root: Path, name: str = "churn.ipynb") -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('churn')")]
    data = nbformat.writes(nb).encode()
    (root / name).write_bytes(data)
    return data


# ----------------------------------------------------------------------------- success


async def test_connections_describe_civis_without_its_key(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    data = json.loads(response.body)
    by_id = {c["id"]: c for c in data["connections"]}
    assert data["default"] == CONN
    conn = by_id[CONN]
    assert conn["kind"] == "civis"
    assert conn["baseUrl"] == fake_civis.url
    assert conn["authConfigured"] is True
    assert by_id[NO_TOKEN]["authConfigured"] is False
    # A deployment takes no context (a run asking for one is refused, below).
    assert (conn["runContext"], conn["runNotifications"]) == (False, False)
    assert set(conn["capabilities"]) == {
        "list",
        "create",
        "rename",
        "delete",
        "push",
        "execute",
        "cancel",
        "logs",
        "usage",
        "pull",
        "open",
    }
    assert set(conn["unsupported"]) == {"inputExport", "schedule"}
    assert_no_secret(response, fake_civis)
    assert fake_civis.requests == []


async def test_notebook_crud_with_archive_for_delete(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    r, created = await call(
        jp_fetch, "POST", "notebooks", body={"name": "Churn", "description": "model"}
    )
    assert r.code == 201, created
    nb_id = created["id"]
    assert (created["name"], created["description"]) == ("Churn", "model")
    assert int(nb_id) in fake_civis.notebooks
    civis_clock.advance(1)
    fake_civis.add_notebook("Retention")

    r, page = await call(jp_fetch, "GET", "notebooks", params={"perPage": 100})
    assert r.code == 200
    assert [i["name"] for i in page["items"]] == ["Retention", "Churn"]
    assert (page["count"], page["totalCount"], page["perPage"]) == (2, 2, 50)
    r, page = await call(jp_fetch, "GET", "notebooks", params={"filter": "chu"})
    assert [i["name"] for i in page["items"]] == ["Churn"]

    r, patched = await call(jp_fetch, "PATCH", "notebooks", nb_id, body={"name": "Churn v2"})
    assert (r.code, patched["name"], patched["description"]) == (200, "Churn v2", "model")
    assert fake_civis.notebooks[int(nb_id)].name == "Churn v2"

    r, deleted = await call(jp_fetch, "DELETE", "notebooks", nb_id)
    assert (r.code, deleted) == (200, {"success": True})
    assert fake_civis.notebooks[int(nb_id)].archived
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert (r.code, err["reason"]) == (404, "notebook_not_found")
    assert "archived" in err["message"]


async def test_push_puts_the_saved_file_to_the_presigned_url(
    jp_fetch: Any, jp_root_dir: Path, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn")
    data = write_notebook(jp_root_dir)
    r, pushed = await call(
        jp_fetch, "POST", "notebooks", str(nb.id), "push", body={"path": "churn.ipynb"}
    )
    assert r.code == 200, pushed
    assert pushed["id"] == str(nb.id)
    assert fake_civis.notebooks[nb.id].content == data
    (put,) = fake_civis.requests_to(r"^/storage/.*/notebook\.ipynb$", "PUT")
    assert "Authorization" not in put.headers
    assert put.body == data
    assert_no_secret(r, fake_civis)


async def test_push_of_what_a_run_cannot_use_never_completes_the_put(
    jp_fetch: Any, jp_root_dir: Path, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn")
    good = write_notebook(jp_root_dir)
    r, pushed = await call(
        jp_fetch, "POST", "notebooks", str(nb.id), "push", body={"path": "churn.ipynb"}
    )
    assert (r.code, pushed["warnings"]) == (200, [])
    data = json.loads(good)
    data["cells"][0]["source"] = 7
    data["metadata"]["padding"] = "x" * (2 * 1024 * 1024)  # many pieces: the PUT starts
    (jp_root_dir / "wrong.ipynb").write_text(json.dumps(data), encoding="utf-8")
    r, err = await call(
        jp_fetch, "POST", "notebooks", str(nb.id), "push", body={"path": "wrong.ipynb"}
    )
    assert (r.code, err["reason"]) == (400, "invalid_input"), err
    assert "no source" in err["message"]
    assert fake_civis.notebooks[nb.id].content == good
    # the good one only
    assert len(fake_civis.requests_to(r"^/storage/.*/notebook\.ipynb$", "PUT")) == 1


async def test_run_watch_and_cancel_a_deployment(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb_id = str(fake_civis.add_notebook("Churn").id)
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    assert r.code == 202, started
    ex_id = started["executionId"]
    assert int(ex_id) in fake_civis.deployments

    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    assert r.code == 200
    assert [(x["id"], x["status"]) for x in runs["items"]] == [(ex_id, "queued")]
    civis_clock.advance(31)
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    assert runs["items"][0]["status"] == "inProgress"

    r, ok = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", ex_id, "cancel")
    assert (r.code, ok) == (200, {"success": True})
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions", params={"limit": 5})
    (run,) = runs["items"]
    assert run["status"] == "canceled"
    assert run["finishedAt"] is not None
    assert fake_civis.requests_to(r"/deployments$", "GET")[-1].query["limit"] == ["5"]

    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", "999", "cancel")
    assert (r.code, err["reason"]) == (404, "execution_not_found")


async def test_a_deployments_log_is_served_as_result_log(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Churn")
    dep = fake_civis.add_deployment(nb.id, running_seconds=60)
    civis_clock.advance(100)
    r, runs = await call(jp_fetch, "GET", "notebooks", str(nb.id), "executions")
    assert r.code == 200
    (output,) = runs["items"][0]["outputs"]
    assert output["name"] == "result.log"
    assert output["url"].endswith(
        f"/notebook-remote/connections/{CONN}/notebooks/{nb.id}/executions/{dep.id}"
        "/files/result.log"
    )
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        CONN,
        "notebooks",
        str(nb.id),
        "executions",
        str(dep.id),
        "files",
        "result.log",
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.body.decode()
    assert "[user/stdout] hello from the notebook" in text
    assert "Deployment stopped" in text
    assert_no_secret(response, fake_civis)


async def test_usage_per_day_from_deployments(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Churn")
    now = civis_clock()
    fake_civis.add_deployment(nb.id, created=now - 86400, running_seconds=1800 - 30)
    end_ms = int(now * 1000)
    r, usage = await call(
        jp_fetch,
        "GET",
        "notebooks",
        str(nb.id),
        "usage",
        params={"start": end_ms - 2 * 86400 * 1000, "end": end_ms},
    )
    assert r.code == 200, usage
    assert usage["totalMinutes"] == pytest.approx(30)
    assert [d["date"] for d in usage["days"]] == ["2026-01-03", "2026-01-04", "2026-01-05"]
    assert usage["days"][1]["minutes"] == pytest.approx(30)
    assert usage["days"][1]["completed"] == 1


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize("bad", ["abc", "0", "1234567890123", "12.5", "5f0c1a2b3c4d5e6f7a8b9c0d"])
async def test_bad_ids_are_400_and_send_nothing(
    jp_fetch: Any, fake_civis: FakeCivis, bad: str
) -> None:
    for method, parts, body in [
        ("GET", ("notebooks", bad), None),
        ("PATCH", ("notebooks", bad), {"name": "x"}),
        ("DELETE", ("notebooks", bad), None),
        ("POST", ("notebooks", bad, "push"), {"path": "a.ipynb"}),
        ("POST", ("notebooks", bad, "executions"), None),
        ("GET", ("notebooks", bad, "executions"), None),
        ("GET", ("notebooks", bad, "usage"), None),
        ("POST", ("notebooks", bad, "executions", "7001", "cancel"), None),
        ("POST", ("notebooks", "7001", "executions", bad, "cancel"), None),
        ("GET", ("notebooks", bad, "executions", "7001", "files", "result.log"), None),
        ("GET", ("notebooks", "7001", "executions", bad, "files", "result.log"), None),
    ]:
        r, err = await call(jp_fetch, method, *parts, body=body)
        assert r.code == 400, (method, parts, err)
        assert err["reason"] == "invalid_input"
        assert set(err["fields"]) <= {"notebookId", "executionId"}
    assert fake_civis.requests == []


async def test_a_refused_key_is_403_remote_auth_without_the_key(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    r, err = await call(jp_fetch, "GET", "notebooks", conn=WRONG)
    assert (r.code, err["reason"], err["remoteStatus"]) == (403, "remote_auth", 401)
    assert err["connection"] == WRONG
    assert_no_secret(r, fake_civis)


async def test_no_key_is_token_missing_and_sends_nothing(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    r, err = await call(jp_fetch, "GET", "notebooks", conn=NO_TOKEN)
    assert (r.code, err["reason"]) == (403, "token_missing")
    assert fake_civis.requests == []


async def test_a_key_set_from_the_ui_is_used_and_not_echoed(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    r, _ = await call(jp_fetch, "PUT", "token", body={"token": fake_civis.api_key}, conn=NO_TOKEN)
    assert r.code == 204
    assert r.body == b""
    r, page = await call(jp_fetch, "GET", "notebooks", conn=NO_TOKEN)
    assert r.code == 200, page
    assert_no_secret(r, fake_civis)


async def test_remote_failures_map_to_gateway_errors(jp_fetch: Any, fake_civis: FakeCivis) -> None:
    fake_civis.fail_next(
        500, path=r"^/notebooks$", body={"error": "internal", "errorDescription": "Database down"}
    )
    r, err = await call(jp_fetch, "POST", "notebooks", body={"name": "x"})
    assert (r.code, err["reason"], err["remoteStatus"]) == (502, "remote_error", 500)
    assert "Database down" in err["message"]

    fake_civis.fail_next(429, path=r"^/notebooks$", headers={"Retry-After": "30"})
    r, err = await call(jp_fetch, "GET", "notebooks")
    assert (r.code, err["reason"]) == (429, "rate_limited")
    assert r.headers["Retry-After"] == "30"

    fake_civis.fail_next(0, path=r"^/notebooks$", close=True)
    r, err = await call(jp_fetch, "GET", "notebooks")
    assert (r.code, err["reason"]) == (502, "remote_unreachable")

    r, page = await call(jp_fetch, "GET", "notebooks")
    assert r.code == 200, page  # the server keeps serving


async def test_what_civis_cannot_do_is_a_clear_400(jp_fetch: Any, fake_civis: FakeCivis) -> None:
    nb_id = str(fake_civis.add_notebook("Churn").id)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "input-export", body={})
    assert (r.code, err["reason"]) == (400, "unsupported")
    assert "Civis" in err["message"]
    r, err = await call(
        jp_fetch, "POST", "notebooks", nb_id, "executions", body={"templateContext": {"a": 1}}
    )
    assert (r.code, err["reason"]) == (400, "invalid_input")
    assert "templateContext" in err["fields"]
    assert fake_civis.deployments == {}


async def test_the_key_never_reaches_the_log(
    jp_fetch: Any,
    jp_root_dir: Path,
    fake_civis: FakeCivis,
    civis_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    nb_id = str(fake_civis.add_notebook("Churn").id)
    write_notebook(jp_root_dir)
    await call(jp_fetch, "POST", "notebooks", nb_id, "push", body={"path": "churn.ipynb"})
    r, started = await call(jp_fetch, "POST", "notebooks", nb_id, "executions")
    civis_clock.advance(40)
    await call(jp_fetch, "POST", "notebooks", nb_id, "executions", started["executionId"], "cancel")
    fake_civis.fail_next(500, body={"error": f"echo {fake_civis.api_key}"})
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id)
    assert r.code == 502
    await call(jp_fetch, "GET", "notebooks", conn=WRONG)
    assert caplog.records
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secret_forms(fake_civis):
        assert secret not in logged
    assert fake_civis.api_key not in json.dumps(err)


async def test_a_sleeping_deployment_is_still_up_can_be_opened_and_stopped(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Churn")
    dep = fake_civis.add_deployment(nb.id, running_seconds=None, sleep_after_seconds=600)
    nb_id, ex_id = str(nb.id), str(dep.id)
    civis_clock.advance(60)
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    (run,) = runs["items"]
    assert (run["status"], run["remoteState"]) == ("inProgress", None)
    assert run["resources"] == {
        "memoryMb": dep.memory,
        "cpuMillicores": dep.cpu,
        "maxMemoryMb": None,
        "maxCpuMillicores": None,
    }
    # Open: the displayUrl of the single-deployment GET, read when asked.
    with fake_civis.lock:
        fake_civis.requests.clear()
    r, opened = await call(jp_fetch, "GET", "notebooks", nb_id, "executions", ex_id, "open")
    assert r.code == 200, opened
    assert opened["url"].startswith(f"https://deployment-{dep.id}.notebooks.civis.test/")
    assert r.headers["Cache-Control"] == "no-store"
    (read,) = fake_civis.requests_to(rf"/deployments/{dep.id}$", "GET")
    assert "Authorization" in read.headers  # the API call; the URL itself is the browser's
    r, again = await call(jp_fetch, "GET", "notebooks", nb_id, "executions", ex_id, "open")
    assert again["url"] != opened["url"]  # signed anew each time, never kept

    civis_clock.advance(600)  # idle: Civis puts it to sleep
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    (run,) = runs["items"]
    assert (run["status"], run["remoteState"]) == ("inProgress", "sleeping")
    assert "asleep" in run["remoteMessage"]
    r, opened = await call(jp_fetch, "GET", "notebooks", nb_id, "executions", ex_id, "open")
    assert r.code == 200  # a sleeping server wakes when opened

    r, ok = await call(jp_fetch, "POST", "notebooks", nb_id, "executions", ex_id, "cancel")
    assert (r.code, ok) == (200, {"success": True})
    civis_clock.advance(5)
    r, runs = await call(jp_fetch, "GET", "notebooks", nb_id, "executions")
    (run,) = runs["items"]
    assert run["status"] == "canceled"
    assert run["resources"]["maxMemoryMb"] is not None  # filled in at termination
    r, err = await call(jp_fetch, "GET", "notebooks", nb_id, "executions", ex_id, "open")
    assert (r.code, err["reason"]) == (409, "not_running")


async def test_push_also_updates_the_html_preview_civis_shows(
    jp_fetch: Any, jp_root_dir: Path, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn")
    saved = nbformat.v4.new_notebook()
    saved.cells = [nbformat.v4.new_markdown_cell("# Churn model"), nbformat.v4.new_code_cell("1")]
    saved.metadata["kernelspec"] = {"name": "python3"}  # no display_name: JupyterLab opens it
    (jp_root_dir / "churn.ipynb").write_text(nbformat.writes(saved), encoding="utf-8")
    r, pushed = await call(
        jp_fetch, "POST", "notebooks", str(nb.id), "push", body={"path": "churn.ipynb"}
    )
    assert r.code == 200, pushed
    # Made after the push answered (rendering takes a while): wait for it.
    for _ in range(600):
        if fake_civis.notebooks[nb.id].preview:
            break
        await asyncio.sleep(0.1)
    page = fake_civis.notebooks[nb.id].preview.decode()
    assert "<title>churn</title>" in page
    assert "Churn model" in page
    puts = fake_civis.requests_to(r"^/storage/.*preview\.html$", "PUT")
    assert len(puts) == 1
    assert "Authorization" not in puts[0].headers
