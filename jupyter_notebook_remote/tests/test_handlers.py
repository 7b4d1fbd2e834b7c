"""The REST API against a real Jupyter Server (auth on), with an in-memory provider."""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
import tornado.web
from tornado.httpclient import HTTPResponse

from jupyter_notebook_remote.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    RemoteAuthError,
    RemoteError,
    RemoteTimeout,
    RemoteUnreachable,
    TokenMissing,
    TooLarge,
    Unsupported,
)
from jupyter_notebook_remote.rest import (
    STATE_KEY,
    BaseHandler,
    check_authenticated,
    route_table,
)
from jupyter_notebook_remote.tests.memory_provider import MemoryProvider, OpenMemoryProvider

CONFIG_TOKEN = "cfg-Token-0123456789abcdef"
UI_TOKEN = "ui-Token-fedcba9876543210"
MISSING_ID = "0" * 24


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "provider_classes": {"memory": MemoryProvider, "memory-open": OpenMemoryProvider},
        "connections": {
            "mem": {"kind": "memory", "label": "Memory", "token": CONFIG_TOKEN},
            "open": {"kind": "memory-open"},
        },
    }


@pytest.fixture
def memory(jp_serverapp: Any) -> MemoryProvider:
    provider = jp_serverapp.web_app.settings[STATE_KEY].registry.provider_nowait("mem")
    assert isinstance(provider, MemoryProvider)
    return provider


async def call(
    jp_fetch: Any,
    method: str,
    *parts: str,
    body: Any = None,
    params: Optional[dict[str, Any]] = None,
    headers: Optional[dict[str, str]] = None,
) -> tuple[HTTPResponse, Any]:
    kwargs: dict[str, Any] = {"method": method, "raise_error": False}
    if params:
        kwargs["params"] = params
    if headers:
        kwargs["headers"] = headers
    if body is not None:
        kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["body"] = b""
    response = await jp_fetch("notebook-remote", *parts, **kwargs)
    data = None
    if response.body and response.headers.get("Content-Type", "").startswith("application/json"):
        data = json.loads(response.body)
    return response, data


def assert_error(response: HTTPResponse, data: Any, status: int, reason: str) -> None:
    assert response.code == status, (response.code, data)
    assert isinstance(data, dict)
    assert data["reason"] == reason
    assert isinstance(data["message"], str)
    assert data["message"]
    assert set(data) <= {"message", "reason", "connection", "remoteStatus", "fields"}


def write_notebook(root: Path, name: str = "analysis.ipynb") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print('hello')"))
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


async def create(jp_fetch: Any, name: str = "Analysis") -> dict[str, Any]:
    response, data = await call(
        jp_fetch, "POST", "connections", "mem", "notebooks", body={"name": name}
    )
    assert response.code == 201
    return data


async def pushed(jp_fetch: Any, root: Path) -> str:
    nb = await create(jp_fetch)
    write_notebook(root)
    response, _ = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb["id"],
        "push",
        body={"path": "analysis.ipynb"},
    )
    assert response.code == 200
    return str(nb["id"])


# --------------------------------------------------------------------------- connections


async def test_connections_lists_configured_ones(jp_fetch: Any) -> None:
    response, data = await call(jp_fetch, "GET", "connections")
    assert response.code == 200
    assert data["default"] == "mem"
    by_id = {c["id"]: c for c in data["connections"]}
    assert list(by_id)[:2] == ["mem", "open"]
    mem = by_id["mem"]
    assert mem["kind"] == "memory"
    assert mem["label"] == "Memory"
    assert mem["baseUrl"] == "https://memory.invalid"
    assert mem["authConfigured"] is True
    assert "push" in mem["capabilities"]
    assert "schedule" not in mem["capabilities"]
    assert mem["unsupported"] == {"schedule": "the memory service has no scheduler"}
    assert by_id["open"]["authConfigured"] is True
    assert by_id["open"]["label"] == "open"
    assert "token" not in json.dumps(data).lower().replace("authconfigured", "").replace(
        "needstoken", ""
    )


async def test_unknown_and_malformed_connection(jp_fetch: Any) -> None:
    response, data = await call(jp_fetch, "GET", "connections", "nope", "notebooks")
    assert_error(response, data, 404, "unknown_connection")
    assert data["connection"] == "nope"
    assert "mem" in data["message"]

    response, data = await call(jp_fetch, "GET", "connections", "Bad!Id", "notebooks")
    assert_error(response, data, 400, "invalid_input")
    assert "connection" in data["fields"]


# --------------------------------------------------------------------------- authentication


#: A value for each placeholder of a route, in order (connection, notebook, run, file).
_ROUTE_VALUES = ("mem", "0123456789abcdef01234567", "0123456789abcdef01234568", "result.log")


async def test_every_route_refuses_requests_without_credentials(
    http_server_client: Any, jp_base_url: str, memory: MemoryProvider
) -> None:
    checked = 0
    for pattern, handler in route_table():
        path = pattern
        for value in _ROUTE_VALUES:
            path = path.replace("([^/]+)", value, 1)
        for verb in ("get", "post", "put", "patch", "delete"):
            if verb not in vars(handler):
                continue
            method = verb.upper()
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            response = await http_server_client.fetch(
                f"{jp_base_url}{path}", method=method, body=body, raise_error=False
            )
            assert response.code == 403, (method, path)
            assert json.loads(response.body)["reason"] == "forbidden"
            checked += 1
    assert checked >= 10
    assert memory.calls == []


async def test_wrong_jupyter_token_is_refused(jp_fetch: Any, memory: MemoryProvider) -> None:
    response, data = await call(
        jp_fetch, "GET", "connections", headers={"Authorization": "token not-the-token"}
    )
    assert_error(response, data, 403, "forbidden")
    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        body={"name": "x"},
        headers={"Authorization": "token not-the-token"},
    )
    assert response.code == 403
    assert memory.calls == []


async def test_cookie_auth_needs_xsrf_for_mutations(
    jp_fetch: Any, http_server_client: Any, jp_base_url: str, memory: MemoryProvider
) -> None:
    # A token-authenticated request hands out the login cookie, as a browser gets it.
    response, _ = await call(jp_fetch, "GET", "connections")
    login = [c.split(";")[0] for c in response.headers.get_list("Set-Cookie") if "username" in c]
    assert login, "the server set no login cookie"
    url = f"{jp_base_url}notebook-remote/connections/mem/notebooks"

    # The cookie alone authenticates a read...
    response = await http_server_client.fetch(url, headers={"Cookie": login[0]}, raise_error=False)
    assert response.code == 200

    # ...but a POST without the XSRF token is refused before reaching the provider.
    response = await http_server_client.fetch(
        url, method="POST", body=b'{"name": "x"}', headers={"Cookie": login[0]}, raise_error=False
    )
    assert response.code == 403
    assert "_xsrf" in json.loads(response.body)["message"]
    assert [name for name, _ in memory.calls] == ["list_notebooks"]

    # With the XSRF cookie and the matching header it goes through.
    xsrf = "0123456789abcdef0123456789abcdef"
    response = await http_server_client.fetch(
        url,
        method="POST",
        body=b'{"name": "x"}',
        headers={"Cookie": f"{login[0]}; _xsrf={xsrf}", "X-XSRFToken": xsrf},
        raise_error=False,
    )
    assert response.code == 201


def test_an_undecorated_verb_stops_start_up() -> None:
    class Leaky(BaseHandler):
        async def get(self) -> None:
            self.finish("{}")

        @tornado.web.authenticated
        async def post(self) -> None:
            self.finish("{}")

    with pytest.raises(RuntimeError, match=r"Leaky\.get") as err:
        check_authenticated([Leaky])
    assert "Leaky.post" not in str(err.value)


def test_a_stacked_decorator_keeps_the_mark() -> None:
    def logged(method: Any) -> Any:
        @functools.wraps(method)
        async def wrapper(self: Any, *args: Any) -> Any:
            return await method(self, *args)

        return wrapper

    class Stacked(BaseHandler):
        @logged
        @tornado.web.authenticated
        async def get(self) -> None:
            self.finish("{}")

    check_authenticated([Stacked])


# --------------------------------------------------------------------------- tokens


async def test_token_set_from_the_ui_wins_then_falls_back(
    jp_fetch: Any, jp_serverapp: Any, memory: MemoryProvider
) -> None:
    response, _ = await call(
        jp_fetch, "PUT", "connections", "mem", "token", body={"token": UI_TOKEN}
    )
    assert response.code == 204
    assert response.body == b""
    await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert memory.seen_tokens[-1] == UI_TOKEN
    store = jp_serverapp.web_app.settings[STATE_KEY].registry.store
    assert store.get("mem") == UI_TOKEN

    response, _ = await call(jp_fetch, "DELETE", "connections", "mem", "token")
    assert response.code == 204
    await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert memory.seen_tokens[-1] == CONFIG_TOKEN


async def test_token_put_validation(jp_fetch: Any) -> None:
    response, data = await call(
        jp_fetch, "PUT", "connections", "mem", "token", body={"token": "has space"}
    )
    assert_error(response, data, 400, "invalid_input")
    assert "token" in data["fields"]
    assert "has space" not in response.body.decode()

    response, data = await call(jp_fetch, "PUT", "connections", "mem", "token", body={})
    assert_error(response, data, 400, "invalid_input")
    assert "token" in data["fields"]

    response, data = await call(jp_fetch, "PUT", "connections", "mem", "token", body="{not json")
    assert_error(response, data, 400, "invalid_input")
    assert data["fields"] == {"body": "is not valid JSON"}

    response, data = await call(
        jp_fetch, "PUT", "connections", "open", "token", body={"token": "abc"}
    )
    assert_error(response, data, 400, "unsupported")

    response, data = await call(
        jp_fetch, "PUT", "connections", "ghost", "token", body={"token": "abc"}
    )
    assert_error(response, data, 404, "unknown_connection")


async def test_tokens_never_leave_the_server(
    jp_fetch: Any, jp_root_dir: Path, memory: MemoryProvider, caplog: pytest.LogCaptureFixture
) -> None:
    response, _ = await call(
        jp_fetch, "PUT", "connections", "mem", "token", body={"token": UI_TOKEN}
    )
    assert response.code == 204
    seen: list[HTTPResponse] = [response]

    async def record(*args: Any, **kwargs: Any) -> Any:
        response, data = await call(jp_fetch, *args, **kwargs)
        seen.append(response)
        return data

    await record("GET", "connections")
    nb = (await record("POST", "connections", "mem", "notebooks", body={"name": "Leak check"}))[
        "id"
    ]
    await record("GET", "connections", "mem", "notebooks")
    await record("GET", "connections", "mem", "notebooks", nb)
    await record("PATCH", "connections", "mem", "notebooks", nb, body={"name": "Renamed"})
    write_notebook(jp_root_dir)
    await record(
        "POST", "connections", "mem", "notebooks", nb, "push", body={"path": "analysis.ipynb"}
    )
    ex = (await record("POST", "connections", "mem", "notebooks", nb, "executions"))["executionId"]
    await record("GET", "connections", "mem", "notebooks", nb, "executions")
    await record(
        "GET", "connections", "mem", "notebooks", nb, "executions", ex, "files", "result.html"
    )
    await record("POST", "connections", "mem", "notebooks", nb, "executions", ex, "cancel")
    await record("GET", "connections", "mem", "notebooks", nb, "usage")
    await record("POST", "connections", "mem", "notebooks", nb, "input-export", body={})
    memory.fail_next(RemoteAuthError("The remote refused the token.", connection="mem"))
    await record("GET", "connections", "mem", "notebooks")
    memory.fail_next(RuntimeError(f"boom with {UI_TOKEN} and {CONFIG_TOKEN} inside"))
    await record("GET", "connections", "mem", "notebooks")
    await record("DELETE", "connections", "mem", "notebooks", nb)
    await record("DELETE", "connections", "mem", "token")

    assert len(seen) == 17
    assert UI_TOKEN in memory.seen_tokens
    for response in seen:
        raw = response.body.decode("utf-8", "replace") + str(dict(response.headers))
        for secret in (UI_TOKEN, CONFIG_TOKEN):
            assert secret not in raw, response.effective_url
    for secret in (UI_TOKEN, CONFIG_TOKEN):
        assert secret not in caplog.text
    assert "boom with [redacted] and [redacted] inside" in caplog.text


# --------------------------------------------------------------------------- notebooks


async def test_notebook_crud(jp_fetch: Any) -> None:
    created = await create(jp_fetch, "Line 4 report")
    assert set(created) >= {"id", "name", "description", "fileName", "createdAt", "updatedAt"}
    assert created["name"] == "Line 4 report"
    nb = created["id"]

    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert response.code == 200
    assert set(data) == {"items", "count", "totalCount", "page", "perPage"}
    assert [n["id"] for n in data["items"]] == [nb]
    assert (data["page"], data["perPage"], data["totalCount"]) == (0, 100, 1)

    response, data = await call(
        jp_fetch,
        "GET",
        "connections",
        "mem",
        "notebooks",
        params={"perPage": 5, "page": 1, "filter": "Line"},
    )
    assert (data["page"], data["perPage"], data["items"]) == (1, 5, [])

    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks", nb)
    assert response.code == 200
    assert data["id"] == nb

    response, data = await call(
        jp_fetch, "PATCH", "connections", "mem", "notebooks", nb, body={"description": "weekly"}
    )
    assert response.code == 200
    assert (data["name"], data["description"]) == ("Line 4 report", "weekly")

    response, data = await call(jp_fetch, "DELETE", "connections", "mem", "notebooks", nb)
    assert (response.code, data) == (200, {"success": True})

    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks", nb)
    assert_error(response, data, 404, "notebook_not_found")
    assert data["connection"] == "mem"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"perPage": "0"}, "perPage"),
        ({"perPage": "1001"}, "perPage"),
        ({"perPage": "ten"}, "perPage"),
        ({"page": "-1"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"filter": "x" * 1025}, "filter"),
    ],
)
async def test_list_query_validation(jp_fetch: Any, params: dict[str, str], field: str) -> None:
    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks", params=params)
    assert_error(response, data, 400, "invalid_input")
    assert list(data["fields"]) == [field]
    assert field in data["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "imageVersion": "v9"}, "imageVersion"),
        ([], "body"),
    ],
)
async def test_create_body_validation(
    jp_fetch: Any, body: Any, field: str, memory: MemoryProvider
) -> None:
    response, data = await call(jp_fetch, "POST", "connections", "mem", "notebooks", body=body)
    assert_error(response, data, 400, "invalid_input")
    assert field in data["fields"]
    assert memory.calls == []


async def test_notebook_and_execution_ids_are_validated_first(
    jp_fetch: Any, memory: MemoryProvider
) -> None:
    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks", "not-hex")
    assert_error(response, data, 400, "invalid_input")
    assert list(data["fields"]) == ["notebookId"]

    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        MISSING_ID,
        "executions",
        "zz",
        "cancel",
    )
    assert_error(response, data, 400, "invalid_input")
    assert list(data["fields"]) == ["executionId"]
    assert memory.calls == []


# --------------------------------------------------------------------------- push


async def test_push_streams_the_saved_file(
    jp_fetch: Any, jp_root_dir: Path, memory: MemoryProvider
) -> None:
    nb = (await create(jp_fetch))["id"]
    path = write_notebook(jp_root_dir, "work/analysis.ipynb")
    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb,
        "push",
        body={"path": "work/analysis.ipynb"},
    )
    assert response.code == 200
    assert data["fileName"] == "analysis.ipynb"
    assert memory.files[nb] == path.read_bytes()


async def test_push_path_errors(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = (await create(jp_fetch))["id"]
    write_notebook(jp_root_dir)
    for path, status, reason in [
        ("../analysis.ipynb", 400, "invalid_input"),
        ("/analysis.ipynb", 400, "invalid_input"),
        ("missing.ipynb", 404, "path_not_found"),
    ]:
        response, data = await call(
            jp_fetch, "POST", "connections", "mem", "notebooks", nb, "push", body={"path": path}
        )
        assert_error(response, data, status, reason)
        assert "path" in data.get("fields", {}), path


# --------------------------------------------------------------------------- runs


async def test_run_list_and_cancel(
    jp_fetch: Any, jp_root_dir: Path, memory: MemoryProvider
) -> None:
    nb = (await create(jp_fetch))["id"]
    response, data = await call(
        jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions"
    )
    assert_error(response, data, 409, "not_pushed")

    nb = await pushed(jp_fetch, jp_root_dir)
    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb,
        "executions",
        body={"templateContext": {"site": "a"}},
    )
    assert response.code == 202
    assert list(data) == ["executionId"]
    first = data["executionId"]
    assert memory.calls[-1][1][1].template_context == '{"site":"a"}'
    _, data = await call(jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions")
    second = data["executionId"]

    response, data = await call(
        jp_fetch, "GET", "connections", "mem", "notebooks", nb, "executions"
    )
    assert response.code == 200
    assert [e["id"] for e in data["items"]] == [second, first]
    assert set(data["items"][0]) >= {
        "id",
        "notebookId",
        "status",
        "queuedAt",
        "startedAt",
        "finishedAt",
        "source",
        "errors",
        "inputs",
        "outputs",
    }
    _, data = await call(
        jp_fetch, "GET", "connections", "mem", "notebooks", nb, "executions", params={"limit": 1}
    )
    assert [e["id"] for e in data["items"]] == [second]

    response, data = await call(
        jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions", first, "cancel"
    )
    assert (response.code, data) == (200, {"success": True})
    response, data = await call(
        jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions", first, "cancel"
    )
    assert_error(response, data, 409, "already_finished")
    response, data = await call(
        jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions", MISSING_ID, "cancel"
    )
    assert_error(response, data, 404, "execution_not_found")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "-5"}, "since"),
        ({"since": "99999999999999999"}, "since"),
    ],
)
async def test_execution_query_validation(
    jp_fetch: Any, params: dict[str, str], field: str
) -> None:
    response, data = await call(
        jp_fetch, "GET", "connections", "mem", "notebooks", MISSING_ID, "executions", params=params
    )
    assert_error(response, data, 400, "invalid_input")
    assert list(data["fields"]) == [field]


async def test_execute_body_validation(jp_fetch: Any) -> None:
    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        MISSING_ID,
        "executions",
        body={"templateContext": "[1, 2]"},
    )
    assert_error(response, data, 400, "invalid_input")
    assert "templateContext" in data["fields"]


async def test_since_is_passed_as_an_aware_datetime(
    jp_fetch: Any, jp_root_dir: Path, memory: MemoryProvider
) -> None:
    nb = await pushed(jp_fetch, jp_root_dir)
    response, _ = await call(
        jp_fetch,
        "GET",
        "connections",
        "mem",
        "notebooks",
        nb,
        "executions",
        params={"since": "1700000000000", "limit": "7"},
    )
    assert response.code == 200
    name, (notebook_id, limit, since) = memory.calls[-1]
    assert (name, notebook_id, limit) == ("list_executions", nb, 7)
    assert since.tzinfo is not None
    assert since.timestamp() == 1_700_000_000


async def test_usage(jp_fetch: Any, jp_root_dir: Path, memory: MemoryProvider) -> None:
    nb = await pushed(jp_fetch, jp_root_dir)
    _, data = await call(jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions")
    memory.finish(nb, data["executionId"], minutes=3)

    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks", nb, "usage")
    assert response.code == 200
    assert set(data) == {"start", "end", "totalMinutes", "days", "storeBytes"}
    assert data["storeBytes"] is None  # only a kind that stores runs here says it
    assert data["totalMinutes"] == pytest.approx(3, abs=0.1)
    assert set(data["days"][0]) == {
        "date",
        "minutes",
        "completed",
        "canceled",
        "errored",
        "timeout",
    }
    _, (_, start, end) = memory.calls[-1]
    assert end - start == timedelta(days=30)
    assert start.tzinfo is not None

    response, data = await call(
        jp_fetch,
        "GET",
        "connections",
        "mem",
        "notebooks",
        nb,
        "usage",
        params={"start": "1700000000000", "end": "1700086400000"},
    )
    assert response.code == 200
    assert [d["date"] for d in data["days"]] == ["2023-11-14", "2023-11-15"]

    for params, field in [
        ({"start": "1700086400000", "end": "1700000000000"}, "start"),
        ({"end": "soon"}, "end"),
    ]:
        response, data = await call(
            jp_fetch, "GET", "connections", "mem", "notebooks", nb, "usage", params=params
        )
        assert_error(response, data, 400, "invalid_input")
        assert list(data["fields"]) == [field]


async def test_input_export(jp_fetch: Any) -> None:
    nb = (await create(jp_fetch))["id"]
    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb,
        "input-export",
        body={"email": "ops@example.com"},
    )
    assert response.code == 202
    assert data["jobQueued"] is True
    assert data["jobId"]

    response, data = await call(
        jp_fetch,
        "POST",
        "connections",
        "mem",
        "notebooks",
        nb,
        "input-export",
        body={"email": "not-an-address"},
    )
    assert_error(response, data, 400, "invalid_input")
    assert "email" in data["fields"]


# --------------------------------------------------------------------------- run files


async def test_execution_files(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = await pushed(jp_fetch, jp_root_dir)
    _, data = await call(jp_fetch, "POST", "connections", "mem", "notebooks", nb, "executions")
    ex = data["executionId"]
    parts = ("connections", "mem", "notebooks", nb, "executions", ex, "files")

    response, _ = await call(jp_fetch, "GET", *parts, "result.html")
    assert response.code == 200
    assert response.body == b"<p>done</p>"
    assert response.headers["Content-Type"].startswith("text/html")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "allow-same-origin" not in response.headers["Content-Security-Policy"]
    assert "Content-Disposition" not in response.headers

    response, _ = await call(jp_fetch, "GET", *parts, "result.html", params={"download": "1"})
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "result.html" in response.headers["Content-Disposition"]

    response, data = await call(jp_fetch, "GET", *parts, "other.html")
    assert_error(response, data, 404, "file_not_found")

    for bad in ("..", "a b", "x" * 256):
        response, data = await call(jp_fetch, "GET", *parts, bad)
        assert_error(response, data, 400, "invalid_input")
        assert list(data["fields"]) == ["name"]


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("bad", fields={"x": "is bad"}), 400),
        (Unsupported("cannot"), 400),
        (TokenMissing("no token"), 403),
        (RemoteAuthError("refused", remote_status=401), 403),
        (NotFound("gone", reason="notebook_not_found"), 404),
        (Conflict("busy"), 409),
        (TooLarge("big"), 413),
        (RateLimited("slow down", retry_after=7.2, remote_status=429), 429),
        (RemoteError("remote broke", remote_status=500), 502),
        (RemoteUnreachable("no route"), 502),
        (RemoteTimeout("too slow"), 504),
    ],
)
async def test_domain_errors_map_to_http(
    jp_fetch: Any, memory: MemoryProvider, error: Exception, status: int
) -> None:
    memory.fail_next(error)
    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert_error(response, data, status, error.reason)  # type: ignore[attr-defined]
    assert data == error.to_json()  # type: ignore[attr-defined]
    if isinstance(error, RateLimited):
        assert response.headers["Retry-After"] == "7"
    else:
        assert "Retry-After" not in response.headers


async def test_unexpected_errors_are_generic_500s(jp_fetch: Any, memory: MemoryProvider) -> None:
    memory.fail_next(KeyError("internal detail"))
    response, data = await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert_error(response, data, 500, "internal")
    assert "internal detail" not in response.body.decode()
    assert "traceback" not in data


async def test_unknown_route_under_the_prefix_is_json_404(jp_fetch: Any) -> None:
    response, _ = await call(jp_fetch, "GET", "connections", "mem", "nothing-here")
    assert response.code == 404


async def test_providers_start_once_and_close_once(
    jp_serverapp: Any, jp_fetch: Any, memory: MemoryProvider
) -> None:
    for _ in range(3):
        await call(jp_fetch, "GET", "connections", "mem", "notebooks")
    assert memory.started == 1
    app = jp_serverapp.extension_manager.extension_apps["jupyter_notebook_remote"]
    (extension,) = app
    await extension.stop_extension()
    await extension.stop_extension()
    assert memory.closed == 1
    response, data = await call(jp_fetch, "GET", "connections", "open", "notebooks")
    assert_error(response, data, 500, "shutting_down")


def test_runs_answered_again_are_the_same_json_as_a_fresh_encoding() -> None:
    from jupyter_notebook_remote.models import Execution, ExecutionList
    from jupyter_notebook_remote.rest.base import EncodedRuns

    def run(n: int, **fields: Any) -> Execution:
        return Execution.model_validate(
            {"id": f"{n:024x}", "notebook_id": "f" * 24, "status": "completed", **fields}
        )

    ended = run(1, template_context={"site": "é \u2028"}, max_allowed_run_minutes=60)
    running = run(
        2,
        status="inProgress",
        progress={"cell": 3, "total": 9, "started_at": "2026-01-02T03:04:05.000Z"},
    )
    encoded = EncodedRuns(limit=2)
    for items in ([running, ended], [run(2), ended], [run(3), run(2), ended], []):
        expected = ExecutionList(items=items).model_dump_json(by_alias=True).encode()
        assert encoded.list_json(items) == expected
        assert json.loads(encoded.list_json(items)) == json.loads(expected)
