"""openapi.yaml and the server agree both ways: what the spec forbids is a 400
naming the field, and every bound the server enforces is in the spec.

The cases the issue listed (and the fuzzer, ``test_fuzz_openapi.py``, found)
as regular tests: an empty or wrong-typed query value, an unknown
``download``, a ``null`` body field, a ``templateContext`` that is neither an
object nor a string holding one.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, get_args

import nbformat
import pytest
import yaml

from jupyter_notebook_remote import models
from jupyter_notebook_remote import notebook_options as options
from jupyter_notebook_remote.connections.config import load_provider_class
from jupyter_notebook_remote.errors import InvalidInput
from jupyter_notebook_remote.providers import PROVIDERS
from jupyter_notebook_remote.push.upload import check_api_path
from jupyter_notebook_remote.rest import base
from jupyter_notebook_remote.tests.memory_provider import MemoryProvider

from .rest import call_api

SPEC_PATH = Path(__file__).resolve().parent.parent / "rest" / "openapi.yaml"
NB = "/connections/{conn}/notebooks/{nb}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def spec_match(pattern: str, value: str) -> bool:
    """Whether ``value`` matches a spec pattern as JSON Schema reads it (ECMA:
    ``$`` is the very end, where Python's also matches before a final newline)."""
    python = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
    return re.search(python, value) is not None


def query_schema(spec: dict[str, Any], path: str, verb: str, name: str) -> dict[str, Any]:
    for param in spec["paths"][path][verb].get("parameters", []):
        if param["name"] == name:
            schema: dict[str, Any] = param["schema"]
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            return schema
    raise KeyError(name)


# --------------------------------------------------------------------------- the bounds


def test_every_query_bound_the_server_enforces_is_in_the_spec(spec: dict[str, Any]) -> None:
    notebooks = "/connections/{conn}/notebooks"
    assert query_schema(spec, notebooks, "get", "page")["maximum"] == models.MAX_PAGE
    assert query_schema(spec, notebooks, "get", "perPage")["maximum"] == models.MAX_PER_PAGE
    assert query_schema(spec, notebooks, "get", "filter")["maxLength"] == models.MAX_FILTER_CHARS
    limit = query_schema(spec, f"{NB}/executions", "get", "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, models.MAX_EXECUTIONS_LIMIT)
    for path, name in [(f"{NB}/executions", "since"), (f"{NB}/usage", "start")]:
        assert query_schema(spec, path, "get", name)["maximum"] == base._MAX_MS
    files = f"{NB}/executions/{{ex}}/files/{{name}}"
    assert query_schema(spec, files, "get", "download")["enum"] == ["1", "true"]


def test_the_token_rule_is_the_spec_s(spec: dict[str, Any]) -> None:
    token = spec["components"]["schemas"]["TokenBody"]["properties"]["token"]
    assert token["maxLength"] == models.MAX_TOKEN_CHARS
    for value in ["abc", "!~", "café", "a b", "a\tb", "it\u2019s", "x\n", "", "a" * 4097]:
        spec_ok = spec_match(token["pattern"], value) and 1 <= len(value) <= token["maxLength"]
        assert spec_ok == (models.token_problem(value) is None), value


def test_ids_in_the_spec_are_the_union_of_every_kind_s(spec: dict[str, Any]) -> None:
    conn = spec["components"]["parameters"]["conn"]["schema"]["pattern"]
    for value in ["local", "plant-a_2", "x" * 64, "", "x" * 65, "Plant", "local\n"]:
        assert spec_match(conn, value) == bool(models.CONNECTION_ID_RE.fullmatch(value)), value
    remote_id = spec["components"]["schemas"]["RemoteId"]
    examples = {
        "losant": "5f0c1a2b3c4d5e6f7a8b9c0d",
        "local": "5f0c1a2b3c4d5e6f7a8b9c0d",
        "civis": "123456789012",
        "fourpointx": "0b5f0c1a-2b3c-4d5e-8f7a-8b9c0d1e2f3a",
    }
    for kind, dotted in PROVIDERS.items():
        cls = load_provider_class(dotted)
        for ids in (cls.notebook_ids, cls.execution_ids):
            assert ids.pattern.fullmatch(examples[kind]), kind
            assert spec_match(remote_id["pattern"], examples[kind])
            assert len(examples[kind]) <= remote_id["maxLength"]
            # Whatever a kind takes, the spec takes; what the spec refuses, every kind does.
            for wrong in ["", "x", "1" * 13, "g" * 24, "5f0c1a2b3c4d5e6f7a8b9c0d0", "12\n"]:
                assert not spec_match(remote_id["pattern"], wrong)
                assert not ids.pattern.fullmatch(wrong), (kind, wrong)


def test_the_file_name_rule_is_the_spec_s(spec: dict[str, Any]) -> None:
    files = spec["paths"][f"{NB}/executions/{{ex}}/files/{{name}}"]
    (name,) = [p for p in files["parameters"] if p.get("name") == "name"]
    pattern = name["schema"]["pattern"]
    for value in ["result.html", "a", "...", "x" * 255, ".", "..", "a b", "x" * 256, "é", "a\n"]:
        server_ok = bool(models.FILE_NAME_RE.fullmatch(value)) and value not in (".", "..")
        assert spec_match(pattern, value) == server_ok, value


def test_the_text_rules_of_the_bodies_are_the_spec_s(spec: dict[str, Any]) -> None:
    """Spelled alike for Python and JSON Schema: no \\s, whose Unicode members differ."""
    schemas = spec["components"]["schemas"]
    export = schemas["InputExportBody"]["properties"]
    assert export["email"]["pattern"] == models.EMAIL_RE.pattern
    assert export["callbackUrl"]["pattern"] == models.CALLBACK_URL_RE.pattern
    name = schemas["NotebookCreate"]["properties"]["name"]["pattern"]
    for value in ["x", "  x ", " ", "\t\n", "\x1c", "\u00a0", "\ufeff"]:
        blank = not value.strip(models.TRIMMED)
        assert spec_match(name, value) == (not blank), repr(value)
    path = schemas["PushBody"]["properties"]["path"]["pattern"]
    for value in ["a.ipynb", "w/r.IPYNB", "é:a.ipynb", "a/.b/c.ipynb", "a//b.ipynb", "C:x.ipynb"]:
        try:
            check_api_path(value)
            server_ok = not any(part.startswith(".") for part in value.split("/"))
        except InvalidInput:
            server_ok = False
        assert spec_match(path, value) == server_ok, value


def test_the_image_versions_are_the_spec_s(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    wanted = list(
        get_args(get_args(models.NotebookPatch.model_fields["image_version"].annotation)[0])
    )
    for name in ("NotebookCreate", "NotebookPatch"):
        assert schemas[name]["properties"]["imageVersion"]["enum"] == wanted


def test_the_notebook_options_are_the_spec_s(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    language = get_args(get_args(models.NotebookCreate.model_fields["language"].annotation)[0])
    for name in ("NotebookCreate", "NotebookPatch"):
        props = schemas[name]["properties"]
        assert props["language"]["enum"] == list(language)
        for number in ("memory", "cpu", "idleTimeout"):
            assert (props[number]["minimum"], props[number]["maximum"]) == (1, options.MAX_INT32)
        image = props["dockerImageName"]
        assert image["pattern"] == options.IMAGE_NAME_RE.pattern
        assert image["maxLength"] == options.MAX_IMAGE_NAME_CHARS
        assert props["dockerImageTag"]["pattern"] == options.IMAGE_TAG_RE.pattern
        assert props["requirements"]["maxLength"] == options.MAX_REQUIREMENTS_CHARS
        env = props["environmentVariables"]
        assert env["maxProperties"] == options.MAX_ENV_VARS
        assert env["additionalProperties"]["maxLength"] == options.MAX_ENV_VALUE_CHARS
    listed = schemas["ConnectionInfo"]["properties"]["notebookOptions"]["items"]["enum"]
    assert listed == list(options.ALL_OPTIONS)
    image = schemas["NotebookCreate"]["properties"]["dockerImageName"]["pattern"]
    for value in ["a", "civis/x-y", "r.io:5000/a/b__c", "Up/x", "a:1", "a/", "-a", "a@sha256:0"]:
        assert spec_match(image, value) == bool(options.IMAGE_NAME_RE.fullmatch(value)), value


# --------------------------------------------------------------------------- live refusals


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "provider_classes": {"memory": MemoryProvider},
        "connections": {"mem": {"kind": "memory", "token": "t"}},
        "local_enabled": False,
    }


@pytest.fixture
def saved_notebook(jp_root_dir: Path) -> str:
    (jp_root_dir / "a.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    return "a.ipynb"


async def a_run(jp_fetch: Any) -> tuple[str, str]:
    """A pushed notebook of the memory connection with one run."""
    _, data = await call_api(
        jp_fetch, "POST", "connections", "mem", "notebooks", body={"name": "n"}
    )
    nb = data["id"]
    await call_api(
        jp_fetch, "POST", "connections", "mem", "notebooks", nb, "push", body={"path": "a.ipynb"}
    )
    _, data = await call_api(jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions")
    return nb, data["executionId"]


QUERY_CASES = [
    ("executions", {"limit": ""}, "limit"),
    ("executions", {"limit": "abc"}, "limit"),
    ("executions", {"limit": "1.5"}, "limit"),
    ("executions", {"limit": " 5"}, "limit"),
    ("executions", {"limit": "0"}, "limit"),
    ("executions", {"since": ""}, "since"),
    ("executions", {"since": "soon"}, "since"),
    ("executions", {"since": "-1"}, "since"),
    ("executions", {"since": "253402300800000"}, "since"),
    ("usage", {"start": ""}, "start"),
    ("usage", {"end": "yesterday"}, "end"),
    ("usage", {"end": "1e12"}, "end"),
    ("usage", {"start": "2000", "end": "1000"}, "start"),
    ("usage", {"start": "0", "end": str(400 * 86_400_000)}, "start"),
    ("files/result.html", {"download": "AAA"}, "download"),
    ("files/result.html", {"download": ""}, "download"),
    ("files/result.html", {"download": "0"}, "download"),
]


@pytest.mark.parametrize(("where", "params", "field"), QUERY_CASES)
@pytest.mark.usefixtures("saved_notebook")
async def test_a_query_value_the_spec_forbids_is_refused(
    jp_fetch: Any, where: str, params: dict[str, str], field: str
) -> None:
    nb, ex = await a_run(jp_fetch)
    parts = ["executions", ex, *where.split("/")] if where.startswith("files") else [where]
    response, data = await call_api(
        jp_fetch, "GET", "connections", "mem", "notebooks", nb, *parts, params=params
    )
    assert response.code == 400, data
    assert data["reason"] == "invalid_input"
    assert list(data["fields"]) == [field]


@pytest.mark.usefixtures("saved_notebook")
async def test_an_id_with_a_final_newline_is_refused_not_looked_up(jp_fetch: Any) -> None:
    nb, ex = await a_run(jp_fetch)
    for parts in [(f"{nb}\n",), (nb, "executions", f"{ex}\n", "cancel")]:
        response, data = await call_api(
            jp_fetch,
            "POST" if parts[-1] == "cancel" else "GET",
            "connections",
            "mem",
            "notebooks",
            *parts,
        )
        assert response.code == 400, data
    response, data = await call_api(jp_fetch, "GET", "connections", "mem\n", "notebooks")
    assert response.code == 400, data


@pytest.mark.parametrize(
    "params",
    [{"page": ""}, {"perPage": ""}, {"page": "x"}, {"perPage": "0"}, {"page": "1000001"}],
)
@pytest.mark.usefixtures("saved_notebook")
async def test_a_bad_notebook_list_query_is_refused(jp_fetch: Any, params: dict[str, str]) -> None:
    response, data = await call_api(
        jp_fetch, "GET", "connections", "mem", "notebooks", params=params
    )
    assert response.code == 400, data
    assert list(data["fields"]) == list(params)


@pytest.mark.usefixtures("saved_notebook")
async def test_left_out_queries_take_their_defaults_and_download_is_an_attachment(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    nb, ex = await a_run(jp_fetch)
    for where in ("executions", "usage"):
        response, _ = await call_api(jp_fetch, "GET", "connections", "mem", "notebooks", nb, where)
        assert response.code == 200
    response, data = await call_api(
        jp_fetch, "GET", "connections", "mem", "notebooks", params={"filter": ""}
    )
    assert response.code == 200
    assert data["perPage"] == 100
    provider = jp_serverapp.web_app.settings["notebook_remote_state"].registry.provider_nowait(
        "mem"
    )
    provider.finish(nb, ex)
    for download, attached in [(None, False), ("1", True), ("true", True)]:
        response, _ = await call_api(
            jp_fetch,
            "GET",
            "connections",
            "mem",
            "notebooks",
            nb,
            "executions",
            ex,
            "files",
            "result.html",
            params={"download": download} if download else None,
        )
        assert response.code == 200
        assert ("Content-Disposition" in response.headers) == attached


BODY_CASES = [
    ("PATCH", [], {"imageVersion": None}, "imageVersion"),
    ("PATCH", [], {"name": None}, "name"),
    ("PATCH", [], {"description": None}, "description"),
    ("PATCH", [], {"name": "   "}, "name"),
    ("POST", ["executions"], {"templateContext": None}, "templateContext"),
    ("POST", ["executions"], {"templateContext": "{not json"}, "templateContext"),
    ("POST", ["executions"], {"templateContext": ""}, "templateContext"),
    ("POST", ["executions"], {"relativeTo": None}, "relativeTo"),
    ("POST", ["executions"], {"relativeTo": False}, "relativeTo"),
    ("POST", ["executions"], {"relativeTo": "soon"}, "relativeTo"),
    ("POST", ["executions"], {"relativeTo": "2024-02-30"}, "relativeTo"),
    ("POST", ["executions"], {"relativeTo": "2024-13-01T08:00:00Z"}, "relativeTo"),
    ("POST", ["input-export"], {"email": None}, "email"),
    ("POST", ["input-export"], {"email": ""}, "email"),
    ("POST", ["input-export"], {"callbackUrl": ""}, "callbackUrl"),
    ("POST", ["input-export"], {"callbackUrl": " https://example.com/x"}, "callbackUrl"),
    ("POST", ["input-export"], {"callbackUrl": "ftp://example.com/x"}, "callbackUrl"),
    ("POST", ["input-export"], {"callbackUrl": "https://\u00f7<x"}, "callbackUrl"),
    ("POST", ["input-export"], {"callbackUrl": "https://example.com/a#b"}, "callbackUrl"),
    ("POST", ["input-export"], {"email": "a\b@example.com"}, "email"),
    ("POST", ["input-export"], {"relativeTo": True}, "relativeTo"),
    ("POST", ["push"], {"path": " a.ipynb "}, "path"),
    ("POST", ["input-export"], {"templateContext": "[1]"}, "templateContext"),
]


@pytest.mark.parametrize(("method", "where", "body", "field"), BODY_CASES)
@pytest.mark.usefixtures("saved_notebook")
async def test_a_body_field_the_spec_forbids_is_refused(
    jp_fetch: Any, method: str, where: list[str], body: Any, field: str
) -> None:
    nb, _ = await a_run(jp_fetch)
    response, data = await call_api(
        jp_fetch, method, "connections", "mem", "notebooks", nb, *where, body=body
    )
    assert response.code == 400, data
    assert data["reason"] == "invalid_input"
    assert list(data["fields"]) == [field]


@pytest.mark.usefixtures("saved_notebook")
@pytest.mark.parametrize(
    ("where", "raw"),
    [
        ("executions", '{"relativeTo": NaN}'),
        ("executions", '{"relativeTo": Infinity}'),
        # Found by the fuzzer: white space alone was taken for "no body".
        ("executions", "\r\n"),
        ("input-export", " "),
    ],
)
async def test_a_body_that_is_not_json_is_refused(jp_fetch: Any, where: str, raw: str) -> None:
    nb, _ = await a_run(jp_fetch)
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        "mem",
        "notebooks",
        nb,
        where,
        method="POST",
        body=raw,
        raise_error=False,
    )
    assert response.code == 400
    assert json.loads(response.body)["fields"] == {"body": "is not valid JSON"}
    # No body at all is still "no options".
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        "mem",
        "notebooks",
        nb,
        where,
        method="POST",
        body=b"",
        raise_error=False,
    )
    assert response.code == 202


@pytest.mark.usefixtures("saved_notebook")
async def test_what_the_spec_allows_is_taken(jp_fetch: Any, jp_serverapp: Any) -> None:
    nb, _ = await a_run(jp_fetch)
    for body in [
        {"relativeTo": 1570549199451},
        {"relativeTo": "2024-05-01T08:00:00Z"},
        {"relativeTo": "2024-05-01"},
        {"relativeTo": "2024-05-01t08:00:00.5+02:00", "templateContext": {"site": "a"}},
        {"templateContext": '{"site": "a"}'},
    ]:
        response, data = await call_api(
            jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions", body=body
        )
        assert response.code == 202, (body, data)
    response, data = await call_api(
        jp_fetch,
        "PATCH",
        "connections",
        "mem",
        "notebooks",
        nb,
        body={"name": "  Report  ", "description": " about it "},
    )
    assert response.code == 200, data
    assert (data["name"], data["description"]) == ("Report", "about it")
    response, data = await call_api(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb,
        "input-export",
        body={"email": "me@example.com", "callbackUrl": "https://example.com/hook"},
    )
    assert response.code == 202, data


def test_every_operation_that_reaches_a_provider_documents_its_failures(
    spec: dict[str, Any],
) -> None:
    """A remote may answer 409 or 429 to anything, and ``local`` may fail (500)."""
    for path, item in spec["paths"].items():
        if "{nb}" not in path and not path.endswith("/notebooks"):
            continue
        for verb, operation in item.items():
            if verb in ("get", "post", "patch", "delete"):
                wanted = {"400", "403", "404", "409", "429", "500", "502", "504"}
                assert wanted <= set(operation["responses"]), (verb, path)


@pytest.mark.usefixtures("saved_notebook")
async def test_usage_up_to_the_last_time_the_spec_allows(jp_fetch: Any) -> None:
    """Found by the fuzzer: a range ending on 9999-12-31 was a 500 (no day after it)."""
    nb, _ = await a_run(jp_fetch)
    end = base._MAX_MS
    response, data = await call_api(
        jp_fetch,
        "GET",
        "connections",
        "mem",
        "notebooks",
        nb,
        "usage",
        params={"start": str(end - 86_400_000), "end": str(end)},
    )
    assert response.code == 200, data
    assert [day["date"] for day in data["days"]] == ["9999-12-30", "9999-12-31"]
    # Every kind counts its days with the one function that has the fix.
    last = datetime.fromtimestamp(end / 1000, tz=timezone.utc)
    assert list(models.usage_days(last, last)) == ["9999-12-31"]
