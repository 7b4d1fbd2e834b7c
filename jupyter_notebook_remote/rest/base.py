"""What every REST handler shares: parsing at the boundary, answering, the one error hook.

Every verb is ``@tornado.web.authenticated``, and :func:`check_authenticated`
refuses to start the extension if one is not. There is one error hook,
:meth:`BaseHandler.write_error`: a domain error becomes ``{"message",
"reason", ...}`` with its status from :func:`~jupyter_notebook_remote.errors.http_status`;
anything unexpected becomes a generic 500 (logged with its traceback,
secrets redacted). Query arguments and ids are checked here, once, before a
provider is called; the bounds are the contract's (:mod:`..models`).
"""

from __future__ import annotations

import contextlib
import json
import re
import traceback
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.client import responses
from typing import Any, Optional, TypeVar, cast

import msgspec
import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel

from ..connections import ConnectionRegistry
from ..credentials import redact
from ..errors import InvalidInput, NotebookRemoteError, RateLimited, invalid
from ..http import READ_MAX_AGE, max_age_of
from ..models import CamelModel, Execution, parse_body
from ..providers.base import Provider
from ..push.checker import SavedNotebooks

STATE_KEY = "notebook_remote_state"
#: Runs whose JSON is kept by :class:`EncodedRuns`.
MAX_ENCODED_RUNS = 512
PREFIX = "notebook-remote"
#: ms since the epoch accepted in queries: 1970 .. 9999-12-31.
_MAX_MS = 253402300799999

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
    #: The most a push carries from beside the notebook (kinds that carry it).
    max_folder_bytes: int = 50 * 1024 * 1024
    #: The push check's verdicts on notebooks as Jupyter saved them, if it could hook in.
    saved_notebooks: Optional[SavedNotebooks] = None


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


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --------------------------------------------------------------------------- base


_HTTP_REASONS = {
    400: "invalid_input",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Common parsing, answering and the one error hook."""

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        # How fresh this browser request wants shared remote reads (see http.reads).
        READ_MAX_AGE.set(max_age_of(self.request.headers.get("Cache-Control")))

    def compute_etag(self) -> Optional[str]:
        # Answers are never cached (Jupyter sends no-store): hashing each body
        # for an ETag no client uses is CPU for nothing.
        return None

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
        if isinstance(model, CamelModel):
            # pydantic-core writes the JSON bytes itself: no dict of dicts, no str.
            self.finish(model.__pydantic_serializer__.to_json(model, by_alias=True))
        else:
            self.finish(msgspec.json.encode(model))

    def answer_runs(self, items: list[Execution]) -> None:
        """Answer an :class:`ExecutionList` of ``items`` (see :class:`EncodedRuns`)."""
        self.finish(_ENCODED_RUNS.list_json(items))

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
        text = redact("".join(traceback.format_exception(typ, value, tb)), secrets)
        self.log.error(
            "Unexpected error in %s %s:\n%s", self.request.method, self.request.path, text
        )

    # ------------------------------------------------------------------ parsing

    def json_body(self, *, optional: bool = False) -> Any:
        raw = self.request.body
        # Only no body at all is "no body": white space alone is not JSON.
        if not raw:
            if optional:
                return {}
            raise InvalidInput("The request needs a JSON body.", fields={"body": "is missing"})
        try:
            # NaN and Infinity are Python's extension, not JSON: no remote takes them.
            return json.loads(raw, parse_constant=_not_json)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(
                "The request body is not valid JSON.", fields={"body": "is not valid JSON"}
            ) from None

    def body(
        self, model: type[BodyT], conn: Optional[str] = None, *, optional: bool = False
    ) -> BodyT:
        return parse_body(model, self.json_body(optional=optional), connection=conn)

    def text_arg(self, name: str, max_chars: int, conn: Optional[str] = None) -> Optional[str]:
        """A text query argument of at most ``max_chars``; None when absent or empty."""
        raw = self.get_query_argument(name, None)
        if raw is not None and len(raw) > max_chars:
            raise invalid(name, f"must be at most {max_chars} characters", connection=conn)
        return raw or None

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        """A whole-number query argument; ``default`` only when it is left out.

        A present but empty value (``limit=``) is refused like any other
        non-number, and so is one with spaces around it (Tornado would strip
        them): the spec says integer, and a client that sends one meant
        something.
        """
        raw = self.get_query_argument(name, None, strip=False)
        if raw is None:
            return default
        if not re.fullmatch(r"-?[0-9]{1,10}", raw):
            raise invalid(name, f"must be a whole number from {low} to {high}")
        value = int(raw)
        if not low <= value <= high:
            raise invalid(name, f"must be from {low} to {high}")
        return value

    def time_arg(self, name: str) -> Optional[datetime]:
        """A time query argument (ms since 1970, UTC); None only when it is left out."""
        raw = self.get_query_argument(name, None, strip=False)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]{1,15}", raw):
            raise invalid(name, "must be a time in milliseconds since 1970-01-01 (UTC)")
        value = int(raw)
        if value > _MAX_MS:
            raise invalid(name, "is after the year 9999")
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)

    def choice_arg(self, name: str, choices: tuple[str, ...]) -> Optional[str]:
        """A query argument that must be one of ``choices``; None when left out."""
        raw = self.get_query_argument(name, None, strip=False)
        if raw is not None and raw not in choices:
            raise invalid(name, f"must be one of {', '.join(choices)}, or left out")
        return raw

    async def provider(self, conn: str) -> Provider:
        return await self.registry.get(conn)

    async def notebook(self, conn: str, nb: str) -> tuple[Provider, str]:
        provider = await self.provider(conn)
        return provider, provider.validate_notebook_id(nb)

    async def execution(self, conn: str, nb: str, ex: str) -> tuple[Provider, str, str]:
        provider, nb = await self.notebook(conn, nb)
        return provider, nb, provider.validate_execution_id(ex)


class EncodedRuns:
    """The JSON of runs answered again and again, each encoded once.

    A panel polls a notebook's runs every few seconds, and the runs that are
    over come back as the very same :class:`Execution` objects (a provider
    reads an unchanged run once: ``SharedReads.derived_items``). Models are
    never changed once built, so each one's JSON is kept by identity: the
    model itself is kept with it, so an ``id`` here always means that model.
    A model not seen before is encoded as pydantic would in the list.
    """

    def __init__(self, limit: int = MAX_ENCODED_RUNS) -> None:
        self._limit = limit
        self._kept: OrderedDict[int, tuple[Execution, bytes]] = OrderedDict()

    def list_json(self, items: Iterable[Execution]) -> bytes:
        """``ExecutionList(items=items)`` as JSON, byte for byte."""
        kept = self._kept
        parts: list[bytes] = []
        for item in items:
            key = id(item)
            hit = kept.get(key)
            if hit is not None and hit[0] is item:
                kept.move_to_end(key)
                parts.append(hit[1])
                continue
            encoded = Execution.__pydantic_serializer__.to_json(item, by_alias=True)
            kept[key] = (item, encoded)
            if len(kept) > self._limit:
                kept.popitem(last=False)
            parts.append(encoded)
        return b'{"items":[' + b",".join(parts) + b"]}"


_ENCODED_RUNS = EncodedRuns()
