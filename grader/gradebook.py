"""The gradebook: every grade ever recorded, in one SQLite file kept across runs.

One process writes (the grader's main process); tutors may read at the same time (WAL mode).
Each `record` is its own committed transaction, so a crash or a kill mid-batch loses nothing
already recorded, and a rerun resumes by `lookup`. The full `Grade` is stored as JSON in
`record_json`; the other columns copy its key fields for querying.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Sequence

from grader.cell_error import CellError
from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.errors import GraderError
from grader.plain_data import from_plain
from grader.score import INTERNAL_ERROR, Grade

SCHEMA_VERSION = 1
APPLICATION_ID = 0x444C4742  # "DLGB": marks a file as our gradebook (PRAGMA application_id)
BUSY_TIMEOUT_S = 30.0

NOT_SQLITE = "{path}: not a readable gradebook (SQLite: {detail}); move it away or use another --out"
FOREIGN = "{path}: an SQLite database that is not a gradebook ({detail}); refusing to touch it"
TOO_NEW = "{path}: gradebook schema version {found} is newer than this grader's ({ours}); upgrade the grader"
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

_TUPLE_FIELDS = ("messages", "members", "warnings")


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
                (run_id, _utc_now(), grader_version, reference_version, json.dumps(argv if isinstance(argv, str) else list(argv))),
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


def _prepare(conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
    """Check the file is our gradebook (creating the schema in an empty one) and set pragmas."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        app_id, version, tables = _identity(conn)
        if not readonly and app_id == 0 and version == 0 and not tables:
            conn.execute("BEGIN IMMEDIATE")
            app_id, version, tables = _identity(conn)  # re-check under the write lock
            if app_id == 0 and version == 0 and not tables:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
            app_id, version, tables = _identity(conn)
        _check_identity(path, app_id, version)
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise GraderError(NOT_SQLITE.format(path=path, detail=exc)) from exc


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
