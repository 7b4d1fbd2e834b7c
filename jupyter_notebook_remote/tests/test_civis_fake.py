"""The fake Civis holds to Civis's spec, so the provider tests mean something:
its answer checker accepts the spec's own recorded examples and refuses a
broken answer; storage behaves like S3's pre-signed URLs; deployments follow
the clock; logs carry the spec's four fields."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .fakes.civis import LINK_SECONDS, FakeCivis, SpecChecker, load_spec
from .fakes.loopback import FakeClock

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)


@pytest.fixture
def api(fake_civis: FakeCivis) -> Iterator[httpx.Client]:
    basic = base64.b64encode(f"{fake_civis.api_key}:".encode()).decode()
    with httpx.Client(base_url=fake_civis.url, headers={"Authorization": f"Basic {basic}"}) as c:
        yield c


def _examples() -> list[tuple[str, bool, Any]]:
    """(definition, is-array, body) of every successful recorded example."""
    spec = load_spec()
    found = []
    for path, ops in spec["paths"].items():
        if not path.startswith("/notebooks"):
            continue
        for op in ops.values():
            responses = op.get("responses", {})
            schema = (responses.get("200") or responses.get("201") or {}).get("schema")
            if not schema:
                continue
            many = schema.get("type") == "array"
            ref = (schema["items"] if many else schema).get("$ref", "")
            for example in op.get("x-examples") or []:
                for request in example["requests"]:
                    if request["response_body"] and request["response_status"] < 300:
                        body = json.loads(request["response_body"])
                        found.append((ref.rsplit("/", 1)[-1], many, body))
    return found


def test_the_checker_accepts_the_specs_own_examples() -> None:
    checker = SpecChecker(load_spec())
    examples = _examples()
    assert len(examples) >= 8
    for definition, many, body in examples:
        assert checker.errors(definition, body, many=many) == [], definition


def test_the_checker_refuses_a_broken_answer() -> None:
    checker = SpecChecker(load_spec())
    definition, many, body = next(e for e in _examples() if e[0] == "NotebookDeployment")
    broken = {k: v for k, v in body.items() if k != "deploymentId"}
    broken["state"] = "exploded"
    problems = checker.errors(definition, broken, many=many)
    assert any("deploymentId" in p for p in problems)
    assert any("exploded" in p for p in problems)


def test_endpoints_serves_the_spec_and_collections_take_both_spellings(
    api: httpx.Client, fake_civis: FakeCivis
) -> None:
    assert api.get("/endpoints").json()["swagger"] == "2.0"
    fake_civis.add_notebook("A")
    for path in ("/notebooks", "/notebooks/"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.headers["X-Pagination-Total-Entries"] == "1"
    assert api.get("/notebooks", params={"limit": 51}).status_code == 400
    assert api.get("/nothing-here").json()["code"] == 404


def test_basic_auth_needs_the_key_and_an_empty_password(fake_civis: FakeCivis) -> None:
    def status(user: str, password: str) -> int:
        value = base64.b64encode(f"{user}:{password}".encode()).decode()
        response = httpx.get(
            f"{fake_civis.url}/notebooks", headers={"Authorization": f"Basic {value}"}
        )
        return response.status_code

    assert status(fake_civis.api_key, "") == 200
    assert status(fake_civis.api_key, "x") == 401
    assert status("other", "") == 401
    bearer = httpx.get(
        f"{fake_civis.url}/notebooks", headers={"Authorization": f"Bearer {fake_civis.api_key}"}
    )
    assert bearer.status_code == 401


def test_presigned_storage_behaves_like_s3(
    api: httpx.Client, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("A")
    links = api.get(f"/notebooks/{nb.id}/update-links").json()
    url = links["updateUrl"]
    assert url.startswith(f"{fake_civis.url}/storage/")

    with_auth = httpx.put(url, content=b"x", headers={"Authorization": "Basic abc"})
    assert (with_auth.status_code, "InvalidArgument" in with_auth.text) == (400, True)

    def chunked() -> Iterator[bytes]:
        yield b"x"

    assert httpx.put(url, content=chunked()).status_code == 501
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.put(tampered, content=b"x").status_code == 403
    # a link for PUT does not read
    assert httpx.get(url).status_code == 403

    assert httpx.put(url, content=b'{"cells": []}').status_code == 200
    assert fake_civis.notebooks[nb.id].content == b'{"cells": []}'
    notebook_url = api.get(f"/notebooks/{nb.id}").json()["notebookUrl"]
    assert httpx.get(notebook_url).content == b'{"cells": []}'

    civis_clock.advance(LINK_SECONDS + 1)
    expired = httpx.put(url, content=b"late")
    assert expired.status_code == 403
    assert "expired" in expired.text
    assert fake_civis.notebooks[nb.id].content == b'{"cells": []}'


def test_deployments_follow_the_clock_and_delete_terminates(
    api: httpx.Client, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("A")
    created = api.post(f"/notebooks/{nb.id}/deployments", json={})
    assert created.status_code == 201
    dep = created.json()
    path = f"/notebooks/{nb.id}/deployments/{dep['deploymentId']}"
    assert dep["state"] == "pending"
    assert dep["maxMemoryUsage"] is None
    civis_clock.advance(31)
    assert api.get(path).json()["state"] == "running"
    assert api.delete(path).status_code == 204
    stopped = api.get(path).json()
    assert stopped["state"] == "terminated"
    assert stopped["maxMemoryUsage"] is not None
    assert stopped["maxCpuUsage"] is not None
    assert api.get(f"/notebooks/{nb.id}").json()["mostRecentDeployment"]["state"] == "terminated"
    assert api.get(f"/notebooks/{nb.id}/deployments/99999").status_code == 404


def test_deployment_logs_have_the_four_fields_and_filter(
    api: httpx.Client, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("A")
    dep = fake_civis.add_deployment(nb.id, running_seconds=60)
    civis_clock.advance(100)
    path = f"/notebooks/{nb.id}/deployments/{dep.id}/logs"
    entries = api.get(path).json()
    assert len(entries) >= 4
    for entry in entries:
        assert set(entry) == {"message", "stream", "createdAt", "source"}
        assert entry["stream"] in ("stdout", "stderr")
        assert entry["source"] in ("system", "user")
    assert any(e["source"] == "user" for e in entries)
    assert len(api.get(path, params={"limit": 2}).json()) == 2
    later = api.get(path, params={"start_at": entries[-1]["createdAt"]}).json()
    assert later
    assert all(e["createdAt"] >= entries[-1]["createdAt"] for e in later)
    assert api.get(path, params={"start_at": "yesterday"}).status_code == 400


def test_settings_are_kept_as_civis_types_them_and_answered_on_get(
    api: httpx.Client, fake_civis: FakeCivis
) -> None:
    created = api.post(
        "/notebooks",
        json={
            "name": "Sized",
            "language": "r",
            "memory": 8192,
            "cpu": 2500,
            "idle_timeout": 45,
            "docker_image_name": "team/r-notebook",
            "docker_image_tag": "4.3",
            "requirements": "dplyr\n",
            "environment_variables": {"REGION": "us"},
        },
    )
    assert created.status_code == 201, created.text
    nb_id = created.json()["id"]
    got = api.get(f"/notebooks/{nb_id}").json()
    assert (got["language"], got["memory"], got["cpu"], got["idleTimeout"]) == ("r", 8192, 2500, 45)
    assert (got["dockerImageName"], got["dockerImageTag"]) == ("team/r-notebook", "4.3")
    assert got["environmentVariables"] == {"REGION": "us"}
    assert isinstance(got["requirementsFileId"], int)
    # The requirements are a file behind a pre-signed URL, read without the key.
    assert httpx.get(got["requirementsUrl"]).text == "dplyr\n"
    # A PATCH replaces what it names, the variables whole.
    patched = api.patch(f"/notebooks/{nb_id}", json={"environment_variables": {"STAGE": "p"}})
    assert patched.json()["environmentVariables"] == {"STAGE": "p"}
    assert patched.json()["memory"] == 8192
    # A deployment starts with the notebook's size and image.
    dep = api.post(f"/notebooks/{nb_id}/deployments", json={}).json()
    assert (dep["memory"], dep["cpu"], dep["dockerImageTag"]) == (8192, 2500, "4.3")
    assert fake_civis.bugs == []


@pytest.mark.parametrize(
    "body",
    [
        {"memory": "8192"},
        {"cpu": 1.5},
        {"idle_timeout": True},
        {"docker_image_tag": 4},
        {"environment_variables": {"PORT": 8080}},
        {"environment_variables": ["A=1"]},
        {"language": "julia"},
        {"environmentVariables": {}},  # camelCase is not what the API takes
    ],
)
def test_a_setting_of_the_wrong_type_is_refused(
    api: httpx.Client, fake_civis: FakeCivis, body: dict[str, Any]
) -> None:
    nb = fake_civis.add_notebook("Churn")
    for response in (
        api.post("/notebooks", json={"name": "x", **body}),
        api.patch(f"/notebooks/{nb.id}", json=body),
    ):
        assert response.status_code == 400, (body, response.text)
    assert len(fake_civis.notebooks) == 1
    assert fake_civis.notebooks[nb.id].memory == 3000
