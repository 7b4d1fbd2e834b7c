"""CivisProvider against the loopback fake of Civis (and httpx.MockTransport
where a remote misbehaving is easier to script than to fake)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
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
    EnvConnection,
    NotebookUpload,
    ProviderContext,
)
from jupyter_notebook_remote.providers.civis import CivisProvider
from jupyter_notebook_remote.tests import filter_rule
from jupyter_notebook_remote.tests.fakes.civis import FakeCivis, civis_time
from jupyter_notebook_remote.tests.fakes.loopback import FakeClock

pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)


class Sleeps:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _provider(
    base_url: str,
    token: Optional[str],
    *,
    transport: Optional[httpx.AsyncBaseTransport] = None,
    sleeps: Optional[Sleeps] = None,
) -> CivisProvider:
    return CivisProvider(
        ConnectionConfig(id="civis-test", kind="civis", label="Civis", base_url=base_url),
        ProviderContext(
            tokens=lambda: token,
            http=HttpSettings(max_attempts=3, backoff_base=0, read_freshness=0),
        ),
        transport=transport,
        sleep=sleeps or Sleeps(),
    )


@pytest.fixture
def civis(fake_civis: FakeCivis, jp_asyncio_loop: Any) -> Iterator[CivisProvider]:
    provider = _provider(fake_civis.url, fake_civis.api_key)
    yield provider
    jp_asyncio_loop.run_until_complete(provider.aclose())


def upload_of(data: bytes, *, size: Optional[int] = None, chunk: int = 1000) -> NotebookUpload:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]

    return NotebookUpload(
        file_name="analysis.ipynb", size=len(data) if size is None else size, chunks=chunks
    )


def mock(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> CivisProvider:
    return _provider(
        "https://api.civis.test",
        "mock-key-123456",
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


NOTEBOOK = {
    "id": 12,
    "name": "Churn",
    "language": "python3",
    "description": None,
    "user": {"id": 1, "name": "U", "username": "u", "initials": "U", "online": True},
    "createdAt": "2026-04-17T18:30:05.000Z",
    "updatedAt": "2026-04-17T18:31:05.000Z",
    "mostRecentDeployment": None,
    "archived": False,
}


# --------------------------------------------------------------------------- auth and ids


async def test_every_call_uses_basic_auth_with_the_key_as_user_name(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    await civis.list_notebooks()
    (request,) = fake_civis.requests
    expected = base64.b64encode(f"{fake_civis.api_key}:".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Accept"] == "application/json"


async def test_a_refused_key_is_remote_auth_and_never_echoed(
    fake_civis: FakeCivis,
) -> None:
    bad_key = "not-the-civis-key-0123456789"
    provider = _provider(fake_civis.url, bad_key)
    try:
        with pytest.raises(RemoteAuthError) as err:
            await provider.list_notebooks()
    finally:
        await provider.aclose()
    assert err.value.remote_status == 401
    assert err.value.reason == "remote_auth"
    text = json.dumps(err.value.to_json())
    assert bad_key not in text
    assert base64.b64encode(f"{bad_key}:".encode()).decode() not in text
    assert "Invalid or missing API key" in err.value.message


async def test_the_fake_answers_401_with_www_authenticate(fake_civis: FakeCivis) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{fake_civis.url}/notebooks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert set(response.json()) == {"error", "errorDescription", "code"}


async def test_no_token_sends_nothing(fake_civis: FakeCivis) -> None:
    provider = _provider(fake_civis.url, None)
    try:
        with pytest.raises(TokenMissing):
            await provider.list_notebooks()
    finally:
        await provider.aclose()
    assert fake_civis.requests == []


@pytest.mark.parametrize(
    "bad", ["abc", "0", "007", "1" * 13, "12a", "-1", "", "1.5", "1 ", "5f0c1a2b3c4d5e6f7a8b9c0d"]
)
def test_ids_that_are_not_civis_ids_are_refused(bad: str) -> None:
    """The REST layer checks every id with these before any provider method runs."""
    civis = mock(lambda request: httpx.Response(500))
    with pytest.raises(InvalidInput) as err:
        civis.validate_notebook_id(bad)
    assert list(err.value.fields) == ["notebookId"]
    assert "a Civis notebook id: a positive whole number of at most 12 digits" in (
        err.value.message
    )
    with pytest.raises(InvalidInput) as err:
        civis.validate_execution_id(bad)
    assert list(err.value.fields) == ["executionId"]
    assert "a Civis deployment id" in err.value.message
    assert err.value.connection == "civis-test"


def test_valid_ids_pass_unchanged(civis: CivisProvider) -> None:
    assert civis.validate_notebook_id("7") == "7"
    assert civis.validate_notebook_id("999999999999") == "999999999999"
    assert civis.validate_execution_id("301") == "301"


def test_the_environment_asks_for_a_civis_connection() -> None:
    assert CivisProvider.environment_connection({"CIVIS_API_KEY": "k"}) == EnvConnection(
        id="civis",
        variables="CIVIS_*",
        entry={"kind": "civis", "label": "Civis Platform", "token_env": "CIVIS_API_KEY"},
    )
    found = CivisProvider.environment_connection(
        {"CIVIS_API_KEY": "k", "CIVIS_API_ENDPOINT": "https://api.civis.test/"}
    )
    assert found is not None
    assert found.entry is not None
    assert found.entry["base_url"] == "https://api.civis.test/"
    # The endpoint alone is no connection: the key is what the Civis client needs.
    assert CivisProvider.environment_connection({"CIVIS_API_ENDPOINT": "https://x"}) is None
    assert CivisProvider.environment_connection({"CIVIS_API_KEY": ""}) is None
    assert CivisProvider.secret_env == {"CIVIS_API_KEY"}


# --------------------------------------------------------------------------- notebooks


async def test_list_maps_page_and_size_to_civis_and_reads_the_total(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    for i in range(55):
        fake_civis.add_notebook(f"nb {i:02d}")
        civis_clock.advance(1)
    first = await civis.list_notebooks(page=0, per_page=100)
    # Civis serves at most 50 a page: the answer says the size used.
    assert first.per_page == 50
    assert first.count == 50
    assert first.total_count == 55
    assert first.items[0].name == "nb 54"  # most recently updated first
    second = await civis.list_notebooks(page=1, per_page=100)
    assert [n.name for n in second.items] == [f"nb {i:02d}" for i in range(4, -1, -1)]
    assert second.page == 1
    q1, q2 = (r.query for r in fake_civis.requests_to(r"^/notebooks$"))
    assert q1 == {
        "limit": ["50"],
        "page_num": ["1"],
        "order": ["updated_at"],
        "order_dir": ["desc"],
    }
    assert q2["page_num"] == ["2"]


async def test_list_filters_within_the_page_case_insensitively(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    fake_civis.add_notebook("Sales forecast")
    civis_clock.advance(1)
    fake_civis.add_notebook("Churn", description="uses SALES data")
    civis_clock.advance(1)
    fake_civis.add_notebook("Inventory")
    page = await civis.list_notebooks(filter="sales")
    assert [n.name for n in page.items] == ["Churn", "Sales forecast"]
    assert page.count == 2
    glob = await civis.list_notebooks(filter="inv*")
    assert [n.name for n in glob.items] == ["Inventory"]
    # Civis has no name filter: nothing about it goes on the wire.
    for request in fake_civis.requests:
        assert "filter" not in request.query


@pytest.mark.parametrize(("text", "names"), filter_rule.CASES)
async def test_the_filter_is_the_one_rule(
    civis: CivisProvider,
    fake_civis: FakeCivis,
    civis_clock: FakeClock,
    text: str,
    names: list[str],
) -> None:
    for name in filter_rule.NAMES:
        fake_civis.add_notebook(name)
        civis_clock.advance(1)
    page = await civis.list_notebooks(filter=text)
    assert [n.name for n in page.items] == names


async def test_list_without_a_total_header_gives_a_lower_bound() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        return httpx.Response(200, json=[{**NOTEBOOK, "id": i + 1} for i in range(limit)])

    provider = mock(handler)
    page = await provider.list_notebooks(page=2, per_page=10)
    assert page.count == 10
    assert page.total_count == 31  # 30 known, and at least one more after a full page
    await provider.aclose()


async def test_create_sends_snake_case_and_maps_the_answer(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    nb = await civis.create_notebook(NotebookCreate(name="Churn model", description="v1"))
    (request,) = fake_civis.requests_to(r"^/notebooks$", "POST")
    assert request.json() == {"name": "Churn model", "language": "python3", "description": "v1"}
    assert nb.name == "Churn model"
    assert nb.description == "v1"
    assert nb.id == str(next(iter(fake_civis.notebooks)))
    assert nb.created_at == "2026-01-05T09:00:00.000Z"


async def test_create_refuses_an_image_version_without_calling_civis(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    with pytest.raises(InvalidInput) as err:
        await civis.create_notebook(NotebookCreate(name="x", image_version="v2"))
    assert "imageVersion" in err.value.fields
    assert fake_civis.requests == []


async def test_the_fake_refuses_camel_case_bodies(fake_civis: FakeCivis) -> None:
    auth = base64.b64encode(f"{fake_civis.api_key}:".encode()).decode()
    async with httpx.AsyncClient(headers={"Authorization": f"Basic {auth}"}) as client:
        response = await client.post(f"{fake_civis.url}/notebooks/", json={"fileId": "1"})
        good = await client.post(f"{fake_civis.url}/notebooks/", json={"file_id": "1"})
    assert response.status_code == 400
    assert "fileId" in response.json()["errorDescription"]
    assert good.status_code == 201


async def test_get_and_rename(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    created = fake_civis.add_notebook("Old", description="keep me")
    civis_clock.advance(60)
    nb = await civis.update_notebook(str(created.id), NotebookPatch(name="New"))
    assert nb.name == "New"
    assert nb.description == "keep me"
    assert nb.updated_at == "2026-01-05T09:01:00.000Z"
    (patch,) = fake_civis.requests_to(r"^/notebooks/\d+$", "PATCH")
    assert patch.json() == {"name": "New"}
    assert (await civis.get_notebook(str(created.id))).name == "New"


async def test_an_empty_patch_only_reads(civis: CivisProvider, fake_civis: FakeCivis) -> None:
    created = fake_civis.add_notebook("Same")
    nb = await civis.update_notebook(str(created.id), NotebookPatch())
    assert nb.name == "Same"
    assert [r.method for r in fake_civis.requests] == ["GET"]


async def test_unknown_notebook_is_notebook_not_found(civis: CivisProvider) -> None:
    with pytest.raises(NotFound) as err:
        await civis.get_notebook("424242")
    assert err.value.reason == "notebook_not_found"
    assert err.value.remote_status == 404
    assert "424242" in err.value.message


async def test_delete_archives_and_the_notebook_is_gone_from_here(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Temp")
    await civis.delete_notebook(str(created.id))
    (archive,) = fake_civis.requests_to(r"/archive$", "PUT")
    assert archive.json() == {"status": True}
    assert fake_civis.notebooks[created.id].archived  # kept in Civis, archived
    assert (await civis.list_notebooks()).items == []
    with pytest.raises(NotFound) as err:
        await civis.get_notebook(str(created.id))
    assert err.value.reason == "notebook_not_found"
    assert "archived" in err.value.message


# --------------------------------------------------------------------------- push


async def test_push_puts_the_bytes_to_a_fresh_presigned_url_without_the_key(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Pushed")
    data = (
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode() * 300
    )
    nb = await civis.push(str(created.id), upload_of(data, chunk=4096))
    assert fake_civis.notebooks[created.id].content == data
    assert nb.id == str(created.id)
    links = fake_civis.requests_to(r"/update-links$", "GET")
    assert len(links) == 1
    (put,) = fake_civis.requests_to(r"^/storage/", "PUT")
    assert "Authorization" not in put.headers
    assert put.headers["Content-Length"] == str(len(data))
    assert "Transfer-Encoding" not in put.headers
    assert put.param("X-Amz-Signature")
    # a second push asks for new links again
    await civis.push(str(created.id), upload_of(b"{}"))
    assert len(fake_civis.requests_to(r"/update-links$")) == 2
    assert fake_civis.notebooks[created.id].content == b"{}"


async def test_push_of_a_file_that_changed_size_is_a_conflict(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Pushed", content=b"original")
    with pytest.raises(Conflict) as grew:
        await civis.push(str(created.id), upload_of(b"0123456789", size=5))
    with pytest.raises(Conflict) as shrank:
        await civis.push(str(created.id), upload_of(b"0123", size=5))
    assert (grew.value.reason, shrank.value.reason) == ("file_changed", "file_changed")
    assert fake_civis.notebooks[created.id].content == b"original"


async def test_storage_refusing_the_link_is_not_an_auth_error(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Pushed")
    fake_civis.fail_next(
        403,
        method="PUT",
        path=r"^/storage/",
        body="<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
    )
    with pytest.raises(RemoteError) as err:
        await civis.push(str(created.id), upload_of(b"{}"))
    assert not isinstance(err.value, RemoteAuthError)
    assert err.value.remote_status == 403
    assert "Push again" in err.value.message


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://files.civis.test/x.ipynb", "javascript:alert(1)", "/relative"],
)
async def test_push_follows_only_http_update_urls(url: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"updateUrl": url, "updatePreviewUrl": url})

    provider = mock(handler)
    with pytest.raises(RemoteError) as err:
        await provider.push("12", upload_of(b"{}"))
    assert "http(s)" in err.value.message
    assert [r.url.path for r in seen] == ["/notebooks/12/update-links"]
    await provider.aclose()


async def test_presigned_put_keeps_the_signature_query_intact() -> None:
    seen: list[httpx.Request] = []
    signed = (
        "https://bucket.s3.amazonaws.test/nb/1/notebook.ipynb?X-Amz-Credential=AK%2F2026%2Fs3"
        "&X-Amz-Security-Token=a%2Bb%2Fc%3D&X-Amz-Signature=abc123"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "bucket.s3.amazonaws.test":
            return httpx.Response(200)
        if request.url.path.endswith("update-links"):
            return httpx.Response(200, json={"updateUrl": signed, "updatePreviewUrl": signed})
        return httpx.Response(200, json=NOTEBOOK)

    provider = mock(handler)
    await provider.push("12", upload_of(b'{"cells": []}'))
    put = seen[1]
    assert put.method == "PUT"
    assert put.url.host == "bucket.s3.amazonaws.test"
    assert dict(put.url.params) == {
        "X-Amz-Credential": "AK/2026/s3",
        "X-Amz-Security-Token": "a+b/c=",
        "X-Amz-Signature": "abc123",
    }
    assert "authorization" not in put.headers
    assert put.content == b'{"cells": []}'
    await provider.aclose()


# --------------------------------------------------------------------------- runs


async def test_execute_starts_a_deployment_and_its_id_is_the_execution_id(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Run me")
    execution_id = await civis.execute(str(created.id), ExecuteBody(relative_to=1700000000000))
    (post,) = fake_civis.requests_to(r"/deployments$", "POST")
    assert post.json() == {}
    assert int(execution_id) in fake_civis.deployments


async def test_execute_refuses_a_template_context(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    with pytest.raises(InvalidInput) as err:
        await civis.execute("7001", ExecuteBody(template_context={"a": 1}))
    assert "templateContext" in err.value.fields
    assert fake_civis.requests == []


async def test_execute_is_never_retried(fake_civis: FakeCivis) -> None:
    created = fake_civis.add_notebook("Run me")
    sleeps = Sleeps()
    provider = _provider(fake_civis.url, fake_civis.api_key, sleeps=sleeps)
    fake_civis.fail_next(503, method="POST", path="/deployments", headers={"Retry-After": "0"})
    try:
        with pytest.raises(RemoteError) as err:
            await provider.execute(str(created.id), ExecuteBody())
    finally:
        await provider.aclose()
    assert err.value.remote_status == 503
    assert len(fake_civis.requests_to("/deployments", "POST")) == 1
    assert fake_civis.deployments == {}


async def test_safe_reads_are_retried(fake_civis: FakeCivis) -> None:
    fake_civis.add_notebook("A")
    sleeps = Sleeps()
    provider = _provider(fake_civis.url, fake_civis.api_key, sleeps=sleeps)
    fake_civis.fail_next(503, method="GET", path=r"^/notebooks$", headers={"Retry-After": "0"})
    try:
        page = await provider.list_notebooks()
    finally:
        await provider.aclose()
    assert page.count == 1
    assert len(fake_civis.requests_to(r"^/notebooks$")) == 2
    assert sleeps.delays == [0]


async def test_runs_follow_the_deployment_states(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb_id = str(fake_civis.add_notebook("Run me").id)
    execution_id = await civis.execute(nb_id, ExecuteBody())

    (queued,) = await civis.list_executions(nb_id)
    assert (queued.id, queued.notebook_id, queued.status) == (execution_id, nb_id, "queued")
    assert queued.queued_at == "2026-01-05T09:00:00.000Z"
    assert queued.started_at is None
    assert queued.finished_at is None
    assert queued.source.type == "user"

    civis_clock.advance(31)  # pending for 30 s
    (running,) = await civis.list_executions(nb_id)
    assert running.status == "inProgress"
    assert running.started_at is not None
    assert running.finished_at is None

    civis_clock.advance(600)  # runs for 600 s, then Civis stops it
    (done,) = await civis.list_executions(nb_id)
    assert done.status == "completed"
    assert done.finished_at == civis_time(civis_clock() - 1)
    assert done.errors == []


async def test_cancel_deletes_the_deployment_and_it_reads_canceled(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb_id = str(fake_civis.add_notebook("Run me").id)
    execution_id = await civis.execute(nb_id, ExecuteBody())
    civis_clock.advance(40)
    await civis.cancel(nb_id, execution_id)
    (delete,) = fake_civis.requests_to(rf"/deployments/{execution_id}$", "DELETE")
    assert delete.method == "DELETE"
    dep = fake_civis.deployments[int(execution_id)]
    assert fake_civis.state_of(dep)[0] == "terminated"
    (canceled,) = await civis.list_executions(nb_id)
    assert canceled.status == "canceled"
    assert canceled.finished_at == civis_time(civis_clock())
    assert canceled.errors == []


async def test_cancel_of_an_unknown_deployment_is_execution_not_found(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    nb_id = str(fake_civis.add_notebook("Run me").id)
    with pytest.raises(NotFound) as err:
        await civis.cancel(nb_id, "999")
    assert err.value.reason == "execution_not_found"


async def test_a_deployment_that_failed_carries_its_state_message(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb_id = str(fake_civis.add_notebook("Crashes").id)
    fake_civis.fail_next_deployment("Container exited with code 137 (out of memory)")
    await civis.execute(nb_id, ExecuteBody())
    civis_clock.advance(31)
    (failed,) = await civis.list_executions(nb_id)
    assert failed.status == "completed"
    assert [(e.name, e.message) for e in failed.errors] == [
        ("Civis", "Container exited with code 137 (out of memory)")
    ]


async def test_executions_are_newest_first_limited_and_since(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Many")
    base = civis_clock()
    for i in range(5):
        fake_civis.add_deployment(nb.id, created=base - 3600 * (5 - i), running_seconds=60)
    runs = await civis.list_executions(str(nb.id), limit=3)
    assert len(runs) == 3
    assert [int(r.id) for r in runs] == sorted((int(r.id) for r in runs), reverse=True)
    (request,) = fake_civis.requests_to(r"/deployments$", "GET")
    assert request.query["limit"] == ["3"]
    assert request.query["order"] == ["created_at"]
    assert request.query["order_dir"] == ["desc"]
    since = datetime.fromtimestamp(base - 2 * 3600, tz=timezone.utc)
    recent = await civis.list_executions(str(nb.id), since=since)
    assert len(recent) == 2


async def test_an_unknown_state_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[{"deploymentId": 5, "notebookId": 12, "state": "exploded", "createdAt": None}],
        )

    provider = mock(handler)
    with pytest.raises(RemoteError) as err:
        await provider.list_executions("12")
    assert "exploded" in err.value.message
    await provider.aclose()


async def test_a_state_of_null_reads_queued() -> None:
    # The spec's own examples show a fresh deployment with "state": null.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[
                {
                    "deploymentId": 4,
                    "notebookId": 11,
                    "state": None,
                    "createdAt": "2026-04-17T18:30:19.000Z",
                    "updatedAt": "2026-04-17T18:30:19.000Z",
                }
            ],
        )

    provider = mock(handler)
    (run,) = await provider.list_executions("11")
    assert run.status == "queued"
    await provider.aclose()


# --------------------------------------------------------------------------- usage


async def test_usage_sums_terminated_deployments_per_utc_day(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Busy")
    nb_id = str(nb.id)
    start = civis_clock()  # 2026-01-05 09:00 UTC
    day = 86400.0
    end = start + 3 * day
    pending = 30.0
    # the next day: 10 min + 20 min of running, both ended by themselves
    fake_civis.add_deployment(nb.id, created=start + day, running_seconds=600 - pending)
    fake_civis.add_deployment(nb.id, created=start + day + 3600, running_seconds=1200 - pending)
    # the day after: one run through this provider and cancelled after 5 minutes
    civis_clock.advance(2 * day)
    cancelled = await civis.execute(nb_id, ExecuteBody())
    civis_clock.advance(300)
    await civis.cancel(nb_id, cancelled)
    # the last day: still running, not counted yet
    fake_civis.add_deployment(nb.id, created=end - 120, running_seconds=None)
    # before the range
    fake_civis.add_deployment(nb.id, created=start - 4 * day, running_seconds=60)
    civis_clock.advance(end - civis_clock())

    usage = await civis.usage(
        nb_id,
        start=datetime.fromtimestamp(start, tz=timezone.utc),
        end=datetime.fromtimestamp(end, tz=timezone.utc),
    )
    by_day = {d.date: d for d in usage.days}
    assert list(by_day) == ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]
    assert by_day["2026-01-06"].minutes == pytest.approx(30)
    assert by_day["2026-01-06"].completed == 2
    assert by_day["2026-01-07"].minutes == pytest.approx(5)
    assert (by_day["2026-01-07"].canceled, by_day["2026-01-07"].completed) == (1, 0)
    assert by_day["2026-01-08"].minutes == 0
    assert by_day["2026-01-05"].minutes == 0
    assert usage.total_minutes == pytest.approx(35)
    assert usage.start == "2026-01-05T09:00:00.000Z"
    assert usage.end == "2026-01-08T09:00:00.000Z"


async def test_usage_reads_further_pages_until_older_than_start(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Busy")
    now = civis_clock()
    for i in range(60):  # one a minute for the last hour, 1 minute of running each
        fake_civis.add_deployment(nb.id, created=now - 3600 + 60 * i - 100, running_seconds=30)
    usage = await civis.usage(
        str(nb.id),
        start=datetime.fromtimestamp(now - 7200, tz=timezone.utc),
        end=datetime.fromtimestamp(now, tz=timezone.utc),
    )
    assert sum(d.completed for d in usage.days) == 60
    assert usage.total_minutes == pytest.approx(60)
    pages = [r.query["page_num"] for r in fake_civis.requests_to(r"/deployments$", "GET")]
    assert pages == [["1"], ["2"]]


# --------------------------------------------------------------------------- errors


async def test_civis_error_description_becomes_the_message(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    fake_civis.fail_next(
        400,
        path=r"^/notebooks$",
        body={"error": "invalid", "errorDescription": "Name is too long", "code": 400},
    )
    with pytest.raises(InvalidInput) as err:
        await civis.create_notebook(NotebookCreate(name="x"))
    assert "Name is too long" in err.value.message
    fake_civis.fail_next(500, path=r"^/notebooks$", body={"error": "boom", "code": 500})
    with pytest.raises(RemoteError) as err2:
        await civis.create_notebook(NotebookCreate(name="x"))
    assert err2.value.remote_status == 500
    assert "boom" in err2.value.message


async def test_a_body_that_is_not_civis_json_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>captive portal</html>")

    provider = mock(handler)
    with pytest.raises(RemoteError):
        await provider.list_notebooks()
    await provider.aclose()

    def wrong_shape(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": []})

    provider = mock(wrong_shape)
    with pytest.raises(RemoteError) as err:
        await provider.list_notebooks()
    assert "not a JSON array" in err.value.message
    await provider.aclose()


async def test_what_civis_cannot_do_is_said(civis: CivisProvider) -> None:
    info = civis.info()
    assert set(info.capabilities) == {
        "list",
        "create",
        "rename",
        "delete",
        "push",
        "execute",
        "cancel",
        "logs",
        "usage",
        "pull",
    }
    assert set(info.unsupported) == {"inputExport", "schedule"}
    with pytest.raises(Unsupported) as err:
        await civis.input_export("7001", InputExportBody())
    assert "input data" in err.value.message


async def test_a_deployments_logs_are_its_result_log(
    civis: CivisProvider, fake_civis: FakeCivis, civis_clock: FakeClock
) -> None:
    nb = fake_civis.add_notebook("Logs")
    dep = fake_civis.add_deployment(nb.id, running_seconds=60)
    dep.user_lines = ["loading data", f"oops, printed the key {fake_civis.api_key}"]
    civis_clock.advance(120)
    (run,) = await civis.list_executions(str(nb.id))
    (output,) = run.outputs
    assert output.name == "result.log"
    assert output.content_type == "text/plain"
    assert output.url == (
        f"/notebook-remote/connections/civis-test/notebooks/{nb.id}/executions/{dep.id}"
        "/files/result.log"
    )
    file = await civis.execution_file(str(nb.id), str(dep.id), "result.log")
    text = b"".join([chunk async for chunk in file.chunks()]).decode()
    assert file.size == len(text.encode())
    lines = text.splitlines()
    assert lines[0] == (
        "2026-01-05T09:00:00.000Z [system/stdout] "
        "Pulling image civisanalytics/datascience-python:latest"
    )
    assert "2026-01-05T09:00:30.001Z [user/stdout] loading data" in lines
    assert fake_civis.api_key not in text
    assert "oops, printed the key [redacted]" in text
    (request,) = fake_civis.requests_to(r"/logs$")
    assert request.query == {"limit": ["10000"]}


async def test_only_the_log_is_a_file_of_a_deployment(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    with pytest.raises(NotFound) as err:
        await civis.execution_file("7001", "301", "result.html")
    assert err.value.reason == "file_not_found"
    nb = fake_civis.add_notebook("Logs")
    with pytest.raises(NotFound) as missing:
        await civis.execution_file(str(nb.id), "999", "result.log")
    assert missing.value.reason == "execution_not_found"
    assert len(fake_civis.requests) == 1


async def test_pull_reads_the_notebook_url_without_the_key(
    civis: CivisProvider, fake_civis: FakeCivis
) -> None:
    created = fake_civis.add_notebook("Pulled", content=b'{"cells": []}')
    file = await civis.notebook_file(str(created.id))
    assert b"".join([chunk async for chunk in file.chunks()]) == b'{"cells": []}'
    assert file.content_type == "application/x-ipynb+json"
    (get,) = fake_civis.requests_to(r"^/storage/", "GET")
    assert "Authorization" not in get.headers
