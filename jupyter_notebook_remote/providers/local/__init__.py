"""The embedded ``local`` connection: runs notebooks on this machine like Losant.

======================  ==========================================================
module                  concern
======================  ==========================================================
:mod:`.provider`        :class:`LocalProvider`, the API: notebooks, push, runs,
                        usage, files; thin, over the store and the lifecycle
:mod:`.lifecycle`       a run from queued to ended: the queue, the runner child,
                        watching and stopping it, recovery after a restart
:mod:`.outcome`         how a run ended: its status and errors
:mod:`.runner`          the child process that executes one notebook (nbclient)
:mod:`.shared`          what the runner and the server share (file names, exit
                        codes, full-disk test, process-group signals)
:mod:`.rundir`          the data directory's layout and the files of one run
:mod:`.store`           the SQLite store of notebooks and runs
:mod:`.ownership`       which server owns a run, when servers share a store
:mod:`.files`           serving a run's files
:mod:`.usage`           minutes and runs per day
======================  ==========================================================
"""

from __future__ import annotations

from .provider import LocalProvider

__all__ = ["LocalProvider"]
