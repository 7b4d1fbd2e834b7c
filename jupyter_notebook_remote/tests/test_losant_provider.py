"""LosantProvider against httpx.MockTransport: what goes on the wire for each
method, how Losant's JSON becomes the models, and how failures surface."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import httpx
import pytest

from ..errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    RemoteAuthError,
    RemoteError,
    TokenMissing,
)
from ..http import HttpSettings
from ..models import (
    ExecuteBody,
    InputExportBody,
    NotebookCreate,
    NotebookPatch,
)
from ..providers.base import (
    ConnectionConfig,
    EnvConnection,
    NotebookUpload,
    ProviderContext,
)
from ..providers.losant import LosantProvider, losant_error_message
from ..providers.remote import MAX_STORAGE_CLIENTS
from .fakes.losant import SCHEMA_DIR, parse_multipart_field

TOKEN = "losant_tok_5d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"
APP = "575ec8687ae143cd83dc4a97"
NB = "5c782b8d4f3a8e51c1db42e4"
EX = "5c7d3f9cd32c87a49f04c260"
EXAMPLES = json.loads((SCHEMA_DIR / "apiExamples.notebook-extract.json").read_text())
GLOBAL = [("_actions", "false"), ("_links", "true"), ("_embedded", "true")]


class Remote:
    """Scripted Losant: answers in order (the last one repeats), records requests."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        status, body = answer
        return httpx.Response(status, json=body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def provider(
    remote: Callable[[httpx.Request], httpx.Response],
    *,
    token: Optional[Callable[[], Optional[str]]] = None,
    base_url: Optional[str] = "https://api.losant.com",
    sleeps: Optional[list[float]] = None,
    logger: Optional[logging.Logger] = None,
) -> LosantProvider:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    config = ConnectionConfig(
        id="plant-a", kind="losant", label="Plant A", base_url=base_url, application_id=APP
    )
    context = ProviderContext(
        tokens=token or (lambda: TOKEN),
        http=HttpSettings(read_freshness=0),
        log=logger or logging.getLogger("jupyter_notebook_remote.test_losant"),
    )
    return LosantProvider(config, context, transport=httpx.MockTransport(remote), sleep=sleep)


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def upload_of(data: bytes, name: str = "report.ipynb", piece: int = 5) -> NotebookUpload:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), piece):
            yield data[i : i + piece]

    return NotebookUpload(file_name=name, size=len(data), chunks=chunks)


# ----------------------------------------------------------------------------- description


def test_capabilities_and_why_schedule_is_missing() -> None:
    p = provider(Remote((200, {})))
    info = p.info()
    assert info.kind == "losant"
    assert "schedule" not in info.capabilities
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
        "inputExport",
        "pull",
    }
    assert "workflow" in info.unsupported["schedule"]
    assert info.application_id == APP
    assert info.auth_configured is True
    assert LosantProvider.default_base_url == "https://api.losant.com"


def test_a_connection_needs_the_applications_id() -> None:
    ids = LosantProvider.application_ids
    assert ids is not None
    assert ids.check("application_id", APP) == APP
    for app_id in (None, "", "575ec8687ae143cd83dc4a9", "zzzec8687ae143cd83dc4a97"):
        with pytest.raises(InvalidInput) as err:
            ids.check("application_id", app_id, connection="x")
        assert "application_id" in err.value.fields
        assert "the id in the Losant application's URL" in err.value.message


def test_the_token_variable_is_a_secret() -> None:
    assert LosantProvider.secret_env == {"LOSANT_API_TOKEN"}


def test_the_environment_asks_for_a_losant_connection() -> None:
    env = {"LOSANT_API_TOKEN": "env-token", "LOSANT_APPLICATION_ID": APP}
    entry = {
        "kind": "losant",
        "label": "Losant",
        "application_id": APP,
        "token_env": "LOSANT_API_TOKEN",
    }
    assert LosantProvider.environment_connection(env) == EnvConnection(
        id="losant", variables="LOSANT_*", entry=entry
    )
    white_label = {**env, "LOSANT_API_URL": "https://api.app.wnology.io/"}
    assert LosantProvider.environment_connection(white_label) == EnvConnection(
        id="losant",
        variables="LOSANT_*",
        entry={**entry, "base_url": "https://api.app.wnology.io/"},
    )
    # The application alone still asks (its token may come from the panel).
    assert LosantProvider.environment_connection({"LOSANT_APPLICATION_ID": APP}) == EnvConnection(
        id="losant", variables="LOSANT_*", entry=entry
    )
    assert LosantProvider.environment_connection({"CIVIS_API_KEY": "k"}) is None
    assert LosantProvider.environment_connection({"LOSANT_API_TOKEN": ""}) is None


def test_a_token_without_an_application_is_a_problem_not_a_connection() -> None:
    assert LosantProvider.environment_connection(
        {"LOSANT_API_TOKEN": "env-token"}
    ) == EnvConnection(
        id="losant",
        variables="LOSANT_*",
        problem="LOSANT_API_TOKEN is set but LOSANT_APPLICATION_ID is not; no 'losant' "
        "connection was added. Set LOSANT_APPLICATION_ID too.",
    )


# ----------------------------------------------------------------------------- the wire


async def test_every_call_carries_auth_accept_version_and_the_global_params() -> None:
    remote = Remote((200, EXAMPLES["notebook"]))
    p = provider(remote)
    await p.get_notebook(NB)
    req = remote.last
    assert req.method == "GET"
    assert req.url.path == f"/applications/{APP}/notebooks/{NB}"
    assert query(req) == GLOBAL
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["Accept"] == "application/json"
    assert req.headers["Accept-Version"] == "^1.30.0"
    assert req.headers["User-Agent"].startswith("jupyter-notebook-remote/")


async def test_list_sends_paging_sorting_and_a_glob_filter() -> None:
    remote = Remote((200, EXAMPLES["notebooks"]))
    p = provider(remote)
    page = await p.list_notebooks(filter="report", page=2, per_page=25)
    assert query(remote.last) == [
        *GLOBAL,
        ("sortField", "name"),
        ("sortDirection", "asc"),
        ("page", "2"),
        ("perPage", "25"),
        ("filterField", "name"),
        ("filter", "*report*"),
    ]
    assert remote.last.url.path == f"/applications/{APP}/notebooks"
    assert (page.count, page.total_count, page.page, page.per_page) == (1, 4, 0, 1)
    assert page.items[0].id == NB
    await p.list_notebooks(filter="my*notebook")
    assert ("filter", "my*notebook") in query(remote.last)
    await p.list_notebooks()
    assert "filter" not in dict(query(remote.last))
    await p.list_notebooks(filter="   ")
    assert "filter" not in dict(query(remote.last))


@pytest.mark.parametrize(
    ("text", "glob"),
    [
        ("what?", "*what[?]*"),  # '?' stands for itself, as for every kind
        ("[draft] report", "*[[]draft] report*"),
        ("  plant*a ", "plant*a"),
        ("*", "*"),
    ],
)
async def test_the_filter_goes_to_losant_as_the_one_rule_in_glob_form(text: str, glob: str) -> None:
    remote = Remote((200, EXAMPLES["notebooks"]))
    await provider(remote).list_notebooks(filter=text)
    assert dict(query(remote.last))["filter"] == glob


async def test_create_posts_the_body_and_reads_the_201() -> None:
    remote = Remote((201, EXAMPLES["notebook"]))
    nb = await provider(remote).create_notebook(NotebookCreate(name="Example Notebook"))
    req = remote.last
    assert (req.method, req.url.path) == ("POST", f"/applications/{APP}/notebooks")
    assert json.loads(req.content) == {"name": "Example Notebook"}
    assert req.headers["Content-Type"] == "application/json"
    assert nb.name == "Example Notebook"
    await provider(remote).create_notebook(
        NotebookCreate(name="n", description="d", image_version="v3")
    )
    assert json.loads(remote.last.content) == {
        "name": "n",
        "description": "d",
        "imageVersion": "v3",
    }


async def test_patch_sends_only_what_changes() -> None:
    remote = Remote((200, EXAMPLES["notebook"]))
    await provider(remote).update_notebook(NB, NotebookPatch(name="New Notebook Name"))
    assert remote.last.method == "PATCH"
    assert remote.last.url.path == f"/applications/{APP}/notebooks/{NB}"
    assert json.loads(remote.last.content) == {"name": "New Notebook Name"}


async def test_delete_expects_success() -> None:
    remote = Remote((200, {"success": True}))
    await provider(remote).delete_notebook(NB)
    assert (remote.last.method, remote.last.url.path) == (
        "DELETE",
        f"/applications/{APP}/notebooks/{NB}",
    )
    with pytest.raises(RemoteError):
        await provider(Remote((200, {"success": False}))).delete_notebook(NB)


async def test_push_streams_a_multipart_jupyter_file() -> None:
    data = json.dumps({"cells": [], "metadata": {"x": "ü"}}).encode()
    remote = Remote((200, EXAMPLES["notebook"]))
    nb = await provider(remote).push(NB, upload_of(data, "Report 1.ipynb"))
    req = remote.last
    assert (req.method, req.url.path) == ("POST", f"/applications/{APP}/notebooks/{NB}/upload")
    assert query(req) == GLOBAL
    ctype = req.headers["Content-Type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    assert req.headers["Content-Length"] == str(len(req.content))
    assert parse_multipart_field(ctype, req.content, "jupyterFile") == (
        "Report 1.ipynb",
        data,
        "application/x-ipynb+json",
    )
    assert nb.file_name == "myNotebook.ipynb"


@pytest.mark.parametrize("announced", [3, 20])  # the file grew; it shrank
async def test_a_file_that_changes_while_it_is_pushed_is_a_conflict(announced: int) -> None:
    data = b'{"cells": []}'
    changed = NotebookUpload(
        file_name="report.ipynb", size=announced, chunks=upload_of(data).chunks
    )
    with pytest.raises(Conflict) as err:
        await provider(Remote((200, EXAMPLES["notebook"]))).push(NB, changed)
    assert err.value.reason == "file_changed"


async def test_execute_sends_options_and_returns_the_execution_id() -> None:
    remote = Remote((200, {"success": True, "executionId": EX}))
    p = provider(remote)
    assert await p.execute(NB, ExecuteBody()) == EX
    req = remote.last
    assert (req.method, req.url.path) == ("POST", f"/applications/{APP}/notebooks/{NB}/execute")
    assert json.loads(req.content) == {}
    body = ExecuteBody(relative_to=1570549199451.0, template_context={"site": "a"})
    await p.execute(NB, body)
    assert json.loads(remote.last.content) == {
        "relativeTo": 1570549199451,
        "templateContext": '{"site":"a"}',
    }


@pytest.mark.parametrize("answer", [{"success": True}, {"executionId": "nope"}, []])
async def test_execute_without_a_valid_execution_id_is_a_remote_error(answer: Any) -> None:
    with pytest.raises(RemoteError):
        await provider(Remote((200, answer))).execute(NB, ExecuteBody())


async def test_logs_send_limit_and_since_in_ms_and_normalise_entries() -> None:
    remote = Remote((200, EXAMPLES["notebookExecutionLogs"]))
    since = datetime(2016, 6, 13, 4, 0, tzinfo=timezone.utc)
    runs = await provider(remote).list_executions(NB, limit=20, since=since)
    assert remote.last.url.path == f"/applications/{APP}/notebooks/{NB}/logs"
    assert query(remote.last) == [*GLOBAL, ("limit", "20"), ("since", "1465790400000")]
    (run,) = runs
    assert run.id == EX
    assert run.notebook_id == NB
    assert run.status == "inProgress"
    assert run.queued_at == "2016-06-13T03:59:00.000Z"
    assert run.started_at == "2016-06-13T04:00:00.000Z"
    assert run.finished_at is None
    assert (run.source.type, run.source.id) == ("user", "575ed70c7ae143cd83dc4aa9")
    assert run.errors == []
    assert run.outputs == []


async def test_a_finished_log_entry_becomes_an_execution_with_files_and_errors() -> None:
    entry = {
        "id": EX,
        "notebookId": NB,
        "status": "errored",
        "runQueuedAt": "2024-01-02T03:04:05Z",
        "runStartedAt": "2024-01-02T03:04:06.5+00:00",
        "notebookCompletedAt": "2024-01-02T03:05:00.000Z",
        "outputsCompletedAt": "2024-01-02T03:05:02.000Z",
        "inputInfo": {"data.csv": {"size": 10, "url": "https://s/in"}},
        "outputInfo": {
            "result.html": {"size": 99, "url": "https://s/out", "contentType": "text/html"}
        },
        "executionErrors": [{"name": "KeyError", "message": "'x'"}, {}],
    }
    (run,) = await provider(Remote((200, [entry]))).list_executions(NB)
    assert run.queued_at == "2024-01-02T03:04:05.000Z"
    assert run.started_at == "2024-01-02T03:04:06.500Z"
    assert run.finished_at == "2024-01-02T03:05:02.000Z"
    route = f"/notebook-remote/connections/plant-a/notebooks/{NB}/executions/{EX}/files"
    assert [(i.name, i.size, i.url) for i in run.inputs] == [("data.csv", 10, f"{route}/data.csv")]
    assert [(o.name, o.content_type, o.url) for o in run.outputs] == [
        ("result.html", "text/html", f"{route}/result.html")
    ]
    assert [(e.name, e.message) for e in run.errors] == [("KeyError", "'x'"), ("Error", "")]
    without_outputs_time = dict(entry, outputsCompletedAt=None)
    del without_outputs_time["outputsCompletedAt"]
    (run,) = await provider(Remote((200, [without_outputs_time]))).list_executions(NB)
    assert run.finished_at == "2024-01-02T03:05:00.000Z"


async def test_a_poll_reads_only_the_runs_that_changed_since_the_last_page() -> None:
    ended = {"id": "a" * 24, "status": "completed", "runQueuedAt": "2024-01-02T03:04:05.000Z"}
    running = {"id": EX, "status": "inProgress", "runQueuedAt": "2024-01-02T03:09:05.000Z"}
    remote = Remote((200, [running, ended]), (200, [dict(running, status="completed"), ended]))
    p = provider(remote)
    first = await p.list_executions(NB)
    second = await p.list_executions(NB)
    assert [r.status for r in first] == ["inProgress", "completed"]
    assert [r.status for r in second] == ["completed", "completed"]
    assert second[1] is first[1]  # the ended run, unchanged: read once
    assert second[0].id == EX
    assert second[0] is not first[0]
    # A page whose new run is not what the schema says is still refused, and says why.
    remote.answers = [(200, [{"id": EX, "status": "queued", "outputInfo": []}, ended])]
    with pytest.raises(RemoteError) as err:
        await p.list_executions(NB)
    assert "outputInfo" in err.value.message


async def test_cancel_puts_the_execution_id_in_the_query_string() -> None:
    remote = Remote((200, {"success": True}))
    await provider(remote).cancel(NB, EX)
    req = remote.last
    assert (req.method, req.url.path) == (
        "POST",
        f"/applications/{APP}/notebooks/{NB}/cancelExecution",
    )
    assert query(req) == [*GLOBAL, ("executionId", EX)]
    assert req.content == b""


async def test_usage_sends_ms_and_returns_utc_days() -> None:
    remote = Remote((200, EXAMPLES["notebookMinuteCounts"]))
    start = datetime(1999, 5, 20, 5, tzinfo=timezone.utc)
    end = datetime(1999, 6, 20, 4, 59, 59, 999000, tzinfo=timezone.utc)
    usage = await provider(remote).usage(NB, start=start, end=end)
    assert remote.last.url.path == f"/applications/{APP}/notebooks/{NB}/notebookMinuteCounts"
    assert query(remote.last) == [*GLOBAL, ("start", "927176400000"), ("end", "929854799999")]
    assert usage.start == "1999-05-20T05:00:00.000Z"
    assert usage.end == "1999-06-20T04:59:59.999Z"
    assert usage.total_minutes == 17
    assert len(usage.days) == 32  # every UTC day from 05-20 to 06-20
    (day,) = [d for d in usage.days if d.minutes]
    assert (day.date, day.minutes, day.completed, day.errored) == ("1999-06-20", 17, 4, 1)


async def test_usage_merges_and_orders_days_and_rejects_a_reversed_range() -> None:
    counts = {
        "counts": [
            {"date": "2024-03-02T00:00:00.000Z", "minutes": 2, "completed": 1},
            {"date": "2024-03-01T00:00:00.000Z", "minutes": 1, "canceled": 1},
            {"date": "2024-03-02T00:00:00.000Z", "minutes": 3, "timeout": 1},
        ]
    }
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    end = datetime(2024, 3, 3, tzinfo=timezone.utc)
    usage = await provider(Remote((200, counts))).usage(NB, start=start, end=end)
    assert [(d.date, d.minutes) for d in usage.days] == [
        ("2024-03-01", 1),
        ("2024-03-02", 5),
        ("2024-03-03", 0),
    ]
    assert usage.total_minutes == 6
    assert usage.start == "2024-03-01T00:00:00.000Z"


@pytest.mark.parametrize("day", ["last tuesday", ""])
async def test_a_minute_count_without_a_readable_day_is_a_remote_error(day: str) -> None:
    counts = {"counts": [{"date": day, "minutes": 2}]}
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with pytest.raises(RemoteError) as err:
        await provider(Remote((200, counts))).usage(NB, start=start, end=start)
    assert err.value.status == 502


async def test_input_export_posts_options_and_reads_the_202() -> None:
    remote = Remote((202, EXAMPLES["jobEnqueuedResult"]))
    job = await provider(remote).input_export(
        NB, InputExportBody(email="user@example.com", callback_url="https://hook.example/x")
    )
    req = remote.last
    assert req.url.path == f"/applications/{APP}/notebooks/{NB}/requestInputDataExport"
    assert json.loads(req.content) == {
        "email": "user@example.com",
        "callbackUrl": "https://hook.example/x",
    }
    assert (job.job_queued, job.job_id) == (True, "clnHvJbyVkOWAZwYAwLP4")


# ----------------------------------------------------------------------------- run files

SIGNED = "https://files.losant.test/exec/result.html?Expires=1700000000&Signature=a%2Bb%2F%3D&k=x+y"
STORAGE_HOST = "files.losant.test"


def finished(**files: Any) -> dict[str, Any]:
    """A completed log entry whose outputInfo holds ``files``."""
    return {"id": EX, "notebookId": NB, "status": "completed", "outputInfo": files}


class Pieces(httpx.AsyncByteStream):
    """A storage body that arrives in pieces and counts how many were pulled."""

    def __init__(self, data: bytes, piece: int) -> None:
        self.data, self.piece, self.pulled, self.closed = data, piece, 0, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), self.piece):
            self.pulled += 1
            yield self.data[i : i + self.piece]

    async def aclose(self) -> None:
        self.closed = True


class TwoHosts:
    """Losant's API answers ``logs``; the storage host answers the rest."""

    def __init__(self, logs: Any, *storage: Any) -> None:
        self.api = Remote((200, logs))
        self.storage = Remote(*storage)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.losant.com":
            return self.api(request)
        return self.storage(request)


async def read(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in chunks])


async def test_run_files_link_to_the_extensions_route_not_to_losant() -> None:
    entry = finished(
        **{
            "result.html": {"url": SIGNED, "contentType": "text/html", "size": 5},
            "my report.csv": {"url": "https://files.losant.test/x"},
            "pending.log": {"size": 0},
        }
    )
    entry["inputInfo"] = {"data.csv": {"url": "https://files.losant.test/in"}}
    remote = Remote((200, [entry]))
    config = ConnectionConfig(
        id="plant-a",
        kind="losant",
        label="A",
        base_url="https://api.losant.com",
        application_id=APP,
    )
    context = ProviderContext(tokens=lambda: TOKEN, server_base_url="/hub/user/ann/")
    losant = LosantProvider(config, context, transport=httpx.MockTransport(remote))
    (run,) = await losant.list_executions(NB)
    route = f"/hub/user/ann/notebook-remote/connections/plant-a/notebooks/{NB}/executions/{EX}"
    urls = {o.name: o.url for o in run.outputs}
    assert urls["result.html"] == f"{route}/files/result.html"
    # No URL the route could not carry, and none for a file not stored yet.
    assert urls["my report.csv"] is None
    assert urls["pending.log"] is None
    assert [i.url for i in run.inputs] == [f"{route}/files/data.csv"]
    assert "losant.test" not in run.model_dump_json()


async def test_a_run_file_streams_from_the_signed_url_without_the_token() -> None:
    data = bytes(range(256)) * 1024  # 256 KiB
    body = Pieces(data, 16 * 1024)
    remote = TwoHosts(
        [finished(**{"result.html": {"url": SIGNED, "contentType": "text/html"}})],
        httpx.Response(
            200,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data))},
            stream=body,
        ),
    )
    losant = provider(remote)
    file = await losant.execution_file(NB, EX, "result.html")
    (logs,) = remote.api.requests
    assert logs.url.path == f"/applications/{APP}/notebooks/{NB}/logs"
    assert ("limit", "100") in query(logs)
    (fetch,) = remote.storage.requests
    # The signed URL exactly as Losant gave it, and no Losant credentials.
    assert str(fetch.url) == SIGNED
    assert "Authorization" not in fetch.headers
    assert "Accept-Version" not in fetch.headers
    assert TOKEN not in str(fetch.headers)
    assert (file.name, file.content_type, file.size) == (
        "result.html",
        "text/html; charset=utf-8",
        len(data),
    )
    chunks = file.chunks()
    first = await chunks.__anext__()
    assert first
    assert body.pulled < len(data) // (16 * 1024)  # streamed, not read whole
    assert first + await read(chunks) == data
    assert body.closed


async def test_an_input_file_is_served_too_and_ids_are_matched_without_case() -> None:
    entry: dict[str, Any] = {"id": EX.upper(), "notebookId": NB, "status": "completed"}
    entry["inputInfo"] = {"data.csv": {"url": "http://files.losant.test/in/data.csv"}}
    remote = TwoHosts([entry], httpx.Response(200, content=b"a,b\n"))
    file = await provider(remote).execution_file(NB, EX, "data.csv")
    assert file.content_type == "text/csv"  # from the name: storage said nothing
    assert await read(file.chunks()) == b"a,b\n"
    assert remote.storage.last.url.path == "/in/data.csv"


@pytest.mark.parametrize(
    ("storage_type", "losant_type", "expected"),
    [
        ("image/png", "text/plain", "image/png"),
        ("binary/octet-stream", "text/html", "text/html"),
        ("application/octet-stream", None, "text/html"),
    ],
)
async def test_the_content_type_falls_back_from_a_generic_one(
    storage_type: str, losant_type: Optional[str], expected: str
) -> None:
    info: dict[str, Any] = {"url": SIGNED}
    if losant_type:
        info["contentType"] = losant_type
    remote = TwoHosts(
        [finished(**{"result.html": info})],
        httpx.Response(200, headers={"Content-Type": storage_type}, content=b"<p>"),
    )
    file = await provider(remote).execution_file(NB, EX, "result.html")
    assert file.content_type == expected
    await read(file.chunks())


async def test_a_run_or_file_losant_does_not_list_is_not_found() -> None:
    other = dict(finished(), id="f" * 24)
    remote = TwoHosts([other], (200, {}))
    with pytest.raises(NotFound) as missing_run:
        await provider(remote).execution_file(NB, EX, "result.html")
    assert missing_run.value.reason == "execution_not_found"
    assert EX in missing_run.value.message
    assert "100 most recent" in missing_run.value.message
    remote = TwoHosts([finished(**{"result.log": {"url": SIGNED}})], (200, {}))
    with pytest.raises(NotFound) as missing_file:
        await provider(remote).execution_file(NB, EX, "result.html")
    assert missing_file.value.reason == "file_not_found"
    assert "result.log" in missing_file.value.message  # what there is instead
    assert remote.storage.requests == []


async def test_a_file_gone_from_storage_is_not_found() -> None:
    remote = TwoHosts([finished(**{"result.html": {"url": SIGNED}})], (404, {}))
    with pytest.raises(NotFound) as gone:
        await provider(remote).execution_file(NB, EX, "result.html")
    assert (gone.value.reason, gone.value.status) == ("file_not_found", 404)


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_a_refused_or_expired_link_is_a_502_asking_to_refresh(status: int) -> None:
    remote = TwoHosts(
        [finished(**{"result.html": {"url": SIGNED}})],
        httpx.Response(status, text=f"<Error>Request has expired {TOKEN}</Error>"),
    )
    with pytest.raises(RemoteError) as refused:
        await provider(remote).execution_file(NB, EX, "result.html")
    err = refused.value
    assert not isinstance(err, RemoteAuthError)  # the token is fine: the link is not
    assert (err.status, err.reason, err.remote_status) == (502, "remote_error", status)
    assert "Refresh" in err.message
    assert STORAGE_HOST in err.message
    assert TOKEN not in err.message
    assert "Signature" not in err.message


async def test_storage_failures_before_the_body_are_retried() -> None:
    sleeps: list[float] = []
    remote = TwoHosts(
        [finished(**{"result.html": {"url": SIGNED}})],
        (503, {}),
        httpx.Response(200, content=b"ok"),
    )
    file = await provider(remote, sleeps=sleeps).execution_file(NB, EX, "result.html")
    assert await read(file.chunks()) == b"ok"
    assert len(remote.storage.requests) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://files.losant.test/x", "https://user:pw@files.losant.test/x"],
)
async def test_only_plain_http_links_are_followed(url: str) -> None:
    remote = TwoHosts([finished(**{"result.html": {"url": url}})], (200, {}))
    with pytest.raises(RemoteError, match="not a plain http"):
        await provider(remote).execution_file(NB, EX, "result.html")
    assert remote.storage.requests == []


# ----------------------------------------------------------------------------- normalising


async def test_the_official_notebook_example_normalises() -> None:
    nb = await provider(Remote((200, EXAMPLES["notebook"]))).get_notebook(NB)
    assert nb.id == NB
    assert nb.file_name == "myNotebook.ipynb"
    assert nb.created_at == "2016-06-13T04:00:00.000Z"
    assert nb.updated_at == "2016-06-13T04:00:00.000Z"
    assert nb.description == ""
    assert nb.stats is not None
    assert (nb.stats.minutes_this_period, nb.stats.runs_this_period) == (3, 2)
    assert nb.stats.errors_this_period == 1
    # Inputs and outputs come back verbatim, as Losant's example has them.
    assert nb.inputs == EXAMPLES["notebook"]["inputs"]
    assert nb.outputs == EXAMPLES["notebook"]["outputs"]
    assert [(i["inputType"], i["fileName"]) for i in nb.inputs][:2] == [
        ("deviceData", "deviceDataWithAttributes"),
        ("dataTable", "dataTableWithQuery"),
    ]
    assert len(nb.inputs) == 5
    assert ("directory", "myApplicationFolder") in [
        (o["outputType"], o.get("fileName", o.get("directoryName"))) for o in nb.outputs
    ]
    assert nb.to_json()["fileName"] == "myNotebook.ipynb"


async def test_missing_optional_fields_are_tolerated() -> None:
    nb = await provider(Remote((200, {"id": NB, "name": "bare"}))).get_notebook(NB)
    assert (nb.name, nb.file_name, nb.created_at, nb.stats, nb.inputs) == (
        "bare",
        None,
        None,
        None,
        [],
    )
    (run,) = await provider(Remote((200, [{"id": EX, "status": "queued"}]))).list_executions(NB)
    assert (run.notebook_id, run.status, run.queued_at) == (NB, "queued", None)


@pytest.mark.parametrize(
    "body",
    [
        ["not", "an", "object"],
        {"name": "no id"},
        {"id": NB, "name": 5},
        {"id": NB, "name": "x", "creationDate": "last tuesday"},
        {"id": NB, "name": "x", "inputs": "none"},
    ],
)
async def test_a_notebook_that_is_not_what_the_schema_says_is_a_remote_error(body: Any) -> None:
    with pytest.raises(RemoteError) as err:
        await provider(Remote((200, body))).get_notebook(NB)
    assert err.value.status == 502
    assert "Losant" in err.value.message


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        [{"id": EX, "status": "cancelled"}],
        [{"id": EX}],
        [{"status": "queued"}],
        [{"id": EX, "status": "queued", "outputInfo": []}],
    ],
)
async def test_logs_that_are_not_what_the_schema_says_are_a_remote_error(body: Any) -> None:
    with pytest.raises(RemoteError):
        await provider(Remote((200, body))).list_executions(NB)


async def test_an_html_answer_is_a_remote_error_not_a_crash() -> None:
    html = httpx.Response(200, text="<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(RemoteError) as err:
        await provider(Remote(html)).list_notebooks()
    assert "not JSON" in err.value.message


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize("bad", ["nope", "x" * 24, "../../etc", "1234", "", NB + "0", None])
def test_ids_that_are_not_losants_are_refused(bad: Any) -> None:
    """The REST layer checks every id with these before any provider method runs."""
    p = provider(Remote((200, {})))
    with pytest.raises(InvalidInput) as err:
        p.validate_notebook_id(bad)
    assert list(err.value.fields) == ["notebookId"]
    assert "24 hexadecimal characters" in err.value.message
    with pytest.raises(InvalidInput) as err:
        p.validate_execution_id(bad)
    assert list(err.value.fields) == ["executionId"]
    assert err.value.connection == "plant-a"


def test_losant_ids_pass_as_they_are() -> None:
    p = provider(Remote((200, {})))
    assert p.validate_notebook_id(NB) == NB
    assert p.validate_execution_id(EX.upper()) == EX.upper()


async def test_no_token_means_token_missing_and_nothing_sent() -> None:
    remote = Remote((200, {}))
    p = provider(remote, token=lambda: None)
    assert p.auth_configured is False
    with pytest.raises(TokenMissing) as err:
        await p.list_notebooks()
    assert err.value.status == 403
    assert remote.requests == []


async def test_losant_errors_carry_losants_message() -> None:
    body = {"type": "Validation", "message": "name is too long"}
    with pytest.raises(InvalidInput) as err:
        await provider(Remote((400, body))).create_notebook(NotebookCreate(name="x"))
    assert "name is too long" in err.value.message
    assert err.value.remote_status == 400
    assert err.value.connection == "plant-a"
    examples = losant_error_message(EXAMPLES["validationErrors"])
    assert examples == (
        "Too many validation errors occurred.; "
        "Specified Data Table ID for data table output does not exist"
    )
    assert losant_error_message({"type": "NotFound"}) == "NotFound"
    assert losant_error_message("text") is None


async def test_a_refused_token_is_remote_auth_403() -> None:
    body = {"type": "Unauthorized", "message": "Invalid access token"}
    with pytest.raises(RemoteAuthError) as err:
        await provider(Remote((401, body))).list_notebooks()
    exc = err.value
    assert (exc.status, exc.reason, exc.remote_status) == (403, "remote_auth", 401)
    assert "Set a new token" in exc.message


async def test_404s_name_the_missing_notebook_or_execution() -> None:
    body = {"type": "NotFound", "message": "Notebook was not found"}
    with pytest.raises(NotFound) as err:
        await provider(Remote((404, body))).get_notebook(NB)
    assert err.value.reason == "notebook_not_found"
    assert NB in err.value.message
    with pytest.raises(NotFound) as err:
        await provider(Remote((404, body))).cancel(NB, EX)
    assert err.value.reason == "execution_not_found"
    assert EX in err.value.message
    with pytest.raises(NotFound) as err:
        await provider(Remote((404, {"message": "Application was not found"}))).list_notebooks()
    assert APP in err.value.message


async def test_only_reads_are_retried() -> None:
    sleeps: list[float] = []
    remote = Remote((502, {}), (200, EXAMPLES["notebooks"]))
    await provider(remote, sleeps=sleeps).list_notebooks()
    assert len(remote.requests) == 2
    assert len(sleeps) == 1
    writes: list[tuple[str, Callable[[LosantProvider], Awaitable[Any]]]] = [
        ("execute", lambda p: p.execute(NB, ExecuteBody())),
        ("upload", lambda p: p.push(NB, upload_of(b"{}"))),
        ("cancelExecution", lambda p: p.cancel(NB, EX)),
        ("notebooks", lambda p: p.create_notebook(NotebookCreate(name="n"))),
        ("requestInputDataExport", lambda p: p.input_export(NB, InputExportBody())),
    ]
    for name, call in writes:
        remote = Remote((503, {"message": "busy"}), (200, {}))
        sleeps.clear()
        with pytest.raises(RemoteError):
            await call(provider(remote, sleeps=sleeps))
        assert len(remote.requests) == 1, name
        assert remote.last.url.path.endswith(name)
        assert sleeps == []


async def test_429_passes_retry_after_on() -> None:
    answer = httpx.Response(429, headers={"Retry-After": "30"}, json={"message": "slow down"})
    with pytest.raises(RateLimited) as err:
        await provider(Remote(answer)).execute(NB, ExecuteBody())
    assert err.value.retry_after == 30
    assert err.value.status == 429
    assert "slow down" in err.value.message


async def test_the_token_is_redacted_from_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jupyter_notebook_remote.test_losant_leak")
    body = {"type": "Unauthorized", "message": f"Token {TOKEN} is not valid (Bearer {TOKEN})"}
    remote = Remote((401, body))
    p = provider(remote, logger=logger)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(RemoteAuthError) as err:
            await p.list_notebooks()
        logger.warning("while calling with %s", TOKEN)
    assert TOKEN not in err.value.message
    assert TOKEN not in json.dumps(err.value.to_json())
    assert TOKEN not in caplog.text
    assert any("-> 401 in" in r.getMessage() for r in caplog.records)
    assert remote.last.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_storage_clients_are_kept_per_origin_and_the_oldest_is_closed() -> None:
    """One client per storage host, reused call after call; a few hosts at most."""
    losant = provider(Remote((200, {})))
    first = await losant.storage_client("https://files-0.losant.test", service="storage")
    assert await losant.storage_client("https://files-0.losant.test", service="storage") is first
    others = [
        await losant.storage_client(f"https://files-{i}.losant.test", service="storage")
        for i in range(1, MAX_STORAGE_CLIENTS + 1)
    ]
    assert first.client.is_closed  # the least recently used went
    assert not any(client.client.is_closed for client in others)
    await losant.aclose()
    assert all(client.client.is_closed for client in others)


async def test_a_run_file_let_go_unread_releases_the_storage_response() -> None:
    """The browser left before reading: closing the file frees the connection."""
    body = Pieces(b"x" * 100_000, 1000)
    remote = TwoHosts(
        [finished(**{"result.html": {"url": SIGNED, "contentType": "text/html"}})],
        httpx.Response(200, stream=body),
    )
    file = await provider(remote).execution_file(NB, EX, "result.html")
    await file.aclose()
    assert body.closed
    assert body.pulled == 0
    await file.aclose()  # twice is harmless
