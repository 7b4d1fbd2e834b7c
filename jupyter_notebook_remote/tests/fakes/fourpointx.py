"""A loopback fake of the 4pointx notebooks API, for tests.

Follows 4pointx's own API page (create, delete, rename, fetch one, fetch
all, count, run, schedule, unschedule), including its oddities:

* ``Authorization: Basic <token>`` with the token exactly as issued.
* Create takes no body and names the file itself
  (``2023-12-13_07:13:50_admin.ipynb``, from the clock); it answers with the
  name and path, not the id. Two creates in the same second collide, as
  files would.
* Success bodies are the text the page shows, which is not JSON
  (``{"Success"}``, ``{"Rename Successful"}``); ``_run`` answers ``{}``.
* Errors are ``{"error": {"status", "message"}}`` with the HTTP status the
  page gives, "not found" included: 400 for an unknown id on fetch and
  rename, 404 for a failed rename, and HTTP 200 with ``status: 200`` when
  delete matched nothing.
* ``_run`` is a GET with a JSON body; the page lists no error for an
  unknown id, so the fake ignores those ids, as a loop over them would.
* In the list, a notebook never run has ``last_run: "-"``; fetched alone it
  has ``last_run: null``.

The page shows no answer for a bad token; the fake answers 401 with the same
error shape. Tests change state directly (``fake.notebooks``), inject
failures with :meth:`FakeFourPointX.fail_next`, and read ``fake.requests``.
"""

from __future__ import annotations

import argparse
import hmac
import json
import secrets
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import tornado.web

from .loopback import FakeClock, LoopbackServer, intercept, quiet, serve_until_stopped

__all__ = ["FakeClock", "FakeFourPointX", "FakeFourPointXNotebook"]

BASE = "/_notebooks/notebooks"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class FakeFourPointXNotebook:
    notebook_id: str
    notebook_name: str
    created_at: int
    updated_at: int
    created_by: str = "admin"
    updated_by: str = "admin"
    last_run: Optional[int] = None
    no_of_runs: int = 0
    schedule: dict[str, Optional[str]] = field(
        default_factory=lambda: {"period": None, "until": None, "time": None}
    )
    path: str = "/notebooks/admin/"

    @property
    def scheduled(self) -> bool:
        return self.schedule.get("until") is not None

    def as_json(self, *, in_list: bool) -> dict[str, Any]:
        last_run: Any = self.last_run
        if last_run is None and in_list:
            last_run = "-"
        return {
            "notebook_id": self.notebook_id,
            "status": "Scheduled" if self.scheduled else "Not Scheduled",
            "notebook_name": self.notebook_name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "created_by": self.created_by,
            "updated_by": self.updated_by,
            "last_run": last_run,
            "no_of_runs": self.no_of_runs,
            "schedule": dict(self.schedule),
            "attributes": {"path": self.path},
        }


class FakeFourPointX(LoopbackServer):
    """The fake site; ``start()`` it, point a ``fourpointx`` connection at ``url``."""

    name = "fake-4pointx"

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        username: str = "admin",
        clock: Callable[[], float] = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.token = token or secrets.token_urlsafe(24)
        self.username = username
        self.clock = clock
        self.notebooks: dict[str, FakeFourPointXNotebook] = {}
        #: Every ``_run`` request's notebook ids, in order.
        self.runs: list[list[str]] = []

    # ------------------------------------------------------------------ test controls

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def add_notebook(self, name: Optional[str] = None) -> FakeFourPointXNotebook:
        with self.lock:
            now = self.now_ms()
            nb = FakeFourPointXNotebook(
                notebook_id=str(uuid.uuid4()),
                notebook_name=name or self._generated_name(),
                created_at=now,
                updated_at=now,
                created_by=self.username,
                updated_by=self.username,
                path=f"/notebooks/{self.username}/",
            )
            self.notebooks[nb.notebook_id] = nb
            return nb

    def _generated_name(self) -> str:
        moment = datetime.fromtimestamp(self.clock(), tz=timezone.utc)
        return moment.strftime("%Y-%m-%d_%H:%M:%S") + f"_{self.username}.ipynb"

    def by_name(self, name: str) -> Optional[FakeFourPointXNotebook]:
        with self.lock:
            return next((n for n in self.notebooks.values() if n.notebook_name == name), None)

    # ------------------------------------------------------------------ server

    def make_app(self) -> tornado.web.Application:
        args = {"fake": self}
        return tornado.web.Application(
            [
                (rf"{BASE}/?", CollectionHandler, args),
                (rf"{BASE}/_all/?", AllHandler, args),
                (rf"{BASE}/_count/?", CountHandler, args),
                (rf"{BASE}/_run/?", RunHandler, args),
                (rf"{BASE}/_schedule/?", ScheduleHandler, args),
                (rf"{BASE}/_unschedule/?", UnscheduleHandler, args),
                (rf"{BASE}/([^/_][^/]*)/?", NotebookHandler, args),
            ],
            default_handler_class=MissingHandler,
            default_handler_args=args,
            log_function=quiet,
        )


def _fault_body(status: int) -> Any:
    return {"error": {"status": status, "message": "Injected failure"}}


class Handler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeFourPointX) -> None:
        self.fake = fake

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")

    def prepare(self) -> None:
        fake = self.fake
        if intercept(self, fake, _fault_body):
            return
        header = self.request.headers.get("Authorization", "")
        expected = f"Basic {fake.token}"
        if not hmac.compare_digest(header.encode(), expected.encode()):
            self.error(401, "Unauthorized: invalid or missing token")

    def error(self, status: int, message: str, *, http_status: Optional[int] = None) -> None:
        self.set_status(http_status or status)
        self.finish(json.dumps({"error": {"status": status, "message": message}}))

    def text(self, body: str, status: int = 200) -> None:
        """The page's non-JSON success bodies, as shown."""
        self.set_status(status)
        self.finish(body)

    def send(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def body(self) -> Optional[dict[str, Any]]:
        raw = self.request.body or b""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            self.error(400, f"Error occurred during request processing: {exc}")
            return None
        if not isinstance(data, dict):
            self.error(400, "Error occurred during request processing: body is not an object")
            return None
        return data

    def ids(self, data: Mapping[str, Any], key: str) -> Optional[list[str]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            return None
        return [str(v) for v in value]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(json.dumps({"error": {"status": status_code, "message": self._reason}}))


class MissingHandler(Handler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            self.error(404, "Not Found")


class CollectionHandler(Handler):
    def post(self) -> None:
        fake = self.fake
        with fake.lock:
            name = fake._generated_name()
            if fake.by_name(name) is not None:
                self.error(
                    400,
                    "Error occurred while creating the notebook file: [Errno 17] File exists: "
                    f"'/notebooks/{fake.username}/{name}'",
                )
                return
            nb = fake.add_notebook(name)
            self.send(
                {
                    "username": fake.username,
                    "notebook_name": nb.notebook_name,
                    "path": f"{nb.path}{nb.notebook_name}",
                }
            )

    def delete(self) -> None:
        fake = self.fake
        data = self.body()
        if data is None:
            return
        ids = self.ids(data, "nbk_ids")
        if ids is None:
            self.error(400, "Notebook IDs are required")
            return
        with fake.lock:
            found = [i for i in ids if i in fake.notebooks]
            for nb_id in found:
                del fake.notebooks[nb_id]
        if not found:
            self.error(200, "No notebooks deleted")
            return
        self.text('{\n    "Success"\n}')


class AllHandler(Handler):
    def get(self) -> None:
        with self.fake.lock:
            self.send([nb.as_json(in_list=True) for nb in self.fake.notebooks.values()])


class CountHandler(Handler):
    def get(self) -> None:
        with self.fake.lock:
            notebooks = list(self.fake.notebooks.values())
        scheduled = sum(1 for nb in notebooks if nb.scheduled)
        self.send(
            {
                "Total Notebooks": len(notebooks),
                "Not Scheduled": len(notebooks) - scheduled,
                "Scheduled": scheduled,
            }
        )


class NotebookHandler(Handler):
    def get(self, nb_id: str) -> None:
        with self.fake.lock:
            nb = self.fake.notebooks.get(nb_id)
            if nb is None:
                self.error(400, "Notebook ID invalid.")
                return
            self.send(nb.as_json(in_list=False))

    def put(self, nb_id: str) -> None:
        fake = self.fake
        data = self.body()
        if data is None:
            return
        with fake.lock:
            nb = fake.notebooks.get(nb_id)
            if nb is None:
                self.error(400, "No Notebook found")
                return
            new_name = data.get("new_name")
            if not isinstance(new_name, str) or not new_name.strip():
                self.error(400, "Missing new name")
                return
            if "/" in new_name:
                self.error(
                    404,
                    "Error occurred while renaming the notebook file: [Errno 2] No such file "
                    f"or directory: '{nb.path}{new_name}'",
                )
                return
            other = fake.by_name(new_name)
            if other is not None and other is not nb:
                self.error(
                    404,
                    "Error occurred while renaming the notebook file: [Errno 17] File exists: "
                    f"'{nb.path}{new_name}'",
                )
                return
            nb.notebook_name = new_name
            nb.updated_at = fake.now_ms()
        self.text('{\n    "Rename Successful"\n}')


class RunHandler(Handler):
    def get(self) -> None:
        fake = self.fake
        data = self.body()
        if data is None:
            return
        ids = self.ids(data, "nbkIds")
        if ids is None:
            self.error(400, "Notebook ID(s) are required")
            return
        with fake.lock:
            fake.runs.append(ids)
            for nb_id in ids:
                nb = fake.notebooks.get(nb_id)
                if nb is not None:
                    nb.no_of_runs += 1
                    nb.last_run = fake.now_ms()
        self.send({})


class ScheduleHandler(Handler):
    def post(self) -> None:
        fake = self.fake
        data = self.body()
        if data is None:
            return
        ids = self.ids(data, "nbk_ids")
        until = data.get("until")
        if ids is None or not isinstance(until, str):
            missing = "nbk_ids" if ids is None else "until"
            self.error(400, f"Error occurred during request processing: '{missing}'")
            return
        try:
            datetime.strptime(until, "%Y-%m-%d %H:%M")
        except ValueError as exc:
            self.error(400, f"Error occurred during request processing: {exc}")
            return
        period, at = data.get("period"), data.get("time")
        if period is not None and period not in WEEKDAYS:
            self.error(400, f"Error occurred during request processing: bad period {period!r}")
            return
        with fake.lock:
            for nb_id in ids:
                nb = fake.notebooks.get(nb_id)
                if nb is not None:
                    nb.schedule = {"period": period, "until": until, "time": at}
        self.text('{\n    "Success"\n}')


class UnscheduleHandler(Handler):
    def post(self) -> None:
        fake = self.fake
        data = self.body()
        if data is None:
            return
        ids = self.ids(data, "nbk_ids")
        if ids is None:
            self.error(500, "Error occurred during request processing: 'nbk_ids'")
            return
        with fake.lock:
            for nb_id in ids:
                nb = fake.notebooks.get(nb_id)
                if nb is not None:
                    nb.schedule = {"period": None, "until": None, "time": None}
        self.text('{\n    "Success"\n}')


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_notebook_remote.tests.fakes.fourpointx",
        description="Serve a fake 4pointx notebooks API on loopback (for tests only).",
    )
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--token", default=None, help="the Basic token to accept")
    parser.add_argument("--seed", action="append", default=[], help="create a notebook by name")
    args = parser.parse_args(argv)
    fake = FakeFourPointX(token=args.token, port=args.port)
    for name in args.seed:
        fake.add_notebook(name if name.endswith(".ipynb") else f"{name}.ipynb")
    fake.start()
    return serve_until_stopped(fake, {"url": fake.url, "token": fake.token})


if __name__ == "__main__":
    sys.exit(main())
