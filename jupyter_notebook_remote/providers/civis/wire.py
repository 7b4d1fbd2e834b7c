"""Civis's side of the wire: its ids, deployment states and JSON as models.

From the Swagger spec its ``civis`` client bundles (``tests/fakes/civis_spec``):
the spec marks most fields required but its own examples send null for many,
so everything is optional here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Optional

import httpx

from ...models import ExecutionStatus
from ..remote import WireModel

#: A Civis id: a positive integer, at most 12 digits.
CIVIS_ID_RE = re.compile(r"^[1-9][0-9]{0,11}$")

STATES: Mapping[str, ExecutionStatus] = {
    "pending": "queued",
    "running": "inProgress",
    "terminated": "completed",
    # Asleep after its idle timeout: still up (it wakes when opened), still
    # stoppable, so still in progress; the run says remoteState "sleeping".
    "sleeping": "inProgress",
}
#: Civis states that ``status`` alone would hide: answered as ``remoteState``.
TOLD_STATES = frozenset({"sleeping"})
#: States of a deployment that is up: it can be opened.
UP_STATES = frozenset({"running", "sleeping"})


# ----------------------------------------------------------------------------- wire shapes


class WireRecentDeployment(WireModel):
    """What a notebook says of its most recent deployment (when it started)."""

    createdAt: Optional[str] = None


class WireNotebook(WireModel):
    id: int
    name: Optional[str] = None
    description: Optional[str] = None
    createdAt: Optional[str] = None
    updatedAt: Optional[str] = None
    archived: Optional[bool] = None
    language: Optional[str] = None
    mostRecentDeployment: Optional[WireRecentDeployment] = None
    #: The settings (only in the single-notebook form, not in the list).
    memory: Optional[int] = None
    cpu: Optional[int] = None
    idleTimeout: Optional[int] = None
    dockerImageName: Optional[str] = None
    dockerImageTag: Optional[str] = None
    #: Time-limited: the requirements text Civis keeps as a file.
    requirementsUrl: Optional[str] = None
    environmentVariables: Optional[dict[str, Any]] = None


class WireDeployment(WireModel):
    deploymentId: int
    notebookId: Optional[int] = None
    userId: Optional[int] = None
    state: Optional[str] = None
    stateMessage: Optional[str] = None
    createdAt: Optional[str] = None
    updatedAt: Optional[str] = None
    #: Requested (MB, millicores) and, after termination, the peaks used.
    memory: Optional[float] = None
    cpu: Optional[float] = None
    maxMemoryUsage: Optional[float] = None
    maxCpuUsage: Optional[float] = None
    #: Only on the single-deployment GET: where the live server is (signed).
    displayUrl: Optional[str] = None


class WireLogEntry(WireModel):
    message: str
    createdAt: Optional[str] = None
    source: str = "?"
    stream: str = "?"


class WireLinks(WireModel):
    updateUrl: str
    updatePreviewUrl: Optional[str] = None


def civis_error_message(body: Any) -> Optional[str]:
    """Civis's error body: ``{"error", "errorDescription", "code"}``."""
    if not isinstance(body, Mapping):
        return None
    for key in ("errorDescription", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def total_count(response: httpx.Response, page: int, limit: int, received: int) -> int:
    """The notebook count: Civis's pagination header, else a lower bound.

    Without the header the total is unknown; what is known is that there are
    at least the ones before this page plus this page, and at least one more
    when this page came back full.
    """
    header = response.headers.get("X-Pagination-Total-Entries")
    if header is not None and header.strip().isdigit():
        return int(header.strip())
    known = page * limit + received
    return known + 1 if received >= limit else known
