"""Secrets: where tokens live (``store``) and how they are kept out of every text (``redaction``).

A token reaches the server once (configuration, environment, or the UI's
``PUT connections/{id}/token``) and never goes back out.
"""

from __future__ import annotations

import contextlib

from .redaction import REDACTED, install_log_redaction, redact, register_secrets
from .store import FileTokenStore, TokenStore, TokenStoreError

with contextlib.suppress(ImportError):  # only with the optional keyring package
    from .store import KeyringTokenStore  # noqa: F401

__all__ = [
    "REDACTED",
    "FileTokenStore",
    "TokenStore",
    "TokenStoreError",
    "install_log_redaction",
    "redact",
    "register_secrets",
]
