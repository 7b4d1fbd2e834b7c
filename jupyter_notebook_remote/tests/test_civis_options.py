"""A Civis notebook's runtime options end to end: jp_fetch -> Jupyter Server ->
CivisProvider -> the fake Civis on loopback.

Every option round-trips through create, PATCH and GET, sent snake_case as
Civis wants; every refusal is a 400 naming the field with nothing sent;
an environment variable that looks like a credential is refused without its
value ever being repeated (answer or log), and one Civis already holds is
never answered and kept by a PATCH; the other kinds refuse the options.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any, Optional

import pytest
from tornado.httpclient import HTTPResponse

from .fakes.civis import FakeCivis
from .fakes.fourpointx import FakeFourPointX
from .fakes.loopback import FakeClock
from .rest import call_api

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

CONN = "civis-fake"
SITE = "site"

#: Every option, set to something other than what a new Civis notebook has.
OPTIONS: dict[str, Any] = {
    "language": "r",
    "memory": 8192,
    "cpu": 2500,
    "idleTimeout": 45,
    "dockerImageName": "registry.example.com:5000/team/r-notebook",
    "dockerImageTag": "4.3.1-2024.05",
    "requirements": "pandas==2.2.2\nscikit-learn>=1.4\n",
    "environmentVariables": {"REGION": "us-east-1", "MODEL_VERSION": "v7"},
}
#: The same, as Civis's API takes them.
WIRE = {
    "language": "r",
    "memory": 8192,
    "cpu": 2500,
    "idle_timeout": 45,
    "docker_image_name": "registry.example.com:5000/team/r-notebook",
    "docker_image_tag": "4.3.1-2024.05",
    "requirements": "pandas==2.2.2\nscikit-learn>=1.4\n",
    "environment_variables": {"REGION": "us-east-1", "MODEL_VERSION": "v7"},
}


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any],
    civis_connection: dict[str, Any],
    fourpointx_connection: dict[str, Any],
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {CONN: civis_connection, SITE: fourpointx_connection},
        "default_connection": CONN,
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


def answered_options(notebook: dict[str, Any]) -> dict[str, Any]:
    return {name: notebook[name] for name in OPTIONS}


# ----------------------------------------------------------------------------- round trip


async def test_civis_says_which_options_it_takes_and_others_take_none(jp_fetch: Any) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    by_id = {c["id"]: c for c in json.loads(response.body)["connections"]}
    assert by_id[CONN]["notebookOptions"] == list(OPTIONS)
    assert by_id[SITE]["notebookOptions"] == []
    assert by_id["local"]["notebookOptions"] == []


async def test_create_with_every_option_sends_them_snake_case_and_answers_them(
    jp_fetch: Any, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    r, created = await call(
        jp_fetch, "POST", "notebooks", body={"name": "Churn", "description": "model", **OPTIONS}
    )
    assert r.code == 201, created
    (post,) = fake_civis.requests_to(r"^/notebooks/?$", "POST")
    assert post.json() == {"name": "Churn", "description": "model", **WIRE}
    assert answered_options(created) == OPTIONS
    assert created["hiddenEnvironmentVariables"] == []
    # Civis keeps the requirements as a file; the answer read it back, without the key.
    (read,) = fake_civis.requests_to(r"^/storage/.*/requirements\.txt$", "GET")
    assert "Authorization" not in read.headers
    stored = fake_civis.notebooks[int(created["id"])]
    assert (stored.memory, stored.cpu, stored.idle_timeout) == (8192, 2500, 45)
    assert stored.requirements == OPTIONS["requirements"].encode()

    r, got = await call(jp_fetch, "GET", "notebooks", created["id"])
    assert r.code == 200, got
    assert answered_options(got) == OPTIONS
    r, page = await call(jp_fetch, "GET", "notebooks")
    (item,) = page["items"]
    # Civis's list has the language only; the settings come with the notebook.
    assert (item["language"], item["memory"], item["environmentVariables"]) == ("r", None, None)

    # A deployment gets the notebook's size.
    r, started = await call(jp_fetch, "POST", "notebooks", created["id"], "executions")
    assert r.code == 202, started
    civis_clock.advance(31)
    r, runs = await call(jp_fetch, "GET", "notebooks", created["id"], "executions")
    resources = runs["items"][0]["resources"]
    assert (resources["memoryMb"], resources["cpuMillicores"]) == (8192, 2500)
    r, got = await call(jp_fetch, "GET", "notebooks", created["id"])
    assert got["lastRunAt"] == runs["items"][0]["queuedAt"]
    assert got["runCount"] is None  # Civis counts no runs


async def test_a_new_notebook_without_options_is_python3_with_civis_defaults(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    r, created = await call(jp_fetch, "POST", "notebooks", body={"name": "Plain"})
    assert r.code == 201, created
    (post,) = fake_civis.requests_to(r"^/notebooks/?$", "POST")
    assert post.json() == {"name": "Plain", "language": "python3"}
    assert created["language"] == "python3"
    assert (created["memory"], created["cpu"], created["idleTimeout"]) == (3000, 1000, 3)
    assert (created["requirements"], created["environmentVariables"]) == (None, {})
    assert created["lastRunAt"] is None


async def test_patch_changes_every_option_and_only_what_was_given(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn", description="model")
    r, patched = await call(jp_fetch, "PATCH", "notebooks", str(nb.id), body=OPTIONS)
    assert r.code == 200, patched
    (sent,) = fake_civis.requests_to(rf"^/notebooks/{nb.id}/?$", "PATCH")
    assert sent.json() == WIRE
    assert answered_options(patched) == OPTIONS
    assert (patched["name"], patched["description"]) == ("Churn", "model")

    r, patched = await call(jp_fetch, "PATCH", "notebooks", str(nb.id), body={"memory": 4096})
    assert r.code == 200, patched
    assert fake_civis.requests_to(rf"^/notebooks/{nb.id}/?$", "PATCH")[-1].json() == {
        "memory": 4096
    }
    assert patched["memory"] == 4096
    assert patched["cpu"] == 2500
    r, got = await call(jp_fetch, "GET", "notebooks", str(nb.id))
    assert answered_options(got) == {**OPTIONS, "memory": 4096}


async def test_requirements_that_cannot_be_read_leave_the_notebook_answered(
    jp_fetch: Any, fake_civis: FakeCivis, caplog: pytest.LogCaptureFixture
) -> None:
    nb = fake_civis.add_notebook("Churn")
    fake_civis.apply_settings(nb, {"requirements": "numpy\n"})
    fake_civis.fail_next(404, path=r"requirements\.txt$", body="<Error/>")
    r, got = await call(jp_fetch, "GET", "notebooks", str(nb.id))
    assert r.code == 200, got
    assert got["requirements"] is None
    assert any("requirements unread" in rec.getMessage() for rec in caplog.records)
    r, got = await call(jp_fetch, "GET", "notebooks", str(nb.id))
    assert got["requirements"] == "numpy\n"


# ----------------------------------------------------------------------------- refusals

#: (body, the field named): each refused before anything is sent.
BAD = [
    ({"language": "python2"}, "language"),
    ({"memory": 0}, "memory"),
    ({"memory": "3000"}, "memory"),
    ({"memory": 3000.5}, "memory"),
    ({"memory": True}, "memory"),
    ({"cpu": 2**31}, "cpu"),
    ({"cpu": -1}, "cpu"),
    ({"idleTimeout": 0}, "idleTimeout"),
    ({"idleTimeout": "1h"}, "idleTimeout"),
    ({"dockerImageName": "civisanalytics/datascience-python:7.1"}, "dockerImageName"),
    ({"dockerImageName": "Civis/Image"}, "dockerImageName"),
    ({"dockerImageName": ""}, "dockerImageName"),
    ({"dockerImageName": "a" * 256}, "dockerImageName"),
    ({"dockerImageTag": "-latest"}, "dockerImageTag"),
    ({"dockerImageTag": "a b"}, "dockerImageTag"),
    ({"dockerImageTag": "t" * 129}, "dockerImageTag"),
    ({"requirements": "x" * 262_145}, "requirements"),
    ({"requirements": ["pandas"]}, "requirements"),
    ({"environmentVariables": ["A=1"]}, "environmentVariables"),
    ({"environmentVariables": {f"V{i}": "x" for i in range(101)}}, "environmentVariables"),
    ({"environmentVariables": {"1ST": "x"}}, "environmentVariables"),
    ({"environmentVariables": {"MY-VAR": "x"}}, "environmentVariables"),
    ({"environmentVariables": {"PORT": 8080}}, "environmentVariables.PORT"),
    ({"environmentVariables": {"NOTE": "a\x00b"}}, "environmentVariables.NOTE"),
    ({"environmentVariables": {"NOTE": "x" * 32_768}}, "environmentVariables.NOTE"),
    ({"environmentVariables": {"DB_PASSWORD": "hunter2"}}, "environmentVariables.DB_PASSWORD"),
    ({"environmentVariables": {"apiKey": "abc"}}, "environmentVariables.apiKey"),
    (
        {"environmentVariables": {"CONFIG": "AKIAIOSFODNN7EXAMPLE"}},
        "environmentVariables.CONFIG",
    ),
]


@pytest.mark.parametrize(("options", "field"), BAD)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_bad_option_is_refused_naming_it_and_nothing_is_sent(
    jp_fetch: Any, fake_civis: FakeCivis, method: str, options: dict[str, Any], field: str
) -> None:
    nb = fake_civis.add_notebook("Churn")
    if method == "POST":
        r, err = await call(jp_fetch, "POST", "notebooks", body={"name": "x", **options})
    else:
        r, err = await call(jp_fetch, "PATCH", "notebooks", str(nb.id), body=options)
    assert (r.code, err["reason"]) == (400, "invalid_input"), err
    assert list(err["fields"]) == [field]
    assert fake_civis.requests == []


def distinctive_secrets(fake: FakeCivis) -> dict[str, str]:
    """Values that must be refused, each unlike anything else in a test's output."""
    return {
        "DB_PASSWORD": f"pw-{secrets.token_hex(6)}",
        "SERVICE": secrets.token_urlsafe(30),
        "GITHUB": "ghp_" + secrets.token_hex(18),
        "CIVIS": f"use {fake.api_key} here",
        "DATABASE_URL": f"postgres://app:{secrets.token_hex(5)}@db.example.com/app",
    }


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_credential_is_refused_and_its_value_never_repeated(
    jp_fetch: Any, fake_civis: FakeCivis, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nb = fake_civis.add_notebook("Churn")
    values = distinctive_secrets(fake_civis)
    token_name = "ghp_" + secrets.token_hex(18)  # a token pasted as a name
    env = {**values, "REGION": "eu-west-1", token_name: "x"}
    if method == "POST":
        r, err = await call(
            jp_fetch, "POST", "notebooks", body={"name": "x", "environmentVariables": env}
        )
    else:
        r, err = await call(
            jp_fetch, "PATCH", "notebooks", str(nb.id), body={"environmentVariables": env}
        )
    assert (r.code, err["reason"]) == (400, "invalid_input")
    assert set(err["fields"]) == {
        *(f"environmentVariables.{name}" for name in values),
        "environmentVariables",
    }
    assert "Civis" in err["fields"]["environmentVariables.DB_PASSWORD"]
    assert "credential" in err["fields"]["environmentVariables.GITHUB"]
    assert "Nothing was sent" in err["message"]
    assert fake_civis.requests == []
    text = r.body.decode() + json.dumps(dict(r.headers))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in [*values.values(), token_name, fake_civis.api_key]:
        assert value not in text
        assert value not in logged


async def test_an_empty_value_is_no_secret_whatever_its_name(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn")
    body = {"environmentVariables": {"API_TOKEN": "", "TOKENIZER": "bert", "MONKEY": "1"}}
    r, patched = await call(jp_fetch, "PATCH", "notebooks", str(nb.id), body=body)
    assert r.code == 200, patched
    assert patched["environmentVariables"] == body["environmentVariables"]


async def test_variables_civis_holds_that_look_like_credentials_are_never_answered_and_kept(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    nb = fake_civis.add_notebook("Churn")
    held = {
        "DB_PASSWORD": f"pw-{secrets.token_hex(6)}",
        "CONFIG": secrets.token_urlsafe(30),
        "REGION": "us-east-1",
        "STAGE": "dev",
    }
    fake_civis.apply_settings(nb, {"environment_variables": held})
    r, got = await call(jp_fetch, "GET", "notebooks", str(nb.id))
    assert r.code == 200, got
    assert got["environmentVariables"] == {"REGION": "us-east-1", "STAGE": "dev"}
    assert got["hiddenEnvironmentVariables"] == ["DB_PASSWORD", "CONFIG"]
    for value in (held["DB_PASSWORD"], held["CONFIG"]):
        assert value not in r.body.decode()

    # A new set replaces the plain ones and keeps the hidden ones as they are.
    new = {"STAGE": "prod", "CONFIG": "plain"}
    r, patched = await call(
        jp_fetch, "PATCH", "notebooks", str(nb.id), body={"environmentVariables": new}
    )
    assert r.code == 200, patched
    assert fake_civis.notebooks[nb.id].environment_variables == {
        "DB_PASSWORD": held["DB_PASSWORD"],
        "STAGE": "prod",
        "CONFIG": "plain",
    }
    assert patched["environmentVariables"] == {"STAGE": "prod", "CONFIG": "plain"}
    assert patched["hiddenEnvironmentVariables"] == ["DB_PASSWORD"]
    assert held["DB_PASSWORD"] not in r.body.decode()


# ----------------------------------------------------------------------------- other kinds


@pytest.mark.parametrize("option", list(OPTIONS))
async def test_other_kinds_refuse_the_civis_options_and_send_nothing(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX, option: str
) -> None:
    nb = fake_fourpointx.add_notebook("report.ipynb")
    for conn in (SITE, "local"):
        r, err = await call(
            jp_fetch, "POST", "notebooks", body={"name": "x", option: OPTIONS[option]}, conn=conn
        )
        assert (r.code, list(err["fields"])) == (400, [option]), err
        assert conn in err["message"]
    r, err = await call(
        jp_fetch, "PATCH", "notebooks", nb.notebook_id, body={option: OPTIONS[option]}, conn=SITE
    )
    assert (r.code, list(err["fields"])) == (400, [option]), err
    assert fake_fourpointx.requests == []
    r, page = await call(jp_fetch, "GET", "notebooks", conn="local")
    assert page["items"] == []


async def test_another_kind_names_the_option_not_a_credential_it_holds(
    jp_fetch: Any, fake_fourpointx: FakeFourPointX
) -> None:
    value = f"pw-{secrets.token_hex(6)}"
    body = {"name": "x", "environmentVariables": {"DB_PASSWORD": value}}
    r, err = await call(jp_fetch, "POST", "notebooks", body=body, conn=SITE)
    assert (r.code, list(err["fields"])) == (400, ["environmentVariables"])
    assert value not in r.body.decode()
    assert fake_fourpointx.requests == []
