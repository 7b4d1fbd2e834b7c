"""Domain errors, and the one table that maps them to HTTP.

Every failure the extension reports is one of these. Providers raise them
(never a Tornado or an httpx exception); the handlers' single error hook turns
them into the JSON body of DESIGN.md:

    {"message", "reason", "connection"?, "remoteStatus"?, "fields"?}

The UI branches on ``reason``, never on ``message``. Messages say what was
wrong and what to do, and never contain a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional


class NotebookRemoteError(Exception):
    """Base of every error the REST API reports.

    ``reason`` is a stable, machine-readable word; each subclass has a default
    and a raise site may pick a more precise one (``notebook_not_found``).
    """

    reason: str = "internal"

    def __init__(
        self,
        message: str,
        *,
        reason: Optional[str] = None,
        connection: Optional[str] = None,
        remote_status: Optional[int] = None,
        retry_after: Optional[float] = None,
        fields: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.connection = connection
        self.remote_status = remote_status
        self.retry_after = retry_after
        self.fields: dict[str, str] = dict(fields or {})

    @property
    def status(self) -> int:
        return http_status(self)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "reason": self.reason}
        if self.connection is not None:
            body["connection"] = self.connection
        if self.remote_status is not None:
            body["remoteStatus"] = self.remote_status
        if self.fields:
            body["fields"] = self.fields
        return body


class InvalidInput(NotebookRemoteError):
    """The request is malformed: a bad id, path, body field or query value.

    ``fields`` names each offending field with what is wrong with it.
    """

    reason = "invalid_input"


class Unsupported(NotebookRemoteError):
    """The connection's kind cannot do this (see its ``capabilities``)."""

    reason = "unsupported"


class UnknownConnection(NotebookRemoteError):
    reason = "unknown_connection"


class NotFound(NotebookRemoteError):
    """A notebook, execution or file that does not exist (here or remotely).

    Raise sites use ``notebook_not_found``, ``execution_not_found``,
    ``file_not_found`` or ``path_not_found`` as the reason.
    """

    reason = "not_found"


class TokenMissing(NotebookRemoteError):
    """The connection needs a token and none is configured."""

    reason = "token_missing"


class RemoteAuthError(NotebookRemoteError):
    """The remote service refused the token (401 or 403 upstream)."""

    reason = "remote_auth"


class Conflict(NotebookRemoteError):
    """The request is valid but the state forbids it (e.g. nothing pushed yet)."""

    reason = "conflict"


class TooLarge(NotebookRemoteError):
    reason = "too_large"


class RateLimited(NotebookRemoteError):
    """Too many requests; ``retry_after`` (seconds) is passed on when known."""

    reason = "rate_limited"


class RemoteError(NotebookRemoteError):
    """The remote answered with a failure or with a body we cannot read."""

    reason = "remote_error"


class RemoteUnreachable(NotebookRemoteError):
    """The remote host could not be reached (refused, DNS, TLS...)."""

    reason = "remote_unreachable"


class RemoteTimeout(NotebookRemoteError):
    reason = "remote_timeout"


class LocalRunError(NotebookRemoteError):
    """The embedded ``local`` service failed for a reason outside the request
    (its store is unwritable, the disk is full...)."""

    reason = "local_failure"


#: The one table from domain error to HTTP status. Looked up along the MRO,
#: so a subclass inherits its parent's status unless it has its own row.
HTTP_STATUS: Mapping[type[NotebookRemoteError], int] = {
    InvalidInput: 400,
    Unsupported: 400,
    TokenMissing: 403,
    RemoteAuthError: 403,
    UnknownConnection: 404,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    RemoteError: 502,
    RemoteUnreachable: 502,
    RemoteTimeout: 504,
    LocalRunError: 500,
    NotebookRemoteError: 500,
}


def http_status(error: NotebookRemoteError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def invalid(field: str, problem: str, *, connection: Optional[str] = None) -> InvalidInput:
    """An :class:`InvalidInput` for one field, with a message naming it."""
    return InvalidInput(f"{field}: {problem}", fields={field: problem}, connection=connection)
