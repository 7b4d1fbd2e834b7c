"""The ``local`` connection through the REST API of a real Jupyter Server.

No configuration besides the test's data directory: ``local`` must be there
and be the default, and a notebook saved in the Jupyter root must go from
create to push to a completed run whose results open from the files route.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import nbformat

from .rest import call_api

FINISHED = {"completed", "errored", "timeout", "canceled"}


call = call_api


def save_notebook(root: Path, name: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (root / name).write_text(nbformat.writes(nb), encoding="utf-8")


async def create_and_push(jp_fetch: Any, root: Path, name: str, cells: list[str]) -> str:
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": name}
    )
    assert response.code == 201, created
    await asyncio.to_thread(save_notebook, root, f"{name}.ipynb", cells)
    response, pushed = await call(
        jp_fetch,
        "POST",
        "connections",
        "local",
        "notebooks",
        created["id"],
        "push",
        body={"path": f"{name}.ipynb"},
    )
    assert response.code == 200, pushed
    assert pushed["fileName"] == f"{name}.ipynb"
    return str(created["id"])


async def wait_for_run(jp_fetch: Any, nb: str, ex: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response, data = await call(
            jp_fetch, "GET", "connections", "local", "notebooks", nb, "executions"
        )
        assert response.code == 200, data
        [run] = [item for item in data["items"] if item["id"] == ex]
        if run["status"] in FINISHED:
            return dict(run)
        assert time.monotonic() < deadline, f"run still {run['status']}"
        await asyncio.sleep(0.1)


async def test_local_is_the_default_connection_with_no_configuration(jp_fetch: Any) -> None:
    response, data = await call(jp_fetch, "GET", "connections")
    assert response.code == 200
    assert data["default"] == "local"
    [local] = [c for c in data["connections"] if c["id"] == "local"]
    assert local["kind"] == "local"
    assert local["authConfigured"] is True
    # local reports no run's end anywhere: email and callbackUrl are refused.
    assert local["runNotifications"] is False
    # A run takes a query time and a context (written to INPUT_DIR/context.json).
    assert local["runContext"] is True
    assert "execute" in local["capabilities"]
    assert "cancel" in local["capabilities"]
    assert "schedule" in local["capabilities"]
    assert set(local["unsupported"]) == {"inputExport", "open"}


async def test_a_notebook_runs_from_the_jupyter_root_to_its_results(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    nb = await create_and_push(
        jp_fetch,
        jp_root_dir,
        "report",
        [
            "import json, os\n"
            "ctx = json.load(open(os.path.join(os.environ['INPUT_DIR'], 'context.json')))\n"
            "open(os.path.join(os.environ['OUTPUT_DIR'], 'out.csv'), 'w').write(ctx['site'])\n"
            "print('ran for', ctx['site'])"
        ],
    )
    response, started = await call(
        jp_fetch,
        "POST",
        "connections",
        "local",
        "notebooks",
        nb,
        "executions",
        body={"templateContext": {"site": "north"}},
    )
    assert response.code == 202, started
    ex = started["executionId"]

    run = await wait_for_run(jp_fetch, nb, ex)
    assert run["status"] == "completed", run["errors"]
    assert run["inputs"][0]["name"] == "context.json"
    outputs = {o["name"]: o for o in run["outputs"]}
    assert set(outputs) == {
        "result.ipynb",
        "result.html",
        "result.log",
        "result.error.log",
        "out.csv",
    }

    html_url = outputs["result.html"]["url"]
    assert html_url.startswith("/")
    parts = html_url.split("/notebook-remote/", 1)[1].split("/")
    page = await jp_fetch("notebook-remote", *parts, method="GET")
    assert page.code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"ran for north" in page.body

    data = await jp_fetch("notebook-remote", *parts[:-1], "out.csv", method="GET")
    assert data.body == b"north"
    executed = await jp_fetch("notebook-remote", *parts[:-1], "result.ipynb", method="GET")
    assert json.loads(executed.body)["cells"][0]["outputs"][0]["name"] == "stdout"

    response, error = await call(jp_fetch, "GET", *parts[:-1], "run.json")
    assert response.code == 404
    assert error["reason"] == "file_not_found"

    response, usage = await call(jp_fetch, "GET", "connections", "local", "notebooks", nb, "usage")
    assert response.code == 200
    assert sum(day["completed"] for day in usage["days"]) == 1
    assert usage["totalMinutes"] > 0

    response, error = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", ex, "cancel"
    )
    assert response.code == 409
    assert error["reason"] == "already_finished"

    response, done = await call(jp_fetch, "DELETE", "connections", "local", "notebooks", nb)
    assert response.code == 200
    assert done == {"success": True}


async def test_bad_requests_get_clear_errors(jp_fetch: Any) -> None:
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": "empty"}
    )
    nb = created["id"]
    response, error = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions"
    )
    assert response.code == 409
    assert error["reason"] == "not_pushed"

    # Ids, limits and ranges are checked before the local connection is asked.
    day = 24 * 3600 * 1000
    now = int(time.time() * 1000)
    for parts, params, field in [
        (("not-an-id",), None, "notebookId"),
        ((nb, "executions", "not-an-id", "cancel"), None, "executionId"),
        ((nb, "executions"), {"limit": "0"}, "limit"),
        ((nb, "usage"), {"start": str(now), "end": str(now - day)}, "start"),
        ((nb, "usage"), {"start": str(now - 1000 * day), "end": str(now)}, "start"),
    ]:
        method = "POST" if parts[-1] == "cancel" else "GET"
        response, error = await call(
            jp_fetch, method, "connections", "local", "notebooks", *parts, params=params
        )
        assert response.code == 400, (parts, params, error)
        assert error["reason"] == "invalid_input"
        assert field in error["fields"], (parts, params, error)


async def test_a_run_is_canceled_through_the_api(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = await create_and_push(
        jp_fetch, jp_root_dir, "forever", ["import time\nwhile True:\n    time.sleep(0.05)"]
    )
    _, started = await call(jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions")
    ex = started["executionId"]
    deadline = time.monotonic() + 60
    while True:  # until the kernel is busy with the loop
        _, data = await call(jp_fetch, "GET", "connections", "local", "notebooks", nb, "executions")
        run = data["items"][0]
        names = [o["name"] for o in run["outputs"]]
        if run["status"] == "inProgress" and "result.log" in names:
            log = await jp_fetch(
                "notebook-remote",
                *run["outputs"][0]["url"].split("/notebook-remote/")[1].split("/"),
            )
            if b"cell 1/1 started" in log.body:
                break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)

    response, body = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", ex, "cancel"
    )
    assert response.code == 200
    assert body == {"success": True}
    run = await wait_for_run(jp_fetch, nb, ex, timeout=15)
    assert run["status"] == "canceled"


async def test_run_files_need_jupyter_credentials(
    http_server_client: Any, jp_base_url: str
) -> None:
    path = (
        f"{jp_base_url}notebook-remote/connections/local/notebooks/{'a' * 24}"
        f"/executions/{'b' * 24}/files/result.html"
    )
    response = await http_server_client.fetch(path, raise_error=False)
    assert response.code == 403


async def test_pull_gives_back_the_pushed_copy_and_says_when_there_is_none(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    nb = await create_and_push(jp_fetch, jp_root_dir, "pulled", ["print('pushed')"])
    response = await jp_fetch(
        "notebook-remote", "connections", "local", "notebooks", nb, "file", method="GET"
    )
    assert response.code == 200
    assert response.body == (jp_root_dir / "pulled.ipynb").read_bytes()
    assert response.headers["Content-Type"].startswith("application/x-ipynb+json")

    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": "empty"}
    )
    response, body = await call(
        jp_fetch, "GET", "connections", "local", "notebooks", created["id"], "file"
    )
    assert response.code == 404
    assert body["reason"] == "no_file"


async def test_a_local_run_keeps_what_it_was_given_and_refuses_what_it_cannot_do(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    nb = await create_and_push(jp_fetch, jp_root_dir, "given", ["1"])
    runs = ("connections", "local", "notebooks", nb, "executions")
    options = {"relativeTo": 1764576000000, "templateContext": {"site": "a"}}
    response, started = await call(jp_fetch, "POST", *runs, body=options)
    assert response.code == 202, started
    done = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert done["templateContext"] == {"site": "a"}
    assert done["relativeTo"] == "2025-12-01T08:00:00.000Z"
    assert done["maxAllowedRunMinutes"] == 60
    for field, value in (("email", "me@example.com"), ("callbackUrl", "https://example.com/x")):
        response, body = await call(jp_fetch, "POST", *runs, body={field: value})
        assert response.code == 400
        assert field in body["fields"]
        assert "leave it out" in body["fields"][field]


async def test_local_notebooks_have_no_inputs_to_set(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = await create_and_push(jp_fetch, jp_root_dir, "plain", ["1"])
    response, body = await call(
        jp_fetch,
        "PATCH",
        "connections",
        "local",
        "notebooks",
        nb,
        body={"inputs": [{"inputType": "dataTable"}]},
    )
    assert response.code == 400
    assert "leave it out" in body["fields"]["inputs"]
