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
compiled (marshalled bytecode on its stdin, compiled once here). Its
start-up (Python, msgspec, the validators: about 0.1 s of CPU) is not on a
push's path but the first: once a check has run in a child, a spare one is
started when that push is over and waits, its imports done, for the next
push's file (:class:`_Spare`); the server keeps one at most, and a spare
whose server is gone sees its stdin end and exits.

A notebook saved through Jupyter, as the panel saves it before every push,
needs no second read at all: :class:`SavedNotebooks` checks the model Jupyter
was given to save (parsed already) and keeps the verdict with the written
file's stamp; a push of that file takes it. Otherwise the file is read
twice, by the upload and by the check, but at once and from the page
cache. Both compare the file's stamp (mtime, size) with the one taken
before: the check before and after it reads, the upload when it opens the
file and when it has read it. A file saved again in between
is a ``file_changed`` conflict, never a push of bytes that were not checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict
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
    """One check of one saved notebook, running until its verdict is asked for.

    ``saved`` is the verdict :class:`SavedNotebooks` took when Jupyter saved
    this very file; without it (or if it failed) the file is checked here.
    """

    def __init__(
        self,
        os_path: str,
        stamp: tuple[int, int],
        api_path: str,
        saved: Optional[asyncio.Future[dict[str, Any]]] = None,
    ) -> None:
        self.api_path = api_path
        self._in_child = saved is None and stamp[1] > CHILD_CHECK_BYTES
        self._task = asyncio.ensure_future(_verdict(os_path, stamp, saved))

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
        """Stop the check if it still runs (the push failed before it was needed).

        The push is over: if it was checked in a child, have a spare ready
        for the next big one (started now, not while this push competed
        for the CPU)."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):  # its outcome is no longer wanted
            await self._task
        if self._in_child:
            self._in_child = False
            _SPARE.prepare()


async def _verdict(
    os_path: str, stamp: tuple[int, int], saved: Optional[asyncio.Future[dict[str, Any]]]
) -> dict[str, Any]:
    if saved is not None:
        with contextlib.suppress(Exception):  # then check the file itself
            return await asyncio.shield(saved)
    if stamp[1] <= CHILD_CHECK_BYTES:
        answer = await asyncio.to_thread(nbcheck.check_path, os_path, stamp)
    else:
        answer = await _in_child(os_path, stamp)
    minor = answer.get("minor")
    if isinstance(minor, int) and minor not in _minors and 0 <= minor <= 99:
        _minors.add(minor)  # the next child gets it compiled too
    return answer


class _Spare:
    """At most one checker child started ahead, its imports done, waiting for a file.

    A plain ``subprocess.Popen`` (not an asyncio one): it outlives any one
    event loop, and is talked to from a thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: Optional[subprocess.Popen[bytes]] = None
        self._starting = False

    def take(self, minors: tuple[int, ...]) -> subprocess.Popen[bytes]:
        """The spare if it is alive, else a child started now (call in a thread)."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None and child.poll() is None:
            return child
        return _start_child(minors)

    def prepare(self) -> None:
        """Start a spare in a thread, unless there is one (never raises)."""
        with self._lock:
            if self._child is not None or self._starting:
                return
            self._starting = True
        minors = tuple(sorted(_minors))  # read here, where checks add to it
        threading.Thread(
            target=self._start, args=(minors,), name="nbcheck-spare", daemon=True
        ).start()

    def _start(self, minors: tuple[int, ...]) -> None:
        child: Optional[subprocess.Popen[bytes]] = None
        try:
            child = _start_child(minors)
        except Exception:  # no spare: the next check starts its own child
            logging.getLogger("jupyter_notebook_remote").debug("no spare checker", exc_info=True)
        with self._lock:
            self._starting = False
            if self._child is None:
                self._child, child = child, None
        if child is not None:
            _let_go(child)

    def close(self) -> None:
        """End the spare (the server stops)."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            _let_go(child)


def _start_child(minors: tuple[int, ...] = (5,)) -> subprocess.Popen[bytes]:
    """A checker child waiting for its file, given these minors' compiled validators."""
    codes = nbcheck.validator_codes(minors)
    child = subprocess.Popen(
        [sys.executable, nbcheck.__file__, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdin is not None
        child.stdin.write(len(codes).to_bytes(8, "big") + codes)
        child.stdin.flush()
    except BaseException:
        _let_go(child)
        raise
    return child


def _let_go(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.communicate()


_SPARE = _Spare()


def close_spare() -> None:
    """End the spare checker child, if there is one (the extension stops)."""
    _SPARE.close()


def _run_child(
    os_path: str,
    stamp: tuple[int, int],
    minors: tuple[int, ...],
    started: list[subprocess.Popen[bytes]],
) -> tuple[int, bytes, bytes]:
    child = _SPARE.take(minors)
    started.append(child)
    job = b"\0".join((os.fsencode(os_path), str(stamp[0]).encode(), str(stamp[1]).encode()))
    try:
        out, err = child.communicate(job, timeout=CHILD_CHECK_TIMEOUT)
    except BaseException:
        _let_go(child)
        raise
    return child.returncode, out, err


async def _in_child(os_path: str, stamp: tuple[int, int]) -> dict[str, Any]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        returncode, out, err = await asyncio.to_thread(
            _run_child, os_path, stamp, tuple(sorted(_minors)), started
        )
    except subprocess.TimeoutExpired:
        raise NotebookRemoteError(
            f"Checking the notebook took longer than {CHILD_CHECK_TIMEOUT:.0f} s; "
            "try again, or clear large outputs and save first.",
            reason="check_failed",
        ) from None
    except BaseException:
        # Cancelled (the push failed first): the thread waits for the child; end it.
        for child in started:
            if child.poll() is None:
                child.kill()
        raise
    answer = _answer(out) if returncode == 0 else None
    if answer is None and _stamp_or_none(os_path) != stamp:
        # The file changed under the child: a mapped file cut short ends it (SIGBUS).
        return {"changed": True}
    if answer is None:
        message = err.decode("utf-8", "replace").strip()[-200:] or "no message"
        raise NotebookRemoteError(
            "The notebook could not be checked before the push (the checker exited with "
            f"{returncode}: {message}).",
            reason="check_failed",
        )
    return answer


def _stamp_or_none(os_path: str) -> Optional[tuple[int, int]]:
    try:
        return nbcheck.stamp(os_path)
    except OSError:
        return None


def _answer(out: bytes) -> Optional[dict[str, Any]]:
    try:
        answer = json.loads(out)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


_TWICE = object()


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class SavedNotebooks:
    """The check's verdicts on notebooks as Jupyter saved them, from the saved model.

    JupyterLab's save hands Jupyter Server the notebook, which parses it and
    writes the file. A pre-save hook keeps that parsed model; the post-save
    hook binds it to the written file's stamp (mtime, size) and checks it in
    a thread: no read, no parse, about 6 ms of schema check a 10 MiB (the
    GIL is released every few ms: the loop stays free). The model is let go
    once checked. A push of a file that still has that stamp takes the
    verdict (:func:`resolve_upload` asks :meth:`verdict_for`); a file written
    any other way, or saved twice at once, is checked in full as it streams.

    The verdict is on what Jupyter was given, and the file is what nbformat
    wrote from it: the same structure, cells and outputs (nbformat only drops
    transient keys such as a cell's ``trusted``).
    """

    #: Verdicts kept, the most recently saved files'.
    LIMIT = 64

    def __init__(self, log: Optional[logging.Logger] = None) -> None:
        self.log = log or logging.getLogger("jupyter_notebook_remote")
        self._pending: dict[str, Any] = {}
        self._verdicts: OrderedDict[str, tuple[tuple[int, int], asyncio.Future[Any]]]
        self._verdicts = OrderedDict()

    def install(self, contents_manager: Any) -> bool:
        """Hook into a file-backed contents manager's saves; False if it cannot."""
        pre = getattr(contents_manager, "register_pre_save_hook", None)
        post = getattr(contents_manager, "register_post_save_hook", None)
        if not (callable(pre) and callable(post) and hasattr(contents_manager, "_get_os_path")):
            return False
        pre(self.pre_save)
        post(self.post_save)
        return True

    def pre_save(self, model: Any, path: str, **kwargs: Any) -> None:
        """Keep the notebook Jupyter is about to write (never fails a save)."""
        try:
            if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
                return
            key = str(path).strip("/")
            if len(self._pending) > 8:  # saves that failed between the hooks
                self._pending.clear()
            # Two saves of one file at once: which model was written is unknown.
            self._pending[key] = _TWICE if key in self._pending else model["content"]
        except Exception:
            self.log.debug("pre-save: could not keep %s for the push check", path, exc_info=True)

    def post_save(self, model: Any, os_path: str, **kwargs: Any) -> None:
        """Check the notebook just written, bound to its stamp (never fails a save)."""
        try:
            self._verdicts.pop(os_path, None)
            content = self._pending.pop(str(model.get("path", "")).strip("/"), None)
            if content is None or content is _TWICE:
                return
            st = os.stat(os_path)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(None, nbcheck.check_data, content)
            future.add_done_callback(_retrieved)  # a push that never comes is no error
            self._verdicts[os_path] = ((st.st_mtime_ns, st.st_size), future)
            while len(self._verdicts) > self.LIMIT:
                self._verdicts.popitem(last=False)
        except Exception:
            self.log.debug("post-save: no push check for %s", os_path, exc_info=True)

    def verdict_for(
        self, os_path: str, stamp: tuple[int, int]
    ) -> Optional[asyncio.Future[dict[str, Any]]]:
        """The verdict taken when Jupyter saved this file, if it has not changed since."""
        entry = self._verdicts.get(os_path)
        return entry[1] if entry is not None and entry[0] == stamp else None
