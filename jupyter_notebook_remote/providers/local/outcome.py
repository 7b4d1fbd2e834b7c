"""How a ``local`` run ended: its final status and errors, and what they say.

:func:`decide` reads it from why the server stopped the runner (if it did),
the runner's ``status.json`` and its exit code; :func:`failure` words a
failure of the server's own while carrying out a run. Statuses and error
names are Losant's where Losant has one.
"""

from __future__ import annotations

from typing import Optional

from .rundir import RunDir
from .shared import EXIT_DISK_FULL, is_disk_full

Errors = list[dict[str, str]]

RESTART_MESSAGE = "The Jupyter server stopped while this run was in progress; run it again."
RESTART_QUEUED_MESSAGE = "The Jupyter server stopped before this run started; run it again."


def restart_errors(*, started: bool) -> Errors:
    """The errors of a run the server's stopping ended (before it started, or during)."""
    message = RESTART_MESSAGE if started else RESTART_QUEUED_MESSAGE
    return [{"name": "ServerRestart", "message": message}]


def decide(
    run_dir: RunDir,
    reason: str,
    stop_reason: Optional[str],
    exit_code: Optional[int],
    *,
    max_minutes: float,
    max_output_bytes: int,
) -> tuple[str, Errors]:
    """Final status and errors of a run whose runner has exited (blocking: reads files).

    ``reason`` is why supervision ended ("exited", or what the server stopped
    the run for: "cancel", "shutdown", "timeout", "too_large"); ``stop_reason``
    the first stop the server asked for, if any.
    """
    if stop_reason == "cancel":
        return "canceled", []
    if reason == "timeout":
        minutes = f"{max_minutes:g} minute" + ("" if max_minutes == 1 else "s")
        return "timeout", [
            {
                "name": "Timeout",
                "message": f"The run went over its limit of {minutes} and was stopped. "
                "Make the notebook faster or raise c.NotebookRemote.local_max_run_minutes.",
            }
        ]
    if reason == "too_large":
        limit = max_output_bytes / (1024 * 1024)
        return "errored", [
            {
                "name": "OutputTooLarge",
                "message": f"The run wrote more than {limit:g} MiB to OUTPUT_DIR and its "
                "working directory, so it was stopped. Write less, or raise the limit "
                "(max_output_mb in the 'local' entry of c.NotebookRemote.connections).",
            }
        ]
    if reason == "shutdown":
        return "errored", restart_errors(started=True)
    status = run_dir.read_status()
    if status is not None and status.get("outcome") in ("completed", "errored"):
        errors = [
            {"name": str(e.get("name") or "Error"), "message": str(e.get("message") or "")}
            for e in status.get("errors") or []
            if isinstance(e, dict)
        ]
        outcome = str(status["outcome"])
        if outcome == "errored" and not errors:
            errors = [{"name": "Error", "message": "The run failed; see result.error.log."}]
        return outcome, errors
    if exit_code == EXIT_DISK_FULL:
        message = (
            "No space left on the device while writing the run's results; free some "
            "disk space and run it again."
        )
        return "errored", [{"name": "DiskFull", "message": message}]
    if exit_code is not None and exit_code < 0:
        message = (
            f"The run's process was killed by signal {-exit_code} before it finished (out of "
            "memory?)."
        )
    else:
        tail = run_dir.runner_log_tail()
        message = f"The runner stopped unexpectedly (exit code {exit_code})" + (
            f": {tail}" if tail else "."
        )
    return "errored", [{"name": "RunnerFailed", "message": message}]


def failure(exc: Exception) -> Errors:
    """The errors of a run the server itself failed to carry out."""
    if is_disk_full(exc):
        message = "No space left on the device for this run; free some disk space and run it again."
        return [{"name": "DiskFull", "message": message}]
    message = f"The run could not be carried out on this machine: {exc}"
    return [{"name": "LocalRunFailed", "message": message}]
