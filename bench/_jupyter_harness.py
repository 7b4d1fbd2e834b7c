"""What bench_proxy.py and bench_push.py share: a real Jupyter Server in a
child process with the extension pointed at a loopback fake, process memory
from /proc, and table printing.

Linux only (reads /proc). Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from jupyter_notebook_remote.tests.live_server import JupyterServer as LiveServer

CONNECTION_ID = "bench"


class JupyterServer(LiveServer):
    """The tests' live server (:mod:`jupyter_notebook_remote.tests.live_server`)
    with one Losant connection, ``bench``, pointing at a loopback fake; its token
    reaches the child through ``token_env``. ``notebook_remote``: more
    ``c.NotebookRemote`` traits (e.g. ``http_read_freshness``)."""

    def __init__(
        self,
        *,
        base_url: str,
        application_id: str,
        remote_token: str,
        max_push_bytes: int = 50 * 1024 * 1024,
        profile_to: Optional[str] = None,
        notebook_remote: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(
            connections={
                CONNECTION_ID: {
                    "kind": "losant",
                    "label": "Benchmark fake Losant",
                    "base_url": base_url,
                    "application_id": application_id,
                    "token_env": "BENCH_LOSANT_TOKEN",
                }
            },
            env={"BENCH_LOSANT_TOKEN": remote_token},
            traits={
                "default_connection": CONNECTION_ID,
                "local_enabled": False,
                "max_push_bytes": int(max_push_bytes),
                **(notebook_remote or {}),
            },
            profile_to=profile_to,
        )


# ----------------------------------------------------------------------------- memory


def proc_status_kib(pid: int, field: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM...) of /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def proc_cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat);
    ``children``: with that of its children it has waited for (checker children)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (``echo 5 > clear_refs``); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples VmRSS of a process every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = proc_status_kib(self.pid, "VmRSS")
            except (OSError, KeyError):
                return
            self.peak_kib = max(self.peak_kib, rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)


# ----------------------------------------------------------------------------- output


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, min(len(sorted_values), int(-(-pct * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A small aligned text table (Markdown-compatible)."""
    cells = [[str(h) for h in headers], *[[str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(v.rjust(w) for v, w in zip(row, widths)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))
