"""The gradebook: every grade ever recorded, in one SQLite file kept across runs.

One process writes (the grader's main process); tutors may read at the same time (WAL mode).
Each `record` is its own committed transaction, so a crash or a kill mid-batch loses nothing
already recorded, and a rerun resumes by `lookup`. The full `Grade` is stored as JSON in
`record_json`; the other columns copy its key fields for querying.

A new gradebook is created atomically: built complete (schema, identity, WAL) in a temporary
file beside it and linked into place only if no file is there yet, so a process that opens the
path at the same moment (a second `grade` run) sees no file or a complete gradebook, never an
empty database half-way to one. An existing empty file is initialised in place, its identity
read and written in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Sequence

from grader.cell_error import CellError
from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.errors import GraderError
from grader.marking import Mark, Override
from grader.plain_data import from_plain
from grader.score import INTERNAL_ERROR, Grade

SCHEMA_VERSION = 2   # 2: the tables `marks` and `overrides` (a version-1 file is upgraded)
APPLICATION_ID = 0x444C4742  # "DLGB": marks a file as our gradebook (PRAGMA application_id)
BUSY_TIMEOUT_S = 30.0

NOT_SQLITE = ("{path}: not a readable gradebook (SQLite: {detail}); "
              "move it away or use another --out")
FOREIGN = "{path}: an SQLite database that is not a gradebook ({detail}); refusing to touch it"
TOO_NEW = ("{path}: gradebook schema version {found} is newer than this grader's ({ours}); "
           "upgrade the grader")
MISSING = "{path}: no gradebook there"
BAD_RECORD = "{path}: grade record {row} is unreadable ({detail})"
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

_TUPLE_FIELDS = ("messages", "members", "warnings")


@dataclass(frozen=True)
class MarkEvent:
    """One row of the marks history: a mark as a batch read it (points None: pending)."""

    run_id: str
    recorded_at: str
    mark: Mark


@dataclass(frozen=True)
class OverrideEvent:
    """One row of the overrides history (override None: the tutor removed it)."""

    run_id: str
    recorded_at: str
    file: str
    check: str
    override: Override | None
    marker: str = ""                 # who gave it, or who removed it
    at: str = ""                     # when


def grade_to_dict(grade: Grade) -> dict[str, Any]:
    """Every field of `grade` as JSON-safe data (tuples become lists, checks become dicts)."""
    data = dataclasses.asdict(grade)
    for name in _TUPLE_FIELDS:
        data[name] = list(data[name])
    data["checks"] = [dict(c) for c in data["checks"]]
    return data


def grade_from_dict(data: dict[str, Any]) -> Grade:
    """The inverse of `grade_to_dict`: tuples, `CheckResult`s (their detail and pictures),
    `CellRun`s and the `CellError` restored.

    Keys unknown to this `Grade` are ignored (a record written by a newer grader); optional
    fields missing from an older record take their defaults. A missing required field raises
    KeyError/TypeError. Records written before 0.2 (a `first_error` string, no
    `internal_error` flag) are read through `_upgrade_legacy`.
    """
    known = {f.name for f in dataclasses.fields(Grade)}
    kwargs = {k: v for k, v in data.items() if k in known}
    kwargs["checks"] = tuple(from_plain(CheckResult, c) for c in data["checks"])
    kwargs["cell_runs"] = tuple(from_plain(CellRun, r) for r in data.get("cell_runs", ()))
    for name in _TUPLE_FIELDS:
        if name in kwargs:
            kwargs[name] = tuple(kwargs[name])
    _upgrade_legacy(kwargs)
    if isinstance(kwargs.get("first_error"), dict):
        kwargs["first_error"] = CellError(**kwargs["first_error"])
    return Grade(**kwargs)


def _upgrade_legacy(kwargs: dict[str, Any]) -> None:
    """Read a record of grader 0.1 (in place): its `first_error` was "summary\ntraceback"
    (the cell number and exception name are recovered from the summary), and a record of the
    grader's own failure was marked only by its first message."""
    text = kwargs.get("first_error")
    if isinstance(text, str):
        head, _, trace = text.partition("\n")
        found = re.match(r"cell (\d+): ([^:]*)(?:: (.*))?$", head)
        kwargs["first_error"] = CellError(int(found.group(1)), found.group(2),
                                          found.group(3) or "", trace) if found else None
    if "internal_error" not in kwargs:
        messages = kwargs.get("messages", ())
        kwargs["internal_error"] = kwargs.get("status") == "crashed" and bool(messages) \
            and str(messages[0]).startswith(INTERNAL_ERROR)


def is_internal_error(grade: Grade) -> bool:
    """Whether `grade` records a failure of the grader rather than a verdict on the upload."""
    return grade.internal_error


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Gradebook:
    """An open gradebook file; use `Gradebook.open(path)` as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Gradebook:
        """Open (creating if missing) the gradebook at `path`.

        Raises:
            GraderError: the file is not SQLite, is someone else's database, or has a newer
                schema; with `readonly`, also when the file does not exist. Never overwrites.
        """
        path = Path(path)
        if readonly and not path.is_file():
            raise GraderError(MISSING.format(path=path))
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(path):
                _create(path)
        target = f"{path.resolve().as_uri()}?mode=ro" if readonly else str(path)
        try:
            conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, uri=readonly,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise GraderError(NOT_SQLITE.format(path=path, detail=exc)) from exc
        try:
            _prepare(conn, path, readonly)
        except BaseException:
            conn.close()
            raise
        return cls(path, conn)

    def close(self) -> None:
        """Close the connection (every record is already committed)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start_run(self, grader_version: str, reference_version: str,
                  argv: str | Sequence[str]) -> str:
        """Record the start of a grading run and return its new id.

        `argv` is the command line, as a list or one shell-quoted string (stored as JSON).
        """
        run_id = uuid.uuid4().hex
        with self._lock:
            self._conn.execute(
                "INSERT INTO runs (run_id, started_at, grader_version, reference_version, argv)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, _utc_now(), grader_version, reference_version,
                 json.dumps(argv if isinstance(argv, str) else list(argv))),
            )
        return run_id

    def record(self, run_id: str, grade: Grade) -> None:
        """Insert `grade` under `run_id` and commit at once (one transaction per upload)."""
        record_json = json.dumps(grade_to_dict(grade), ensure_ascii=False, allow_nan=False)
        row = (run_id, grade.file, grade.sha256, grade.assignment, grade.group, grade.status,
               grade.score, grade.max_score, grade.rubric_sha256, grade.reference_version,
               grade.graded_at, record_json)
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO grades (run_id, file, sha256, assignment, grp, status, score,"
                    " max_score, rubric_sha256, reference_version, graded_at, record_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.IntegrityError as exc:
                raise GraderError(UNKNOWN_RUN.format(path=self.path, run_id=run_id)) from exc

    def lookup(self, file: str, sha256: str, rubric_sha256: str,
               reference_version: str) -> Grade | None:
        """The latest grade of this exact upload content under this rubric and reference.

        None when there is none, or when the latest is an internal-error record (the grader
        failed on the upload, so a rerun must try again).
        """
        rows = self._select(
            "WHERE file = ? AND sha256 = ? AND rubric_sha256 = ? AND reference_version = ?"
            " ORDER BY id DESC LIMIT 1",
            (file, sha256, rubric_sha256, reference_version),
        )
        return rows[0] if rows and not is_internal_error(rows[0]) else None

    def latest(self, file: str) -> Grade | None:
        """The most recently recorded grade of `file`, whatever its content."""
        rows = self._select("WHERE file = ? ORDER BY id DESC LIMIT 1", (file,))
        return rows[0] if rows else None

    def history(self, file: str) -> list[Grade]:
        """Every grade of `file`, oldest first."""
        return self._select("WHERE file = ? ORDER BY id", (file,))

    def run_grades(self, run_id: str) -> list[Grade]:
        """Every grade recorded under `run_id`, in recording order."""
        return self._select("WHERE run_id = ? ORDER BY id", (run_id,))

    # ------------------------------------------------------------- marks and overrides (v2)
    def record_marks(self, run_id: str, marks: Sequence[Mark]) -> None:
        """Add `marks` (new or changed since the last recorded ones) under `run_id`, at once."""
        now = _utc_now()
        rows = [(run_id, m.file, m.check, m.points, m.comment, m.marker, m.marked_at, now)
                for m in marks]
        self._insert("INSERT INTO marks (run_id, file, check_id, points, comment, marker,"
                     " marked_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows, run_id)

    def record_overrides(self, run_id: str, overrides: Sequence[Override],
                         removed: Sequence[tuple[str, str, str, str]] = ()) -> None:
        """Add new or changed `overrides`, and `removed` ones as (file, check, marker, at)."""
        now = _utc_now()
        rows: list[tuple[Any, ...]] = [
            (run_id, o.file, o.check, o.points, o.reason, o.marker, o.at, now) for o in overrides]
        rows += [(run_id, file, check, None, "", marker, at, now)
                 for file, check, marker, at in removed]
        self._insert("INSERT INTO overrides (run_id, file, check_id, points, reason, marker, at,"
                     " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows, run_id)

    def mark_history(self, file: str | None = None) -> list[MarkEvent]:
        """Every recorded mark (of `file`, or of all uploads), oldest first."""
        rows = self._ledger_rows("marks", "comment, marker, marked_at", file)
        return [MarkEvent(run, at, Mark(f, c, p, text, who, when))
                for run, at, f, c, p, text, who, when in rows]

    def override_history(self, file: str | None = None) -> list[OverrideEvent]:
        """Every recorded override and removal (of `file`, or of all uploads), oldest first."""
        rows = self._ledger_rows("overrides", "reason, marker, at", file)
        return [OverrideEvent(run, at, f, c,
                              None if p is None else Override(f, c, p, why, who, when), who, when)
                for run, at, f, c, p, why, who, when in rows]

    def current_marks(self) -> list[Mark]:
        """The latest recorded mark of every (file, check), pending ones included."""
        latest = {(e.mark.file, e.mark.check): e.mark for e in self.mark_history()}
        return list(latest.values())

    def current_overrides(self) -> list[Override]:
        """The overrides in force: the latest recorded row of each (file, check), not removed."""
        latest = {(e.file, e.check): e.override for e in self.override_history()}
        return [o for o in latest.values() if o is not None]

    def _insert(self, sql: str, rows: Sequence[tuple[Any, ...]], run_id: str) -> None:
        if not rows:
            return
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                self._conn.execute("ROLLBACK")
                raise GraderError(UNKNOWN_RUN.format(path=self.path, run_id=run_id)) from exc
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _ledger_rows(self, table: str, columns: str, file: str | None) -> list[tuple[Any, ...]]:
        """Rows of `table` ("marks"/"overrides"); none in a version-1 file opened read-only."""
        where, params = ("WHERE file = ?", (file,)) if file is not None else ("", ())
        with self._lock:
            known = self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
                                       " name = ?", (table,)).fetchone()
            if known is None:
                return []
            return self._conn.execute(
                f"SELECT run_id, recorded_at, file, check_id, points, {columns} FROM {table}"
                f" {where} ORDER BY id", params).fetchall()

    def _select(self, where: str, params: tuple[str, ...]) -> list[Grade]:
        with self._lock:
            rows = self._conn.execute(f"SELECT id, record_json FROM grades {where}",
                                      params).fetchall()
        return [self._decode(row_id, text) for row_id, text in rows]

    def _decode(self, row_id: int, text: str) -> Grade:
        try:
            return grade_from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GraderError(BAD_RECORD.format(path=self.path, row=row_id, detail=exc)) from exc


def _create(path: Path) -> None:
    """Build a complete gradebook beside `path` and link it into place unless a file is there
    by then (another run created it first: that one is used). Where hard links do not work,
    the in-place initialisation of `_prepare` does the job."""
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


def _prepare(conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
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
    """WAL mode (a no-op on a gradebook made by `_create`). Switching needs the database to
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
