"""What the ``local`` runner child and the server both rely on.

The names of the files through which they talk in a run's directory, the
runner's exit codes, and two mechanisms: telling a full disk from other
failures, and signalling a process group. The server imports this module as
part of the package; :mod:`.runner` loads it straight from this file, since
the child never imports the package. So it imports only a few modules of the
standard library.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
from typing import Optional

#: In a run's directory: what the runner is to do (written by the server).
SPEC_FILE = "run.json"
#: The runner's verdict: outcome and errors (written by the runner at the end).
STATUS_FILE = "status.json"
#: The kernel's pid, so that the server can stop the kernel's process group.
KERNEL_PID_FILE = "kernel.pid"
#: Where a run is: the code cell started last, of how many, since when (ms);
#: rewritten by the runner as each cell starts, read by the server while it runs.
PROGRESS_FILE = "progress.json"

#: The runner's exit code when even ``status.json`` could not be written for lack of space.
EXIT_DISK_FULL = 3
#: Its exit code for a missing or malformed ``run.json`` (a bug of the server, not the user).
EXIT_BAD_SPEC = 4

_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS


def kill_group(pid: Optional[int], sig: int = signal.SIGKILL) -> None:
    """Signal the process group led by ``pid``; no pid, or a group already gone, is fine."""
    if pid is None or pid <= 0:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
