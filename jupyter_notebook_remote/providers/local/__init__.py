"""The embedded ``local`` connection: runs notebooks on this machine like Losant.

See :mod:`.provider` for the behaviour, :mod:`.store` for the SQLite store,
:mod:`.rundir` for the files of a run, and :mod:`.runner` for the child process.
"""

from __future__ import annotations

from .provider import LocalProvider

__all__ = ["LocalProvider"]
