"""The remote-HTTP layer: how every HTTP kind talks to its service.

=================  ==========================================================
``settings``       :class:`HttpSettings` (timeouts, limits, retries), constants
``client``         :class:`RemoteClient`: one per connection; auth, retries,
                   logging, streaming
``failures``       transport failures and remote statuses -> domain errors
``multipart``      a streamed ``multipart/form-data`` body
``reads``          identical safe reads shared: single-flight, a freshness
                   window, emptied by any change
=================  ==========================================================

It knows no remote's URLs or JSON, and imports nothing of the providers or
the REST layer: providers build on it, never the other way round.
"""

from __future__ import annotations

from .client import HeaderAuth, RemoteClient, RemoteRequest, Sleep, build_client
from .failures import (
    ErrorMessageHook,
    NotFoundHint,
    default_error_message,
    parse_retry_after,
    truncate,
)
from .multipart import MultipartBody, MultipartFile
from .reads import READ_MAX_AGE, SharedReads, max_age_of
from .settings import MESSAGE_LIMIT, RETRY_STATUSES, SAFE_METHODS, USER_AGENT, HttpSettings

__all__ = [
    "MESSAGE_LIMIT",
    "READ_MAX_AGE",
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "USER_AGENT",
    "ErrorMessageHook",
    "HeaderAuth",
    "HttpSettings",
    "MultipartBody",
    "MultipartFile",
    "NotFoundHint",
    "RemoteClient",
    "RemoteRequest",
    "SharedReads",
    "Sleep",
    "build_client",
    "default_error_message",
    "max_age_of",
    "parse_retry_after",
    "truncate",
]
