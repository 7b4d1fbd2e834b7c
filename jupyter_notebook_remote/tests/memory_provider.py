"""An in-memory Provider for the handler tests: real logic, no network.

Registered through ``c.NotebookRemote.provider_classes`` (never by
monkeypatching). A test reaches the running instance through the server's
registry and may queue an error with :meth:`MemoryProvider.fail_next`, which
the next call raises: that is how the error mapping is exercised end to end.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Optional

from jupyter_notebook_remote.errors import Conflict, NotFound
from jupyter_notebook_remote.models import (
    ExecuteBody,
    Execution,
    ExecutionOutput,
    InputExportBody,
    JobQueued,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    Usage,
    iso,
    usage_days,
)
from jupyter_notebook_remote.providers.base import (
    ExecutionFile,
    NotebookUpload,
    Provider,
)


def new_id() -> str:
    return secrets.token_hex(12)


class MemoryProvider(Provider):
    kind = "memory"
    unsupported: ClassVar[dict[str, str]] = {"schedule": "the memory service has no scheduler"}
    needs_token = True
    default_base_url = "https://memory.invalid"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notebooks: dict[str, Notebook] = {}
        self.files: dict[str, bytes] = {}
        self.executions: dict[str, list[Execution]] = {}
        self.seen_tokens: list[str] = []
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.started = 0
        self.closed = 0
        self._errors: list[Exception] = []

    # ------------------------------------------------------------------ test hooks

    def fail_next(self, error: Exception) -> None:
        self._errors.append(error)

    def _enter(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.needs_token:
            self.seen_tokens.append(self.token())
        if self._errors:
            raise self._errors.pop(0)

    def _notebook(self, notebook_id: str) -> Notebook:
        try:
            return self.notebooks[notebook_id]
        except KeyError:
            raise NotFound(
                f"Notebook {notebook_id} was not found.",
                reason="notebook_not_found",
                connection=self.connection.id,
            ) from None

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        self.started += 1

    async def aclose(self) -> None:
        self.closed += 1

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        self._enter("list_notebooks", filter, page, per_page)
        items = sorted(self.notebooks.values(), key=lambda n: n.name)
        if filter:
            items = [n for n in items if filter.replace("*", "") in n.name]
        chunk = items[page * per_page : (page + 1) * per_page]
        return NotebookPage(
            items=chunk, count=len(chunk), total_count=len(items), page=page, per_page=per_page
        )

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        self._enter("create_notebook", body)
        now = iso(datetime.now(timezone.utc))
        notebook = Notebook(
            id=new_id(),
            name=body.name,
            description=body.description or "",
            created_at=now,
            updated_at=now,
            image_version=body.image_version or "v4",
        )
        self.notebooks[notebook.id] = notebook
        return notebook

    async def get_notebook(self, notebook_id: str) -> Notebook:
        self._enter("get_notebook", notebook_id)
        return self._notebook(notebook_id)

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        self._enter("update_notebook", notebook_id, patch)
        current = self._notebook(notebook_id)
        changes = patch.model_dump(exclude_none=True)
        changes["updated_at"] = iso(datetime.now(timezone.utc))
        updated = current.model_copy(update=changes)
        self.notebooks[notebook_id] = updated
        return updated

    async def delete_notebook(self, notebook_id: str) -> None:
        self._enter("delete_notebook", notebook_id)
        self._notebook(notebook_id)
        del self.notebooks[notebook_id]
        self.files.pop(notebook_id, None)
        self.executions.pop(notebook_id, None)

    async def push(self, notebook_id: str, upload: NotebookUpload) -> Notebook:
        self._enter("push", notebook_id, upload.file_name, upload.size)
        current = self._notebook(notebook_id)
        data = b"".join([chunk async for chunk in upload.stream()])
        self.files[notebook_id] = data
        updated = current.model_copy(
            update={"file_name": upload.file_name, "updated_at": iso(datetime.now(timezone.utc))}
        )
        self.notebooks[notebook_id] = updated
        return updated

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        self._enter("execute", notebook_id, body)
        self._notebook(notebook_id)
        if notebook_id not in self.files:
            raise Conflict(
                "Push the notebook before running it.",
                reason="not_pushed",
                connection=self.connection.id,
            )
        execution = Execution(
            id=new_id(),
            notebook_id=notebook_id,
            status="queued",
            queued_at=iso(datetime.now(timezone.utc)),
            outputs=[ExecutionOutput(name="result.html", size=11, content_type="text/html")],
        )
        self.executions.setdefault(notebook_id, []).insert(0, execution)
        return execution.id

    def finish(self, notebook_id: str, execution_id: str, minutes: float = 2.0) -> None:
        """Test hook: mark a run completed after ``minutes``."""
        runs = self.executions[notebook_id]
        for index, run in enumerate(runs):
            if run.id == execution_id:
                started = datetime.now(timezone.utc) - timedelta(minutes=minutes)
                runs[index] = run.model_copy(
                    update={
                        "status": "completed",
                        "started_at": iso(started),
                        "finished_at": iso(datetime.now(timezone.utc)),
                    }
                )

    async def list_executions(
        self, notebook_id: str, *, limit: int = 20, since: Optional[datetime] = None
    ) -> list[Execution]:
        self._enter("list_executions", notebook_id, limit, since)
        self._notebook(notebook_id)
        runs = self.executions.get(notebook_id, [])
        if since is not None:
            runs = [r for r in runs if r.queued_at and r.queued_at >= (iso(since) or "")]
        return runs[:limit]

    def _run(self, notebook_id: str, execution_id: str) -> tuple[int, Execution]:
        for index, run in enumerate(self.executions.get(notebook_id, [])):
            if run.id == execution_id:
                return index, run
        raise NotFound(
            f"Execution {execution_id} was not found.",
            reason="execution_not_found",
            connection=self.connection.id,
        )

    async def cancel(self, notebook_id: str, execution_id: str) -> None:
        self._enter("cancel", notebook_id, execution_id)
        self._notebook(notebook_id)
        index, run = self._run(notebook_id, execution_id)
        if run.status in ("completed", "errored", "timeout", "canceled"):
            raise Conflict(
                f"Execution {execution_id} already finished ({run.status}).",
                reason="already_finished",
                connection=self.connection.id,
            )
        self.executions[notebook_id][index] = run.model_copy(update={"status": "canceled"})

    async def usage(self, notebook_id: str, *, start: datetime, end: datetime) -> Usage:
        self._enter("usage", notebook_id, start, end)
        self._notebook(notebook_id)
        days = usage_days(start, end)
        total = 0.0
        for run in self.executions.get(notebook_id, []):
            if run.status != "completed" or not run.started_at or not run.finished_at:
                continue
            began = datetime.fromisoformat(run.started_at.replace("Z", "+00:00"))
            ended = datetime.fromisoformat(run.finished_at.replace("Z", "+00:00"))
            key = ended.date().isoformat()
            if key in days:
                minutes = (ended - began).total_seconds() / 60
                entry = days[key]
                days[key] = entry.model_copy(
                    update={"minutes": entry.minutes + minutes, "completed": entry.completed + 1}
                )
                total += minutes
        return Usage(
            start=iso(start) or "",
            end=iso(end) or "",
            total_minutes=total,
            days=list(days.values()),
        )

    async def input_export(self, notebook_id: str, body: InputExportBody) -> JobQueued:
        self._enter("input_export", notebook_id, body)
        self._notebook(notebook_id)
        return JobQueued(job_id=secrets.token_urlsafe(8)[:21])

    async def execution_file(self, notebook_id: str, execution_id: str, name: str) -> ExecutionFile:
        self._enter("execution_file", notebook_id, execution_id, name)
        self._notebook(notebook_id)
        _, run = self._run(notebook_id, execution_id)
        if name not in {o.name for o in run.outputs}:
            raise NotFound(
                f"Execution {execution_id} has no file {name}.",
                reason="file_not_found",
                connection=self.connection.id,
            )
        body = b"<p>done</p>" if name.endswith(".html") else b"{}"

        async def chunks() -> AsyncIterator[bytes]:
            yield body[:5]
            yield body[5:]

        content_type = "text/html" if name.endswith(".html") else "application/json"
        return ExecutionFile(name=name, content_type=content_type, size=len(body), chunks=chunks)


class OpenMemoryProvider(MemoryProvider):
    """The same service without tokens (like ``local``)."""

    kind = "memory-open"
    needs_token = False
    default_base_url = None
