"""The one scrubber of secrets: every text that leaves the server goes through it.

:func:`redact` replaces every secret it is given, every secret a live
connection registered (:func:`register_secrets`), their base64 forms (HTTP
Basic) and anything shaped like an Authorization value with
:data:`REDACTED`. :class:`RedactingFilter` applies it to log records, and
:func:`install_log_redaction` puts that filter on our loggers and the HTTP
libraries' ones. Error bodies, tracebacks in the server log and run logs
read from a remote all use this one function and this one spelling.

Nothing here imports the rest of the extension.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import threading
import weakref
from collections.abc import Iterable
from typing import Callable, Optional, Union

__all__ = [
    "LIBRARY_LOGGERS",
    "REDACTED",
    "RedactingFilter",
    "SecretSource",
    "install_log_redaction",
    "redact",
    "register_secrets",
    "would_emit",
]

REDACTED = "[redacted]"

#: The HTTP libraries' own loggers (a filter applies only to its own logger,
#: not to children, so each one is named).
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

#: Credential-looking header values that must never be shown even when the
#: secret itself is not known (a stale token, another connection's token).
_AUTH_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*)(?:(?:bearer|basic|token)\s+)?[^\s,;'\"}]+"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
)

SecretSource = Callable[[], Iterable[str]]

# Every live connection registers where its current secrets come from, so the
# logging filter can redact any of them, whichever logger the text reaches.
_SOURCES: weakref.WeakValueDictionary[int, _SecretHolder] = weakref.WeakValueDictionary()


class _SecretHolder:
    def __init__(self, source: SecretSource) -> None:
        self.source = source


def register_secrets(source: SecretSource) -> object:
    """Make :class:`RedactingFilter` redact what ``source()`` returns.

    Returns a handle; the registration lasts as long as the handle is
    referenced (keep it on the object that owns the secret).
    """
    holder = _SecretHolder(source)
    _SOURCES[id(holder)] = holder
    return holder


@functools.lru_cache(maxsize=64)
def _secret_forms(secret: str) -> tuple[str, ...]:
    """A secret and the encodings it travels in (HTTP Basic base64).

    Cached: every log record is redacted, and the secrets rarely change.
    """
    forms = [secret]
    for raw in (secret, f"{secret}:", f":{secret}"):
        forms.append(base64.b64encode(raw.encode()).decode())
    return tuple(forms)


def would_emit(logger: logging.Logger, level: int) -> bool:
    """Whether a record of ``level`` on ``logger`` would reach any handler.

    The same walk as ``Logger.callHandlers``. Jupyter's loggers let DEBUG
    records through and drop them at the handler, so ``isEnabledFor`` alone
    would build (and redact) a record for nothing on every remote call.
    """
    if not logger.isEnabledFor(level):
        return False
    found = False
    current: Optional[logging.Logger] = logger
    while current is not None:
        for handler in current.handlers:
            found = True
            if level >= handler.level:
                return True
        if not current.propagate:
            break
        current = current.parent
    if not found:
        last = logging.lastResort
        return last is not None and level >= last.level
    return False


_COLLECTING = threading.local()


def _registered_secrets() -> list[str]:
    # A token source may log (a keyring that fails); that record comes back
    # through the filter, which must not ask the sources again.
    if getattr(_COLLECTING, "active", False):
        return []
    _COLLECTING.active = True
    found: list[str] = []
    try:
        for holder in list(_SOURCES.values()):
            try:
                found.extend(s for s in holder.source() if s)
            except Exception:  # noqa: S112 - a broken source must not break logging
                continue
    finally:
        _COLLECTING.active = False
    return found


def redact(text: str, secrets_: Iterable[str] = ()) -> str:
    """``text`` with every given secret, every registered connection's secret
    (and their base64 forms) and any Authorization-style value replaced."""
    if not text:
        return text
    candidates = [*secrets_, *_registered_secrets()]
    forms: set[str] = set()
    for secret in candidates:
        # Very short "secrets" would shred ordinary words; tokens are long.
        if secret and len(secret) >= 4:
            forms.update(_secret_forms(secret))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    text = _AUTH_PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_PATTERNS[1].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts credentials from every record it sees.

    The record's message is rendered once, redacted, and stored back (with
    no args), so handlers and formatters downstream see only clean text.
    """

    def __init__(self, secrets_: Optional[SecretSource] = None, *, on_logger: bool = False) -> None:
        super().__init__()
        self._secrets = secrets_
        #: Attached to a logger (not a handler): a record that no handler of
        #: that logger's chain will show needs no cleaning.
        self._on_logger = on_logger

    def filter(self, record: logging.LogRecord) -> bool:
        if self._on_logger and not would_emit(logging.getLogger(record.name), record.levelno):
            return True  # dropped at the handlers: rendering it would be for nothing
        extra = list(self._secrets()) if self._secrets else []
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw text
            message = str(record.msg)
        clean = redact(message, extra)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = str(exc)
            if redact(text, extra) != text:
                # The traceback would repeat the secret: keep only the clean line.
                record.msg = f"{clean} ({type(exc).__name__}: {redact(text, extra)})"
                record.exc_info = None
                record.exc_text = None
        return True


def install_log_redaction(*loggers: Union[str, logging.Logger]) -> None:
    """Attach one :class:`RedactingFilter` to each logger (idempotent).

    Logger filters apply only to records created on that very logger, so
    this covers our own loggers and the HTTP libraries' ones.
    """
    for item in loggers:
        logger = logging.getLogger(item) if isinstance(item, str) else item
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter(on_logger=True))


# ----------------------------------------------------------------------------- client
