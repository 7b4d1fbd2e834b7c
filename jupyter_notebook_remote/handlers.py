"""Thin Tornado handlers: parse the request, call a connection, answer JSON.

All routes live under ``{base_url}notebook-remote/`` (DESIGN.md's REST
contract). Every verb is ``@tornado.web.authenticated``, and
:func:`check_authenticated` refuses to start the extension if one is not.
There is one error hook, :meth:`BaseHandler.write_error`: a domain error
becomes ``{"message", "reason", ...}`` with its status from
:data:`~jupyter_notebook_remote.errors.HTTP_STATUS`; anything unexpected
becomes a generic 500 (logged with its traceback, tokens scrubbed).
"""

from __future__ import annotations

import contextlib
import json
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.client import responses
from typing import Any, Optional, TypeVar, cast
from urllib.parse import quote

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel

from .connections import ConnectionRegistry
from .contents import resolve_upload
from .errors import InvalidInput, NotebookRemoteError, RateLimited, Unsupported, invalid
from .models import (
    FILE_NAME_RE,
    MAX_USAGE_DAYS,
    CamelModel,
    ExecuteBody,
    ExecutionList,
    ExecutionStarted,
    InputExportBody,
    NotebookCreate,
    NotebookPatch,
    PushBody,
    TokenBody,
    parse_body,
)
from .providers.base import Provider

STATE_KEY = "notebook_remote_state"
PREFIX = "notebook-remote"
#: ms since the epoch accepted in queries: 1970 .. 9999-12-31.
_MAX_MS = 253402300799999
_SEGMENT = r"([^/]+)"

BodyT = TypeVar("BodyT", bound=BaseModel)

#: The code object of the wrapper that ``tornado.web.authenticated`` returns;
#: every decorated method shares it, which is how the start-up check knows.
_AUTHENTICATED_CODE = tornado.web.authenticated(lambda self: None).__code__
_VERBS = ("get", "head", "post", "put", "patch", "delete", "options")


@dataclass(frozen=True)
class ServerState:
    """What the app built once, shared by every handler."""

    registry: ConnectionRegistry
    max_push_bytes: int


# --------------------------------------------------------------------------- start-up check


def _is_authenticated(method: Any) -> bool:
    seen = 0
    while method is not None and seen < 10:
        if getattr(method, "__code__", None) is _AUTHENTICATED_CODE:
            return True
        method = getattr(method, "__wrapped__", None)
        seen += 1
    return False


def check_authenticated(handlers: Iterable[type[tornado.web.RequestHandler]]) -> None:
    """Raise if any verb a handler defines is not ``@tornado.web.authenticated``.

    Verbs inherited unchanged from Jupyter Server or Tornado (``options``, the
    405 defaults) are theirs to guard and are not checked.
    """
    missing: list[str] = []
    for handler in handlers:
        for verb in _VERBS:
            method = getattr(handler, verb, None)
            if method is None or method is getattr(APIHandler, verb, None):
                continue
            if not _is_authenticated(method):
                missing.append(f"{handler.__name__}.{verb}")
    if missing:
        raise RuntimeError(
            "Handler verbs without @tornado.web.authenticated: " + ", ".join(sorted(missing))
        )


# --------------------------------------------------------------------------- base


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


_HTTP_REASONS = {
    400: "invalid_input",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Common parsing, answering and the one error hook."""

    @property
    def state(self) -> ServerState:
        return cast(ServerState, self.settings[STATE_KEY])

    @property
    def registry(self) -> ConnectionRegistry:
        return self.state.registry

    # ------------------------------------------------------------------ answering

    def answer(self, model: Optional[CamelModel | dict[str, Any]], status: int = 200) -> None:
        self.set_status(status)
        if model is None:
            self.finish()
            return
        body = model.to_json() if isinstance(model, CamelModel) else model
        self.finish(json.dumps(body))

    # ------------------------------------------------------------------ the error hook

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, NotebookRemoteError):
            status_code = error.status
            body = error.to_json()
            if isinstance(error, RateLimited) and error.retry_after is not None:
                self.set_header("Retry-After", str(max(0, round(error.retry_after))))
        elif isinstance(error, tornado.web.HTTPError):
            status_code = error.status_code
            message = error.log_message or responses.get(status_code, "Error")
            if error.args:
                with contextlib.suppress(TypeError, ValueError):
                    message = message % error.args
            body = {
                "message": message,
                "reason": _HTTP_REASONS.get(status_code, "http_error"),
            }
        elif error is not None:
            status_code = 500
            body = {
                "message": "The server failed unexpectedly; the details are in the "
                "Jupyter server log.",
                "reason": "internal",
            }
        else:
            body = {
                "message": responses.get(status_code, "Error"),
                "reason": _HTTP_REASONS.get(status_code, "http_error"),
            }
        self.set_status(status_code)
        self.clear_header("Content-Disposition")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, NotebookRemoteError):
            self.log.info(
                "%s %s -> %s %s", self.request.method, self.request.path, value.status, value.reason
            )
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        try:
            secrets = self.registry.secrets()
        except Exception:
            secrets = []
        text = _scrub("".join(traceback.format_exception(typ, value, tb)), secrets)
        self.log.error(
            "Unexpected error in %s %s:\n%s", self.request.method, self.request.path, text
        )

    # ------------------------------------------------------------------ parsing

    def json_body(self, *, optional: bool = False) -> Any:
        raw = self.request.body
        if not raw or not raw.strip():
            if optional:
                return {}
            raise InvalidInput("The request needs a JSON body.", fields={"body": "is missing"})
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(
                "The request body is not valid JSON.", fields={"body": "is not valid JSON"}
            ) from None

    def body(
        self, model: type[BodyT], conn: Optional[str] = None, *, optional: bool = False
    ) -> BodyT:
        return parse_body(model, self.json_body(optional=optional), connection=conn)

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?[0-9]{1,10}", raw.strip()):
            raise invalid(name, f"must be a whole number from {low} to {high}")
        value = int(raw)
        if not low <= value <= high:
            raise invalid(name, f"must be from {low} to {high}")
        return value

    def time_arg(self, name: str) -> Optional[datetime]:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return None
        if not re.fullmatch(r"[0-9]{1,15}", raw.strip()):
            raise invalid(name, "must be a time in milliseconds since 1970-01-01 (UTC)")
        value = int(raw)
        if value > _MAX_MS:
            raise invalid(name, "is after the year 9999")
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)

    async def provider(self, conn: str) -> Provider:
        return await self.registry.get(conn)

    async def notebook(self, conn: str, nb: str) -> tuple[Provider, str]:
        provider = await self.provider(conn)
        return provider, provider.validate_notebook_id(nb)

    async def execution(self, conn: str, nb: str, ex: str) -> tuple[Provider, str, str]:
        provider, nb = await self.notebook(conn, nb)
        return provider, nb, provider.validate_execution_id(ex)


# --------------------------------------------------------------------------- routes


class ConnectionsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.answer(self.registry.describe())


class TokenHandler(BaseHandler):
    def _check(self, conn: str) -> None:
        provider = self.registry.provider_nowait(conn)
        if not provider.needs_token:
            raise Unsupported(
                f"Connection '{conn}' ({provider.kind}) does not use a token.", connection=conn
            )

    @tornado.web.authenticated
    async def put(self, conn: str) -> None:
        self._check(conn)
        body = self.body(TokenBody, conn)
        self.registry.store.set(conn, body.token)
        self.log.info("Token of connection '%s' was set.", conn)
        self.answer(None, 204)

    @tornado.web.authenticated
    async def delete(self, conn: str) -> None:
        self._check(conn)
        self.registry.store.delete(conn)
        self.log.info("Token of connection '%s' was removed.", conn)
        self.answer(None, 204)


class NotebooksHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str) -> None:
        provider = await self.provider(conn)
        text = self.get_query_argument("filter", None)
        if text is not None and len(text) > 1024:
            raise invalid("filter", "must be at most 1024 characters", connection=conn)
        page = self.int_arg("page", 0, 0, 1_000_000)
        per_page = self.int_arg("perPage", 100, 1, 1000)
        result = await provider.list_notebooks(filter=text or None, page=page, per_page=per_page)
        self.answer(result)

    @tornado.web.authenticated
    async def post(self, conn: str) -> None:
        provider = await self.provider(conn)
        body = self.body(NotebookCreate, conn)
        self.answer(await provider.create_notebook(body), 201)


class NotebookHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        self.answer(await provider.get_notebook(nb))

    @tornado.web.authenticated
    async def patch(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(NotebookPatch, conn)
        self.answer(await provider.update_notebook(nb, body))

    @tornado.web.authenticated
    async def delete(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        await provider.delete_notebook(nb)
        self.answer({"success": True})


class PushHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(PushBody, conn)
        upload = await resolve_upload(
            self.contents_manager, body.path, max_bytes=self.state.max_push_bytes
        )
        self.answer(await provider.push(nb, upload))


class ExecutionsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        limit = self.int_arg("limit", 20, 1, 1000)
        since = self.time_arg("since")
        items = await provider.list_executions(nb, limit=limit, since=since)
        self.answer(ExecutionList(items=items))

    @tornado.web.authenticated
    async def post(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(ExecuteBody, conn, optional=True)
        execution_id = await provider.execute(nb, body)
        self.answer(ExecutionStarted(execution_id=execution_id), 202)


class CancelHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self, conn: str, nb: str, ex: str) -> None:
        provider, nb, ex = await self.execution(conn, nb, ex)
        await provider.cancel(nb, ex)
        self.answer({"success": True})


class ExecutionFileHandler(BaseHandler):
    @property
    def content_security_policy(self) -> str:
        # An executed notebook's HTML is served from the Jupyter origin: the
        # sandbox gives it an opaque origin, so its scripts (plots) can run
        # but can never reach Jupyter's cookies, storage or API.
        return "sandbox allow-scripts; frame-ancestors 'self'; object-src 'none'"

    @tornado.web.authenticated
    async def get(self, conn: str, nb: str, ex: str, name: str) -> None:
        provider, nb, ex = await self.execution(conn, nb, ex)
        if not FILE_NAME_RE.match(name) or name in (".", ".."):
            raise invalid(
                "name",
                "must be 1-255 characters of letters, digits, '_', '.' or '-'",
                connection=conn,
            )
        file = await provider.execution_file(nb, ex, name)
        content_type = file.content_type or "application/octet-stream"
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        if file.size is not None:
            self.set_header("Content-Length", str(file.size))
        if self.get_query_argument("download", "") in ("1", "true"):
            self.set_header(
                "Content-Disposition", f"attachment; filename*=UTF-8''{quote(file.name)}"
            )
        async for chunk in file.chunks():
            self.write(chunk)
            await self.flush()
        self.finish(set_content_type=content_type)


class UsageHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        end = self.time_arg("end") or datetime.now(timezone.utc)
        start = self.time_arg("start") or (end - timedelta(days=30))
        if start > end:
            raise invalid("start", "must not be after end", connection=conn)
        if end - start > timedelta(days=MAX_USAGE_DAYS):
            raise invalid(
                "start", f"the range may span at most {MAX_USAGE_DAYS} days", connection=conn
            )
        self.answer(await provider.usage(nb, start=start, end=end))


class InputExportHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(InputExportBody, conn, optional=True)
        self.answer(await provider.input_export(nb, body), 202)


def route_table() -> list[tuple[str, type[BaseHandler]]]:
    """Every route, relative to the server's base_url."""
    c = f"{PREFIX}/connections/{_SEGMENT}"
    nb = f"{c}/notebooks/{_SEGMENT}"
    ex = f"{nb}/executions/{_SEGMENT}"
    return [
        (f"{PREFIX}/connections", ConnectionsHandler),
        (f"{c}/token", TokenHandler),
        (f"{c}/notebooks", NotebooksHandler),
        (nb, NotebookHandler),
        (f"{nb}/push", PushHandler),
        (f"{nb}/executions", ExecutionsHandler),
        (f"{ex}/cancel", CancelHandler),
        (f"{ex}/files/{_SEGMENT}", ExecutionFileHandler),
        (f"{nb}/usage", UsageHandler),
        (f"{nb}/input-export", InputExportHandler),
    ]
