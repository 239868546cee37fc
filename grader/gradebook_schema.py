"""The gradebook's SQLite file: schema, identity, atomic creation, upgrade and pragmas.

A gradebook is marked as ours by `PRAGMA application_id` and versioned by `user_version`; any
other file is refused, never overwritten. A new gradebook is created atomically: built complete
(schema, identity, WAL) in a temporary file beside it and linked into place only if no file is
there yet, so a process that opens the path at the same moment (a second `grade` run) sees no
file or a complete gradebook, never an empty database half-way to one. An existing empty file
is initialised in place, its identity read and written in one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from grader.errors import GraderError

SCHEMA_VERSION = 2   # 2: the tables `marks` and `overrides` (a version-1 file is upgraded)
APPLICATION_ID = 0x444C4742  # "DLGB": marks a file as our gradebook (PRAGMA application_id)
BUSY_TIMEOUT_S = 30.0

NOT_SQLITE = ("{path}: not a readable gradebook (SQLite: {detail}); "
              "move it away or use another --out")
FOREIGN = "{path}: an SQLite database that is not a gradebook ({detail}); refusing to touch it"
TOO_NEW = ("{path}: gradebook schema version {found} is newer than this grader's ({ours}); "
           "upgrade the grader")
UNKNOWN_RUN = "{path}: unknown run id {run_id!r}; call start_run first"

_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    reference_version TEXT NOT NULL,
    argv TEXT NOT NULL
);
CREATE TABLE grades (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    assignment TEXT,
    grp TEXT,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    rubric_sha256 TEXT NOT NULL,
    reference_version TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    record_json TEXT NOT NULL
);
CREATE INDEX grades_key ON grades (file, sha256, rubric_sha256, reference_version);
CREATE INDEX grades_file ON grades (file);
"""

# Version 2: the history of tutors' marks (marking.csv, #counts choices included) and
# overrides (overrides.csv). A row is added when a mark or override is new or changed; points
# NULL is a mark cleared back to pending, or an override removed. `run_id` is the batch that
# read it, `recorded_at` when; `marker`/`marked_at`/`at` who gave it and when.
_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS marks (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    file TEXT NOT NULL,
    check_id TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL,
    marker TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS marks_key ON marks (file, check_id);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    file TEXT NOT NULL,
    check_id TEXT NOT NULL,
    points REAL,
    reason TEXT NOT NULL,
    marker TEXT NOT NULL,
    at TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS overrides_key ON overrides (file, check_id);
"""


def create(path: Path) -> None:
    """Build a complete gradebook beside `path` and link it into place unless a file is there
    by then (another run created it first: that one is used). Where hard links do not work,
    the in-place initialisation of `prepare` does the job."""
    fd, tmp = tempfile.mkstemp(prefix=".gradebook-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            _initialise(conn)
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            return
    finally:
        for name in (tmp, tmp + "-wal", tmp + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def _initialise(conn: sqlite3.Connection) -> None:
    for statement in (_SCHEMA + _LEDGER_SCHEMA).split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def prepare(conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
    """Check the file is our gradebook (creating the schema in an empty one) and set pragmas."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if readonly:
            conn.execute("BEGIN")                # one consistent read of the identity
            app_id, version, _ = _identity(conn)
            conn.execute("COMMIT")
        else:
            conn.execute("BEGIN IMMEDIATE")      # read (and make) the identity in one go
            app_id, version, tables = _identity(conn)
            if app_id == 0 and version == 0 and not tables:
                _initialise(conn)
                app_id, version = APPLICATION_ID, SCHEMA_VERSION
            conn.execute("COMMIT")
        _check_identity(path, app_id, version)
        if not readonly and version < SCHEMA_VERSION:
            _upgrade(conn)
        if not readonly:
            _wal(conn)
            conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise GraderError(NOT_SQLITE.format(path=path, detail=exc)) from exc


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a version-1 gradebook to version 2 in place (adds the marks/overrides tables)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION:
            for statement in _LEDGER_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _wal(conn: sqlite3.Connection) -> None:
    """WAL mode (a no-op on a gradebook made by `create`). Switching needs the database to
    itself, which SQLite does not wait for: retry while another process holds it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _identity(conn: sqlite3.Connection) -> tuple[int, int, list[str]]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return int(app_id), int(version), tables


def _check_identity(path: Path, app_id: int, version: int) -> None:
    if app_id != APPLICATION_ID:
        raise GraderError(FOREIGN.format(path=path, detail=f"application_id {app_id:#x}"))
    if version > SCHEMA_VERSION:
        raise GraderError(TOO_NEW.format(path=path, found=version, ours=SCHEMA_VERSION))
    if version < 1:
        raise GraderError(FOREIGN.format(path=path, detail=f"schema version {version}"))
