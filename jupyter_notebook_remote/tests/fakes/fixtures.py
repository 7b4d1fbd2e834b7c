"""pytest fixtures around the loopback fakes of the remote services.

``fake_losant`` is a fresh :class:`~.losant.FakeLosant` per test (quick runs:
0.05 s queued, 0.2 s running), stopped afterwards; a test fails if the fake
ever had to refuse one of its own answers (``fake.bugs``).
``losant_connection`` is the ``c.NotebookRemote.connections`` entry that
points at it. A module that wants the fake in its Jupyter server overrides
``notebook_remote_config``::

    @pytest.fixture
    def notebook_remote_config(notebook_remote_config, losant_connection):
        return {**notebook_remote_config,
                "connections": {"fake": losant_connection},
                "default_connection": "fake"}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .losant import FakeLosant

#: Run durations of the per-test fake, short so tests stay fast.
QUICK = {"queued_seconds": 0.05, "running_seconds": 0.2, "canceling_seconds": 0.05}


@pytest.fixture
def fake_losant_options() -> dict[str, Any]:
    """Keyword arguments for :class:`FakeLosant`; override to change timings."""
    return dict(QUICK)


@pytest.fixture
def fake_losant(fake_losant_options: dict[str, Any]) -> Iterator[FakeLosant]:
    fake = FakeLosant(**fake_losant_options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.bugs, f"the fake Losant broke its own schemas: {fake.bugs}"


def losant_connection_entry(fake: FakeLosant, **extra: Any) -> dict[str, Any]:
    """A ``connections`` entry (kind losant) pointing at ``fake``."""
    entry: dict[str, Any] = {
        "kind": "losant",
        "label": "Fake Losant",
        "base_url": fake.url,
        "application_id": fake.application_id,
        "token": fake.token,
    }
    entry.update(extra)
    return entry


@pytest.fixture
def losant_connection(fake_losant: FakeLosant) -> dict[str, Any]:
    return losant_connection_entry(fake_losant)
