"""Pushing to the ``local`` connection through a real Jupyter Server.

The push route checks the saved file (a valid notebook, at most
``max_push_bytes``) before the local connection gets it; a refused push
leaves the last pushed copy as it was, and that copy is what runs.
"""

from __future__ import annotations

import asyncio
import json
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


@pytest.mark.parametrize("notebook", ["deviating", "bare"])
async def test_a_notebook_jupyter_tolerates_is_pushed_and_runs(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path, notebook: str
) -> None:
    """Off nbformat's schema as JupyterLab saves and opens it: pushed as is, with
    warnings, and run for real, result.html included."""
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": notebook}
    )
    nb = created["id"]
    source = "import sys\nprint('ran', sys.version_info[0])"
    if notebook == "deviating":
        data: dict[str, Any] = {
            "nbformat": 4,
            "nbformat_minor": 5,
            # no display_name, no language_info
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "cells": [
                {
                    "cell_type": "markdown",
                    "id": "same",
                    "metadata": {"tool": {"x": 1}},
                    "source": ["# A report"],
                },
                {
                    "cell_type": "code",
                    "id": "same",
                    "metadata": {"collapsed": "no", "jupyter": {"source_hidden": False}},
                    "execution_count": None,
                    "outputs": [],
                    "source": source,
                    "editor_state": {"line": 2},
                },
            ],
        }
        expected = ["cells[1].id", "metadata.kernelspec", "cells[1]", "cells[1].metadata.collapsed"]
    else:  # the least JupyterLab opens: no kernelspec, no outputs, no execution_count
        cell = {"cell_type": "code", "source": source, "metadata": {}}
        data = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [cell]}
        expected = ["cells[0]"] * 2
    saved = json.dumps(data).encode()
    (jp_root_dir / f"{notebook}.ipynb").write_bytes(saved)
    code, pushed = await push(jp_fetch, nb, f"{notebook}.ipynb")
    assert code == 200, pushed
    assert [w["path"] for w in pushed["warnings"]] == expected, pushed["warnings"]
    stored = tmp_path / "local" / "notebooks" / nb / "notebook.ipynb"
    assert await asyncio.to_thread(stored.read_bytes) == saved  # as the user saved it

    response, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", body={}
    )
    assert response.code == 202, started
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert run["status"] == "completed", run["errors"]
    html = next(o for o in run["outputs"] if o["name"] == "result.html")
    page = await jp_fetch(
        "notebook-remote", *html["url"].split("/notebook-remote/", 1)[1].split("/"), method="GET"
    )
    assert b"ran 3" in page.body
