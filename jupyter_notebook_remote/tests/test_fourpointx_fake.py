"""The fake 4pointx answers as 4pointx's API page shows, oddities included,
so the provider tests exercise the real quirks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from .fakes.fourpointx import FakeFourPointX
from .fakes.loopback import FakeClock

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

BASE = "/_notebooks/notebooks"


@pytest.fixture
def api(fake_fourpointx: FakeFourPointX) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Basic {fake_fourpointx.token}"}
    with httpx.Client(base_url=fake_fourpointx.url, headers=headers) as client:
        yield client


def test_auth_is_the_token_as_given(fake_fourpointx: FakeFourPointX) -> None:
    bad = httpx.get(f"{fake_fourpointx.url}{BASE}/_all", headers={"Authorization": "Basic nope"})
    assert bad.status_code == 401
    assert bad.json() == {"error": {"status": 401, "message": bad.json()["error"]["message"]}}
    assert httpx.get(f"{fake_fourpointx.url}{BASE}/_all").status_code == 401


def test_create_names_the_file_from_the_clock_and_collides_within_a_second(
    api: httpx.Client, fourpointx_clock: FakeClock
) -> None:
    first = api.post(f"{BASE}/")
    assert first.status_code == 200
    assert first.json() == {
        "username": "admin",
        "notebook_name": "2026-01-05_09:00:00_admin.ipynb",
        "path": "/notebooks/admin/2026-01-05_09:00:00_admin.ipynb",
    }
    again = api.post(f"{BASE}/")
    assert again.status_code == 400
    assert "File exists" in again.json()["error"]["message"]
    fourpointx_clock.advance(1)
    assert api.post(f"{BASE}/").status_code == 200


def test_success_bodies_are_the_pages_text_not_json(
    api: httpx.Client, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    renamed = api.put(f"{BASE}/{nb.notebook_id}", json={"new_name": "y.ipynb"})
    assert renamed.status_code == 200
    assert renamed.text.replace(" ", "").replace("\n", "") == '{"RenameSuccessful"}'
    with pytest.raises(json.JSONDecodeError):
        renamed.json()
    assert (
        api.request(
            "GET", f"{BASE}/_run", json={"nbkIds": [nb.notebook_id], "module": "notebooks"}
        ).json()
        == {}
    )
    deleted = api.request("DELETE", f"{BASE}/", json={"nbk_ids": [nb.notebook_id]})
    assert deleted.text.replace(" ", "").replace("\n", "") == '{"Success"}'


def test_errors_as_the_page_lists_them(api: httpx.Client, fake_fourpointx: FakeFourPointX) -> None:
    unknown = "18b59e02-da56-453d-bc43-c5628f59d88b"
    assert api.get(f"{BASE}/{unknown}").json() == {
        "error": {"status": 400, "message": "Notebook ID invalid."}
    }
    assert api.put(f"{BASE}/{unknown}", json={"new_name": "a"}).status_code == 400
    nb = fake_fourpointx.add_notebook("x.ipynb")
    missing = api.put(f"{BASE}/{nb.notebook_id}", json={})
    assert missing.json()["error"]["message"] == "Missing new name"
    nothing = api.request("DELETE", f"{BASE}/", json={"nbk_ids": [unknown]})
    assert nothing.status_code == 200
    assert nothing.json() == {"error": {"status": 200, "message": "No notebooks deleted"}}
    assert api.request("DELETE", f"{BASE}/", json={}).status_code == 400
    assert api.request("GET", f"{BASE}/_run", json={}).status_code == 400


def test_list_detail_count_run_and_schedule(
    api: httpx.Client, fake_fourpointx: FakeFourPointX, fourpointx_clock: FakeClock
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    (listed,) = api.get(f"{BASE}/_all").json()
    assert listed["last_run"] == "-"
    assert api.get(f"{BASE}/{nb.notebook_id}").json()["last_run"] is None
    assert set(listed) == {
        "notebook_id",
        "status",
        "notebook_name",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "last_run",
        "no_of_runs",
        "schedule",
        "attributes",
    }
    fourpointx_clock.advance(10)
    api.request("GET", f"{BASE}/_run", json={"nbkIds": [nb.notebook_id], "module": "notebooks"})
    detail = api.get(f"{BASE}/{nb.notebook_id}").json()
    assert detail["no_of_runs"] == 1
    assert detail["last_run"] == int(fourpointx_clock() * 1000)

    scheduled = api.post(
        f"{BASE}/_schedule",
        json={"nbk_ids": [nb.notebook_id], "until": "2026-12-13 06:50", "period": "Monday"},
    )
    assert scheduled.status_code == 200
    assert api.get(f"{BASE}/_count").json() == {
        "Total Notebooks": 1,
        "Not Scheduled": 0,
        "Scheduled": 1,
    }
    assert api.get(f"{BASE}/{nb.notebook_id}").json()["status"] == "Scheduled"
    assert api.post(f"{BASE}/_schedule", json={"nbk_ids": [nb.notebook_id]}).status_code == 400
    api.post(f"{BASE}/_unschedule", json={"nbk_ids": [nb.notebook_id]})
    assert api.get(f"{BASE}/{nb.notebook_id}").json()["schedule"] == {
        "period": None,
        "until": None,
        "time": None,
    }
