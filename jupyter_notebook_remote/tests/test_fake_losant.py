"""The fake Losant is only useful if it speaks Losant: these tests hold it to
the official schemas and examples, and check the behaviour other tests rely
on (auth, ids, run life cycle, faults, recording)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .fakes.losant import (
    SCHEMA_DIR,
    FakeBug,
    FakeClock,
    FakeLosant,
    parse_multipart_field,
    schema_errors,
)

NB = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
GLOBAL = {"_actions": "false", "_links": "true", "_embedded": "true"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_780_000_000.0)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeLosant]:
    with FakeLosant(
        clock=clock, queued_seconds=2, running_seconds=10, slow_seconds=600, canceling_seconds=3
    ) as fake:
        yield fake
        assert not fake.bugs


@pytest.fixture
def api(fake: FakeLosant) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake.token}", "Accept-Version": "^1.30.0"}
    base = f"{fake.url}/applications/{fake.application_id}/notebooks"
    with httpx.Client(base_url=base, headers=headers, params=GLOBAL, timeout=10) as client:
        yield client


def valid(name: str, body: Any) -> Any:
    problems = schema_errors(name, body)
    assert problems == [], problems
    return body


def upload(api: httpx.Client, nb_id: str, content: bytes, name: str = "my.ipynb") -> Any:
    r = api.post(
        f"/{nb_id}/upload",
        files={"jupyterFile": (name, content, "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    return valid("notebook", r.json())


def create(api: httpx.Client, name: str = "Example", content: bytes | None = None) -> str:
    r = api.post("", json={"name": name})
    assert r.status_code == 201, r.text
    nb_id: str = valid("notebook", r.json())["id"]
    if content is not None:
        upload(api, nb_id, content)
    return nb_id


def notebook_bytes(marker: str = "") -> bytes:
    body = dict(NB, cells=[{"cell_type": "code", "source": f"print('{marker}')"}])
    return json.dumps(body).encode()


# ----------------------------------------------------------------------------- schemas


def test_official_examples_validate_against_the_official_schemas() -> None:
    examples = json.loads((SCHEMA_DIR / "apiExamples.notebook-extract.json").read_text())
    names = {"validationErrors": "error"}
    assert len(examples) >= 12
    for key, example in examples.items():
        valid(names.get(key, key), example)


def test_schema_checks_formats_and_enums_so_validation_is_not_vacuous() -> None:
    examples = json.loads((SCHEMA_DIR / "apiExamples.notebook-extract.json").read_text())
    broken = dict(examples["notebook"], creationDate="yesterday")
    assert any("creationDate" in p for p in schema_errors("notebook", broken))
    log = [dict(examples["notebookExecutionLogs"][0], status="cancelled")]
    assert schema_errors("notebookExecutionLogs", log)
    assert schema_errors("notebookPost", {"name": "x", "color": "red"})
    assert schema_errors("notebookExecutionOptions", {"callbackUrl": "not a uri"})


def test_every_answer_of_a_full_session_validates(api: httpx.Client, fake: FakeLosant) -> None:
    nb_id = create(api, "Session")
    valid("notebooks", api.get("", params={"page": 0, "perPage": 10}).json())
    valid("notebook", api.get(f"/{nb_id}").json())
    valid("notebook", api.patch(f"/{nb_id}", json={"description": "d"}).json())
    upload(api, nb_id, notebook_bytes())
    r = api.post(f"/{nb_id}/execute", json={"relativeTo": 1570549199451})
    assert r.status_code == 200
    ex_id = valid("successWithExecutionId", r.json())["executionId"]
    valid("notebookExecutionLogs", api.get(f"/{nb_id}/logs", params={"limit": 5}).json())
    valid("notebookMinuteCounts", api.get(f"/{nb_id}/notebookMinuteCounts").json())
    r = api.post(f"/{nb_id}/cancelExecution", params={"executionId": ex_id})
    valid("success", r.json())
    r = api.post(f"/{nb_id}/requestInputDataExport", json={"email": "user@example.com"})
    assert r.status_code == 202
    assert valid("jobEnqueuedResult", r.json())["jobQueued"] is True
    valid("success", api.delete(f"/{nb_id}").json())
    r = api.get(f"/{nb_id}")
    assert r.status_code == 404
    assert valid("error", r.json()) == {"type": "NotFound", "message": "Notebook was not found"}


def test_answers_of_a_run_in_every_state_validate(
    api: httpx.Client, fake: FakeLosant, clock: FakeClock
) -> None:
    plain = create(api, "plain", notebook_bytes())
    failing = create(api, "failing", notebook_bytes("FAKE_LOSANT_ERROR"))
    timing_out = create(api, "timing out", notebook_bytes("FAKE_LOSANT_TIMEOUT"))
    for nb_id in (plain, failing, timing_out):
        api.post(f"/{nb_id}/execute", json={})
    seen: set[str] = set()
    for _ in range(4):
        for nb_id in (plain, failing, timing_out):
            entries = valid("notebookExecutionLogs", api.get(f"/{nb_id}/logs").json())
            seen.add(entries[0]["status"])
            valid("notebook", api.get(f"/{nb_id}").json())
        clock.advance(5)
    assert {"queued", "inProgress", "completed", "errored", "timeout"} <= seen


# ----------------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("POST", "", {}, "name"),
        ("POST", "", {"name": ""}, "name"),
        ("POST", "", {"name": "x", "colour": "red"}, "colour"),
        ("POST", "", {"name": "x", "imageVersion": "v9"}, "imageVersion"),
        ("PATCH", "/{nb}", {"name": 5}, "name"),
        ("PATCH", "/{nb}", {"outputs": [{"outputType": "nope"}]}, "outputs"),
        ("POST", "/{nb}/execute", {"context": "{}"}, "context"),
        ("POST", "/{nb}/execute", {"callbackUrl": "not a url"}, "callbackUrl"),
        ("POST", "/{nb}/requestInputDataExport", {"email": "nobody"}, "email"),
    ],
)
def test_request_bodies_that_break_the_schema_get_400(
    api: httpx.Client, method: str, path: str, body: Any, problem: str
) -> None:
    nb_id = create(api, "target", notebook_bytes())
    r = api.request(method, path.format(nb=nb_id), json=body)
    assert r.status_code == 400, r.text
    answer = valid("error", r.json())
    assert answer["type"] == "Validation"
    assert problem in answer["message"]


def test_bodies_that_are_not_json_get_400(api: httpx.Client) -> None:
    r = api.post("", content=b"name=x", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["message"]
    r = api.post("", content=b"")
    assert r.status_code == 400
    assert "required" in r.json()["message"]
    r = api.post("", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 400


def test_auth_is_a_bearer_token(fake: FakeLosant, api: httpx.Client) -> None:
    base = f"{fake.url}/applications/{fake.application_id}/notebooks"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": fake.token}):
        r = httpx.get(base, headers=headers)
        assert r.status_code == 401
        assert valid("error", r.json())["type"] == "Unauthorized"
    assert api.get("").status_code == 200
    fake.token = "rotated"
    assert api.get("").status_code == 401


def test_ids_are_checked(api: httpx.Client, fake: FakeLosant) -> None:
    assert api.get("/not-an-id").status_code == 400
    assert api.get("/" + "a" * 24).status_code == 404
    other = api.get(f"{fake.url}/applications/{'b' * 24}/notebooks")
    assert other.status_code == 404
    assert other.json()["message"] == "Application was not found"
    assert api.get(f"{fake.url}/nothing/here").status_code == 404


def test_list_filters_pages_and_sorts(api: httpx.Client) -> None:
    for name in ("beta report", "Alpha report", "gamma", "alpha draft"):
        create(api, name)
    page = api.get("", params={"filterField": "name", "filter": "*report*"}).json()
    assert [i["name"] for i in page["items"]] == ["Alpha report", "beta report"]
    assert page["filter"] == "*report*"
    page = api.get("", params={"perPage": 3, "page": 1}).json()
    assert (page["count"], page["totalCount"], page["page"], page["perPage"]) == (1, 4, 1, 3)
    assert [i["name"] for i in page["items"]] == ["gamma"]
    desc = api.get("", params={"sortDirection": "desc"}).json()
    assert desc["items"][0]["name"] == "gamma"
    assert api.get("", params={"perPage": "many"}).status_code == 400
    assert api.get("", params={"sortField": "colour"}).status_code == 400


# ----------------------------------------------------------------------------- upload


def multipart(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str) -> bytes:
    out = b""
    for name, filename, ctype, data in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("filename", "ctype", "stored_name"),
    [
        ("my.ipynb", "application/octet-stream", "my.ipynb"),  # JS client, fs stream
        ("jupyterFile", None, "jupyterFile"),  # JS client, string
        (None, "application/octet-stream", "jupyterFile"),  # JS client, Buffer
    ],
)
def test_upload_accepts_the_shapes_the_official_client_sends(
    api: httpx.Client, fake: FakeLosant, filename: str | None, ctype: str | None, stored_name: str
) -> None:
    nb_id = create(api)
    data = notebook_bytes("exact \r\n--bytes--\r\n")
    boundary = "--------------------------0123456789abcdef01234567"
    body = multipart([("jupyterFile", filename, ctype, data)], boundary)
    r = api.post(
        f"/{nb_id}/upload",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 200, r.text
    answer = valid("notebook", r.json())
    assert answer["jupyterFileName"] == stored_name
    assert answer["jupyterFileUrl"]
    assert fake.notebooks[nb_id].file_bytes == data
    assert httpx.get(answer["jupyterFileUrl"]).content == data


def test_upload_needs_the_jupyter_file_field(api: httpx.Client) -> None:
    nb_id = create(api)
    r = api.post(f"/{nb_id}/upload", files={"file": ("my.ipynb", b"{}")})
    assert r.status_code == 400
    assert "jupyterFile" in r.json()["message"]
    r = api.post(f"/{nb_id}/upload", json={"jupyterFile": "{}"})
    assert r.status_code == 400


def test_upload_over_the_limit_gets_413() -> None:
    with FakeLosant(max_upload_bytes=1000) as fake:
        headers = {"Authorization": f"Bearer {fake.token}"}
        base = f"{fake.url}/applications/{fake.application_id}/notebooks"
        nb_id = fake.add_notebook("big")
        r = httpx.post(
            f"{base}/{nb_id}/upload", headers=headers, files={"jupyterFile": ("a", b"x" * 2000)}
        )
        assert r.status_code == 413
        assert r.json()["message"] == "Request entity too large."


def test_multipart_parser_keeps_bytes_and_names() -> None:
    body = multipart(
        [("other", None, None, b"1"), ("jupyterFile", 'a "b".ipynb', "text/x", b"\x00\xff")],
        "xyz",
    )
    parsed = parse_multipart_field("multipart/form-data; boundary=xyz", body, "jupyterFile")
    assert parsed == ('a "b".ipynb', b"\x00\xff", "text/x")
    assert parse_multipart_field("multipart/form-data; boundary=xyz", body, "missing") is None


# ----------------------------------------------------------------------------- runs


def statuses(api: httpx.Client, nb_id: str) -> list[str]:
    return [e["status"] for e in api.get(f"/{nb_id}/logs", params={"limit": 10}).json()]


def test_execute_without_a_file_is_refused(api: httpx.Client) -> None:
    nb_id = create(api)
    r = api.post(f"/{nb_id}/execute", json={})
    assert r.status_code == 400
    assert "upload" in r.json()["message"]


def test_a_run_goes_queued_in_progress_completed_on_the_clock(
    api: httpx.Client, clock: FakeClock
) -> None:
    nb_id = create(api, content=notebook_bytes())
    r = api.post(f"/{nb_id}/execute", json={"templateContext": '{"site": "a"}'})
    ex_id = r.json()["executionId"]
    entry = api.get(f"/{nb_id}/logs").json()[0]
    assert (entry["id"], entry["status"], entry["templateContext"]) == (
        ex_id,
        "queued",
        '{"site": "a"}',
    )
    assert "runStartedAt" not in entry
    clock.advance(2)
    entry = api.get(f"/{nb_id}/logs").json()[0]
    assert entry["status"] == "inProgress"
    assert entry["runStartedAt"]
    clock.advance(10)
    entry = api.get(f"/{nb_id}/logs").json()[0]
    assert entry["status"] == "completed"
    assert entry["executionErrors"] == []
    assert set(entry["outputInfo"]) >= {"result.html", "result.ipynb", "result.log"}
    html = entry["outputInfo"]["result.html"]
    assert html["contentType"] == "text/html"
    fetched = httpx.get(html["url"])
    assert fetched.status_code == 200
    assert len(fetched.content) == html["size"]


def test_markers_in_the_notebook_choose_how_a_run_ends(api: httpx.Client, clock: FakeClock) -> None:
    failing = create(api, "f", notebook_bytes("FAKE_LOSANT_ERROR"))
    timing_out = create(api, "t", notebook_bytes("FAKE_LOSANT_TIMEOUT"))
    slow = create(api, "s", notebook_bytes("FAKE_LOSANT_SLOW"))
    for nb_id in (failing, timing_out, slow):
        api.post(f"/{nb_id}/execute", json={})
    clock.advance(12)
    err = api.get(f"/{failing}/logs").json()[0]
    assert err["status"] == "errored"
    assert err["executionErrors"][0]["message"]
    assert "result.error.log" in err["outputInfo"]
    assert api.get(f"/{timing_out}/logs").json()[0]["status"] == "timeout"
    assert statuses(api, slow) == ["inProgress"]
    clock.advance(600)
    assert statuses(api, slow) == ["completed"]


def test_cancel_takes_the_execution_id_in_the_query(
    api: httpx.Client, fake: FakeLosant, clock: FakeClock
) -> None:
    nb_id = create(api, content=notebook_bytes("FAKE_LOSANT_SLOW"))
    ex_id = api.post(f"/{nb_id}/execute", json={}).json()["executionId"]
    clock.advance(3)
    assert api.post(f"/{nb_id}/cancelExecution").status_code == 400
    assert api.post(f"/{nb_id}/cancelExecution", json={"executionId": ex_id}).status_code == 400
    r = api.post(f"/{nb_id}/cancelExecution", params={"executionId": ex_id})
    assert r.json() == {"success": True}
    assert fake.requests_for("notebook.cancelExecution")[-1].param("executionId") == ex_id
    assert statuses(api, nb_id) == ["canceling"]
    clock.advance(3)
    entry = api.get(f"/{nb_id}/logs").json()[0]
    assert entry["status"] == "canceled"
    assert entry["notebookCompletedAt"]
    again = api.post(f"/{nb_id}/cancelExecution", params={"executionId": ex_id})
    assert again.status_code == 400
    assert "already finished" in again.json()["message"]
    r = api.post(f"/{nb_id}/cancelExecution", params={"executionId": "c" * 24})
    assert r.status_code == 404


def test_logs_are_newest_first_limited_and_since(api: httpx.Client, clock: FakeClock) -> None:
    nb_id = create(api, content=notebook_bytes())
    ids = []
    for _ in range(3):
        ids.append(api.post(f"/{nb_id}/execute", json={}).json()["executionId"])
        clock.advance(60)
    assert [e["id"] for e in api.get(f"/{nb_id}/logs").json()] == [ids[2]]
    newest_first = api.get(f"/{nb_id}/logs", params={"limit": 10}).json()
    assert [e["id"] for e in newest_first] == ids[::-1]
    since = int((clock() - 120) * 1000)
    recent = api.get(f"/{nb_id}/logs", params={"limit": 10, "since": since}).json()
    assert [e["id"] for e in recent] == [ids[2], ids[1]]
    assert api.get(f"/{nb_id}/logs", params={"limit": 0}).status_code == 400


def test_minute_counts_per_day_from_the_runs(
    api: httpx.Client, fake: FakeLosant, clock: FakeClock
) -> None:
    nb_id = create(api, content=notebook_bytes())
    day = 86400.0
    now = clock()
    fake.add_run(nb_id, queued_at=now - 2 * day, run_for=90)  # 2 minutes
    fake.add_run(nb_id, queued_at=now - 2 * day + 10, run_for=30, outcome="errored")
    fake.add_run(nb_id, queued_at=now - day, run_for=600, canceled=True)  # 5 minutes in
    fake.add_run(nb_id, queued_at=now - 40 * day, run_for=60)  # outside the range
    r = api.get(
        f"/{nb_id}/notebookMinuteCounts",
        params={"start": int((now - 3 * day) * 1000), "end": int(now * 1000)},
    )
    body = valid("notebookMinuteCounts", r.json())
    rows = [(c["minutes"], c["completed"], c["errored"], c["canceled"]) for c in body["counts"]]
    assert rows == [(3, 1, 1, 0), (5, 0, 0, 1)]
    assert all(c["date"].endswith("T00:00:00.000Z") for c in body["counts"])
    stats = api.get(f"/{nb_id}").json()["stats"]
    assert stats["runsThisPeriod"] >= 1


# ----------------------------------------------------------------------------- faults


def test_faults_apply_once_per_route_then_the_fake_answers_again(
    api: httpx.Client, fake: FakeLosant
) -> None:
    nb_id = create(api)
    fake.fail_next("notebook.get", status=500)
    fake.fail_next("notebooks.get", status=429, retry_after=7)
    r = api.get(f"/{nb_id}")
    assert r.status_code == 500
    assert valid("error", r.json())["message"]
    r = api.get("")
    assert (r.status_code, r.headers["Retry-After"]) == (429, "7")
    assert api.get(f"/{nb_id}").status_code == 200
    assert api.get("").status_code == 200


def test_garbage_close_slow_and_persistent_faults(api: httpx.Client, fake: FakeLosant) -> None:
    fake.fail_next(garbage=True)
    r = api.get("")
    assert r.status_code == 200
    with pytest.raises(ValueError, match="Expecting value"):
        r.json()
    fake.fail_next(close=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("")
    fake.fail_next(slow=0.3)
    t0 = time.monotonic()
    assert api.get("").status_code == 200
    assert time.monotonic() - t0 >= 0.3
    fake.fail_next("notebooks.get", status=503, times=None)
    assert [api.get("").status_code for _ in range(3)] == [503, 503, 503]
    fake.clear_faults()
    assert api.get("").status_code == 200
    with pytest.raises(ValueError, match="unknown route"):
        fake.fail_next("notebook.nope", status=500)


def test_faults_over_the_control_route(api: httpx.Client, fake: FakeLosant) -> None:
    r = httpx.post(
        f"{fake.url}/__fake__/faults",
        json={"route": "notebooks.get", "status": 502, "times": 2},
    )
    assert r.status_code == 201
    assert len(httpx.get(f"{fake.url}/__fake__/faults").json()) == 1
    assert [api.get("").status_code for _ in range(3)] == [502, 502, 200]
    bad = httpx.post(f"{fake.url}/__fake__/faults", json={"route": "nope", "status": 500})
    assert bad.status_code == 400
    httpx.post(f"{fake.url}/__fake__/faults", json={"status": 500, "times": None})
    assert httpx.delete(f"{fake.url}/__fake__/faults").status_code == 200
    assert api.get("").status_code == 200
    recorded = httpx.get(f"{fake.url}/__fake__/requests").json()
    assert {r["route"] for r in recorded} == {"notebooks.get"}
    assert httpx.post(f"{fake.url}/__fake__/token", json={"token": "new"}).status_code == 200
    assert api.get("").status_code == 401


def test_requests_are_recorded_with_query_and_headers(api: httpx.Client, fake: FakeLosant) -> None:
    api.get("", params={"perPage": 5})
    rec = fake.requests_for("notebooks.get")[-1]
    assert rec.method == "GET"
    assert rec.param("perPage") == "5"
    assert rec.param("_links") == "true"
    assert rec.headers["Accept-Version"] == "^1.30.0"


def test_stop_refuses_and_start_serves_again_on_the_same_port() -> None:
    fake = FakeLosant().start()
    url = fake.url
    nb_id = fake.add_notebook("kept")
    fake.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
    fake.start()
    try:
        assert fake.url == url
        headers = {"Authorization": f"Bearer {fake.token}"}
        path = f"/applications/{fake.application_id}/notebooks/{nb_id}"
        r = httpx.get(url + path, headers=headers)
        assert r.json()["name"] == "kept"
    finally:
        fake.stop()


def test_an_answer_that_breaks_the_schema_is_a_loud_bug() -> None:
    with FakeLosant() as fake:
        nb_id = fake.add_notebook("x")
        fake.notebooks[nb_id].image_version = "v99"
        headers = {"Authorization": f"Bearer {fake.token}"}
        r = httpx.get(
            f"{fake.url}/applications/{fake.application_id}/notebooks/{nb_id}", headers=headers
        )
        assert r.status_code == 500
        assert len(fake.bugs) == 1
        assert "imageVersion" in fake.bugs[0]
        with pytest.raises(FakeBug):
            fake.check_answer("notebook.delete", 200, {"success": False})


def test_the_fake_runs_as_a_program() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_notebook_remote.tests.fakes.losant",
            "--port",
            "0",
            "--token",
            "cli-token",
            "--seed",
            "From CLI",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        r = httpx.get(
            f"{info['url']}/applications/{info['applicationId']}/notebooks",
            headers={"Authorization": "Bearer cli-token"},
        )
        assert [i["name"] for i in r.json()["items"]] == ["From CLI"]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
