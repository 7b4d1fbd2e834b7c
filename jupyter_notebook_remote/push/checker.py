"""The notebook check, run beside the upload instead of before it.

A push does not wait for the check before it sends. :func:`resolve_upload`
starts a :class:`NotebookCheck` (its verdict a task) and the upload streams at once; the
upload's guarded stream (``NotebookUpload.stream()``) holds the file's last
piece back until the check's verdict is in. So a push takes about as long as
the slower of the two, not their sum, and a notebook the check refuses
never reaches the remote whole: the body stops short of the
``Content-Length`` it announced and the request fails. Losant's multipart
body never gets its last bytes or its closing boundary, a pre-signed PUT
(Civis) never completes, and ``local`` writes the upload to a temporary file
that it removes.

Where the check runs: up to :data:`CHILD_CHECK_BYTES` in a thread (the
parse holds the interpreter lock for a few tens of milliseconds at most);
above, in a child process (``nbcheck.py`` started by path), so that
neither the parse's memory (about 2.5 times the file) nor its hold on the
lock lands on the server. The child gets nbformat's schema already
compiled (marshalled bytecode on its stdin, compiled once here), so it
starts in a few tens of milliseconds and is done, at 50 MiB, before the
upload is.

The file is read twice, by the upload and by the check, but at once and
from the page cache. Both compare the file's stamp (mtime, size) with the
one taken before: the check before and after it reads, the upload when it
opens the file and when it has read it. A file saved again in between
is a ``file_changed`` conflict, never a push of bytes that were not checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any, Optional

from ..errors import Conflict, NotebookRemoteError, invalid
from ..models import PushWarning
from . import nbcheck

#: Notebooks larger than this are checked in a child process.
CHILD_CHECK_BYTES = 8 * 1024 * 1024
CHILD_CHECK_TIMEOUT = 120.0

#: The nbformat minors whose compiled schema a child is given: 4.5, and any
#: other a check has met since the server started.
_minors: set[int] = {5}


class NotebookCheck:
    """One check of one saved notebook, running until its verdict is asked for."""

    def __init__(self, os_path: str, stamp: tuple[int, int], api_path: str) -> None:
        self.api_path = api_path
        self._task = asyncio.ensure_future(_verdict(os_path, stamp))

    async def verdict(self) -> list[PushWarning]:
        """The warnings, or the refusal: :class:`InvalidInput` naming ``path``,
        ``Conflict(file_changed)``, or ``check_failed``. May be awaited again."""
        answer = await asyncio.shield(self._task)
        if answer.get("changed"):
            raise Conflict(
                f"{self.api_path} changed on disk while it was being pushed; push it again.",
                reason="file_changed",
            )
        if answer.get("problem"):
            raise invalid("path", str(answer["problem"]))
        return [PushWarning(**found) for found in answer.get("warnings", [])]

    def done(self) -> bool:
        return self._task.done()

    async def aclose(self) -> None:
        """Stop the check if it still runs (the push failed before it was needed)."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):  # its outcome is no longer wanted
            await self._task


async def _verdict(os_path: str, stamp: tuple[int, int]) -> dict[str, Any]:
    if stamp[1] <= CHILD_CHECK_BYTES:
        answer = await asyncio.to_thread(nbcheck.check_path, os_path, stamp)
    else:
        answer = await _in_child(os_path, stamp)
    minor = answer.get("minor")
    if isinstance(minor, int) and minor not in _minors and 0 <= minor <= 99:
        _minors.add(minor)  # the next child gets it compiled too
    return answer


async def _in_child(os_path: str, stamp: tuple[int, int]) -> dict[str, Any]:
    codes = await asyncio.to_thread(nbcheck.validator_codes, tuple(sorted(_minors)))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        nbcheck.__file__,
        os_path,
        str(stamp[0]),
        str(stamp[1]),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(codes), CHILD_CHECK_TIMEOUT)
    except asyncio.TimeoutError:
        await _kill(child)
        raise NotebookRemoteError(
            f"Checking the notebook took longer than {CHILD_CHECK_TIMEOUT:.0f} s; "
            "try again, or clear large outputs and save first.",
            reason="check_failed",
        ) from None
    except BaseException:
        await _kill(child)
        raise
    answer = _answer(out) if child.returncode == 0 else None
    if answer is None:
        message = err.decode("utf-8", "replace").strip()[-200:] or "no message"
        raise NotebookRemoteError(
            "The notebook could not be checked before the push (the checker exited with "
            f"{child.returncode}: {message}).",
            reason="check_failed",
        )
    return answer


def _answer(out: bytes) -> Optional[dict[str, Any]]:
    try:
        answer = json.loads(out)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


async def _kill(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.kill()
        await child.wait()
