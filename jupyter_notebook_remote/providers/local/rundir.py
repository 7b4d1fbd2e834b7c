"""The ``local`` connection's data directory and the files of one run.

Blocking helpers: call them in a thread. The data directory
(``c.NotebookRemote.local_data_dir``) holds::

    local.sqlite3               notebooks and runs (see :mod:`.store`; may live
                                elsewhere, ``db_path``)
    servers/<owner>.lock        one per running server (see :mod:`.ownership`)
    notebooks/<id>/notebook.ipynb   the last pushed copy of each notebook
    runs/<execution id>/        one directory per run, below

A run lives in ``runs/<execution id>/``::

    notebook.ipynb   the pushed copy it runs (taken when the run was queued)
    run.json         what the runner needs (paths, limits)
    input/           INPUT_DIR: context.json when the run was given a context
    output/          OUTPUT_DIR: what the notebook writes there is kept as outputs
    work/            the working directory of the kernel
    result/          result.ipynb, result.html, result.log, result.error.log
    status.json      the runner's verdict; kernel.pid; runner.log (its stderr)

Outputs of a run are the execution results first, then every regular file
under ``output/``, flattened into one list of names the file route accepts
(letters, digits, ``_``, ``.``, ``-``): ``plots/a b.png`` is listed as
``plots__a_b.png``; a name taken twice gets ``-2``, ``-3``... before its
extension. Symbolic links and other non-regular files are skipped, so an
output can never point outside the run; so is a file that has the name of an
execution result. Each skipped file is noted in ``result.log``.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any, Optional

from ...errors import LocalRunError
from ..base import FolderSnapshot
from .shared import KERNEL_PID_FILE, PROGRESS_FILE, SPEC_FILE, STATUS_FILE, is_disk_full

RESULT_FILES = ("result.ipynb", "result.html", "result.log", "result.error.log")
#: At most this many files of OUTPUT_DIR are listed as outputs of one run.
MAX_OUTPUT_FILES = 1000

_CONTENT_TYPES = {
    ".ipynb": "application/x-ipynb+json",
    ".log": "text/plain",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".html": "text/html",
    ".md": "text/markdown",
    ".parquet": "application/vnd.apache.parquet",
}


def content_type(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def tree_bytes(top: Path) -> int:
    """The sizes of the files below ``top`` (links not followed), added up."""
    total = 0
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


class DataDir:
    """Paths of the data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notebooks = root / "notebooks"
        self.runs = root / "runs"
        self.servers = root / "servers"

    def make(self) -> None:
        self.notebooks.mkdir(parents=True, exist_ok=True)
        self.runs.mkdir(parents=True, exist_ok=True)

    def notebook_file(self, notebook_id: str) -> Path:
        return self.notebooks / notebook_id / "notebook.ipynb"

    def folder(self, notebook_id: str) -> Path:
        """The files pushed beside the notebook: each run's working directory starts so."""
        return self.notebooks / notebook_id / "folder"

    def store_folder(self, notebook_id: str, snapshot: Optional[FolderSnapshot]) -> None:
        """Make ``snapshot`` the notebook's folder (None: no files), replacing the last.

        Copied into a new directory first and swapped in by renames, so a run
        queued meanwhile sees the old folder or the new one, never half of one.
        """
        target = self.folder(notebook_id)
        if snapshot is None or not snapshot.files:
            shutil.rmtree(target, ignore_errors=True)
            return
        staging = target.with_name(f".folder-{secrets.token_hex(6)}")
        old = target.with_name(f".folder-old-{secrets.token_hex(6)}")
        try:
            staging.mkdir(parents=True)
            for item in snapshot.files:
                destination = staging / item.relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(item.os_path, destination)
            if target.exists():
                target.rename(old)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def run(self, execution_id: str) -> RunDir:
        return RunDir(self.runs / execution_id)

    def disk_bytes(self) -> int:
        """Bytes the data directory holds on disk (pushed copies, runs, the history)."""
        return tree_bytes(self.root)

    def remove_notebook(self, notebook_id: str, execution_ids: list[str]) -> None:
        """Remove a deleted notebook's pushed copy and the files of its runs."""
        shutil.rmtree(self.notebook_file(notebook_id).parent, ignore_errors=True)
        for execution_id in execution_ids:
            self.run(execution_id).remove()

    def write_failure(self, exc: OSError, doing: str, connection: str) -> LocalRunError:
        """The error to answer when writing here failed while ``doing`` something."""
        if is_disk_full(exc):
            return LocalRunError(
                f"No space left on the device while {doing} in {self.root}. Free some "
                "disk space and try again.",
                reason="disk_full",
                connection=connection,
            )
        return LocalRunError(
            f"The local store could not be written while {doing}: {exc.strerror or exc}. "
            f"Check that {self.root} is writable.",
            connection=connection,
        )


class RunDir:
    """Paths of one run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notebook = root / "notebook.ipynb"
        self.spec = root / SPEC_FILE
        self.input = root / "input"
        self.output = root / "output"
        self.work = root / "work"
        self.result = root / "result"
        self.status = root / STATUS_FILE
        self.kernel_pid_file = root / KERNEL_PID_FILE
        self.runner_log = root / "runner.log"

    def prepare(
        self,
        notebook_source: Path,
        template_context: Optional[str],
        cell_timeout: float,
        max_output_bytes: int,
        file_name: str,
        folder_source: Optional[Path] = None,
    ) -> list[dict[str, Any]]:
        """Create the run's directories and files; return its inputs.

        The working directory starts as a copy of the files pushed beside the
        notebook (``folder_source``), so relative paths work as in JupyterLab.
        """
        for path in (self.input, self.output, self.result):
            path.mkdir(parents=True, exist_ok=True)
        if folder_source is not None and folder_source.is_dir():
            shutil.copytree(folder_source, self.work, symlinks=False, dirs_exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook_source, self.notebook)
        inputs: list[dict[str, Any]] = []
        if template_context is not None:
            data = template_context.encode("utf-8")
            (self.input / "context.json").write_bytes(data)
            inputs.append({"name": "context.json", "size": len(data)})
        spec = {
            "notebook": self.notebook.name,
            "file_name": file_name,
            "input_dir": str(self.input),
            "output_dir": str(self.output),
            "work_dir": str(self.work),
            "result_dir": str(self.result),
            "cell_timeout": cell_timeout,
            "max_output_bytes": max_output_bytes,
        }
        self.spec.write_text(json.dumps(spec), encoding="utf-8")
        return inputs

    def read_status(self) -> Optional[dict[str, Any]]:
        try:
            data = json.loads(self.status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def kernel_pid(self) -> Optional[int]:
        try:
            return int(self.kernel_pid_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def runner_log_tail(self, limit: int = 400) -> str:
        try:
            with open(self.runner_log, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - limit))
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    def written_bytes(self) -> int:
        """Bytes in OUTPUT_DIR and the working directory (what the notebook wrote,
        and the files carried beside it)."""
        return tree_bytes(self.output) + tree_bytes(self.work)

    def last_activity(self) -> Optional[float]:
        """When something in the run was last written (ms), for runs a crash ended."""
        latest: Optional[float] = None
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    mtime = os.lstat(os.path.join(dirpath, name)).st_mtime * 1000.0
                except OSError:
                    continue
                latest = mtime if latest is None else max(latest, mtime)
        return latest

    def progress(self) -> Optional[tuple[int, int, int]]:
        """Where the runner is (``progress.json``): (cell, total, started ms); None if unsaid."""
        try:
            raw = json.loads((self.root / PROGRESS_FILE).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict):
            return None
        values = (raw.get("cell"), raw.get("total"), raw.get("startedAt"))
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(numbers) != 3 or not 1 <= numbers[0] <= numbers[1]:
            return None
        return numbers[0], numbers[1], numbers[2]

    def live_outputs(self) -> list[dict[str, Any]]:
        """Outputs readable while the run is going: its progress log."""
        try:
            size = os.lstat(self.result / "result.log").st_size
        except OSError:
            return []
        return [{"name": "result.log", "size": size, "contentType": "text/plain"}]

    def collect_outputs(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The run's outputs (name, size, contentType, path) and notes on files left out."""
        outputs: list[dict[str, Any]] = []
        notes: list[str] = []
        for name in RESULT_FILES:
            try:
                st = os.lstat(self.result / name)
            except OSError:
                continue
            outputs.append({"name": name, "size": st.st_size, "contentType": content_type(name)})
        taken = set(RESULT_FILES)
        listed = 0
        for dirpath, dirs, files in os.walk(self.output):
            dirs.sort()
            for file_name in sorted(files):
                full = os.path.join(dirpath, file_name)
                rel = Path(os.path.relpath(full, self.output)).as_posix()
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    notes.append(f"{rel}: not a regular file (links are not kept)")
                    continue
                if rel in RESULT_FILES:
                    notes.append(f"{rel}: has the name of an execution result")
                    continue
                if listed == MAX_OUTPUT_FILES:
                    notes.append(f"{rel} and later files: only {MAX_OUTPUT_FILES} are listed")
                    return outputs, notes
                name = unique_name(flat_name(rel), taken)
                taken.add(name)
                listed += 1
                outputs.append(
                    {
                        "name": name,
                        "size": st.st_size,
                        "contentType": content_type(rel),
                        "path": rel,
                    }
                )
        return outputs, notes

    def path_of(self, entry: dict[str, Any]) -> Path:
        """Where the listed output ``entry`` lives."""
        if "path" in entry:
            return self.output.joinpath(*str(entry["path"]).split("/"))
        return self.result / str(entry["name"])

    def append_log(self, line: str) -> None:
        try:
            with open(self.result / "result.log", "a", encoding="utf-8") as handle:
                handle.write(line.rstrip("\n") + "\n")
        except OSError:
            pass

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]")


def flat_name(rel: str) -> str:
    """A relative output path as one name of ``[0-9A-Za-z_.-]``, at most 255 long."""
    name = "__".join(_UNSAFE.sub("_", part) for part in rel.split("/"))
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext[:20])] + ext[:20]
    return name


def unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, ext = os.path.splitext(name)
    n = 2
    while True:
        candidate = f"{stem[: 250 - len(ext)]}-{n}{ext}"
        if candidate not in taken:
            return candidate
        n += 1
