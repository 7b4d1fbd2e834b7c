"""CIVIS_API_KEY (+ CIVIS_API_ENDPOINT) alone give a working ``civis``
connection, as the Civis client's own environment variables do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .fakes.civis import FakeCivis

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], fake_civis: FakeCivis, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("CIVIS_API_KEY", fake_civis.api_key)
    # The Civis client adds the trailing slash itself; so does this setting.
    monkeypatch.setenv("CIVIS_API_ENDPOINT", f"{fake_civis.url}/")
    return {**notebook_remote_config, "local_enabled": False}


async def test_the_environment_makes_a_civis_connection(
    jp_fetch: Any, fake_civis: FakeCivis
) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    data = json.loads(response.body)
    assert data["default"] == "civis"
    (conn,) = data["connections"]
    assert (conn["id"], conn["kind"], conn["authConfigured"]) == ("civis", "civis", True)
    assert conn["baseUrl"] == fake_civis.url
    assert fake_civis.api_key not in response.body.decode()

    fake_civis.add_notebook("From the environment")
    response = await jp_fetch("notebook-remote", "connections", "civis", "notebooks")
    page = json.loads(response.body)
    assert [n["name"] for n in page["items"]] == ["From the environment"]
