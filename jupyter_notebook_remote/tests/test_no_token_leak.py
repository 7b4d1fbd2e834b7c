"""Credentials stay on the server: with distinctive tokens, drive every route
of a Losant connection through success and every kind of failure (including a
remote that echoes the token back) and look for the tokens, and their base64
forms, in every response body and header and in every log record."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

from .fakes.losant import FakeLosant

CONFIG_TOKEN = "LEAKCHECK-config-7d1f0a9c3e5b4d2a8f6e"
UI_TOKEN = "LEAKCHECK-ui-set-2b8e4c6a0d9f1e3a5c7b"
CONN = "leaky"


def forms(token: str) -> list[str]:
    """A token and the encodings it could travel in."""
    return [
        token,
        base64.b64encode(token.encode()).decode(),
        base64.b64encode(f"{token}:".encode()).decode(),
        base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        token[4:-4],  # a fragment, in case something truncates
    ]


SECRETS = forms(CONFIG_TOKEN) + forms(UI_TOKEN)


@pytest.fixture
def fake_losant_options(fake_losant_options: dict[str, Any]) -> dict[str, Any]:
    return {**fake_losant_options, "token": CONFIG_TOKEN}


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], losant_connection: dict[str, Any]
) -> dict[str, Any]:
    assert losant_connection["token"] == CONFIG_TOKEN
    return {
        **notebook_remote_config,
        "connections": {CONN: losant_connection},
        "local_enabled": False,
        "http_read_timeout": 0.5,
        "http_max_attempts": 2,
    }


class Driver:
    """Calls the REST API and checks every answer for the secrets."""

    def __init__(self, jp_fetch: Any) -> None:
        self.jp_fetch = jp_fetch
        self.seen = 0

    async def __call__(
        self,
        method: str,
        *parts: str,
        body: Any = None,
        params: Optional[dict[str, Any]] = None,
        expect: Optional[int] = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = b""
        r: HTTPResponse = await self.jp_fetch(
            "notebook-remote", "connections", CONN, *parts, **kwargs
        )
        self.check(r)
        if expect is not None:
            assert r.code == expect, r.body
        return json.loads(r.body) if r.body else None

    def check(self, r: HTTPResponse) -> None:
        self.seen += 1
        text = r.body.decode("utf-8", "replace")
        headers = "\n".join(f"{k}: {v}" for k, v in r.headers.get_all())
        for secret in SECRETS:
            assert secret not in text, f"token in the body of {r.request.url}: {text[:300]}"
            assert secret not in headers, f"token in the headers of {r.request.url}"


def assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "nothing was logged: the check would prove nothing"
    texts = [caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_text:
            texts.append(record.exc_text)
    everything = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in everything, f"{secret[:12]}... was logged"


async def test_no_route_leaks_a_token_on_success(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = Driver(jp_fetch)
    connections = await jp_fetch("notebook-remote", "connections")
    api.check(connections)

    nb = await api("POST", "notebooks", body={"name": "Leak check"}, expect=201)
    nb_id = nb["id"]
    await api("GET", "notebooks", params={"filter": "leak"}, expect=200)
    await api("GET", "notebooks", nb_id, expect=200)
    await api("PATCH", "notebooks", nb_id, body={"description": "d"}, expect=200)
    (jp_root_dir / "leak.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    await api("POST", "notebooks", nb_id, "push", body={"path": "leak.ipynb"}, expect=200)
    run = await api("POST", "notebooks", nb_id, "executions", expect=202)
    await api("GET", "notebooks", nb_id, "executions", params={"limit": 5}, expect=200)
    await api("POST", "notebooks", nb_id, "executions", run["executionId"], "cancel", expect=200)
    await api("GET", "notebooks", nb_id, "usage", expect=200)
    await api("POST", "notebooks", nb_id, "input-export", body={}, expect=202)

    # A token set from the UI replaces the configured one at once...
    fake_losant.token = UI_TOKEN
    await api("PUT", "token", body={"token": UI_TOKEN}, expect=204)
    await api("GET", "notebooks", nb_id, expect=200)
    assert fake_losant.requests[-1].headers["Authorization"] == f"Bearer {UI_TOKEN}"
    # ...and is never echoed back, not even when it is refused as malformed.
    await api("PUT", "token", body={"token": f"{UI_TOKEN} extra"}, expect=400)
    await api("DELETE", "notebooks", nb_id, expect=200)
    connections = await jp_fetch("notebook-remote", "connections")
    api.check(connections)
    assert api.seen >= 15
    assert_logs_clean(caplog)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"status": 400},
        {"status": 401},
        {"status": 403},
        {"status": 404},
        {"status": 409},
        {"status": 413},
        {"status": 429, "retry_after": 30},
        {"status": 503},
        {"garbage": True},
        {"close": True},
        {"slow": 1.0},
    ],
    ids=lambda f: "-".join(f"{k}{v}" for k, v in f.items()),
)
async def test_no_failure_leaks_a_token_even_when_the_remote_echoes_it(
    jp_fetch: Any, fake_losant: FakeLosant, caplog: pytest.LogCaptureFixture, fault: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    api = Driver(jp_fetch)
    nb_id = fake_losant.add_notebook("n", file_bytes=b'{"cells": []}')
    echo = f"token {CONFIG_TOKEN} (Bearer {CONFIG_TOKEN}) is no good"
    calls = [
        ("GET", ("notebooks",), None),
        ("POST", ("notebooks",), {"name": "x"}),
        ("GET", ("notebooks", nb_id), None),
        ("PATCH", ("notebooks", nb_id), {"name": "y"}),
        ("POST", ("notebooks", nb_id, "executions"), None),
        ("GET", ("notebooks", nb_id, "executions"), None),
        ("POST", ("notebooks", nb_id, "executions", "e" * 24, "cancel"), None),
        ("GET", ("notebooks", nb_id, "usage"), None),
        ("POST", ("notebooks", nb_id, "input-export"), None),
        ("DELETE", ("notebooks", nb_id), None),
    ]
    for method, parts, body in calls:
        fake_losant.fail_next(message=echo, times=2, **fault)
        answer = await api(method, *parts, body=body)
        fake_losant.clear_faults()
        assert answer is None or "message" in answer or "items" in answer or "id" in answer
    assert_logs_clean(caplog)


async def test_an_unreachable_remote_and_a_missing_token_leak_nothing(
    jp_fetch: Any, fake_losant: FakeLosant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = Driver(jp_fetch)
    fake_losant.stop()
    err = await api("GET", "notebooks", expect=502)
    assert err["reason"] == "remote_unreachable"
    await api("POST", "notebooks", body={"name": "x"}, expect=502)
    fake_losant.start()
    await api("PUT", "token", body={"token": UI_TOKEN}, expect=204)
    fake_losant.token = "something-else-entirely"
    err = await api("GET", "notebooks", expect=403)
    assert err["reason"] == "remote_auth"
    await api("DELETE", "token", expect=204)
    assert_logs_clean(caplog)
