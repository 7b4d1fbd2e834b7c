"""The child process that runs one notebook for the ``local`` connection.

Started by :mod:`.lifecycle` with the server's Python, by file path, in its
own session so the server can stop it (and everything it started) with one
signal to its process group. It does not import this package (that would
load the server's modules, pydantic and the providers, which take longer to
import than a short run takes to execute): the one module of ours it needs,
:mod:`.shared`, it loads from the file next to it. ``python -m
jupyter_notebook_remote.providers.local.runner RUN_DIR`` works too.
``RUN_DIR/run.json`` says what to run and where; the runner then behaves
like a Losant notebook run:

* the kernel named in the notebook's metadata (``python3`` when none) runs it
  with nbclient, in the run's working directory, with ``INPUT_DIR`` and
  ``OUTPUT_DIR`` set to absolute paths;
* the execution results land in the result directory: ``result.ipynb`` (the
  executed notebook, with outputs, also when a cell failed), ``result.html``
  (nbconvert's HTML export), ``result.log`` (progress, one timestamped line
  per step, flushed as cells run so it can be read live, plus what cells
  print) and ``result.error.log`` (always written, empty when the run went
  well, the traceback when it did not; Losant produces every result file on
  every run). Losant's ``result.pdf`` is not produced: it needs a PDF
  toolchain (LaTeX or a headless browser) this machine may not have;
* ``status.json`` tells the server the outcome and, on failure, the error's
  name and message (for a failing cell, the exception's ``ename`` and
  ``evalue``).

Whether a run was canceled or timed out is decided by the server, which
stops the runner; the runner only has to leave quickly and take its kernel
with it. It also leaves when the server itself goes away.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional


def _load_shared() -> ModuleType:
    """:mod:`.shared` from the file next to this one, without importing the package."""
    path = Path(__file__).with_name("shared.py")
    spec = importlib.util.spec_from_file_location("_notebook_remote_local_shared", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING or __package__:
    from . import shared
else:  # run by file path, the server's way
    shared = _load_shared()

#: result.log stops copying cell output after this many bytes (the full output
#: is still in result.ipynb).
LOG_OUTPUT_LIMIT = 5 * 1024 * 1024

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI_RE.sub("", text)


class DiskFull(Exception):
    """Writing a result file failed because the disk (or quota) is full."""


class RunLog:
    """``result.log``: timestamped lines, flushed one by one."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives for the run
        self._output_bytes = 0
        self._output_truncated = False
        self.broken: Optional[OSError] = None

    def line(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        self._write(f"[{stamp}] {text}\n")

    def output(self, text: str) -> None:
        """Copy what a cell printed, indented, until the log's output budget is spent."""
        if self._output_truncated or not text:
            return
        if self._output_bytes + len(text) > LOG_OUTPUT_LIMIT:
            self._output_truncated = True
            self.line("(cell output no longer copied here: see result.ipynb for all of it)")
            return
        self._output_bytes += len(text)
        body = "".join(f"    {piece}\n" for piece in strip_ansi(text).rstrip("\n").split("\n"))
        self._write(body)

    def _write(self, text: str) -> None:
        if self.broken is not None:
            return
        try:
            self._file.write(text)
            self._file.flush()
        except OSError as exc:  # keep running: the log is a convenience
            self.broken = exc

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:
            self.broken = self.broken or exc


def _html_exporter(lenient: bool) -> Any:
    """nbconvert's HTML exporter; ``lenient``: without its schema check after each step.

    nbconvert validates the notebook after every preprocessor and raises on
    any departure from the schema, even one the notebook came with and
    JupyterLab shows without complaint (a kernelspec without display_name).
    Such a notebook ran; its result.html is made as JupyterLab would show it.
    """
    from nbconvert import HTMLExporter

    if not lenient:
        return HTMLExporter()  # type: ignore[no-untyped-call]

    class AsJupyterShowsIt(HTMLExporter):
        def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
            return None

    return AsJupyterShowsIt()  # type: ignore[no-untyped-call]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file, so readers never see half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if shared.is_disk_full(exc):
            raise DiskFull(
                f"No space left on the device while writing {path.name}; free some disk "
                "space and run the notebook again."
            ) from exc
        raise


#: What an execute reply may say instead of an exception's name or value
#: (ipykernel 7 with IPython 9, for an exception raised with a cause).
_NO_NAME = frozenset({"", "None", "NoneType"})
#: The last line of a Python traceback: "FileNotFoundError: No such file ...".
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?::\s?(.*))?$")


def cell_error(
    cell: Optional[dict[str, Any]], ename: Any, evalue: Any, traceback_text: str
) -> tuple[str, str]:
    """The name and message of the exception a cell ended with; never ``None``.

    In order: the cell's own error output (what Jupyter shows under the cell),
    the execute reply's ``ename`` / ``evalue``, the traceback's last
    ``Name: message`` line; "Error" when nothing says.
    """
    for out in reversed((cell or {}).get("outputs") or []):
        if out.get("output_type") == "error" and str(out.get("ename") or "") not in _NO_NAME:
            return str(out["ename"]), strip_ansi(str(out.get("evalue") or ""))
    if str(ename or "") not in _NO_NAME:
        value = "" if evalue is None or str(evalue) == "None" else str(evalue)
        return str(ename), strip_ansi(value)
    for line in reversed(strip_ansi(traceback_text or "").splitlines()):
        found = _EXCEPTION_LINE.match(line.strip())
        if found and found.group(1) not in _NO_NAME:
            return found.group(1), found.group(2) or ""
    return "Error", ""


def _output_size(content: dict[str, Any]) -> int:
    """Rough size in bytes of one output message's payload."""
    size = 0
    for key in ("text", "data", "traceback", "evalue"):
        value = content.get(key)
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            size += sum(
                len(v) if isinstance(v, str) else len(json.dumps(v)) for v in value.values()
            )
        elif isinstance(value, list):
            size += sum(len(str(v)) for v in value)
    return size


class Runner:
    def __init__(self, run_dir: Path, spec: dict[str, Any]) -> None:
        self.run_dir = run_dir
        self.notebook_path = run_dir / str(spec["notebook"])
        self.file_name = str(spec.get("file_name") or self.notebook_path.name)
        self.input_dir = Path(spec["input_dir"]).resolve()
        self.output_dir = Path(spec["output_dir"]).resolve()
        self.work_dir = Path(spec["work_dir"]).resolve()
        self.result_dir = Path(spec["result_dir"]).resolve()
        self.cell_timeout = max(1, int(spec["cell_timeout"]))
        self.max_output_bytes = int(spec["max_output_bytes"])
        self.result_dir.mkdir(parents=True, exist_ok=True)
        self.error_log_path = self.result_dir / "result.error.log"
        self.error_log_path.write_text("", encoding="utf-8")
        self.log = RunLog(self.result_dir / "result.log")
        self.errors: list[dict[str, str]] = []
        self.error_details: list[str] = []
        self.kernel_pid: Optional[int] = None
        #: The cell that raised, with its outputs (where its error's name is).
        self.failed_cell: Optional[dict[str, Any]] = None
        #: "2/5": the code cell that runs now (a kernel that dies is said to die there).
        self.current_cell = ""
        self.output_bytes = 0
        self.output_over_limit = False
        self.notebook: Any = None
        self._exporter: Any = None
        #: The notebook departs from nbformat's schema: export it without nbconvert's checks.
        self.lenient = False
        self._warm_up: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ helpers

    def fail(self, name: str, message: str, details: str = "") -> None:
        self.errors.append({"name": name, "message": message})
        self.error_details.append(details or f"{name}: {message}")
        self.log.line(f"error: {name}: {message}")

    def write_progress(self, cell: int, total: int) -> None:
        """Say which code cell runs now (the server shows it as the run's progress)."""
        progress = {"cell": cell, "total": total, "startedAt": int(time.time() * 1000)}
        with contextlib.suppress(OSError):  # progress is a nicety; the run goes on
            write_atomic(self.run_dir / shared.PROGRESS_FILE, json.dumps(progress).encode())

    def _kill_kernel(self) -> None:
        shared.kill_group(self.kernel_pid, signal.SIGKILL)

    async def _watch_parent(self, parent: int) -> None:
        """Leave (with the kernel) when the server that started us is gone."""
        while True:
            await asyncio.sleep(1.0)
            if os.getppid() != parent:
                self.log.line("the Jupyter server went away: stopping")
                self._kill_kernel()
                os._exit(1)

    # ------------------------------------------------------------------ the run

    async def run(self) -> str:
        watcher = asyncio.ensure_future(self._watch_parent(os.getppid()))
        try:
            return await self._run()
        finally:
            watcher.cancel()

    async def _run(self) -> str:
        import nbformat

        self.log.line(f"run started: {self.file_name}")
        departures: dict[str, Any] = {}
        try:
            self.notebook = nbformat.read(  # type: ignore[no-untyped-call]
                str(self.notebook_path), as_version=4, capture_validation_error=departures
            )
        except Exception as exc:  # a broken file is the user's to fix: say what is wrong
            self.fail(
                "InvalidNotebook",
                f"The pushed notebook could not be read as nbformat 4: {exc}. Fix the "
                "notebook, push it again and run it again.",
            )
            return "errored"
        if departures:
            # As Jupyter does: a notebook off nbformat's schema (a kernelspec
            # without display_name...) is opened and run all the same.
            self.lenient = True
            first = str(departures["ValidationError"]).strip().splitlines()[0]
            self.log.line(f"note: the notebook departs from nbformat's schema ({first}); run as is")

        kernel_name = str((self.notebook.metadata.get("kernelspec") or {}).get("name") or "python3")
        if not self._kernel_exists(kernel_name):
            return "errored"

        # Get the HTML exporter ready (imports, templates) while the kernel works.
        self._warm_up = threading.Thread(target=self._prepare_exporter, daemon=True)
        self._warm_up.start()
        code_cells = [i for i, c in enumerate(self.notebook.cells) if c.cell_type == "code"]
        self.log.line(f"kernel {kernel_name}; {len(code_cells)} code cells")
        client = self._client(kernel_name, code_cells)
        try:
            await client.async_execute(cwd=str(self.work_dir))
        except Exception as exc:
            self._record_execution_error(exc)
            return "errored"
        finally:
            self._kill_kernel()
        self.log.line("all cells ran")
        return "completed"

    def _kernel_exists(self, kernel_name: str) -> bool:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        manager = KernelSpecManager()
        try:
            manager.get_kernel_spec(kernel_name)
        except NoSuchKernel:
            installed = ", ".join(sorted(manager.find_kernel_specs())) or "none"
            self.fail(
                "NoSuchKernel",
                f"No kernel named '{kernel_name}' is installed on this machine (installed: "
                f"{installed}). Pick an installed kernel in the notebook, push it again and "
                "run it again.",
            )
            return False
        return True

    def _record_execution_error(self, exc: Exception) -> None:
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        if self.output_over_limit:
            limit = self.max_output_bytes / (1024 * 1024)
            self.fail(
                "OutputTooLarge",
                f"The cells' output went over the limit of {limit:g} MiB per run, so the run "
                "was stopped. Print or display less (write big results to files in "
                "OUTPUT_DIR instead), or raise max_output_mb in the 'local' entry of "
                "c.NotebookRemote.connections.",
            )
        elif isinstance(exc, CellTimeoutError):
            self.fail(
                "CellTimeoutError",
                f"A cell ran longer than {self.cell_timeout} s.",
                strip_ansi(str(exc)),
            )
        elif isinstance(exc, CellExecutionError):
            name, value = cell_error(self.failed_cell, exc.ename, exc.evalue, exc.traceback)
            self.fail(name, value, strip_ansi(exc.traceback))
        elif isinstance(exc, DeadKernelError):
            where = f"cell {self.current_cell}" if self.current_cell else "the notebook"
            self.fail(
                "DeadKernelError",
                f"The kernel died while {where} was running (out of memory, the process "
                "was killed, or the code made it exit).",
                strip_ansi(str(exc)),
            )
        elif isinstance(exc, NoSuchKernel):
            self.fail("NoSuchKernel", str(exc))
        elif shared.is_disk_full(exc):
            self.fail(
                "DiskFull",
                "No space left on the device while running the notebook; free some disk "
                "space and run it again.",
            )
        else:
            self.fail(
                type(exc).__name__,
                str(exc) or "The notebook could not be run.",
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )

    def _client(self, kernel_name: str, code_cells: list[int]) -> Any:
        from nbclient import NotebookClient

        runner = self
        positions = {index: n + 1 for n, index in enumerate(code_cells)}
        total = len(code_cells)

        class Client(NotebookClient):
            async def async_start_new_kernel(self, **kwargs: Any) -> None:
                await super().async_start_new_kernel(**kwargs)
                pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
                if isinstance(pid, int):
                    runner.kernel_pid = pid
                    write_atomic(runner.run_dir / shared.KERNEL_PID_FILE, str(pid).encode())

            def output(
                self, outs: list[Any], msg: dict[str, Any], display_id: Any, cell_index: int
            ) -> Any:
                if runner.output_over_limit:
                    return None
                content = msg.get("content") or {}
                room = runner.max_output_bytes - runner.output_bytes
                size = _output_size(content)
                if size <= room:
                    runner.output_bytes += size
                    return super().output(outs, msg, display_id, cell_index)
                runner.output_over_limit = True
                runner.log.line("cell output over the run's limit: stopping the kernel")
                runner._kill_kernel()
                text = content.get("text")
                if msg.get("msg_type") == "stream" and isinstance(text, str) and room > 0:
                    # Keep what fits, so result.ipynb shows where it went wrong.
                    cut = {**msg, "content": {**content, "text": text[:room]}}
                    runner.output_bytes += room
                    return super().output(outs, cut, display_id, cell_index)
                return None

        def on_cell_start(cell: Any, cell_index: int) -> None:
            if cell_index not in positions or not cell.source.strip():
                return
            where = f"{positions[cell_index]}/{total}"
            if client.skip_cells_with_tag in cell.metadata.get("tags", []):
                # nbclient leaves it as it is, unexecuted: so does the run.
                runner.log.line(f"cell {where} skipped (tagged {client.skip_cells_with_tag})")
                return
            runner.current_cell = where
            runner.log.line(f"cell {where} started")
            runner.write_progress(positions[cell_index], total)

        def on_cell_executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    runner.log.output(str(out.get("text", "")))
            content = execute_reply.get("content") or {}
            where = f"cell {positions.get(cell_index, cell_index + 1)}/{total}"
            if content.get("status") == "error":
                ename, evalue = cell_error(
                    cell,
                    content.get("ename"),
                    content.get("evalue"),
                    "\n".join(str(t) for t in content.get("traceback") or []),
                )
                if "raises-exception" in cell.metadata.get("tags", []):
                    # As nbclient does: the run goes on past a cell expected to raise.
                    runner.log.line(f"{where} raised {ename}: {evalue} (tagged raises-exception)")
                else:
                    runner.failed_cell = cell
                    runner.log.line(f"{where} failed: {ename}: {evalue}")
            else:
                runner.log.line(f"{where} done")

        client = Client(
            self.notebook,
            timeout=self.cell_timeout,
            startup_timeout=60,
            kernel_name=kernel_name,
            resources={"metadata": {"path": str(self.work_dir)}},
            shutdown_kernel="immediate",
            record_timing=True,
            on_cell_start=on_cell_start,
            on_cell_executed=on_cell_executed,
        )
        return client

    # ------------------------------------------------------------------ results

    def write_results(self, outcome: str) -> str:
        """Write result.ipynb, result.html and the error log; return the outcome."""
        import nbformat

        if self.notebook is not None:
            try:
                text = nbformat.writes(self.notebook)  # type: ignore[no-untyped-call]
                write_atomic(self.result_dir / "result.ipynb", text.encode("utf-8"))
            except DiskFull as exc:
                self.fail("DiskFull", str(exc))
                outcome = "errored"
            else:
                self._write_html()
        if self.error_details:
            try:
                with open(self.error_log_path, "a", encoding="utf-8") as handle:
                    handle.write("\n\n".join(self.error_details).rstrip("\n") + "\n")
            except OSError as exc:
                self.log.line(f"result.error.log could not be written: {exc}")
        return outcome

    def _prepare_exporter(self) -> None:
        """Load nbconvert's HTML exporter and render once, so templates are compiled."""
        try:
            from nbformat.v4 import new_code_cell, new_notebook

            exporter = _html_exporter(self.lenient)
            sample = new_notebook(cells=[new_code_cell("1")])  # type: ignore[no-untyped-call]
            exporter.from_notebook_node(sample)
            self._exporter = exporter
        except Exception:  # noqa: S110 - _write_html tries again and reports why
            pass

    def _write_html(self) -> None:
        try:
            if self._warm_up is not None:
                self._warm_up.join()
            exporter = self._exporter or _html_exporter(self.lenient)
            # Named as `jupyter nbconvert` and JupyterLab's export name it (the
            # page's title), from the file's name, not nbconvert's "Notebook".
            resources = {"metadata": {"name": Path(self.file_name).stem}}
            body, _ = exporter.from_notebook_node(self.notebook, resources=resources)
            write_atomic(self.result_dir / "result.html", body.encode("utf-8"))
        except Exception as exc:  # HTML is a nicety: note it and go on
            why = str(exc) if isinstance(exc, DiskFull) else f"{type(exc).__name__}: {exc}"
            self.error_details.append(f"result.html could not be produced: {why}")
            self.log.line(f"result.html could not be produced: {why}")

    def write_status(self, outcome: str) -> None:
        status = {"outcome": outcome, "errors": self.errors, "finishedAt": time.time()}
        write_atomic(self.run_dir / shared.STATUS_FILE, json.dumps(status).encode("utf-8"))


def _prepare_environment(runner: Runner) -> None:
    os.environ["INPUT_DIR"] = str(runner.input_dir)
    os.environ["OUTPUT_DIR"] = str(runner.output_dir)
    os.chdir(runner.work_dir)


def _skip_slow_imports() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax``.

    jsonschema imports it (when installed) only to check the ``iri`` string
    format, which the nbformat schema never uses; building its grammar takes
    seconds on every import, i.e. on every run. Marking it missing makes
    jsonschema skip that one format checker.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: Optional[list[str]] = None) -> int:
    _skip_slow_imports()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    run_dir: Path = args.run_dir.resolve()
    try:
        spec = json.loads((run_dir / shared.SPEC_FILE).read_text(encoding="utf-8"))
        runner = Runner(run_dir, spec)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if shared.is_disk_full(exc):
            return shared.EXIT_DISK_FULL
        print(f"cannot start the run in {run_dir}: {exc}", file=sys.stderr)
        return shared.EXIT_BAD_SPEC
    _prepare_environment(runner)

    outcome = "errored"
    try:
        outcome = asyncio.run(runner.run())
    except Exception as exc:  # keep whatever we have and report it
        runner._kill_kernel()
        runner.fail(
            type(exc).__name__,
            str(exc),
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )
    outcome = runner.write_results(outcome)
    runner.log.line(f"run {outcome}")
    runner.log.close()
    try:
        runner.write_status(outcome)
    except DiskFull:
        return shared.EXIT_DISK_FULL
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now: skip the interpreter's teardown
    # (zmq contexts, thousands of modules), which takes longer than the rest
    # of a short run's bookkeeping and only delays the run's end.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
