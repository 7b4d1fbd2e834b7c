"""The shared HTTP policy: client settings, retries, error mapping,
redaction and the streaming multipart body (httpx.MockTransport, no network)."""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Callable, Optional

import httpx
import pytest

from ..credentials.redaction import RedactingFilter, redact, register_secrets
from ..errors import (
    Conflict,
    InvalidInput,
    NotebookRemoteError,
    NotFound,
    RateLimited,
    RemoteAuthError,
    RemoteError,
    RemoteTimeout,
    RemoteUnreachable,
    TokenMissing,
    TooLarge,
)
from ..http import (
    USER_AGENT,
    HttpSettings,
    MultipartBody,
    MultipartFile,
    RemoteClient,
    build_client,
    parse_retry_after,
)
from ..providers.base import NotebookUpload
from .fakes.losant import parse_multipart_field

TOKEN = "tok_3f9a1c77e2d54b08a6c1d2e3f4a5b6c7"
Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Calls:
    """A MockTransport handler answering from a script, recording requests."""

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


def client(
    handler: Handler,
    *,
    token: Optional[Callable[[], Optional[str]]] = None,
    sleeps: Optional[Sleeps] = None,
    clock: Optional[Callable[[], float]] = None,
    settings: Optional[HttpSettings] = None,
    logger: Optional[logging.Logger] = None,
) -> RemoteClient:
    source = token or (lambda: TOKEN)

    def auth() -> dict[str, str]:
        value = source()
        if not value:
            raise TokenMissing("no token", connection="c1")
        return {"Authorization": f"Bearer {value}"}

    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    return RemoteClient(
        service="Example",
        connection_id="c1",
        base_url="https://api.example.com:8443/v1/",
        settings=settings or HttpSettings(),
        auth=auth,
        secrets=lambda: [t for t in [source()] if t],
        headers={"Accept": "application/json"},
        transport=httpx.MockTransport(handler),
        sleep=sleeps or Sleeps(),
        jitter=lambda: 1.0,
        logger=logger,
        **extra,
    )


# ----------------------------------------------------------------------------- the client


async def test_one_client_with_timeouts_limits_no_redirects_and_user_agent() -> None:
    settings = HttpSettings(connect_timeout=3, read_timeout=7, write_timeout=9, pool_timeout=2)
    http = build_client("https://api.example.com", settings)
    try:
        assert http.timeout == httpx.Timeout(connect=3, read=7, write=9, pool=2)
        assert http.follow_redirects is False
        assert http.headers["User-Agent"] == USER_AGENT
        assert USER_AGENT.startswith("jupyter-notebook-remote/")
        assert "Authorization" not in http.headers
    finally:
        await http.aclose()


async def test_a_cookie_the_remote_sets_is_sent_back_and_answers_without_one_keep_it() -> None:
    # A load balancer's affinity cookie, say: the client reads Set-Cookie only
    # from the answers that carry one, and keeps what it read.
    calls = Calls(
        (200, {}),
        httpx.Response(200, json={}, headers={"Set-Cookie": "lb=node-2; Path=/"}),
        (200, {}),
    )
    rc = client(calls)
    for path in ("/a", "/b", "/c", "/d"):
        await rc.send("GET", path)
    assert [r.headers.get("Cookie") for r in calls.requests] == [
        None,
        None,
        "lb=node-2",
        "lb=node-2",
    ]
    await rc.aclose()


async def test_auth_is_read_per_request_so_a_new_token_applies_at_once() -> None:
    tokens = ["first-token-123456"]
    calls = Calls((200, {}))
    rc = client(calls, token=lambda: tokens[0])
    await rc.send("GET", "/things")
    tokens[0] = "second-token-654321"
    await rc.send("GET", "/things")
    assert [r.headers["Authorization"] for r in calls.requests] == [
        "Bearer first-token-123456",
        "Bearer second-token-654321",
    ]
    assert calls.requests[0].url.path == "/v1/things"
    assert calls.requests[0].headers["User-Agent"] == USER_AGENT
    await rc.aclose()


async def test_a_missing_token_fails_before_anything_is_sent() -> None:
    calls = Calls((200, {}))
    rc = client(calls, token=lambda: None)
    with pytest.raises(TokenMissing):
        await rc.send("GET", "/things")
    assert calls.requests == []


# ----------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
async def test_safe_calls_are_retried_on_transient_statuses(status: int) -> None:
    calls = Calls((status, {}), (status, {}), (200, {"ok": True}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    assert await rc.send_json("GET", "/x") == {"ok": True}
    assert len(calls.requests) == 3
    # Full jitter with jitter() == 1: the ceiling of each step, doubling.
    assert sleeps.delays == [0.5, 1.0]


async def test_retries_stop_after_max_attempts() -> None:
    calls = Calls((503, {"message": "busy"}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps, settings=HttpSettings(max_attempts=3))
    with pytest.raises(RemoteError) as err:
        await rc.send("GET", "/x")
    assert len(calls.requests) == 3
    assert len(sleeps.delays) == 2
    assert err.value.remote_status == 503
    assert err.value.status == 502


async def test_a_stream_is_retried_until_its_body_starts_and_then_read_in_pieces() -> None:
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for i in range(4):
            pulled.append(i)
            yield bytes([i]) * 10

    calls = Calls((503, {"message": "busy"}), httpx.Response(200, content=body()))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    response = await rc.open_stream("/file", params=[("sig", "a b")])
    assert len(calls.requests) == 2
    assert len(sleeps.delays) == 1
    assert pulled == []  # nothing of the body read before the caller asks
    pieces = [piece async for piece in response.aiter_bytes()]
    await response.aclose()
    assert b"".join(pieces) == b"".join(bytes([i]) * 10 for i in range(4))
    assert calls.requests[-1].url.path == "/v1/file"
    await rc.aclose()


async def test_a_stream_that_fails_maps_like_any_call_and_reads_the_message() -> None:
    calls = Calls((404, {"message": "no such file"}))
    rc = client(calls)
    with pytest.raises(NotFound) as err:
        await rc.open_stream("/file", not_found=("file_not_found", "The file is gone."))
    assert (err.value.reason, err.value.message) == ("file_not_found", "The file is gone.")
    calls = Calls((500, {"message": "storage broke"}))
    rc = client(calls)
    with pytest.raises(RemoteError, match="storage broke"):
        await rc.open_stream("/file")


async def test_jitter_stays_under_the_cap() -> None:
    calls = Calls((503, {}))
    sleeps = Sleeps()
    settings = HttpSettings(max_attempts=8, backoff_base=0.5, backoff_max=2.0, retry_deadline=100)
    rc = client(calls, sleeps=sleeps, settings=settings)
    with pytest.raises(RemoteError):
        await rc.send("GET", "/x")
    assert sleeps.delays == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_unsafe_calls_are_sent_once(method: str) -> None:
    calls = Calls((503, {}), (200, {}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    with pytest.raises(RemoteError):
        await rc.send(method, "/run", json_body={})
    assert len(calls.requests) == 1
    assert sleeps.delays == []


async def test_an_explicitly_idempotent_post_may_be_retried_and_a_get_may_opt_out() -> None:
    calls = Calls((502, {}), (200, {}))
    rc = client(calls)
    await rc.send("POST", "/lookup", json_body={"q": 1}, idempotent=True)
    assert len(calls.requests) == 2
    calls = Calls((502, {}), (200, {}))
    rc = client(calls)
    with pytest.raises(RemoteError):
        await rc.send("GET", "/x", idempotent=False)
    assert len(calls.requests) == 1


async def test_connect_errors_are_retried_for_safe_calls_only() -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    calls = Calls(refused, (200, {"ok": 1}))
    rc = client(calls)
    assert await rc.send_json("GET", "/x") == {"ok": 1}
    calls = Calls(refused, (200, {}))
    rc = client(calls)
    with pytest.raises(RemoteUnreachable):
        await rc.send("POST", "/execute", json_body={})
    assert len(calls.requests) == 1


async def test_retry_after_in_seconds_is_honoured() -> None:
    calls = Calls(httpx.Response(429, headers={"Retry-After": "3"}, json={}), (200, {}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    await rc.send("GET", "/x")
    assert sleeps.delays == [3.0]


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    calls = Calls(httpx.Response(503, headers={"Retry-After": when}, json={}), (200, {}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    await rc.send("GET", "/x")
    assert len(sleeps.delays) == 1
    assert 3.0 <= sleeps.delays[0] <= 5.0


async def test_a_retry_after_longer_than_the_cap_is_passed_on_not_waited() -> None:
    calls = Calls(httpx.Response(429, headers={"Retry-After": "120"}, json={"message": "slow"}))
    sleeps = Sleeps()
    rc = client(calls, sleeps=sleeps)
    with pytest.raises(RateLimited) as err:
        await rc.send("GET", "/x")
    assert sleeps.delays == []
    assert len(calls.requests) == 1
    assert err.value.retry_after == 120
    assert err.value.status == 429
    assert "120 s" in err.value.message


async def test_retries_stop_at_the_deadline() -> None:
    now = [0.0]

    class Clocked(Sleeps):
        async def __call__(self, seconds: float) -> None:
            await super().__call__(seconds)
            now[0] += seconds

    def slow_503(request: httpx.Request) -> httpx.Response:
        now[0] += 4.0  # every attempt takes 4 s
        return httpx.Response(503, json={})

    sleeps = Clocked()
    settings = HttpSettings(max_attempts=10, retry_deadline=10.0, backoff_base=1, backoff_max=1)
    rc = client(slow_503, sleeps=sleeps, clock=lambda: now[0], settings=settings)
    with pytest.raises(RemoteError):
        await rc.send("GET", "/x")
    # 4 s + 1 s wait + 4 s + 1 s wait = 10 s; one more attempt and wait would pass it.
    assert sleeps.delays == [1, 1]
    assert now[0] <= 14.0


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    for bad in (None, "", "soon", "-3", "nan"):
        assert parse_retry_after(bad) is None


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "error", "reason", "http_status"),
    [
        (400, InvalidInput, "invalid_input", 400),
        (422, InvalidInput, "invalid_input", 400),
        (401, RemoteAuthError, "remote_auth", 403),
        (403, RemoteAuthError, "remote_auth", 403),
        (404, NotFound, "not_found", 404),
        (409, Conflict, "conflict", 409),
        (413, TooLarge, "too_large", 413),
        (429, RateLimited, "rate_limited", 429),
        (500, RemoteError, "remote_error", 502),
        (502, RemoteError, "remote_error", 502),
        (503, RemoteError, "remote_error", 502),
        (302, RemoteError, "remote_error", 502),
        (418, RemoteError, "remote_error", 502),
    ],
)
async def test_remote_statuses_map_to_domain_errors(
    status: int, error: type[NotebookRemoteError], reason: str, http_status: int
) -> None:
    rc = client(
        Calls((status, {"message": "the remote's words"})), settings=HttpSettings(max_attempts=1)
    )
    with pytest.raises(error) as err:
        await rc.send("GET", "/x")
    exc = err.value
    assert type(exc) is error
    assert (exc.reason, exc.status, exc.remote_status, exc.connection) == (
        reason,
        http_status,
        status,
        "c1",
    )
    body = exc.to_json()
    assert body["remoteStatus"] == status
    assert body["connection"] == "c1"
    if status not in (302,):
        assert "the remote's words" in exc.message


async def test_auth_errors_say_the_token_was_refused_and_what_to_do() -> None:
    rc = client(Calls((401, {"message": "Invalid access token"})))
    with pytest.raises(RemoteAuthError) as err:
        await rc.send("GET", "/x")
    assert "refused the token" in err.value.message
    assert "Set a new token" in err.value.message


async def test_a_404_can_name_what_is_missing() -> None:
    rc = client(Calls((404, {"message": "x"})))
    with pytest.raises(NotFound) as err:
        await rc.send("GET", "/x", not_found=("notebook_not_found", "Notebook 1 was not found."))
    assert err.value.reason == "notebook_not_found"
    assert err.value.message == "Notebook 1 was not found."


async def test_timeouts_map_to_504() -> None:
    rc = client(Calls(httpx.ReadTimeout("timed out")), settings=HttpSettings(read_timeout=2.5))
    with pytest.raises(RemoteTimeout) as err:
        await rc.send("POST", "/x", json_body={})
    assert err.value.status == 504
    assert "2.5 s" in err.value.message
    assert "api.example.com:8443" in err.value.message


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "host name"),
        (httpx.RemoteProtocolError("Server disconnected"), "closed the connection"),
        (httpx.ReadError("reset"), "closed the connection"),
        (httpx.UnsupportedProtocol("odd"), "failed"),
    ],
)
async def test_transport_failures_name_the_host_not_the_url(exc: Exception, words: str) -> None:
    rc = client(Calls(exc), settings=HttpSettings(max_attempts=1))
    with pytest.raises(RemoteUnreachable) as err:
        await rc.send("GET", "/x", params=[("secret", "s3cr3t-query-value")])
    message = err.value.message
    assert err.value.status == 502
    assert words in message
    assert "api.example.com:8443" in message
    assert "s3cr3t" not in message
    assert "/v1/x" not in message


async def test_a_body_that_is_not_json_is_a_remote_error() -> None:
    html = httpx.Response(
        200, text="<html>proxy login</html>", headers={"Content-Type": "text/html"}
    )
    rc = client(Calls(html))
    with pytest.raises(RemoteError) as err:
        await rc.send_json("GET", "/x")
    assert err.value.status == 502
    assert "not JSON" in err.value.message
    assert "text/html" in err.value.message


async def test_long_remote_messages_are_truncated_and_redacted() -> None:
    long = f"bad token {TOKEN} " + "x" * 2000
    rc = client(Calls((400, {"message": long})))
    with pytest.raises(InvalidInput) as err:
        await rc.send("GET", "/x")
    assert TOKEN not in err.value.message
    assert "[redacted]" in err.value.message
    assert len(err.value.message) < 400


async def test_a_broken_message_hook_never_hides_the_error() -> None:
    def hook(body: Any) -> Optional[str]:
        raise KeyError("oops")

    rc = RemoteClient(
        service="Example",
        connection_id="c1",
        base_url="https://api.example.com",
        settings=HttpSettings(),
        auth=lambda: {},
        error_message=hook,
        transport=httpx.MockTransport(Calls((409, {"message": "x"}))),
    )
    with pytest.raises(Conflict):
        await rc.send("POST", "/x")


# ----------------------------------------------------------------------------- redaction


def test_redact_removes_the_token_its_base64_forms_and_auth_values() -> None:
    basic = base64.b64encode(f"{TOKEN}:".encode()).decode()
    text = (
        f"token={TOKEN} basic={basic} Authorization: Bearer other-secret-value-999 "
        "header authorization=Basic QWxhZGRpbjpvcGVu"
    )
    clean = redact(text, [TOKEN])
    for secret in (TOKEN, basic, "other-secret-value-999", "QWxhZGRpbjpvcGVu"):
        assert secret not in clean
    assert clean.count("[redacted]") == 4
    assert redact("nothing to hide here", [TOKEN]) == "nothing to hide here"


def test_the_logging_filter_redacts_registered_secrets_in_args_and_exceptions() -> None:
    rc = client(Calls((200, {})))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (TOKEN,), None)
    assert RedactingFilter().filter(record)
    assert TOKEN not in record.getMessage()
    try:
        raise ValueError(f"boom {TOKEN}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactingFilter().filter(record)
    assert record.exc_info is None
    assert TOKEN not in record.getMessage()
    del rc


def test_a_token_source_that_logs_does_not_loop_through_the_filter() -> None:
    logger = logging.getLogger("jupyter_notebook_remote.test_http.reentrant")
    logger.addFilter(RedactingFilter())
    calls = []

    def source() -> list[str]:
        calls.append(1)
        logger.error("keyring unavailable while reading %s", "c1")
        return ["reentrant-secret-value"]

    holder = register_secrets(source)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "x reentrant-secret-value", (), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "x [redacted]"
    assert len(calls) == 1
    del holder


async def test_the_http_libraries_loggers_are_filtered_too() -> None:
    client(Calls((200, {})))
    for name in ("httpx", "httpcore.http11", "httpcore.connection"):
        logger = logging.getLogger(name)
        assert any(isinstance(f, RedactingFilter) for f in logger.filters), name


async def test_debug_log_lines_show_method_host_path_status_ms_and_nothing_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("jupyter_notebook_remote.test_http")
    rc = client(Calls((200, {})), logger=logger)
    with caplog.at_level(logging.DEBUG):
        await rc.send("GET", "/things/1", params=[("filter", "private-query")])
    lines = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert len(lines) == 1
    assert lines[0].startswith("GET api.example.com:8443/v1/things/1 -> 200 in ")
    assert lines[0].endswith(" ms")
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "private-query" not in lines[0]
    assert TOKEN not in everything


# ----------------------------------------------------------------------------- multipart


def chunked(data: bytes, size: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), size):
            yield data[i : i + size]

    return chunks


async def collect(body: MultipartBody) -> bytes:
    return b"".join([chunk async for chunk in body.stream()])


async def test_multipart_body_is_well_formed_with_an_exact_length() -> None:
    data = json.dumps({"cells": [], "x": "é" * 100}).encode() + b"\r\n--not-a-boundary\r\n"
    body = MultipartBody(
        [
            MultipartFile(
                field="jupyterFile",
                file_name='my "best".ipynb',
                chunks=chunked(data, 7),
                size=len(data),
                content_type="application/x-ipynb+json",
            )
        ],
        fields={"note": "hello"},
    )
    raw = await collect(body)
    assert body.content_length == len(raw)
    assert body.headers["Content-Length"] == str(len(raw))
    assert body.headers["Content-Type"] == f"multipart/form-data; boundary={body.boundary}"
    parsed = parse_multipart_field(body.content_type, raw, "jupyterFile")
    assert parsed == ("my %22best%22.ipynb", data, "application/x-ipynb+json")
    assert parse_multipart_field(body.content_type, raw, "note") == (None, b"hello", None)


async def test_multipart_of_unknown_size_is_sent_chunked() -> None:
    body = MultipartBody([MultipartFile(field="f", chunks=chunked(b"abc", 1))])
    assert body.content_length is None
    assert "Content-Length" not in body.headers
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    rc = client(handler)  # type: ignore[arg-type]
    await rc.send("POST", "/upload", content=body)
    assert seen[0].headers["Transfer-Encoding"] == "chunked"


async def test_multipart_streams_the_file_without_building_the_body() -> None:
    data = bytes(range(256)) * 400  # 100 KiB
    pieces: list[int] = []

    class Streaming(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            assert isinstance(request.stream, httpx.AsyncByteStream)
            got = b""
            async for part in request.stream:
                pieces.append(len(part))
                got += part
            self.body = got
            self.headers = request.headers
            return httpx.Response(200, json={})

    transport = Streaming()
    rc = RemoteClient(
        service="Example",
        connection_id="c1",
        base_url="https://api.example.com",
        settings=HttpSettings(),
        auth=lambda: {"Authorization": f"Bearer {TOKEN}"},
        transport=transport,
    )
    body = MultipartBody(
        [
            MultipartFile(
                field="jupyterFile", file_name="a.ipynb", chunks=chunked(data, 8192), size=len(data)
            )
        ]
    )
    await rc.send("POST", "/upload", content=body)
    assert max(pieces) <= 8192
    assert len(pieces) >= len(data) // 8192
    assert transport.headers["Content-Length"] == str(len(transport.body))
    assert "Transfer-Encoding" not in transport.headers
    assert parse_multipart_field(body.content_type, transport.body, "jupyterFile") == (
        "a.ipynb",
        data,
        "application/octet-stream",
    )


async def test_a_notebook_that_changes_size_while_sending_stops_the_upload() -> None:
    calls = Calls((200, {}))
    rc = client(calls)
    for real, announced in ((b"abcdef", 3), (b"ab", 5)):
        upload = NotebookUpload(file_name="a.ipynb", size=announced, chunks=chunked(real, 2))
        body = MultipartBody(
            [
                MultipartFile(
                    field="jupyterFile", file_name="a.ipynb", chunks=upload.stream, size=upload.size
                )
            ]
        )
        with pytest.raises(Conflict) as err:
            await rc.send("POST", "/upload", content=body)
        assert "changed while it was being sent" in err.value.message
        assert (err.value.status, err.value.reason) == (409, "file_changed")


async def test_a_streamed_upload_is_never_retried() -> None:
    calls = Calls((503, {}), (200, {}))
    rc = client(calls)
    body = MultipartBody([MultipartFile(field="f", chunks=chunked(b"abc", 1), size=3)])
    with pytest.raises(RemoteError):
        await rc.send("PUT", "/upload", content=body, idempotent=True)
    assert len(calls.requests) == 1
