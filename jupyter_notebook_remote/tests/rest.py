"""Calling the extension's REST API from tests, the way the frontend does."""

from __future__ import annotations

import json
from typing import Any, Optional

from tornado.httpclient import HTTPResponse


async def call_api(
    jp_fetch: Any,
    method: str,
    *parts: str,
    body: Any = None,
    params: Optional[dict[str, Any]] = None,
) -> tuple[HTTPResponse, Any]:
    """``method`` on ``notebook-remote/<parts>``; the response and its JSON body, if any.

    Never raises on an HTTP error status: tests assert on the code and body.
    """
    kwargs: dict[str, Any] = {"method": method, "raise_error": False}
    if params:
        kwargs["params"] = params
    if body is not None:
        kwargs["body"] = json.dumps(body)
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["body"] = b""
    response = await jp_fetch("notebook-remote", *parts, **kwargs)
    data = None
    if response.body and response.headers.get("Content-Type", "").startswith("application/json"):
        data = json.loads(response.body)
    return response, data
