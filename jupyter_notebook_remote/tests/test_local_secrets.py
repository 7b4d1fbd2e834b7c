"""A local run never sees the server's credentials.

A notebook run on this machine is code the user pushed, but the Jupyter
server's environment also holds credentials: the tokens of its remote
connections (``token_env``, whatever they are called), the variables each
kind reads its credentials from, and Jupyter's own tokens. All of them are
dropped from every run's environment; everything else is passed on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .test_local_routes import call, create_and_push, wait_for_run

SECRET = "plant-a-token-that-must-stay-on-the-server"
#: Each kind's credential variables, and Jupyter's own.
SERVER_SECRETS = (
    "LOSANT_API_TOKEN",
    "CIVIS_API_KEY",
    "JUPYTER_TOKEN",
    "JPY_API_TOKEN",
    "JUPYTERHUB_API_TOKEN",
)


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


async def test_no_credential_of_the_server_is_in_a_run(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set once the server runs, so that none of them configures anything.
    for name in SERVER_SECRETS:
        monkeypatch.setenv(name, f"secret-of-{name}")
    names = ("PLANT_A_TOKEN", "HARMLESS_SETTING", *SERVER_SECRETS)
    cells = [
        "import json, os\n"
        f"seen = {{k: k in os.environ for k in {names!r}}}\n"
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
    seen = json.loads(response.body)
    assert seen == {name: name == "HARMLESS_SETTING" for name in names}
