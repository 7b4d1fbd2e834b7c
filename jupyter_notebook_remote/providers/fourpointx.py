"""4pointx notebooks, over the ``/_notebooks/notebooks`` API of a 4pointx site.

What its documentation shows, and the quirks this module absorbs:

* **Auth** is ``Authorization: Basic <token>`` with the token exactly as the
  site issued it. A token written as ``user:password`` (which a real Basic
  token never contains) is base64-encoded here first, as HTTP Basic wants.
* **Base URL**: the documentation's examples use ``https://app.4pointx.com``;
  that is the default, and an on-premises site is a ``base_url`` away.
* **Ids** are UUIDs, compared and sent in lower case; names are the
  notebook's file name (``*.ipynb``). This extension shows the name without
  ``.ipynb`` and adds it back on rename.
* **List** returns every notebook at once: the extension's one filter rule
  (:func:`~jupyter_notebook_remote.providers.base.name_matches`) and the
  paging apply here. Without a filter, ``totalCount`` is what ``_count``
  says ("Total Notebooks", read beside the list), never fewer than the list
  holds; when ``_count`` answers nothing usable, and with a filter (which
  ``_count`` knows nothing of), it is the notebooks counted here.
* **Run history**: every notebook says when it last ran (``last_run``: ms
  since 1970; ``"-"`` in the list and ``null`` alone when never) and how
  often (``no_of_runs``); they are answered as the notebook's ``lastRunAt``
  and ``runCount``.
* **Create** takes no body: the site names the new file itself
  (``2023-12-13_07:13:50_admin.ipynb``) and answers with that name and its
  path but no id. The id is then found in the list by that file name, and the
  notebook is renamed to the name asked for. 4pointx notebooks have no
  description, so one is refused rather than dropped.
* **Rename** is ``PUT /_notebooks/notebooks/<id>``. The documentation names no
  body field; its error "Missing new name" points at ``new_name``, which is
  what is sent.
* **Delete** and **schedule** take a *list* of ids (``nbk_ids``); **run** is a
  ``GET`` with a JSON body ``{"nbkIds": [...], "module": "notebooks"}``, is
  never retried, and answers ``{}``: 4pointx gives a run no id, so the id
  returned for it is made here and identifies only that request.
* **Success bodies** are not always JSON (the doc shows ``{"Success"}``);
  only a JSON ``{"error": {...}}`` body is read as a failure, and that even
  under HTTP 200 (delete answers ``{"error": {"status": 200, "message": "No
  notebooks deleted"}}`` for an unknown id).
* **Errors** are ``{"error": {"status", "message"}}``, and "not found" comes
  as a 400. After a 400 about one notebook, the list is consulted: when the
  id is not in it, the answer is a plain "notebook not found".
* No push, cancel, logs or usage: the API has no route for them (see
  ``unsupported``).
* **Schedules** are ``_schedule`` (a time of day ``HH:MM``, optionally one
  day of the week, and an end ``YYYY-MM-DD HH:MM`` it requires) and
  ``_unschedule``; a notebook reads back as ``status: "Scheduled"`` with its
  ``schedule``, ``last_run`` and ``no_of_runs``. So a schedule here is a
  daily (``M H * * *``) or weekly (``M H * * D``) cron with an end, on the
  site's own clock (no time zone), always active: anything else is refused
  naming the field before anything is sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, Optional

import httpx

from .. import schedules
from ..errors import Conflict, NotebookRemoteError, NotFound, RemoteError, invalid
from ..models import (
    ExecuteBody,
    Notebook,
    NotebookCreate,
    NotebookPage,
    NotebookPatch,
    iso,
    parse_time,
)
from ..schedules import Schedule, ScheduleBody
from .base import IdFormat, name_matches
from .remote import RemoteProvider, WireModel

API = "/_notebooks/notebooks"
#: A notebook id: a UUID in its usual 8-4-4-4-12 hexadecimal form.
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
SUFFIX = ".ipynb"
#: Characters a 4pointx notebook (a file name) cannot have.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


class _Schedule(WireModel):
    period: Optional[str] = None
    until: Optional[str] = None
    time: Optional[str] = None


class _Notebook(WireModel):
    notebook_id: str
    notebook_name: Optional[str] = None
    status: Optional[str] = None
    created_at: Optional[float] = None
    updated_at: Optional[float] = None
    schedule: Optional[_Schedule] = None
    #: ms since 1970; "-" (in the list) or None when never run.
    last_run: Optional[Any] = None
    no_of_runs: Optional[int] = None


class _Created(WireModel):
    notebook_name: str
    path: Optional[str] = None
    username: Optional[str] = None


def fourpointx_error_message(body: Any) -> Optional[str]:
    """4pointx's error body: ``{"error": {"status", "message"}}``."""
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    if isinstance(error, str) and error.strip():
        return error.strip()
    message = body.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    return None


def _ms_time(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    try:
        return iso(datetime.fromtimestamp(float(value) / 1000, tz=timezone.utc))
    except (OverflowError, OSError, ValueError):
        return None


def _display_name(file_name: Optional[str], nb_id: str) -> str:
    if not file_name:
        return nb_id
    return file_name[: -len(SUFFIX)] if file_name.endswith(SUFFIX) else file_name


class FourPointXProvider(RemoteProvider):
    """Notebooks of one 4pointx site."""

    kind: ClassVar[str] = "fourpointx"
    unsupported: ClassVar[Mapping[str, str]] = {
        "push": (
            "4pointx's API has no endpoint to upload a notebook's content; edit the "
            "notebook in 4pointx"
        ),
        "cancel": "4pointx's API has no endpoint to stop a run once it has started",
        "logs": (
            "4pointx's API keeps no run history or logs (only the last run time and a "
            "count); see them in 4pointx"
        ),
        "usage": "4pointx's API reports no run minutes",
        "inputExport": "4pointx's API has no export of a run's input data",
        "pull": (
            "4pointx's API has no endpoint to download a notebook's content; open it in 4pointx"
        ),
        "open": "a 4pointx run executes the notebook and ends; open the notebook in 4pointx",
    }
    default_base_url: ClassVar[Optional[str]] = "https://app.4pointx.com"
    notebook_ids: ClassVar[IdFormat] = IdFormat(
        UUID_RE,
        "a 4pointx notebook id: a UUID like 603d4b06-be33-41bd-b610-34b41df9653a",
        lower=True,
    )
    #: A run's id is made here (4pointx gives none): a UUID too.
    execution_ids: ClassVar[IdFormat] = IdFormat(
        UUID_RE, "a UUID (4pointx runs have no id of their own)", lower=True
    )
    service_name: ClassVar[str] = "4pointx"

    def error_message(self, body: Any) -> Optional[str]:
        return fourpointx_error_message(body)

    # ------------------------------------------------------------------ plumbing

    def auth_headers(self) -> dict[str, str]:
        token = self.token()
        if ":" in token:  # "user:password": encode it as HTTP Basic does
            token = base64.b64encode(token.encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def _not_found(self, notebook_id: str) -> NotFound:
        """:meth:`notebook_not_found` as the error, for what 4pointx says otherwise."""
        reason, message = self.notebook_not_found(notebook_id)
        return NotFound(message, reason=reason, connection=self.connection.id)

    def _check_answer(self, response: httpx.Response, notebook_id: Optional[str] = None) -> Any:
        """The decoded body of a 2xx answer; a JSON ``{"error"}`` is a failure.

        Bodies that are not JSON (``{"Success"}``, ``Rename Successful``) are
        a success and decode to None.
        """
        try:
            body = json.loads(response.content) if response.content else None
        except (ValueError, UnicodeDecodeError):
            return None
        if isinstance(body, Mapping) and "error" in body:
            said = self.http.remote_message(response) or "it gave no reason"
            error = body.get("error")
            inner = error.get("status") if isinstance(error, Mapping) else None
            if inner == 200 and notebook_id is not None:
                # "No notebooks deleted": nothing had that id.
                raise self._not_found(notebook_id)
            raise RemoteError(
                f"4pointx at {self.http.host} answered with an error: {said}",
                connection=self.connection.id,
                remote_status=response.status_code,
            )
        return body

    async def _about(self, notebook_id: str, exc: NotebookRemoteError) -> NotebookRemoteError:
        """A 400/404 about one notebook, made precise.

        4pointx answers "not found" with a 400, and a failed rename with a
        404. The list tells which: an id it does not hold is "notebook not
        found"; a 404 for one it holds is a refused change (409).
        """
        if exc.remote_status not in (400, 404):
            return exc
        try:
            wires, _ = await self._all()
        except NotebookRemoteError:
            return exc
        if all(w.notebook_id.lower() != notebook_id for w in wires):
            return self._not_found(notebook_id)
        if exc.remote_status == 404:
            return Conflict(
                f"4pointx could not change notebook {notebook_id} ({exc.message})",
                connection=self.connection.id,
                remote_status=exc.remote_status,
            )
        return exc

    def _notebook(self, wire: _Notebook) -> Notebook:
        return Notebook(
            id=wire.notebook_id,
            name=_display_name(wire.notebook_name, wire.notebook_id),
            description="",
            file_name=wire.notebook_name,
            created_at=_ms_time(wire.created_at),
            updated_at=_ms_time(wire.updated_at),
            last_run_at=iso(_last_run(wire.last_run)),
            run_count=wire.no_of_runs if wire.no_of_runs is None or wire.no_of_runs >= 0 else None,
        )

    async def _count(self) -> Optional[int]:
        """``_count``'s "Total Notebooks", or None when it says nothing usable."""
        try:
            response = await self.http.send(
                "GET", f"{API}/_count", not_found=("not_found", self._no_api())
            )
            body = self._check_answer(response)
        except NotebookRemoteError as exc:
            # The list itself answered: a count is a nicety.
            self.log.info("4pointx at %s: no notebook count (%s)", self.http.host, exc.message)
            return None
        total = body.get("Total Notebooks") if isinstance(body, Mapping) else None
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            return total
        return None

    async def _all(self) -> tuple[list[_Notebook], httpx.Response]:
        data, response = await self.call_json(
            "GET", f"{API}/_all", not_found=("not_found", self._no_api())
        )
        if not isinstance(data, list):
            raise self.unreadable("the notebook list is not a JSON array", response)
        return [self.wire(_Notebook, item, "a notebook", response) for item in data], response

    def _no_api(self) -> str:
        return (
            f"{self.http.host} has no 4pointx notebooks API at {API}; check the "
            "connection's base_url."
        )

    def _file_name(self, name: str) -> str:
        name = name.strip()
        if _BAD_NAME.search(name) or name.startswith(".") or name in ("", SUFFIX):
            raise invalid(
                "name",
                "must be a file name: no '/', '\\' or control characters, not starting with '.'",
                connection=self.connection.id,
            )
        return name if name.endswith(SUFFIX) else f"{name}{SUFFIX}"

    # ------------------------------------------------------------------ notebooks

    async def list_notebooks(
        self, *, filter: Optional[str] = None, page: int = 0, per_page: int = 100
    ) -> NotebookPage:
        total: Optional[int] = None
        if (filter or "").strip():
            wires, _ = await self._all()
        else:
            (wires, _), total = await asyncio.gather(self._all(), self._count())
        # 4pointx returns every notebook at once: filter and page here.
        notebooks = [self._notebook(w) for w in wires]
        notebooks = [n for n in notebooks if name_matches(filter, n.name)]
        notebooks.sort(key=lambda n: (n.updated_at or "", n.id), reverse=True)
        items = notebooks[page * per_page : (page + 1) * per_page]
        return NotebookPage(
            items=items,
            count=len(items),
            total_count=max(total or 0, len(notebooks)),
            page=page,
            per_page=per_page,
        )

    async def create_notebook(self, body: NotebookCreate) -> Notebook:
        conn = self.connection.id
        if body.description:
            raise invalid("description", "4pointx notebooks have no description", connection=conn)
        if body.image_version is not None:
            raise invalid(
                "imageVersion", "4pointx notebooks have no image version", connection=conn
            )
        wanted = self._file_name(body.name)
        response = await self.http.send("POST", f"{API}/", not_found=("not_found", self._no_api()))
        created = self.wire(_Created, self._check_answer(response), "the create answer", response)
        wires, listing = await self._all()
        found = [w for w in wires if w.notebook_name == created.notebook_name]
        if len(found) != 1:
            raise RemoteError(
                f"4pointx created the notebook '{created.notebook_name}' but "
                f"{'lists it more than once' if found else 'does not list it'}, so it "
                f"cannot be renamed to '{body.name}'. Rename it in 4pointx.",
                connection=conn,
                remote_status=listing.status_code,
            )
        nb_id = found[0].notebook_id
        if wanted == created.notebook_name:
            return self._notebook(found[0])
        try:
            await self._rename(nb_id, wanted)
        except NotebookRemoteError as exc:
            raise type(exc)(
                f"4pointx created the notebook '{created.notebook_name}' (id {nb_id}) but "
                f"could not rename it to '{body.name}': {exc.message}",
                reason=exc.reason,
                connection=conn,
                remote_status=exc.remote_status,
                retry_after=exc.retry_after,
                fields=exc.fields,
            ) from None
        return await self.get_notebook(nb_id)

    async def _fetch(self, notebook_id: str) -> _Notebook:
        try:
            response = await self.http.send(
                "GET", f"{API}/{notebook_id}", not_found=self.notebook_not_found(notebook_id)
            )
        except NotebookRemoteError as exc:
            raise await self._about(notebook_id, exc) from None
        return self.wire(_Notebook, self._check_answer(response), "a notebook", response)

    async def get_notebook(self, notebook_id: str) -> Notebook:
        return self._notebook(await self._fetch(notebook_id))

    async def _rename(self, notebook_id: str, file_name: str) -> None:
        wires, _ = await self._all()
        if all(w.notebook_id.lower() != notebook_id for w in wires):
            raise self._not_found(notebook_id)
        taken = [w for w in wires if w.notebook_name == file_name]
        if any(w.notebook_id.lower() != notebook_id for w in taken):
            raise Conflict(
                f"A 4pointx notebook named '{_display_name(file_name, '')}' already exists; "
                "choose another name.",
                connection=self.connection.id,
                fields={"name": "is taken by another notebook"},
            )
        if taken:
            return  # already has that name
        try:
            response = await self.http.send(
                "PUT",
                f"{API}/{notebook_id}",
                json_body={"new_name": file_name},
            )
        except NotebookRemoteError as exc:
            raise await self._about(notebook_id, exc) from None
        self._check_answer(response)

    async def update_notebook(self, notebook_id: str, patch: NotebookPatch) -> Notebook:
        conn = self.connection.id
        if patch.description is not None:
            raise invalid("description", "4pointx notebooks have no description", connection=conn)
        if patch.image_version is not None:
            raise invalid(
                "imageVersion", "4pointx notebooks have no image version", connection=conn
            )
        if patch.name is not None:
            await self._rename(notebook_id, self._file_name(patch.name))
        return await self.get_notebook(notebook_id)

    async def delete_notebook(self, notebook_id: str) -> None:
        response = await self.http.send(
            "DELETE",
            f"{API}/",
            json_body={"nbk_ids": [notebook_id]},
            not_found=self.notebook_not_found(notebook_id),
        )
        self._check_answer(response, notebook_id)

    # ------------------------------------------------------------------ runs

    async def execute(self, notebook_id: str, body: ExecuteBody) -> str:
        if body.template_context is not None:
            raise invalid(
                "templateContext",
                "4pointx runs take no template context; leave it empty",
                connection=self.connection.id,
            )
        # 4pointx starts a run for an id it does not know without complaint:
        # make sure the notebook exists first.
        await self.get_notebook(notebook_id)
        response = await self.http.send(
            "GET",
            f"{API}/_run",
            json_body={"nbkIds": [notebook_id], "module": "notebooks"},
            idempotent=False,
            not_found=self.notebook_not_found(notebook_id),
        )
        self._check_answer(response)
        return str(uuid.uuid4())

    # ------------------------------------------------------------------ schedules
    # Like every provider method they take a notebook id the REST layer has
    # already checked (validate_notebook_id).

    async def get_schedule(self, notebook_id: str) -> Optional[Schedule]:
        return self._schedule_of(await self._fetch(notebook_id))

    def _schedule_of(self, wire: _Notebook) -> Optional[Schedule]:
        """The schedule 4pointx reports for the notebook, on the contract's terms."""
        sched = wire.schedule or _Schedule()
        if (wire.status or "").strip().lower() != "scheduled" or not sched.time:
            return None
        cron = schedules.cron_of(sched.period, sched.time)
        if cron is None:
            return None  # not a schedule this extension can read
        until = _site_time(sched.until)
        now = datetime.now(timezone.utc)
        rule = schedules.Rule(cron, "UTC", until)
        return schedules.answer(
            rule,
            active=until is None or until > now,
            now=now,
            last_run_at=_last_run(wire.last_run),
            run_count=wire.no_of_runs,
        )

    async def put_schedule(self, notebook_id: str, body: ScheduleBody) -> Schedule:
        conn = self.connection.id
        if body.timezone not in (None, "UTC"):
            raise invalid(
                "timezone",
                "4pointx runs schedules on its own clock and takes no time zone: leave it out "
                "and give the time as the 4pointx site's clock shows it",
                connection=conn,
            )
        if not body.active:
            raise invalid(
                "active", "4pointx cannot pause a schedule; remove it instead", connection=conn
            )
        if body.template_context is not None:
            raise invalid("templateContext", "4pointx runs take no context", connection=conn)
        if body.until is None:
            raise invalid(
                "until", "4pointx needs an end date and time for a schedule", connection=conn
            )
        now = datetime.now(timezone.utc)
        rule = schedules.check_rule(
            body, now=now, min_minutes=self.context.schedule_min_minutes, connection=conn
        )
        mapped = schedules.daily_or_weekly(rule.cron)
        if mapped is None:
            raise invalid(
                "cron",
                f"4pointx can only run a notebook daily or weekly at a time of day ('M H * * *' "
                f"or 'M H * * D', e.g. '50 6 * * 1'), not '{rule.cron}'",
                connection=conn,
            )
        period, at = mapped
        assert rule.until is not None
        payload: dict[str, Any] = {
            "nbk_ids": [notebook_id],
            "until": rule.until.strftime("%Y-%m-%d %H:%M"),
            "time": at,
        }
        if period is not None:
            payload["period"] = period
        await self.get_notebook(notebook_id)
        response = await self.http.send(
            "POST",
            f"{API}/_schedule",
            json_body=payload,
            idempotent=True,
            not_found=self.notebook_not_found(notebook_id),
        )
        self._check_answer(response)
        schedule = await self.get_schedule(notebook_id)
        if schedule is None:
            raise RemoteError(
                "4pointx accepted the schedule but does not show it on the notebook; check "
                "the notebook in 4pointx.",
                connection=conn,
            )
        return schedule

    async def delete_schedule(self, notebook_id: str) -> None:
        await self.get_notebook(notebook_id)
        response = await self.http.send(
            "POST",
            f"{API}/_unschedule",
            json_body={"nbk_ids": [notebook_id]},
            idempotent=True,
            not_found=self.notebook_not_found(notebook_id),
        )
        self._check_answer(response)


def _site_time(text: Optional[str]) -> Optional[datetime]:
    """4pointx's "YYYY-MM-DD HH:MM" (read as UTC: the site gives no zone)."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _last_run(value: Any) -> Optional[datetime]:
    """``last_run``: ms since 1970 as the site writes its times (a number, or its
    digits as text); ISO 8601 or the site's ``YYYY-MM-DD HH:MM[:SS]`` (UTC) are
    read too; ``"-"``, null and anything else mean "never" (None)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value) / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip() or value.strip() == "-":
        return None
    text = value.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        return parse_time(text)
    except ValueError:
        return None


__all__ = ["UUID_RE", "FourPointXProvider", "fourpointx_error_message"]
