"""What bench_proxy.py and bench_push.py share: a real Jupyter Server in a
child process with the extension pointed at a loopback fake, process memory
from /proc, and table printing.

Linux only (reads /proc). Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import httpx

CONNECTION_ID = "bench"

_CONFIG_TEMPLATE = """\
import json
c = get_config()  # noqa: F821
c.ServerApp.jpserver_extensions = {{"jupyter_notebook_remote": True}}
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = {port}
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.root_dir = {root!r}
c.IdentityProvider.token = {token!r}
c.NotebookRemote.connections = json.loads({connections!r})
c.NotebookRemote.default_connection = {default!r}
c.NotebookRemote.local_enabled = False
c.NotebookRemote.token_store_path = {store!r}
c.NotebookRemote.max_push_bytes = {max_push_bytes}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class JupyterServer:
    """``python -m jupyter_server`` in a child process, for one benchmark.

    The remote token reaches the child through an environment variable
    (``token_env``), never through the config file or the command line.
    Every Jupyter path (config, data, runtime, root) is a temporary
    directory removed by :meth:`stop`.
    """

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
        self.tmp = Path(tempfile.mkdtemp(prefix="notebook-remote-bench-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "jupyter.log"
        connections = {
            CONNECTION_ID: {
                "kind": "losant",
                "label": "Benchmark fake Losant",
                "base_url": base_url,
                "application_id": application_id,
                "token_env": "BENCH_LOSANT_TOKEN",
            }
        }
        self.config_path = self.tmp / "bench_config.py"
        self.config_path.write_text(
            _CONFIG_TEMPLATE.format(
                port=self.port,
                root=str(self.root),
                token=self.token,
                connections=json.dumps(connections),
                default=CONNECTION_ID,
                store=str(self.tmp / "tokens.json"),
                max_push_bytes=int(max_push_bytes),
            )
        )
        with self.config_path.open("a") as config:
            # More c.NotebookRemote traits (e.g. http_read_freshness), as Python literals.
            for name, value in (notebook_remote or {}).items():
                config.write(f"c.NotebookRemote.{name} = {value!r}\n")
        self.config_path.chmod(0o600)
        self._remote_token = remote_token
        self.profile_to = profile_to
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the Jupyter server is not started")
        return self.proc.pid

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, *parts: str) -> str:
        return "/".join([self.url, "notebook-remote", *parts])

    def start(self, timeout: float = 90.0) -> JupyterServer:
        env = dict(os.environ)
        for name in ("config", "data", "runtime"):
            (self.tmp / name).mkdir()
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            BENCH_LOSANT_TOKEN=self._remote_token,
            PYTHONUNBUFFERED="1",
        )
        profiler = ["-m", "cProfile", "-o", self.profile_to] if self.profile_to else []
        cmd = [sys.executable, *profiler, "-m", "jupyter_server", f"--config={self.config_path}"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        try:
            self._wait_ready(timeout)
        except BaseException as exc:
            tail = self.log_tail()
            self.stop()
            if isinstance(exc, RuntimeError):
                raise RuntimeError(f"{exc}\n--- end of the server's log ---\n{tail}") from None
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Until the extension answers GET connections with the bench connection."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(headers=self.headers, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"jupyter server exited early ({self.proc.returncode})")
                try:
                    r = client.get(self.api("connections"))
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                if r.status_code != 200:
                    raise RuntimeError(f"GET connections answered {r.status_code}: {r.text}")
                ids = [c["id"] for c in r.json()["connections"]]
                if CONNECTION_ID not in ids:
                    raise RuntimeError(f"the '{CONNECTION_ID}' connection is missing: {ids}")
                return
        raise RuntimeError(f"jupyter server did not answer within {timeout:g} s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the server down (API, then SIGTERM, then SIGKILL); remove its files."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{self.url}/api/shutdown", headers=self.headers, timeout=5)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ----------------------------------------------------------------------------- memory


def proc_status_kib(pid: int, field: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM...) of /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


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
