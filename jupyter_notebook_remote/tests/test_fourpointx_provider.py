"""FourPointXProvider against the loopback fake of 4pointx (and
httpx.MockTransport where a misbehaving site is easier to script)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import httpx
import pytest

from jupyter_notebook_remote.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RemoteAuthError,
    RemoteError,
    TokenMissing,
    Unsupported,
)
from jupyter_notebook_remote.http import HttpSettings
from jupyter_notebook_remote.models import (
    ExecuteBody,
    InputExportBody,
    NotebookCreate,
    NotebookPatch,
)
from jupyter_notebook_remote.providers.base import (
    ConnectionConfig,
    NotebookUpload,
    ProviderContext,
)
from jupyter_notebook_remote.providers.fourpointx import FourPointXProvider
from jupyter_notebook_remote.schedules import ScheduleBody
from jupyter_notebook_remote.tests import filter_rule
from jupyter_notebook_remote.tests.fakes.fourpointx import FakeFourPointX
from jupyter_notebook_remote.tests.fakes.loopback import FakeClock

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

NB_ID = "603d4b06-be33-41bd-b610-34b41df9653a"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _provider(
    base_url: Optional[str],
    token: Optional[str],
    *,
    transport: Optional[httpx.AsyncBaseTransport] = None,
) -> FourPointXProvider:
    return FourPointXProvider(
        ConnectionConfig(id="fpx", kind="fourpointx", label="4pointx", base_url=base_url),
        ProviderContext(
            tokens=lambda: token,
            http=HttpSettings(max_attempts=3, backoff_base=0, read_freshness=0),
        ),
        transport=transport,
        sleep=Sleeps(),
    )


@pytest.fixture
def fpx(fake_fourpointx: FakeFourPointX, jp_asyncio_loop: Any) -> Iterator[FourPointXProvider]:
    provider = _provider(fake_fourpointx.url, fake_fourpointx.token)
    yield provider
    jp_asyncio_loop.run_until_complete(provider.aclose())


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> FourPointXProvider:
    return _provider(
        "https://site.4pointx.test", "dG9rZW4=", transport=httpx.MockTransport(handler)
    )


# --------------------------------------------------------------------------- auth and ids


async def test_auth_is_basic_with_the_token_as_given(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    await fpx.list_notebooks()
    # The list and its count (``_count``), both with the token as issued.
    assert sorted(r.path.rsplit("/", 1)[-1] for r in fake_fourpointx.requests) == [
        "_all",
        "_count",
    ]
    for request in fake_fourpointx.requests:
        assert request.headers["Authorization"] == f"Basic {fake_fourpointx.token}"


async def test_a_user_password_token_is_encoded_as_http_basic() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    provider = _provider(
        "https://site.4pointx.test", "admin:s3cret", transport=httpx.MockTransport(handler)
    )
    await provider.list_notebooks()
    await provider.aclose()
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"admin:s3cret").decode()


def test_the_documented_site_is_the_default_base_url() -> None:
    provider = _provider(None, "t")
    assert provider.base_url == "https://app.4pointx.com"
    assert provider.http.host == "app.4pointx.com"


async def test_a_refused_token_is_remote_auth_and_never_echoed(
    fake_fourpointx: FakeFourPointX,
) -> None:
    provider = _provider(fake_fourpointx.url, "wrong-token-abcdef0123")
    try:
        with pytest.raises(RemoteAuthError) as err:
            await provider.list_notebooks()
    finally:
        await provider.aclose()
    assert err.value.remote_status == 401
    assert "wrong-token-abcdef0123" not in json.dumps(err.value.to_json())


async def test_no_token_sends_nothing(fake_fourpointx: FakeFourPointX) -> None:
    provider = _provider(fake_fourpointx.url, None)
    try:
        with pytest.raises(TokenMissing):
            await provider.list_notebooks()
    finally:
        await provider.aclose()
    assert fake_fourpointx.requests == []


@pytest.mark.parametrize(
    "bad",
    [
        "603d4b06be3341bdb61034b41df9653a",
        "603d4b06-be33-41bd-b610-34b41df9653",
        "603d4b06-be33-41bd-b610-34b41df9653g",
        "../_all",
        "_run",
        "7001",
        "",
    ],
)
def test_ids_that_are_not_uuids_are_refused(bad: str) -> None:
    """The REST layer checks every id with these before any provider method runs."""
    provider = mock(lambda request: httpx.Response(500))
    with pytest.raises(InvalidInput) as err:
        provider.validate_notebook_id(bad)
    assert list(err.value.fields) == ["notebookId"]
    assert "a 4pointx notebook id: a UUID like 603d4b06-" in err.value.message
    with pytest.raises(InvalidInput) as err:
        provider.validate_execution_id(bad)
    assert list(err.value.fields) == ["executionId"]
    assert "4pointx runs have no id of their own" in err.value.message
    assert err.value.connection == "fpx"


def test_ids_are_normalised_to_lower_case(fpx: FourPointXProvider) -> None:
    assert fpx.validate_notebook_id(NB_ID.upper()) == NB_ID
    assert fpx.validate_execution_id(NB_ID.upper()) == NB_ID


def test_4pointx_reads_no_environment_and_holds_no_secret_variable() -> None:
    assert FourPointXProvider.environment_connection({"FOURPOINTX_TOKEN": "t"}) is None
    assert FourPointXProvider.secret_env == frozenset()


# --------------------------------------------------------------------------- notebooks


async def test_list_maps_the_documented_fields_and_pages_here(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX, fourpointx_clock: FakeClock
) -> None:
    ids = []
    for i in range(5):
        ids.append(fake_fourpointx.add_notebook(f"report-{i}.ipynb").notebook_id)
        fourpointx_clock.advance(60)
    page = await fpx.list_notebooks(page=1, per_page=2)
    assert page.total_count == 5
    assert page.count == 2
    assert (page.page, page.per_page) == (1, 2)
    assert [n.name for n in page.items] == ["report-2", "report-1"]  # newest first
    first = page.items[0]
    assert first.id == ids[2]
    assert first.file_name == "report-2.ipynb"
    assert first.description == ""
    assert first.created_at == "2026-01-05T09:02:00.000Z"
    # The list, and its count beside it (totalCount).
    assert sorted(r.path for r in fake_fourpointx.requests) == [
        "/_notebooks/notebooks/_all",
        "/_notebooks/notebooks/_count",
    ]


async def test_list_filters_by_name(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    fake_fourpointx.add_notebook("Boiler vibration.ipynb")
    fake_fourpointx.add_notebook("pump.ipynb")
    page = await fpx.list_notebooks(filter="BOILER")
    assert [n.name for n in page.items] == ["Boiler vibration"]
    assert page.total_count == 1
    assert (await fpx.list_notebooks(filter="p*p")).items[0].name == "pump"


@pytest.mark.parametrize(("text", "names"), filter_rule.CASES)
async def test_the_filter_is_the_one_rule(
    fpx: FourPointXProvider,
    fake_fourpointx: FakeFourPointX,
    fourpointx_clock: FakeClock,
    text: str,
    names: list[str],
) -> None:
    for name in (f"{n}.ipynb" for n in filter_rule.NAMES):
        fake_fourpointx.add_notebook(name)
        fourpointx_clock.advance(1)
    page = await fpx.list_notebooks(filter=text)
    assert [n.name for n in page.items] == names
    assert page.total_count == len(names)


async def test_create_finds_the_generated_notebook_and_renames_it(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    fake_fourpointx.add_notebook("older.ipynb")
    nb = await fpx.create_notebook(NotebookCreate(name="Boiler model"))
    assert nb.name == "Boiler model"
    assert nb.file_name == "Boiler model.ipynb"
    stored = fake_fourpointx.notebooks[nb.id]
    assert stored.notebook_name == "Boiler model.ipynb"
    (post,) = fake_fourpointx.requests_to(r"/_notebooks/notebooks/$", "POST")
    assert post.body == b""
    (put,) = fake_fourpointx.requests_to(rf"/{nb.id}$", "PUT")
    assert put.json() == {"new_name": "Boiler model.ipynb"}


async def test_create_refuses_a_description_before_creating(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    with pytest.raises(InvalidInput) as err:
        await fpx.create_notebook(NotebookCreate(name="x", description="why"))
    assert "description" in err.value.fields
    assert fake_fourpointx.requests == []
    assert fake_fourpointx.notebooks == {}


async def test_create_whose_rename_fails_says_what_was_created(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    fake_fourpointx.fail_next(
        400, method="PUT", body={"error": {"status": 400, "message": "Disk quota exceeded"}}
    )
    with pytest.raises(InvalidInput) as err:
        await fpx.create_notebook(NotebookCreate(name="Boiler"))
    (created,) = fake_fourpointx.notebooks.values()
    assert created.notebook_name in err.value.message
    assert created.notebook_id in err.value.message
    assert "Disk quota exceeded" in err.value.message


@pytest.mark.parametrize("name", ["a/b", "..hidden", ".ipynb", "tab\there"])
async def test_names_that_are_not_file_names_are_refused(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX, name: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        await fpx.update_notebook(NB_ID, NotebookPatch(name=name))
    assert "name" in err.value.fields
    assert fake_fourpointx.requests == []


async def test_rename_and_its_errors(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    one = fake_fourpointx.add_notebook("one.ipynb")
    fake_fourpointx.add_notebook("two.ipynb")
    renamed = await fpx.update_notebook(one.notebook_id, NotebookPatch(name="uno.ipynb"))
    assert renamed.name == "uno"
    assert fake_fourpointx.notebooks[one.notebook_id].notebook_name == "uno.ipynb"
    with pytest.raises(Conflict) as taken:
        await fpx.update_notebook(one.notebook_id, NotebookPatch(name="two"))
    assert "already exists" in taken.value.message
    with pytest.raises(InvalidInput) as err:
        await fpx.update_notebook(one.notebook_id, NotebookPatch(description="x"))
    assert "description" in err.value.fields
    with pytest.raises(NotFound) as missing:
        await fpx.update_notebook(NB_ID, NotebookPatch(name="x"))
    assert missing.value.reason == "notebook_not_found"


async def test_a_404_from_rename_of_a_listed_notebook_is_a_conflict(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    one = fake_fourpointx.add_notebook("one.ipynb")
    fake_fourpointx.fail_next(
        404,
        method="PUT",
        body={
            "error": {
                "status": 404,
                "message": "Error occurred while renaming the notebook file: permission denied",
            }
        },
    )
    with pytest.raises(Conflict) as err:
        await fpx.update_notebook(one.notebook_id, NotebookPatch(name="new"))
    assert "permission denied" in err.value.message
    assert err.value.remote_status == 404


async def test_get_of_an_unknown_id_is_not_found_although_4pointx_says_400(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    with pytest.raises(NotFound) as err:
        await fpx.get_notebook(NB_ID)
    assert err.value.reason == "notebook_not_found"
    # the fake answered 400 "Notebook ID invalid.", the list settled it
    assert [r.path for r in fake_fourpointx.requests] == [
        f"/_notebooks/notebooks/{NB_ID}",
        "/_notebooks/notebooks/_all",
    ]


async def test_a_400_about_a_listed_notebook_stays_a_400(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    fake_fourpointx.fail_next(
        400,
        method="GET",
        path=nb.notebook_id,
        body={"error": {"status": 400, "message": "Error occurred during notebook retrieval: x"}},
    )
    with pytest.raises(InvalidInput) as err:
        await fpx.get_notebook(nb.notebook_id)
    assert "notebook retrieval" in err.value.message


async def test_delete_sends_a_list_and_reads_the_non_json_success(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    await fpx.delete_notebook(nb.notebook_id)
    (request,) = fake_fourpointx.requests_to(r"/_notebooks/notebooks/$", "DELETE")
    assert request.json() == {"nbk_ids": [nb.notebook_id]}
    assert fake_fourpointx.notebooks == {}
    # delete of nothing: HTTP 200 with {"error": {"status": 200, ...}}
    with pytest.raises(NotFound) as err:
        await fpx.delete_notebook(nb.notebook_id)
    assert err.value.reason == "notebook_not_found"


async def test_an_error_body_under_http_200_is_a_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"error": {"status": 500, "message": "Error occurred during request"}}
        )

    provider = mock(handler)
    with pytest.raises(RemoteError) as err:
        await provider.delete_schedule(NB_ID)
    assert "Error occurred during request" in err.value.message
    await provider.aclose()


# --------------------------------------------------------------------------- runs and schedules


async def test_execute_runs_with_a_get_and_a_body_and_is_not_retried(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    run_id = await fpx.execute(nb.notebook_id, ExecuteBody())
    assert fpx.validate_execution_id(run_id) == run_id
    (run,) = fake_fourpointx.requests_to(r"/_run$")
    assert run.method == "GET"
    assert run.json() == {"nbkIds": [nb.notebook_id], "module": "notebooks"}
    assert fake_fourpointx.notebooks[nb.notebook_id].no_of_runs == 1
    fake_fourpointx.fail_next(503, path=r"/_run$")
    with pytest.raises(RemoteError):
        await fpx.execute(nb.notebook_id, ExecuteBody())
    assert len(fake_fourpointx.requests_to(r"/_run$")) == 2  # one more, not retried
    assert fake_fourpointx.notebooks[nb.notebook_id].no_of_runs == 1


async def test_execute_of_an_unknown_notebook_does_not_run(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    with pytest.raises(NotFound):
        await fpx.execute(NB_ID, ExecuteBody())
    assert fake_fourpointx.runs == []
    with pytest.raises(InvalidInput):
        await fpx.execute(NB_ID, ExecuteBody(template_context={"a": 1}))


async def test_a_weekly_schedule_is_4pointx_s_schedule_and_reads_back(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    assert await fpx.get_schedule(nb.notebook_id) is None
    body = ScheduleBody(cron="50 6 * * 1", until="2099-12-13T06:50:00Z")
    schedule = await fpx.put_schedule(nb.notebook_id, body)
    (request,) = fake_fourpointx.requests_to(r"/_schedule$", "POST")
    assert request.json() == {
        "nbk_ids": [nb.notebook_id],
        "until": "2099-12-13 06:50",
        "period": "Monday",
        "time": "06:50",
    }
    assert (schedule.cron, schedule.timezone, schedule.active) == ("50 6 * * 1", "UTC", True)
    assert schedule.until == "2099-12-13T06:50:00.000Z"
    assert schedule.next_run_at is not None
    assert datetime.fromisoformat(schedule.next_run_at).strftime("%A %H:%M") == "Monday 06:50"
    assert schedule.run_count == 0
    assert schedule.last_run_at is None
    # A run later: 4pointx's last_run and no_of_runs come back with the schedule.
    await fpx.execute(nb.notebook_id, ExecuteBody())
    again = await fpx.get_schedule(nb.notebook_id)
    assert again is not None
    assert again.run_count == 1
    assert again.last_run_at is not None
    await fpx.delete_schedule(nb.notebook_id)
    (request,) = fake_fourpointx.requests_to(r"/_unschedule$", "POST")
    assert request.json() == {"nbk_ids": [nb.notebook_id]}
    assert await fpx.get_schedule(nb.notebook_id) is None


async def test_a_daily_schedule_sends_no_weekday(
    fpx: FourPointXProvider, fake_fourpointx: FakeFourPointX
) -> None:
    nb = fake_fourpointx.add_notebook("x.ipynb")
    schedule = await fpx.put_schedule(
        nb.notebook_id, ScheduleBody(cron="5 18 * * *", until="2099-01-31")
    )
    (request,) = fake_fourpointx.requests_to(r"/_schedule$", "POST")
    assert request.json() == {
        "nbk_ids": [nb.notebook_id],
        "until": "2099-01-31 23:59",
        "time": "18:05",
    }
    assert schedule.cron == "5 18 * * *"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cron": "*/15 * * * *", "until": "2099-01-01"}, "cron"),
        ({"cron": "0 9 * * 1-5", "until": "2099-01-01"}, "cron"),
        ({"cron": "0 9 1 * *", "until": "2099-01-01"}, "cron"),
        ({"cron": "0 9 * * 1"}, "until"),
        ({"cron": "0 9 * * 1", "until": "2099-01-01", "timezone": "Europe/Berlin"}, "timezone"),
        ({"cron": "0 9 * * 1", "until": "2099-01-01", "active": False}, "active"),
        (
            {"cron": "0 9 * * 1", "until": "2099-01-01", "templateContext": {"a": 1}},
            "templateContext",
        ),
        ({"cron": "0 9 * * 1", "until": "2001-01-01"}, "until"),
    ],
)
async def test_what_4pointx_cannot_schedule_is_refused_before_anything_is_sent(
    fpx: FourPointXProvider,
    fake_fourpointx: FakeFourPointX,
    body: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as err:
        await fpx.put_schedule(NB_ID, ScheduleBody.model_validate(body))
    assert field in err.value.fields
    assert fake_fourpointx.requests == []


async def test_what_4pointx_cannot_do_is_said(fpx: FourPointXProvider) -> None:
    info = fpx.info()
    assert set(info.capabilities) == {"list", "create", "rename", "delete", "execute", "schedule"}
    assert set(info.unsupported) == {
        "push",
        "cancel",
        "logs",
        "usage",
        "inputExport",
        "pull",
        "open",
    }
    assert "upload" in info.unsupported["push"]
    upload = NotebookUpload(file_name="a.ipynb", size=0, chunks=_no_chunks)
    now = datetime.now(timezone.utc)
    for call in (
        lambda: fpx.push(NB_ID, upload),
        lambda: fpx.cancel(NB_ID, NB_ID),
        lambda: fpx.list_executions(NB_ID),
        lambda: fpx.usage(NB_ID, start=now, end=now),
        lambda: fpx.input_export(NB_ID, InputExportBody()),
    ):
        with pytest.raises(Unsupported) as err:
            await call()
        assert "4pointx" in err.value.message


async def _no_chunks() -> Any:
    if False:  # pragma: no cover - an empty async generator
        yield b""


async def test_a_list_that_is_not_a_list_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Total Notebooks": 2})

    provider = mock(handler)
    with pytest.raises(RemoteError) as err:
        await provider.list_notebooks()
    assert "not a JSON array" in err.value.message
    await provider.aclose()


@pytest.mark.parametrize(
    ("last_run", "no_of_runs", "answered"),
    [
        (1767603600000, 3, ("2026-01-05T09:00:00.000Z", 3)),  # ms, as its other times
        ("1767603600000", 3, ("2026-01-05T09:00:00.000Z", 3)),
        ("2026-01-05 09:00", 1, ("2026-01-05T09:00:00.000Z", 1)),  # the site's clock
        ("2026-01-05 09:00:30", 1, ("2026-01-05T09:00:30.000Z", 1)),
        ("2026-01-05T10:00:00+01:00", 1, ("2026-01-05T09:00:00.000Z", 1)),
        ("-", 0, (None, 0)),  # never run, in the list
        (None, None, (None, None)),
        ("soon", -1, (None, None)),  # nothing to read
    ],
)
async def test_last_run_and_run_count_are_read_in_every_form_4pointx_may_write(
    last_run: Any, no_of_runs: Any, answered: tuple[Optional[str], Optional[int]]
) -> None:
    wire = {
        "notebook_id": NB_ID,
        "notebook_name": "report.ipynb",
        "last_run": last_run,
        "no_of_runs": no_of_runs,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=wire)

    provider = mock(handler)
    try:
        notebook = await provider.get_notebook(NB_ID)
    finally:
        await provider.aclose()
    assert (notebook.last_run_at, notebook.run_count) == answered
