"""Pushing to the ``local`` connection through a real Jupyter Server.

The push route checks the saved file (a valid notebook, at most
``max_push_bytes``) before the local connection gets it; a refused push
leaves the last pushed copy as it was, and that copy is what runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .test_local_routes import call, create_and_push, save_notebook, wait_for_run

MAX_PUSH_BYTES = 64 * 1024


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {**notebook_remote_config, "max_push_bytes": MAX_PUSH_BYTES}


async def push(jp_fetch: Any, nb: str, path: str) -> tuple[int, Any]:
    response, data = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "push", body={"path": path}
    )
    return response.code, data


async def test_a_refused_push_keeps_the_last_copy(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    nb = await create_and_push(jp_fetch, jp_root_dir, "good", ["print('the good copy')"])
    stored = tmp_path / "local" / "notebooks" / nb / "notebook.ipynb"
    good = await asyncio.to_thread(stored.read_bytes)
    assert good == (jp_root_dir / "good.ipynb").read_bytes()

    broken = {
        "not-json.ipynb": "{not json",
        "empty.ipynb": "",
        "not-a-notebook.ipynb": '{"cells": "nope", "nbformat": 4, "nbformat_minor": 5, '
        '"metadata": {}}',
        "future.ipynb": '{"nbformat": 99}',
    }
    for name, text in broken.items():
        (jp_root_dir / name).write_text(text, encoding="utf-8")
        code, error = await push(jp_fetch, nb, name)
        assert code == 400, (name, error)
        assert error["reason"] == "invalid_input"
        assert "path" in error["fields"]

    await asyncio.to_thread(
        save_notebook, jp_root_dir, "huge.ipynb", [f"print(1)  # {'x' * MAX_PUSH_BYTES}"]
    )
    code, error = await push(jp_fetch, nb, "huge.ipynb")
    assert code == 413, error
    assert error["reason"] == "too_large"

    assert await asyncio.to_thread(stored.read_bytes) == good
    response, notebook = await call(jp_fetch, "GET", "connections", "local", "notebooks", nb)
    assert notebook["fileName"] == "good.ipynb"
    response, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions"
    )
    assert response.code == 202, started
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert run["status"] == "completed", run["errors"]
    outputs = {o["name"]: o["url"] for o in run["outputs"]}
    log = await jp_fetch(
        "notebook-remote", *outputs["result.log"].split("/notebook-remote/")[1].split("/")
    )
    assert b"the good copy" in log.body


async def test_a_refused_first_push_keeps_nothing(jp_fetch: Any, jp_root_dir: Path) -> None:
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": "first"}
    )
    nb = created["id"]
    (jp_root_dir / "broken.ipynb").write_text('{"cells": 7}', encoding="utf-8")
    code, error = await push(jp_fetch, nb, "broken.ipynb")
    assert code == 400, error
    await asyncio.to_thread(
        save_notebook, jp_root_dir, "huge.ipynb", [f"print(1)  # {'x' * MAX_PUSH_BYTES}"]
    )
    code, error = await push(jp_fetch, nb, "huge.ipynb")
    assert code == 413, error
    response, error = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions"
    )
    assert response.code == 409
    assert error["reason"] == "not_pushed"
