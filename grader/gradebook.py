"""The gradebook: every grade ever recorded, in one SQLite file kept across runs.

One process writes (the grader's main process); tutors may read at the same time (WAL mode).
Each `record` is its own committed transaction, so a crash or a kill mid-batch loses nothing
already recorded, and a rerun resumes by `lookup`. The full `Grade` is stored as JSON in
`record_json` (`grader.grade_json`); the other columns copy its key fields for querying. The
file itself (schema, identity, creation) is `grader.gradebook_schema`; the tutors' marks and
overrides, kept beside the grades, `grader.gradebook_marks`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from pathlib import Path
from types import TracebackType
from typing import Sequence

from grader.errors import GraderError
from grader.grade_json import grade_from_dict, grade_to_dict
from grader.gradebook_marks import MarkHistory
from grader.gradebook_schema import BUSY_TIMEOUT_S, NOT_SQLITE, UNKNOWN_RUN, create, prepare
from grader.score import Grade, now_iso

MISSING = "{path}: no gradebook there"
BAD_RECORD = "{path}: grade record {row} is unreadable ({detail})"


class Gradebook(MarkHistory):
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
                create(path)
        target = f"{path.resolve().as_uri()}?mode=ro" if readonly else str(path)
        try:
            conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, uri=readonly,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise GraderError(NOT_SQLITE.format(path=path, detail=exc)) from exc
        try:
            prepare(conn, path, readonly)
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
                (run_id, now_iso(), grader_version, reference_version,
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
        return rows[0] if rows and not rows[0].internal_error else None

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
