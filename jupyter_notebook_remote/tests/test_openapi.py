"""openapi.yaml describes exactly the routes the server registers, and what they answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
import yaml
from jupyter_server.base.handlers import APIHandler

from jupyter_notebook_remote import models
from jupyter_notebook_remote.rest import PREFIX, STATE_KEY, route_table
from jupyter_notebook_remote.tests.memory_provider import MemoryProvider

SPEC_PATH = Path(__file__).resolve().parent.parent / "rest" / "openapi.yaml"
VERBS = ("get", "head", "post", "put", "patch", "delete")
#: Path segment before a placeholder -> the placeholder's name.
PARAM_AFTER = {"connections": "conn", "notebooks": "nb", "executions": "ex", "files": "name"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def openapi_path(pattern: str) -> str:
    assert pattern.startswith(f"{PREFIX}/")
    parts = pattern[len(PREFIX) :].replace("([^/]+)", "*").split("/")
    out = []
    for index, part in enumerate(parts):
        if part == "*":
            out.append("{" + PARAM_AFTER[parts[index - 1]] + "}")
        else:
            assert "(" not in part, pattern
            out.append(part)
    return "/".join(out)


def registered_operations() -> set[tuple[str, str]]:
    found = set()
    for pattern, handler in route_table():
        for verb in VERBS:
            method = getattr(handler, verb, None)
            if method is not None and method is not getattr(APIHandler, verb, None):
                found.add((openapi_path(pattern), verb))
    return found


def documented_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, verb) for path, item in spec["paths"].items() for verb in item if verb in VERBS}


def test_spec_and_routes_match_both_ways(spec: dict[str, Any]) -> None:
    registered = registered_operations()
    documented = documented_operations(spec)
    assert registered - documented == set(), "routes missing from openapi.yaml"
    assert documented - registered == set(), "openapi.yaml documents routes that do not exist"


def test_every_operation_declares_its_path_parameters_and_errors(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        wanted = set(re.findall(r"{(\w+)}", path))
        shared = item.get("parameters", [])
        for verb in VERBS:
            if verb not in item:
                continue
            operation = item[verb]
            params = [resolve(spec, p) for p in shared + operation.get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == wanted, (path, verb)
            assert all(p["required"] for p in params if p["in"] == "path")
            responses = operation["responses"]
            assert "403" in responses, (path, verb)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = resolve(spec, response)["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, verb, status)


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for key in node["$ref"].lstrip("#/").split("/"):
            target = target[key]
        node = target
    return node


@pytest.mark.parametrize(
    "name",
    [
        "ConnectionInfo",
        "ConnectionList",
        "NotebookStats",
        "Notebook",
        "PushWarning",
        "FolderCarried",
        "PushResult",
        "NotebookPage",
        "ExecutionSource",
        "ExecutionError",
        "ExecutionInput",
        "ExecutionOutput",
        "ExecutionProgress",
        "Execution",
        "ExecutionList",
        "ExecutionStarted",
        "UsageDay",
        "Usage",
        "JobQueued",
        "TokenBody",
        "NotebookCreate",
        "NotebookPatch",
        "PushBody",
        "ExecuteBody",
        "InputExportBody",
    ],
)
def test_component_schemas_match_the_models(spec: dict[str, Any], name: str) -> None:
    model = getattr(models, name)
    documented = spec["components"]["schemas"][name]
    generated = model.model_json_schema(by_alias=True)
    assert set(documented["properties"]) == set(generated["properties"])
    assert set(documented.get("required", [])) == set(generated.get("required", [])), name
    if issubclass(model, models.RequestModel):
        assert documented["additionalProperties"] is False


# --------------------------------------------------------------------------- live answers


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema (``nullable`` and component refs)."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def response_schema(spec: dict[str, Any], path: str, verb: str, status: int) -> dict[str, Any]:
    operation = spec["paths"][path][verb]
    response = resolve(spec, operation["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    return {
        "$defs": to_json_schema(spec["components"]["schemas"]),
        **to_json_schema(schema),
    }


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "provider_classes": {"memory": MemoryProvider},
        "connections": {"mem": {"kind": "memory", "token": "t"}},
    }


async def test_live_answers_match_the_documented_schemas(
    spec: dict[str, Any], jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    checked: list[tuple[str, str, int]] = []

    async def check(verb: str, path: str, body: Any = None, **params: Any) -> Any:
        parts = [p for p in path.strip("/").split("/") if p]
        kwargs: dict[str, Any] = {"method": verb.upper(), "raise_error": False}
        if body is not None or verb in ("post", "put", "patch"):
            kwargs["body"] = json.dumps(body if body is not None else {})
        if params:
            kwargs["params"] = params
        response = await jp_fetch("notebook-remote", *parts, **kwargs)
        template = "/" + "/".join(
            "{" + PARAM_AFTER[parts[i - 1]] + "}" if i and parts[i - 1] in PARAM_AFTER else p
            for i, p in enumerate(parts)
        )
        if response.code != 204:
            data = json.loads(response.body)
            jsonschema.validate(data, response_schema(spec, template, verb, response.code))
        checked.append((template, verb, response.code))
        return json.loads(response.body) if response.body else None

    nb_path = jp_root_dir / "a.ipynb"
    nb_path.write_text(nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8")

    await check("get", "connections")
    await check("put", "connections/mem/token", {"token": "abc"})
    await check("delete", "connections/mem/token")
    nb = (await check("post", "connections/mem/notebooks", {"name": "n"}))["id"]
    await check("get", "connections/mem/notebooks")
    await check("get", f"connections/mem/notebooks/{nb}")
    await check("patch", f"connections/mem/notebooks/{nb}", {"name": "m"})
    await check("post", f"connections/mem/notebooks/{nb}/push", {"path": "a.ipynb"})
    await check("post", f"connections/mem/notebooks/{nb}/push", {"path": "../a.ipynb"})
    ex = (await check("post", f"connections/mem/notebooks/{nb}/executions"))["executionId"]
    await check("get", f"connections/mem/notebooks/{nb}/executions")
    await check("get", f"connections/mem/notebooks/{nb}/executions", limit="0")
    await check("post", f"connections/mem/notebooks/{nb}/executions/{ex}/cancel")
    await check("post", f"connections/mem/notebooks/{nb}/executions/{ex}/cancel")
    await check("get", f"connections/mem/notebooks/{nb}/usage")
    await check("post", f"connections/mem/notebooks/{nb}/input-export", {})
    await check("delete", f"connections/mem/notebooks/{nb}")
    await check("get", f"connections/mem/notebooks/{nb}")
    await check("get", "connections/ghost/notebooks")

    statuses = {status for _, _, status in checked}
    assert statuses == {200, 201, 202, 204, 400, 404, 409}
    provider = jp_serverapp.web_app.settings[STATE_KEY].registry.provider_nowait("mem")
    assert provider.files == {}  # deleted with its notebook
