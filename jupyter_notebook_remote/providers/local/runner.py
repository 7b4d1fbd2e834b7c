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

Started with ``--spare=KERNEL``, the runner gets ahead of its run: it
imports, readies the HTML exporter and starts the kernel, then waits for
``go`` on stdin before it reads ``run.json`` (see :mod:`.warm`). Either way
the kernel is killed as soon as the last cell has run, before the results
are written, rather than shut down politely: nothing of it is needed then.
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
from typing import TYPE_CHECKING, Any, Callable, Optional


def _load_sibling(name: str) -> ModuleType:
    """Module ``name`` from the file next to this one, without importing the package."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_notebook_remote_local_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING or __package__:
    from . import shared, warm
else:  # run by file path, the server's way
    shared = _load_sibling("shared")
    warm = _load_sibling("warm")

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


class Exporters:
    """HTML exporters made ready in a thread (imports, templates) while the kernel works."""

    def __init__(self) -> None:
        self._ready: dict[bool, Any] = {}
        self._threads: dict[bool, threading.Thread] = {}

    def prepare(self, lenient: bool) -> None:
        if lenient not in self._threads:
            thread = threading.Thread(target=self._prepare, args=(lenient,), daemon=True)
            self._threads[lenient] = thread
            thread.start()

    def _prepare(self, lenient: bool) -> None:
        """Load the exporter and render once, so that its templates are compiled."""
        try:
            from nbformat.v4 import new_code_cell, new_notebook

            exporter = _html_exporter(lenient)
            sample = new_notebook(cells=[new_code_cell("1")])  # type: ignore[no-untyped-call]
            exporter.from_notebook_node(sample)
            self._ready[lenient] = exporter
        except Exception:  # noqa: S110 - get() tries again, and the run reports why
            pass

    def get(self, lenient: bool) -> Any:
        thread = self._threads.get(lenient)
        if thread is not None:
            thread.join()
        return self._ready.get(lenient) or _html_exporter(lenient)


EXPORTERS = Exporters()


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
        self.kernel_name = ""
        #: The notebook departs from nbformat's schema: export it without nbconvert's checks.
        self.lenient = False

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

    def set_kernel_pid(self, pid: int) -> None:
        self.kernel_pid = pid
        write_atomic(self.run_dir / shared.KERNEL_PID_FILE, str(pid).encode())

    # ------------------------------------------------------------------ the run

    async def run(self, prestarted: Optional[warm.WarmKernel] = None) -> str:
        """Run the notebook; with ``prestarted``, on that kernel if it fits."""
        try:
            return await self._run(prestarted)
        finally:
            if prestarted is not None:
                prestarted.stop()  # unused, or used and done: it goes either way

    async def _run(self, prestarted: Optional[warm.WarmKernel]) -> str:
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
        self.kernel_name = kernel_name
        if not self._kernel_exists(kernel_name):
            return "errored"

        # Get the HTML exporter ready (imports, templates) while the kernel works.
        EXPORTERS.prepare(self.lenient)
        code_cells = [i for i, c in enumerate(self.notebook.cells) if c.cell_type == "code"]
        kernel = await self._take_prestarted(prestarted, kernel_name)
        ahead = " (started before the run)" if kernel is not None else ""
        self.log.line(f"kernel {kernel_name}{ahead}; {len(code_cells)} code cells")
        client = self._client(kernel_name, code_cells, kernel)
        try:
            # The kernel is stopped here, not by nbclient: at once, and before
            # the results are written (nbclient's shutdown waits for the process).
            await client.async_execute(cwd=str(self.work_dir), cleanup_kc=False)
        except Exception as exc:
            self._record_execution_error(exc)
            return "errored"
        finally:
            self._kill_kernel()
            with contextlib.suppress(Exception):
                if client.km is not None:
                    client.km.cleanup_connection_file()
        self.log.line("all cells ran")
        return "completed"

    async def _take_prestarted(
        self, prestarted: Optional[warm.WarmKernel], kernel_name: str
    ) -> Optional[warm.WarmKernel]:
        """The pre-started kernel if it is fit for this run (see :mod:`.warm`)."""
        if prestarted is None:
            return None
        why_not = await prestarted.take(kernel_name, self.work_dir)
        if why_not is not None:
            self.log.line(f"{why_not}: starting a kernel for this run")
            return None
        assert prestarted.pid is not None
        self.set_kernel_pid(prestarted.pid)
        return prestarted

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

    def _client(
        self, kernel_name: str, code_cells: list[int], kernel: Optional[warm.WarmKernel]
    ) -> Any:
        from nbclient import NotebookClient

        runner = self
        positions = {index: n + 1 for n, index in enumerate(code_cells)}
        total = len(code_cells)

        class Client(NotebookClient):
            async def async_start_new_kernel(self, **kwargs: Any) -> None:
                await super().async_start_new_kernel(**kwargs)
                pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
                if isinstance(pid, int):
                    runner.set_kernel_pid(pid)

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
            km=kernel.km if kernel is not None else None,
        )
        if kernel is not None:
            client.kc = kernel.kc  # started and answering: nbclient goes straight to the cells
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

    def _write_html(self) -> None:
        try:
            exporter = EXPORTERS.get(self.lenient)
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
        status = {
            "outcome": outcome,
            "errors": self.errors,
            "finishedAt": time.time(),
            # The server pre-starts this kernel for the next run (see :mod:`.warm`).
            "kernel": self.kernel_name,
        }
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


def _load_runner(run_dir: Path) -> Runner | int:
    """The runner of ``run_dir/run.json``, or the exit code saying why there is none."""
    try:
        spec = json.loads((run_dir / shared.SPEC_FILE).read_text(encoding="utf-8"))
        return Runner(run_dir, spec)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if shared.is_disk_full(exc):
            return shared.EXIT_DISK_FULL
        print(f"cannot start the run in {run_dir}: {exc}", file=sys.stderr)
        return shared.EXIT_BAD_SPEC


async def _watch_parent(kernels: Callable[[], list[Optional[int]]]) -> None:
    """Leave, with the kernel, when the server that started us is gone."""
    parent = os.getppid()
    while True:
        await asyncio.sleep(1.0)
        if os.getppid() != parent:
            for pid in kernels():
                shared.kill_group(pid, signal.SIGKILL)
            os._exit(1)


async def _serve(run_dir: Path, spare_kernel: Optional[str]) -> int:
    """Run ``run_dir``; as a spare (:mod:`.warm`), get ready first and wait for ``go``."""
    runner: Optional[Runner] = None
    prestarted: Optional[warm.WarmKernel] = None

    def kernels() -> list[Optional[int]]:
        return [
            runner.kernel_pid if runner is not None else None,
            prestarted.pid if prestarted is not None else None,
        ]

    watcher = asyncio.ensure_future(_watch_parent(kernels))
    try:
        if spare_kernel is not None:
            prestarted = warm.WarmKernel(
                run_dir,
                spare_kernel,
                shared,
                lambda pid: write_atomic(run_dir / shared.KERNEL_PID_FILE, str(pid).encode()),
            )
            prestarted.start()
            EXPORTERS.prepare(False)
            await asyncio.to_thread(warm.warm_up_imports)
            if not await warm.wait_for_go():
                return 0  # not needed after all
        loaded = _load_runner(run_dir)
        if isinstance(loaded, int):
            return loaded
        runner = loaded
        _prepare_environment(runner)
        outcome = "errored"
        try:
            outcome = await runner.run(prestarted)
        except Exception as exc:  # keep whatever we have and report it
            runner._kill_kernel()
            runner.fail(
                type(exc).__name__,
                str(exc),
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )
        prestarted = None  # run() has stopped it
        return _conclude(runner, outcome)
    finally:
        watcher.cancel()
        if prestarted is not None:
            prestarted.stop()


def _conclude(runner: Runner, outcome: str) -> int:
    """Write the results, the last log line and the verdict; return the exit code."""
    outcome = runner.write_results(outcome)
    runner.log.line(f"run {outcome}")
    runner.log.close()
    try:
        runner.write_status(outcome)
    except DiskFull:
        return shared.EXIT_DISK_FULL
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    _skip_slow_imports()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument(
        "--spare",
        metavar="KERNEL",
        help="start the kernel KERNEL first, then wait for 'go' on stdin (see warm.py)",
    )
    args = parser.parse_args(argv)
    return asyncio.run(_serve(args.run_dir.resolve(), args.spare))


if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now: skip the interpreter's teardown
    # (zmq contexts, thousands of modules), which takes longer than the rest
    # of a short run's bookkeeping and only delays the run's end.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
