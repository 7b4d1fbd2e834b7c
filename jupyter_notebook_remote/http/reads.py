"""Shared reads: one remote request for identical safe calls, however many ask.

Ten browser tabs watching one run ask the extension for the same list of runs
every poll. :class:`SharedReads` keeps that to one remote request:

* **single-flight**: a read that is already in flight (same connection, method,
  path, query, headers and credential) is joined, not repeated;
* **a short freshness window**: an answer is reused by callers that ask within
  ``window`` seconds of the moment its request was sent (default 1 s;
  ``0`` keeps only the single-flight). A caller may ask for less
  (``Cache-Control: max-age=N`` or ``no-cache`` from the browser, see
  :data:`READ_MAX_AGE`), never for more, and ``no-store`` sends a request
  of its own (a benchmark of the proxy itself uses it);
* **never stale after a change**: any call that is not safe (a Run, a push, a
  PATCH, a cancel) empties the connection's shared reads before it is sent
  and again when it ends, and a read that was in flight across it is not
  kept, so the list after a Run is fetched fresh;
* **errors are not kept**: callers that joined a failing request get its
  error; the next caller sends a new request.

Only successful (2xx), fully read responses are shared; they are read-only
from then on. What a provider makes of one (its models) can be made once for
all who share it (:meth:`SharedReads.derived`), and what it makes of each
element of a list can be made once for all the answers that carry that
element byte for byte (:meth:`SharedReads.derived_items`); those are
read-only too.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any, Callable, Optional, TypeVar, cast

import httpx
import msgspec

T = TypeVar("T")

#: How old (seconds) a shared answer may be for the request being served; None:
#: the connection's window. Set per browser request by the REST layer.
READ_MAX_AGE: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar(
    "notebook_remote_read_max_age", default=None
)
#: A max age that asks for a request of its own (``Cache-Control: no-store``).
OWN_REQUEST = -1.0
#: Answers kept at most per connection (the oldest go first).
MAX_KEPT = 256
#: Readings kept by body (:meth:`SharedReads.derived`): at most this many tags,
#: and only of bodies up to :data:`MAX_READ_BODY` bytes.
MAX_READINGS = 32
MAX_READ_BODY = 256 * 1024
#: Elements read kept (:meth:`SharedReads.derived_items`), by tag and bytes,
#: and only elements up to :data:`MAX_ITEM_BYTES` each.
MAX_ITEM_READINGS = 512
MAX_ITEM_BYTES = 16 * 1024

#: A JSON array's elements as their bytes, not decoded.
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


def max_age_of(cache_control: Optional[str]) -> Optional[float]:
    """The freshness a ``Cache-Control`` request header asks for, in seconds.

    ``no-cache`` / ``max-age=0`` -> 0 (join only a read in flight);
    ``max-age=N`` -> N; ``no-store`` -> :data:`OWN_REQUEST` (neither reuse
    nor join: a request of its own); anything else -> None (no wish).
    """
    if not cache_control:
        return None
    directives = [part.strip().partition("=") for part in cache_control.lower().split(",")]
    names = {name for name, _, _ in directives}
    if "no-store" in names:
        return OWN_REQUEST
    if "no-cache" in names:
        return 0.0
    wish: Optional[float] = None
    for name, _, value in directives:
        if name == "max-age" and value.strip().isdigit():
            wish = float(int(value.strip()))
    return wish


class _Kept:
    __slots__ = ("response", "sent_at")

    def __init__(self, response: httpx.Response, sent_at: float) -> None:
        self.response = response
        self.sent_at = sent_at


class SharedReads:
    """The shared reads of one connection's client (see the module docstring)."""

    def __init__(self, window: float, clock: Callable[[], float]) -> None:
        self.window = max(0.0, window)
        self._clock = clock
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._flying: dict[Hashable, asyncio.Future[httpx.Response]] = {}
        #: Bumped by every change; a read sent before a change is not kept.
        self._generation = 0
        self._derived: weakref.WeakKeyDictionary[httpx.Response, dict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )
        #: The last reading of each tag with the body it was made from.
        self._readings: OrderedDict[Hashable, tuple[bytes, Any]] = OrderedDict()
        #: The readings of list elements, by (tag, the element's bytes).
        self._item_readings: OrderedDict[tuple[Hashable, bytes], Any] = OrderedDict()

    async def read(
        self, key: Hashable, fetch: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """The answer for ``key``: kept, joined in flight, or fetched now."""
        wish = READ_MAX_AGE.get()
        if wish is not None and wish < 0:
            return await fetch()
        window = self.window if wish is None else min(self.window, wish)
        if window > 0:
            kept = self._kept.get(key)
            if kept is not None and self._clock() - kept.sent_at <= window:
                return kept.response
        flying = self._flying.get(key)
        if flying is None:
            flying = self._start(key, fetch)
        # A caller that goes away (the browser closed the tab) must not cancel
        # the request the others are waiting for.
        return await asyncio.shield(flying)

    def _start(
        self, key: Hashable, fetch: Callable[[], Awaitable[httpx.Response]]
    ) -> asyncio.Future[httpx.Response]:
        generation, sent_at = self._generation, self._clock()

        task = asyncio.ensure_future(fetch())
        self._flying[key] = task

        def settle(done: asyncio.Future[httpx.Response]) -> None:
            if self._flying.get(key) is done:
                del self._flying[key]
            if done.cancelled():
                return
            if done.exception() is not None:  # also marks it retrieved
                return
            if self.window > 0 and generation == self._generation:
                self._keep(key, _Kept(done.result(), sent_at))

        task.add_done_callback(settle)
        return task

    def _keep(self, key: Hashable, kept: _Kept) -> None:
        self._kept[key] = kept
        self._kept.move_to_end(key)
        now = self._clock()
        while self._kept:
            oldest_key, oldest = next(iter(self._kept.items()))
            if len(self._kept) <= MAX_KEPT and now - oldest.sent_at <= self.window:
                break
            del self._kept[oldest_key]

    def derived(self, response: httpx.Response, tag: Hashable, compute: Callable[[], T]) -> T:
        """What ``compute()`` makes of ``response``, made once however many share it.

        A provider reads a shared answer into its models once, not once per
        tab; ``tag`` names the reading (with whatever else it depends on).
        Kept as long as the response is; a failure is not kept.

        A reading depends on the body and the tag alone, so a later answer
        whose body is byte for byte the one last read under ``tag`` (a poll
        of runs that have not changed: the usual poll) is given that reading
        again instead of being read anew. A changed body is read, always.
        """
        memo = self._derived.get(response)
        if memo is None:
            memo = self._derived[response] = {}
        if tag in memo:
            return cast(T, memo[tag])
        body = response.content
        last = self._readings.get(tag)
        if last is not None and last[0] == body:
            self._readings.move_to_end(tag)
            memo[tag] = last[1]
            return cast(T, last[1])
        memo[tag] = result = compute()
        if len(body) <= MAX_READ_BODY:
            self._readings[tag] = (body, result)
            self._readings.move_to_end(tag)
            while len(self._readings) > MAX_READINGS:
                self._readings.popitem(last=False)
        return result

    def derived_items(
        self, response: httpx.Response, tag: Hashable, read_item: Callable[[bytes], T]
    ) -> Optional[list[T]]:
        """``read_item`` of each element of the JSON array in ``response``'s body,
        each element read once for every answer that carries it byte for byte.

        A page of runs polled while one of them is in progress differs from
        the last page in that run alone: the others are not read again.
        ``read_item`` gets an element's JSON bytes; what it raises is raised
        and nothing of it is kept. None if the body is not a JSON array:
        the caller reads it its own way, and says what is wrong with it.
        """
        try:
            elements = _ARRAY.decode(response.content)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        kept = self._item_readings
        results: list[T] = []
        for element in elements:
            raw = bytes(element)
            key = (tag, raw)
            if key in kept:
                kept.move_to_end(key)
                results.append(cast(T, kept[key]))
                continue
            result = read_item(raw)
            results.append(result)
            if len(raw) <= MAX_ITEM_BYTES:
                kept[key] = result
                if len(kept) > MAX_ITEM_READINGS:
                    kept.popitem(last=False)
        return results

    def invalidate(self) -> None:
        """Forget every shared read (something on the remote may have changed)."""
        self._generation += 1
        self._kept.clear()
        # Reads in flight finish for those already waiting; new callers send anew.
        self._flying.clear()

    def __len__(self) -> int:
        return len(self._kept)
