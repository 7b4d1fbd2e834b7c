"""A real Jupyter Server with the extension, in a child process: for tests and benchmarks
that need one outside their own event loop (schemathesis's synchronous calls,
a benchmark's clients).

Every Jupyter path (config, data, runtime, root) is a temporary directory,
removed by :meth:`JupyterServer.stop`; credentials of remote connections
reach the child through environment variables (``token_env``), never
through its configuration file or command line. Linux and macOS; loopback
only.
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
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import httpx

_SERVER = """\
import json
c = get_config()  # noqa: F821
c.ServerApp.jpserver_extensions = {{{extension!r}: True}}
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = {port}
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.root_dir = {root!r}
c.IdentityProvider.token = {token!r}
"""

_NOTEBOOK_REMOTE = """\
c.NotebookRemote.connections = json.loads({connections!r})
c.NotebookRemote.token_store_path = {store!r}
c.NotebookRemote.local_data_dir = {local!r}
"""


def server_config(*, extension: str, port: int, root: str, token: str) -> str:
    """A Jupyter Server configuration file's text: one server extension, on
    127.0.0.1:``port``, serving ``root``, with Jupyter token ``token``."""
    return _SERVER.format(extension=extension, port=port, root=root, token=token)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class JupyterServer:
    """``python -m jupyter_server`` with the extension, in a child process.

    ``connections`` is ``c.NotebookRemote.connections``; ``env`` the
    variables their ``token_env`` names; ``traits`` more ``c.NotebookRemote``
    settings (Python literals); ``profile_to`` runs the child under cProfile.
    """

    def __init__(
        self,
        *,
        connections: Mapping[str, Any],
        env: Optional[Mapping[str, str]] = None,
        traits: Optional[Mapping[str, Any]] = None,
        tmp: Optional[Path] = None,
        profile_to: Optional[str] = None,
    ) -> None:
        self.tmp = Path(tmp) if tmp else Path(tempfile.mkdtemp(prefix="notebook-remote-live-"))
        self._own_tmp = tmp is None
        self.root = self.tmp / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "jupyter.log"
        self.connection_ids = list(connections)
        self.config_path = self.tmp / "jupyter_server_config.py"
        lines = server_config(
            extension="jupyter_notebook_remote",
            port=self.port,
            root=str(self.root),
            token=self.token,
        ) + _NOTEBOOK_REMOTE.format(
            connections=json.dumps(dict(connections)),
            store=str(self.tmp / "tokens.json"),
            local=str(self.tmp / "local"),
        )
        for name, value in (traits or {}).items():
            lines += f"c.NotebookRemote.{name} = {value!r}\n"
        self.config_path.write_text(lines)
        self.config_path.chmod(0o600)
        self._env = dict(env or {})
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
            (self.tmp / name).mkdir(exist_ok=True)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            PYTHONUNBUFFERED="1",
            **self._env,
        )
        profiler = ["-m", "cProfile", "-o", self.profile_to] if self.profile_to else []
        cmd = [sys.executable, *profiler, "-m", "jupyter_server", f"--config={self.config_path}"]
        with open(self.log_path, "wb") as log:
            # Started in its own directory: ``python -m`` puts the working directory
            # first on sys.path, where a checkout would shadow the code PYTHONPATH
            # names (a benchmark of an older revision would run today's).
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.tmp,
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
        """Until the extension answers GET connections with every configured one."""
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
                missing = [c for c in self.connection_ids if c not in ids]
                if missing:
                    raise RuntimeError(f"connections missing: {missing} (have {ids})")
                return
        raise RuntimeError(f"jupyter server did not answer within {timeout:g} s")

    def log_tail(self, lines: int = 40) -> str:
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
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
