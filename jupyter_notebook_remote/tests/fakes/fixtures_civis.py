"""pytest fixtures around the loopback fakes of Civis and 4pointx.

A test module loads them with ``pytest_plugins``::

    pytest_plugins = ("jupyter_notebook_remote.tests.fakes.fixtures_civis",)

``fake_civis`` / ``fake_fourpointx`` are fresh fakes per test on a
:class:`~.loopback.FakeClock` (``civis_clock`` / ``fourpointx_clock``), so a
test moves deployments along with ``clock.advance(...)`` instead of
sleeping; a test fails if the Civis fake ever broke its own spec
(``fake.bugs``). ``civis_connection`` / ``fourpointx_connection`` are the
``c.NotebookRemote.connections`` entries pointing at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .civis import FakeCivis
from .fourpointx import FakeFourPointX
from .loopback import FakeClock

#: Deployment timings of the per-test Civis fake (seconds of its clock).
CIVIS_TIMINGS = {"pending_seconds": 30.0, "running_seconds": 600.0}


@pytest.fixture
def civis_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_civis_options() -> dict[str, Any]:
    """Keyword arguments for :class:`FakeCivis`; override to change timings."""
    return dict(CIVIS_TIMINGS)


@pytest.fixture
def fake_civis(civis_clock: FakeClock, fake_civis_options: dict[str, Any]) -> Iterator[FakeCivis]:
    fake = FakeCivis(clock=civis_clock, **fake_civis_options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.bugs, f"the fake Civis broke its own spec: {fake.bugs}"


def civis_connection_entry(fake: FakeCivis, **extra: Any) -> dict[str, Any]:
    """A ``connections`` entry (kind civis) pointing at ``fake``."""
    entry: dict[str, Any] = {
        "kind": "civis",
        "label": "Fake Civis",
        "base_url": fake.url,
        "token": fake.api_key,
    }
    entry.update(extra)
    return entry


@pytest.fixture
def civis_connection(fake_civis: FakeCivis) -> dict[str, Any]:
    return civis_connection_entry(fake_civis)


@pytest.fixture
def fourpointx_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_fourpointx(fourpointx_clock: FakeClock) -> Iterator[FakeFourPointX]:
    fake = FakeFourPointX(clock=fourpointx_clock)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def fourpointx_connection_entry(fake: FakeFourPointX, **extra: Any) -> dict[str, Any]:
    """A ``connections`` entry (kind fourpointx) pointing at ``fake``."""
    entry: dict[str, Any] = {
        "kind": "fourpointx",
        "label": "Fake 4pointx",
        "base_url": fake.url,
        "token": fake.token,
    }
    entry.update(extra)
    return entry


@pytest.fixture
def fourpointx_connection(fake_fourpointx: FakeFourPointX) -> dict[str, Any]:
    return fourpointx_connection_entry(fake_fourpointx)
