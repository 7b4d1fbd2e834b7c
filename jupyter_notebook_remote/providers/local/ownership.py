"""Which Jupyter server owns a ``local`` run, so that servers sharing a store
never end each other's runs.

Each server holds an exclusive ``flock`` on ``<data_dir>/servers/<owner>.lock``
for as long as it lives and writes its owner id on the runs it queues. The
kernel drops the lock when the process ends, however it ends, so a run whose
owner's lock can be taken was left behind by a server that is gone (a pid
could be reused; a lock cannot outlive its process). Where ``fcntl`` does not
exist, every other owner counts as gone.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Optional

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_OWNER_RE = re.compile(r"^[0-9a-f-]{1,64}$")


class ServerLock:
    """This server's claim on the runs it queues."""

    def __init__(self, directory: Path, owner: str) -> None:
        self.path = directory / f"{owner}.lock"
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def owner_alive(directory: Path, owner: Optional[str]) -> bool:
    """Whether the server ``owner`` still runs (holds its lock)."""
    if fcntl is None or not owner or not _OWNER_RE.match(owner):
        return False
    path = directory / f"{owner}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        with contextlib.suppress(OSError):
            path.unlink()  # the lock of a server that is gone
        return False
    finally:
        os.close(fd)
