"""The ``local`` connection's SQLite store: notebooks and their runs.

Plain synchronous code on one connection; :class:`Store` runs every call on
its own single worker thread, so the server's event loop never waits on the
disk and calls never interleave. Times are milliseconds since the epoch (UTC,
see :func:`now_ms`); ids are 24 hexadecimal characters like Losant's (see
:func:`new_id`). The schema carries a version; :data:`MIGRATIONS` brings an
older file up to date when the server starts.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from ...errors import LocalRunError
from ...models import as_utc

T = TypeVar("T")

#: One entry per schema version; entry ``n`` upgrades version ``n`` to ``n + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE notebooks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            file_name TEXT,
            file_size INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            pushed_at REAL
        )
        """,
        """
        CREATE TABLE executions (
            id TEXT PRIMARY KEY,
            notebook_id TEXT NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            queued_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            max_minutes REAL NOT NULL,
            file_name TEXT,
            runner_pid INTEGER,
            errors TEXT NOT NULL DEFAULT '[]',
            inputs TEXT NOT NULL DEFAULT '[]',
            outputs TEXT NOT NULL DEFAULT '[]'
        )
        """,
        "CREATE INDEX executions_by_notebook ON executions (notebook_id, queued_at DESC)",
        "CREATE INDEX executions_by_status ON executions (status)",
    ),
    # 2: which server (see ownership.ServerLock) queued or runs each execution.
    ("ALTER TABLE executions ADD COLUMN owner TEXT",),
    # 3: when the retention policy removed a run's files (its row stays).
    ("ALTER TABLE executions ADD COLUMN files_removed_at REAL",),
    # 4: schedules (see scheduler.py), and who started each run ("user", "schedule").
    (
        """
        CREATE TABLE schedules (
            notebook_id TEXT PRIMARY KEY REFERENCES notebooks(id) ON DELETE CASCADE,
            cron TEXT NOT NULL,
            timezone TEXT NOT NULL,
            until_ms REAL,
            active INTEGER NOT NULL,
            template_context TEXT,
            next_run_ms REAL,
            last_run_ms REAL,
            last_execution_id TEXT,
            run_count INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL
        )
        """,
        "CREATE INDEX schedules_due ON schedules (active, next_run_ms)",
        "ALTER TABLE executions ADD COLUMN source_type TEXT",
        "ALTER TABLE executions ADD COLUMN source_id TEXT",
    ),
    # 5: what a run was given: its query time (ms) and template context (JSON text).
    (
        "ALTER TABLE executions ADD COLUMN relative_to REAL",
        "ALTER TABLE executions ADD COLUMN template_context TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

ACTIVE = ("queued", "inProgress", "canceling")
TERMINAL = ("completed", "errored", "timeout", "canceled")


def now_ms() -> float:
    return time.time() * 1000.0


def to_ms(value: datetime) -> float:
    return as_utc(value).timestamp() * 1000.0


def new_id() -> str:
    """A 24-hex id shaped like a MongoDB ObjectId (time first, then random)."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


@dataclass
class NotebookRow:
    id: str
    name: str
    description: str
    file_name: Optional[str]
    file_size: Optional[int]
    created_at: float
    updated_at: float
    pushed_at: Optional[float]
    #: This UTC month: minutes, runs, errored + timed-out runs.
    minutes: float = 0.0
    runs: int = 0
    failures: int = 0
    #: Every run it has had, and when the newest started (ms), whatever the period.
    all_runs: int = 0
    last_started: Optional[float] = None


@dataclass
class ExecutionRow:
    id: str
    notebook_id: str
    status: str
    queued_at: float
    started_at: Optional[float]
    finished_at: Optional[float]
    max_minutes: float
    file_name: Optional[str]
    runner_pid: Optional[int]
    owner: Optional[str] = None
    files_removed_at: Optional[float] = None
    #: Who started it: "user" (the REST API) or "schedule" (its schedule's id in source_id).
    source_type: Optional[str] = None
    source_id: Optional[str] = None
    relative_to: Optional[float] = None
    template_context: Optional[str] = None
    errors: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)


def _execution(row: sqlite3.Row) -> ExecutionRow:
    return ExecutionRow(
        id=row["id"],
        notebook_id=row["notebook_id"],
        status=row["status"],
        queued_at=row["queued_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        max_minutes=row["max_minutes"],
        file_name=row["file_name"],
        runner_pid=row["runner_pid"],
        owner=row["owner"],
        files_removed_at=row["files_removed_at"],
        source_type=row["source_type"],
        source_id=row["source_id"],
        relative_to=row["relative_to"],
        template_context=row["template_context"],
        errors=json.loads(row["errors"]),
        inputs=json.loads(row["inputs"]),
        outputs=json.loads(row["outputs"]),
    )


def _like_pattern(text: str) -> str:
    """A LIKE pattern for a name filter: ``*`` is a wildcard, else a substring."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in escaped:
        return escaped.replace("*", "%")
    return f"%{escaped}%"


def _store_failure(exc: sqlite3.Error, path: Path) -> LocalRunError:
    text = str(exc)
    if "full" in text.lower():
        return LocalRunError(
            f"The local run store ({path}) could not be written: the disk is full. Free "
            "some space and try again.",
            reason="disk_full",
        )
    return LocalRunError(
        f"The local run store ({path}) failed: {text}. Check that the file is writable "
        "(c.NotebookRemote.local_db_path) and try again."
    )


class Store:
    """Async front of the SQLite file; one worker thread owns the connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: Optional[sqlite3.Connection] = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notebook-remote-db")
        self._closed = False

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._do, fn, *args))

    def _do(self, fn: Callable[..., T], *args: Any) -> T:
        if self._conn is None:
            raise LocalRunError("The local run store is closed (the server is stopping).")
        try:
            with self._conn:
                return fn(self._conn, *args)
        except sqlite3.Error as exc:
            raise _store_failure(exc, self.path) from exc

    # ------------------------------------------------------------------ life cycle

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._open)

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise LocalRunError(
                f"The local run store ({self.path}) cannot be opened: {exc}. Check the "
                "directory exists and is writable (c.NotebookRemote.local_db_path)."
            ) from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise _store_failure(exc, self.path) from exc
        # Python's sqlite3 only opens transactions on its own in the default mode;
        # from here on every call runs inside an explicit "with connection" block.
        conn.isolation_level = "DEFERRED"
        self._conn = conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise LocalRunError(
                f"The local run store ({self.path}) was written by a newer version of "
                f"jupyter-notebook-remote (schema {version}, this one knows {SCHEMA_VERSION}). "
                "Upgrade the extension or point c.NotebookRemote.local_db_path elsewhere."
            )
        for step in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (step + 1,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ---------------------------------------------------------------------- queries
# Each takes the connection first; call them through Store.call.

_NOTEBOOK_STATS = """
    SELECT n.*,
        COALESCE(SUM(CASE WHEN e.started_at IS NOT NULL AND e.finished_at IS NOT NULL
                     THEN e.finished_at - e.started_at ELSE 0 END), 0) / 60000.0 AS minutes,
        COUNT(e.id) AS runs,
        COALESCE(SUM(CASE WHEN e.status IN ('errored', 'timeout') THEN 1 ELSE 0 END), 0)
            AS failures,
        (SELECT COUNT(*) FROM executions AS a WHERE a.notebook_id = n.id) AS all_runs,
        (SELECT MAX(a.started_at) FROM executions AS a WHERE a.notebook_id = n.id)
            AS last_started
    FROM notebooks AS n
    LEFT JOIN executions AS e
        ON e.notebook_id = n.id AND e.queued_at >= ?
        AND e.status IN ('completed', 'errored', 'timeout', 'canceled')
"""


def _notebook(row: sqlite3.Row) -> NotebookRow:
    return NotebookRow(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        file_name=row["file_name"],
        file_size=row["file_size"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        pushed_at=row["pushed_at"],
        minutes=float(row["minutes"]),
        runs=int(row["runs"]),
        failures=int(row["failures"]),
        all_runs=int(row["all_runs"]),
        last_started=row["last_started"],
    )


def insert_notebook(
    conn: sqlite3.Connection, notebook_id: str, name: str, description: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO notebooks (id, name, description, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (notebook_id, name, description, now, now),
    )


def get_notebook(
    conn: sqlite3.Connection, notebook_id: str, period_start: float
) -> Optional[NotebookRow]:
    row = conn.execute(
        _NOTEBOOK_STATS + " WHERE n.id = ? GROUP BY n.id", (period_start, notebook_id)
    ).fetchone()
    return _notebook(row) if row else None


def list_notebooks(
    conn: sqlite3.Connection,
    name_filter: Optional[str],
    offset: int,
    limit: int,
    period_start: float,
) -> tuple[list[NotebookRow], int]:
    where, params = "", []
    if name_filter:
        where = " WHERE n.name LIKE ? ESCAPE '\\'"
        params.append(_like_pattern(name_filter))
    total = conn.execute(f"SELECT COUNT(*) FROM notebooks AS n{where}", params).fetchone()[0]  # noqa: S608 - fixed text
    rows = conn.execute(
        _NOTEBOOK_STATS
        + where
        + " GROUP BY n.id ORDER BY n.name COLLATE NOCASE, n.created_at LIMIT ? OFFSET ?",
        (period_start, *params, limit, offset),
    ).fetchall()
    return [_notebook(r) for r in rows], int(total)


def update_notebook(
    conn: sqlite3.Connection,
    notebook_id: str,
    name: Optional[str],
    description: Optional[str],
    now: float,
) -> bool:
    cur = conn.execute(
        "UPDATE notebooks SET name = COALESCE(?, name), description = COALESCE(?, description), "
        "updated_at = ? WHERE id = ?",
        (name, description, now, notebook_id),
    )
    return cur.rowcount == 1


def record_push(
    conn: sqlite3.Connection, notebook_id: str, file_name: str, size: int, now: float
) -> bool:
    cur = conn.execute(
        "UPDATE notebooks SET file_name = ?, file_size = ?, pushed_at = ?, updated_at = ? "
        "WHERE id = ?",
        (file_name, size, now, now, notebook_id),
    )
    return cur.rowcount == 1


def active_execution_ids(conn: sqlite3.Connection, notebook_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT id FROM executions WHERE notebook_id = ? AND status IN (?, ?, ?)",
        (notebook_id, *ACTIVE),
    ).fetchall()
    return [r[0] for r in rows]


def delete_notebook(conn: sqlite3.Connection, notebook_id: str) -> Optional[list[str]]:
    """Delete a notebook and its runs; return the runs' ids, or None if unknown."""
    if conn.execute("SELECT 1 FROM notebooks WHERE id = ?", (notebook_id,)).fetchone() is None:
        return None
    ids = [
        r[0]
        for r in conn.execute("SELECT id FROM executions WHERE notebook_id = ?", (notebook_id,))
    ]
    conn.execute("DELETE FROM executions WHERE notebook_id = ?", (notebook_id,))
    conn.execute("DELETE FROM schedules WHERE notebook_id = ?", (notebook_id,))
    conn.execute("DELETE FROM notebooks WHERE id = ?", (notebook_id,))
    return ids


def insert_execution(
    conn: sqlite3.Connection,
    execution_id: str,
    notebook_id: str,
    now: float,
    max_minutes: float,
    file_name: str,
    inputs: list[dict[str, Any]],
    owner: str,
    source: tuple[str, Optional[str]] = ("user", None),
    given: tuple[Optional[float], Optional[str]] = (None, None),
) -> None:
    """A queued run; ``given``: its query time (ms) and template context."""
    conn.execute(
        "INSERT INTO executions (id, notebook_id, status, queued_at, max_minutes, file_name, "
        "inputs, owner, source_type, source_id, relative_to, template_context) "
        "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            execution_id,
            notebook_id,
            now,
            max_minutes,
            file_name,
            json.dumps(inputs),
            owner,
            *source,
            *given,
        ),
    )


def get_execution(conn: sqlite3.Connection, execution_id: str) -> Optional[ExecutionRow]:
    row = conn.execute("SELECT * FROM executions WHERE id = ?", (execution_id,)).fetchone()
    return _execution(row) if row else None


def list_executions(
    conn: sqlite3.Connection, notebook_id: str, limit: int, since: Optional[float]
) -> list[ExecutionRow]:
    sql = "SELECT * FROM executions WHERE notebook_id = ?"
    params: list[Any] = [notebook_id]
    if since is not None:
        sql += " AND queued_at >= ?"
        params.append(since)
    sql += " ORDER BY queued_at DESC, id DESC LIMIT ?"
    params.append(limit)
    return [_execution(r) for r in conn.execute(sql, params)]


def executions_with_status(conn: sqlite3.Connection, statuses: Sequence[str]) -> list[ExecutionRow]:
    marks = ", ".join("?" for _ in statuses)
    sql = f"SELECT * FROM executions WHERE status IN ({marks}) ORDER BY queued_at"  # noqa: S608 - placeholders only
    return [_execution(r) for r in conn.execute(sql, tuple(statuses))]


def mark_started(conn: sqlite3.Connection, execution_id: str, now: float) -> bool:
    cur = conn.execute(
        "UPDATE executions SET status = 'inProgress', started_at = ? "
        "WHERE id = ? AND status = 'queued'",
        (now, execution_id),
    )
    return cur.rowcount == 1


def get_status(conn: sqlite3.Connection, execution_id: str) -> Optional[str]:
    row = conn.execute("SELECT status FROM executions WHERE id = ?", (execution_id,)).fetchone()
    return None if row is None else str(row[0])


def set_runner_pid(conn: sqlite3.Connection, execution_id: str, pid: int) -> None:
    conn.execute("UPDATE executions SET runner_pid = ? WHERE id = ?", (pid, execution_id))


def set_status(
    conn: sqlite3.Connection, execution_id: str, status: str, only_from: Iterable[str]
) -> bool:
    """Change a run's status if it is still in one of ``only_from``."""
    allowed = tuple(only_from)
    marks = ", ".join("?" for _ in allowed)
    cur = conn.execute(
        f"UPDATE executions SET status = ? WHERE id = ? AND status IN ({marks})",  # noqa: S608
        (status, execution_id, *allowed),
    )
    return cur.rowcount == 1


def finish(
    conn: sqlite3.Connection,
    execution_id: str,
    status: str,
    finished_at: float,
    errors: list[dict[str, str]],
    outputs: list[dict[str, Any]],
    only_from: Iterable[str],
) -> bool:
    """Record a run's end, unless something else already ended it."""
    allowed = tuple(only_from)
    marks = ", ".join("?" for _ in allowed)
    cur = conn.execute(
        "UPDATE executions SET status = ?, finished_at = ?, errors = ?, outputs = ? "  # noqa: S608
        f"WHERE id = ? AND status IN ({marks})",
        (status, finished_at, json.dumps(errors), json.dumps(outputs), execution_id, *allowed),
    )
    return cur.rowcount == 1


def finished_runs(
    conn: sqlite3.Connection, notebook_id: str, start: float, end: float
) -> list[ExecutionRow]:
    """Ended runs of a notebook that started (or, never started, were queued) in [start, end]."""
    rows = conn.execute(
        "SELECT * FROM executions WHERE notebook_id = ? AND status IN (?, ?, ?, ?) "
        "AND COALESCE(started_at, queued_at) BETWEEN ? AND ?",
        (notebook_id, *TERMINAL, start, end),
    )
    return [_execution(r) for r in rows]


def runs_past_retention(
    conn: sqlite3.Connection, keep_runs: Optional[int], finished_before: Optional[float]
) -> list[str]:
    """Ended runs whose files are still there although the policy lets them go:
    past the newest ``keep_runs`` of their notebook (every run counts, also one
    in flight), or finished before ``finished_before``. Never a run in flight."""
    if keep_runs is None and finished_before is None:
        return []
    rows = conn.execute(
        """
        SELECT id FROM (
            SELECT id, status, finished_at, files_removed_at,
                   ROW_NUMBER() OVER (
                       PARTITION BY notebook_id ORDER BY queued_at DESC, id DESC
                   ) AS newest
            FROM executions
        )
        WHERE files_removed_at IS NULL AND status IN (?, ?, ?, ?)
          AND ((? IS NOT NULL AND newest > ?) OR (? IS NOT NULL AND finished_at < ?))
        ORDER BY finished_at
        """,
        (*TERMINAL, keep_runs, keep_runs, finished_before, finished_before),
    )
    return [str(r[0]) for r in rows]


def mark_files_removed(conn: sqlite3.Connection, execution_ids: Sequence[str], now: float) -> None:
    """The runs keep their rows (status, times, errors) but list no files any more."""
    conn.executemany(
        "UPDATE executions SET files_removed_at = ?, outputs = '[]' "
        "WHERE id = ? AND files_removed_at IS NULL",
        [(now, execution_id) for execution_id in execution_ids],
    )
