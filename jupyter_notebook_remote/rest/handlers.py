"""The REST API: one handler a route, each parse -> one provider call -> answer.

All routes live under ``{base_url}notebook-remote/``; ``openapi.yaml`` beside
this file is their reference, held equal to :func:`route_table` by a test.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Union
from urllib.parse import quote

import tornado.web
from pydantic.alias_generators import to_camel

from ..errors import Conflict, NotebookRemoteError, Unsupported, invalid
from ..models import (
    FILE_NAME_RE,
    MAX_EXECUTIONS_LIMIT,
    MAX_FILTER_CHARS,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_USAGE_DAYS,
    ExecuteBody,
    ExecutionStarted,
    FolderCarried,
    InputExportBody,
    NotebookCreate,
    NotebookPatch,
    PullBody,
    PullResult,
    PushBody,
    PushResult,
    TokenBody,
    parse_time,
)
from ..notebook_options import OPTION_FIELDS, check_environment
from ..providers.base import ExecutionFile, Provider
from ..push.pull import linked_notebook, pull_target, read_limited, save_pulled
from ..push.upload import resolve_upload
from ..schedules import ScheduleAnswer, ScheduleBody
from .base import PREFIX, BaseHandler

_SEGMENT = r"([^/]+)"


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


def _options_allowed(
    provider: Provider, body: Union[NotebookCreate, NotebookPatch], conn: str, secrets: list[str]
) -> None:
    """The runtime options are the kind's (else a 400 naming the first that is not),
    and its environment variables hold no credential, before anything is sent."""
    given = body.given_options()
    for name in OPTION_FIELDS:
        if name in given and name not in provider.notebook_options:
            raise invalid(
                to_camel(name),
                f"connection '{conn}' ({provider.kind}) has no notebook setting "
                f"{to_camel(name)}; leave it out",
                connection=conn,
            )
    if body.environment_variables is not None:
        body.environment_variables = check_environment(
            body.environment_variables,
            advice=provider.credential_advice,
            known_secrets=secrets,
            connection=conn,
        )


class NotebooksHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str) -> None:
        provider = await self.provider(conn)
        text = self.text_arg("filter", MAX_FILTER_CHARS, conn)
        page = self.int_arg("page", 0, 0, MAX_PAGE)
        per_page = self.int_arg("perPage", 100, 1, MAX_PER_PAGE)
        result = await provider.list_notebooks(filter=text, page=page, per_page=per_page)
        self.answer(result)

    @tornado.web.authenticated
    async def post(self, conn: str) -> None:
        provider = await self.provider(conn)
        body = self.body(NotebookCreate, conn)
        _options_allowed(provider, body, conn, self.registry.secrets())
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
        _options_allowed(provider, body, conn, self.registry.secrets())
        if not provider.notebook_io:
            for name, value in (("inputs", body.inputs), ("outputs", body.outputs)):
                if value is not None:
                    raise invalid(
                        name,
                        f"connection '{conn}' ({provider.kind}) has no notebook {name} to set; "
                        "leave it out",
                        connection=conn,
                    )
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
        if body.expect_updated_at is not None:
            await _unchanged_since(provider, nb, body.expect_updated_at, conn)
        upload = await resolve_upload(
            self.contents_manager,
            body.path,
            max_bytes=self.state.max_push_bytes,
            saved=self.state.saved_notebooks,
            # Before anything is sent: a folder over the limit stores nothing.
            folder=body.folder if provider.carries_folder else None,
            max_folder_bytes=self.state.max_folder_bytes,
        )
        try:
            notebook = await provider.push(nb, upload)
            warnings = await upload.warnings()
        except NotebookRemoteError:
            await upload.raise_refusal()
            raise
        finally:
            await upload.aclose()
        carried = upload.folder
        self.answer(
            PushResult(
                **notebook.model_dump(),
                warnings=list(warnings),
                folder=None
                if carried is None
                else FolderCarried(
                    files=len(carried.files), bytes=carried.size, subfolders=carried.subfolders
                ),
            )
        )


def _notifications_allowed(provider: Provider, body: ExecuteBody, conn: str) -> None:
    """``email`` / ``callbackUrl`` only for a kind that reports a run's end (400 otherwise)."""
    if provider.run_notifications:
        return
    for name, value in (("email", body.email), ("callbackUrl", body.callback_url)):
        if value is not None:
            raise invalid(
                name,
                f"connection '{conn}' ({provider.kind}) does not report a run's end by "
                "e-mail or callback; leave it out",
                connection=conn,
            )


async def _unchanged_since(provider: Provider, nb: str, expected: str, conn: str) -> None:
    """409 ``remote_changed`` unless the remote notebook's ``updatedAt`` is ``expected``."""
    current = await provider.get_notebook(nb)
    if current.updated_at is not None and parse_time(current.updated_at) == parse_time(expected):
        return
    raise Conflict(
        f"Notebook '{current.name}' was changed on connection '{conn}' since this notebook "
        f"was last pushed or pulled (updated {current.updated_at or 'at an unknown time'}, "
        f"the link saw {expected}); nothing was sent. Open the remote copy to compare, or "
        "push again to overwrite it.",
        reason="remote_changed",
        connection=conn,
    )


class ExecutionsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        limit = self.int_arg("limit", 20, 1, MAX_EXECUTIONS_LIMIT)
        since = self.time_arg("since")
        self.answer_runs(await provider.list_executions(nb, limit=limit, since=since))

    @tornado.web.authenticated
    async def post(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(ExecuteBody, conn, optional=True)
        _notifications_allowed(provider, body, conn)
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
        if not FILE_NAME_RE.fullmatch(name) or name in (".", ".."):
            raise invalid(
                "name",
                "must be 1-255 characters of letters, digits, '_', '.' or '-'",
                connection=conn,
            )
        download = self.choice_arg("download", ("1", "true")) is not None
        await _send(self, await provider.execution_file(nb, ex, name), download)


class OpenHandler(BaseHandler):
    """Where to open a run that is a live notebook server (capability ``open``)."""

    @tornado.web.authenticated
    async def get(self, conn: str, nb: str, ex: str) -> None:
        provider, nb, ex = await self.execution(conn, nb, ex)
        self.set_header("Cache-Control", "no-store")  # a signed, short-lived URL
        self.answer(await provider.open_execution(nb, ex))


class NotebookFileHandler(BaseHandler):
    """The notebook's file as the remote holds it now (capability ``pull``)."""

    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        download = self.choice_arg("download", ("1", "true")) is not None
        await _send(self, await provider.notebook_file(nb), download)


class PullHandler(BaseHandler):
    """Save the remote's file as a notebook in the Jupyter contents, linked to it."""

    @tornado.web.authenticated
    async def post(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(PullBody, conn)
        provider.require("pull")
        path = await pull_target(self.contents_manager, body.path, overwrite=body.overwrite)
        remote = await provider.get_notebook(nb)
        what = f"The file of notebook '{remote.name}' on connection '{conn}'"
        raw = await read_limited(await provider.notebook_file(nb), self.state.max_push_bytes, what)
        content = linked_notebook(
            raw, what=what, connection=conn, notebook_id=nb, updated_at=remote.updated_at
        )
        del raw
        await save_pulled(self.contents_manager, path, content)
        self.answer(PullResult(path=path, notebook=remote), 201)


async def _send(handler: BaseHandler, file: ExecutionFile, download: bool) -> None:
    """Stream ``file`` to the browser in chunks, never held whole."""
    try:
        content_type = file.content_type or "application/octet-stream"
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        handler.set_header("Content-Type", content_type)
        handler.set_header("X-Content-Type-Options", "nosniff")
        if file.size is not None:
            handler.set_header("Content-Length", str(file.size))
        if download:
            handler.set_header(
                "Content-Disposition", f"attachment; filename*=UTF-8''{quote(file.name)}"
            )
        async for chunk in file.chunks():
            handler.write(chunk)
            await handler.flush()
        handler.finish(set_content_type=content_type)
    finally:
        # The browser may have gone away mid-file: free the remote response now.
        await file.aclose()


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


class ScheduleHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        self.answer(ScheduleAnswer(schedule=await provider.get_schedule(nb)))

    @tornado.web.authenticated
    async def put(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        body = self.body(ScheduleBody, conn)
        self.answer(ScheduleAnswer(schedule=await provider.put_schedule(nb, body)))

    @tornado.web.authenticated
    async def delete(self, conn: str, nb: str) -> None:
        provider, nb = await self.notebook(conn, nb)
        await provider.delete_schedule(nb)
        self.answer({"success": True})


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
        (f"{ex}/open", OpenHandler),
        (f"{ex}/files/{_SEGMENT}", ExecutionFileHandler),
        (f"{nb}/usage", UsageHandler),
        (f"{nb}/input-export", InputExportHandler),
        (f"{nb}/schedule", ScheduleHandler),
        (f"{nb}/file", NotebookFileHandler),
        (f"{nb}/pull", PullHandler),
    ]
