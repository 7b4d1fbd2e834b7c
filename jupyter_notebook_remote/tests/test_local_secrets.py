"""A local run never sees the credentials of the server's other connections.

A notebook run on this machine is code the user pushed, but the Jupyter
server's environment also holds the tokens of its remote connections
(``token_env``). Those variables are dropped from every run's environment,
whatever they are called.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .test_local_routes import call, create_and_push, wait_for_run

SECRET = "plant-a-token-that-must-stay-on-the-server"


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("PLANT_A_TOKEN", SECRET)
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    return {
        **notebook_remote_config,
        "connections": {
            "plant-a": {
                "kind": "losant",
                "application_id": "575ec8687ae143cd83dc4a97",
                "token_env": "PLANT_A_TOKEN",
            }
        },
    }


async def test_token_env_of_other_connections_is_not_in_a_run(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    cells = [
        "import json, os\n"
        "seen = {k: k in os.environ for k in ('PLANT_A_TOKEN', 'HARMLESS_SETTING')}\n"
        "json.dump(seen, open(os.path.join(os.environ['OUTPUT_DIR'], 'env.json'), 'w'))"
    ]
    nb = await create_and_push(jp_fetch, jp_root_dir, "env-check", cells)
    response, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", body={}
    )
    assert response.code == 202, started
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert run["status"] == "completed", run["errors"]
    response, _ = await call(
        jp_fetch,
        "GET",
        "connections",
        "local",
        "notebooks",
        nb,
        "executions",
        started["executionId"],
        "files",
        "env.json",
    )
    assert response.code == 200
    assert json.loads(response.body) == {"PLANT_A_TOKEN": False, "HARMLESS_SETTING": True}
