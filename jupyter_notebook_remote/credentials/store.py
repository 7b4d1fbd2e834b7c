"""Where connection tokens set from the UI live: on the server only.

A token reaches the server once (from the configuration, the environment or
the UI's ``PUT connections/{id}/token``) and never goes back out: no store
here has a way to list tokens over the REST API, and every ``repr`` shows
connection ids only.

:class:`FileTokenStore` (the default) keeps ``{connection_id: token}`` in a
JSON file readable by the owner only (0600, in a 0700 directory), replaced
atomically on every change so a crash never leaves half a file.
:class:`KeyringTokenStore` uses the operating system's keyring when the
optional ``keyring`` package is installed.
"""

from __future__ import annotations

import abc
import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional, Union

from ..errors import NotebookRemoteError

_LOG = logging.getLogger("jupyter_notebook_remote")


class TokenStoreError(NotebookRemoteError):
    """The token store could not be written (permissions, full disk...)."""

    reason = "token_store"


class TokenStore(abc.ABC):
    """A place to keep one token per connection id."""

    def __init__(self, path: Union[str, Path], log: Optional[logging.Logger] = None) -> None:
        self.path = Path(path)
        self.log = log or _LOG

    @abc.abstractmethod
    def get(self, connection_id: str) -> Optional[str]:
        """The stored token of a connection, or None."""

    @abc.abstractmethod
    def set(self, connection_id: str, token: str) -> None:
        """Store (or replace) a connection's token."""

    @abc.abstractmethod
    def delete(self, connection_id: str) -> bool:
        """Forget a connection's token; True if there was one."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r})"


class FileTokenStore(TokenStore):
    """Tokens in a JSON file only its owner can read.

    The file is read again whenever it changed on disk (another server of the
    same user may have written it), and written atomically: a temporary file
    in the same directory, created 0600, then ``os.replace``.
    """

    def __init__(self, path: Union[str, Path], log: Optional[logging.Logger] = None) -> None:
        super().__init__(path, log)
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._stamp: Optional[tuple[int, int]] = None
        self._unreadable = False

    # ------------------------------------------------------------------ reading

    def _file_stamp(self) -> Optional[tuple[int, int]]:
        try:
            st = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        try:
            stamp = self._file_stamp()
        except OSError as exc:
            self.log.error(
                "Cannot read the token store %s (%s); stored tokens are ignored.",
                self.path,
                exc.strerror or type(exc).__name__,
            )
            self._stamp, self._tokens, self._unreadable = None, {}, False
            return
        if stamp == self._stamp:
            return
        self._stamp = stamp
        self._unreadable = False
        if stamp is None:
            self._tokens = {}
            return
        try:
            with self.path.open(encoding="utf-8") as f:
                data: Any = json.load(f)
        except (OSError, ValueError) as exc:
            # Never echo the content: it would be tokens.
            self.log.error(
                "Cannot read the token store %s (%s); stored tokens are ignored "
                "until it is fixed or replaced.",
                self.path,
                type(exc).__name__,
            )
            self._tokens = {}
            self._unreadable = True
            return
        if not isinstance(data, dict):
            self.log.error("The token store %s is not a JSON object; ignoring it.", self.path)
            self._tokens = {}
            self._unreadable = True
            return
        self._tokens = {str(k): v for k, v in data.items() if isinstance(v, str) and v}

    def get(self, connection_id: str) -> Optional[str]:
        with self._lock:
            self._refresh()
            return self._tokens.get(connection_id)

    # ------------------------------------------------------------------ writing

    def set(self, connection_id: str, token: str) -> None:
        if not token:
            raise ValueError("an empty token cannot be stored")
        with self._lock:
            self._refresh()
            tokens = dict(self._tokens)
            tokens[connection_id] = token
            self._write(tokens)

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            self._refresh()
            if connection_id not in self._tokens:
                return False
            tokens = dict(self._tokens)
            del tokens[connection_id]
            self._write(tokens)
            return True

    def _write(self, tokens: dict[str, str]) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._unreadable and self.path.exists():
                # Keep the unreadable file for its owner to inspect, instead
                # of overwriting what may still be their only copy.
                aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
                os.replace(self.path, aside)
                self.log.warning("Moved the unreadable token store aside to %s.", aside)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
            try:
                # mkstemp creates the file 0600 already; say so explicitly
                # in case a platform's default differs.
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(tokens, f, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise TokenStoreError(
                f"Could not save the token in {self.path}: {exc.strerror or type(exc).__name__}. "
                "Check that the directory is writable (NotebookRemote.token_store_path).",
            ) from None
        self._tokens = tokens
        self._stamp = self._file_stamp()  # just written: readable
        self._unreadable = False


try:  # pragma: no cover - depends on an optional package
    import keyring as _keyring
    import keyring.errors as _keyring_errors
except ImportError:  # pragma: no cover
    _keyring = None


if _keyring is not None:  # pragma: no cover - depends on an optional package

    class KeyringTokenStore(TokenStore):
        """Tokens in the operating system's keyring (``pip install keyring``).

        ``path`` is only used to tell stores of different servers apart.
        """

        service = "jupyter_notebook_remote"

        def _service(self) -> str:
            return f"{self.service}:{self.path}"

        def get(self, connection_id: str) -> Optional[str]:
            try:
                value = _keyring.get_password(self._service(), connection_id)
            except _keyring_errors.KeyringError as exc:
                self.log.error("Cannot read the keyring: %s", type(exc).__name__)
                return None
            return value or None

        def set(self, connection_id: str, token: str) -> None:
            try:
                _keyring.set_password(self._service(), connection_id, token)
            except _keyring_errors.KeyringError as exc:
                raise TokenStoreError(
                    f"Could not save the token in the keyring ({type(exc).__name__})."
                ) from None

        def delete(self, connection_id: str) -> bool:
            try:
                _keyring.delete_password(self._service(), connection_id)
            except _keyring_errors.PasswordDeleteError:
                return False
            except _keyring_errors.KeyringError as exc:
                raise TokenStoreError(
                    f"Could not remove the token from the keyring ({type(exc).__name__})."
                ) from None
            return True
