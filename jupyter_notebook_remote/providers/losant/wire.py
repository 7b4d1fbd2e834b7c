"""Losant's side of the wire: its dialect's constants, its JSON as models, small conversions.

The models follow Losant's own JSON schemas (``tests/fakes/losant_schemas``).
Nothing there is "required", so every field is optional; a field of the
wrong type is a body the provider cannot trust, and becomes a RemoteError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional, Union

from ...models import ExecuteBody, InputExportBody, as_utc
from ..remote import WireModel

API_VERSION = "^1.30.0"
#: Sent ahead of every other query parameter, like the official clients do.
GLOBAL_PARAMS: tuple[tuple[str, str], ...] = (
    ("_actions", "false"),
    ("_links", "true"),
    ("_embedded", "true"),
)


# ----------------------------------------------------------------------------- wire shapes


class WireStats(WireModel):
    minutesThisPeriod: Optional[float] = None
    runsThisPeriod: Optional[float] = None
    errorsThisPeriod: Optional[float] = None


class WireNotebook(WireModel):
    id: Optional[str] = None
    notebookId: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    jupyterFileName: Optional[str] = None
    #: A signed storage URL of the file (fetched without the Losant token).
    jupyterFileUrl: Optional[str] = None
    creationDate: Optional[str] = None
    lastUpdated: Optional[str] = None
    imageVersion: Optional[str] = None
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    stats: Optional[WireStats] = None


class WireNotebooks(WireModel):
    items: list[Any] = []
    count: Optional[int] = None
    totalCount: Optional[int] = None
    perPage: Optional[int] = None
    page: Optional[int] = None


class WireFileInfo(WireModel):
    size: Optional[float] = None
    url: Optional[str] = None
    contentType: Optional[str] = None


class WireExecError(WireModel):
    name: Optional[str] = None
    message: Optional[str] = None


class WireLog(WireModel):
    id: Optional[str] = None
    notebookExecutionId: Optional[str] = None
    notebookId: Optional[str] = None
    status: str
    sourceType: Optional[str] = None
    sourceId: Optional[str] = None
    runQueuedAt: Optional[str] = None
    runStartedAt: Optional[str] = None
    notebookCompletedAt: Optional[str] = None
    outputsCompletedAt: Optional[str] = None
    inputInfo: dict[str, WireFileInfo] = {}
    outputInfo: dict[str, WireFileInfo] = {}
    executionErrors: list[WireExecError] = []
    executionRelativeTo: Optional[str] = None
    templateContext: Optional[str] = None
    maxAllowedRunMinutes: Optional[float] = None


class WireCount(WireModel):
    date: str
    minutes: float = 0
    completed: int = 0
    canceled: int = 0
    errored: int = 0
    timeout: int = 0


class WireMinuteCounts(WireModel):
    start: Optional[str] = None
    end: Optional[str] = None
    counts: list[WireCount] = []


def ms(value: datetime) -> int:
    return int(as_utc(value).timestamp() * 1000)


def number(value: Union[float, str]) -> Union[int, float, str]:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run_options(body: Union[ExecuteBody, InputExportBody]) -> dict[str, Any]:
    """The query time and template context of a run (or an export), as Losant takes them."""
    payload: dict[str, Any] = {}
    if body.relative_to is not None:
        payload["relativeTo"] = number(body.relative_to)
    if body.template_context is not None:
        payload["templateContext"] = body.template_context
    if body.email is not None:
        payload["email"] = body.email
    if body.callback_url is not None:
        payload["callbackUrl"] = body.callback_url
    return payload


def as_int(value: Optional[float]) -> Optional[int]:
    return None if value is None else int(value)


def losant_error_message(body: Any) -> Optional[str]:
    """Losant's error body: ``{"type", "message", "validationErrors"?}``."""
    if not isinstance(body, Mapping):
        return None
    message = body.get("message")
    kind = body.get("type")
    parts: list[str] = []
    if isinstance(message, str) and message.strip():
        parts.append(message.strip())
    details = body.get("validationErrors")
    if isinstance(details, list):
        for item in details[:3]:
            if isinstance(item, Mapping) and isinstance(item.get("message"), str):
                parts.append(str(item["message"]))
    if not parts:
        return kind if isinstance(kind, str) and kind else None
    return "; ".join(parts)
