"""The tutors' marks and overrides as the gradebook keeps them: a history, one row per change.

Version 2 of the gradebook (`grader.gradebook_schema`) added the tables `marks` (marking.csv,
#counts choices included) and `overrides` (overrides.csv). A row is added when a mark or override
is new or changed; points NULL is a mark cleared back to pending, or an override removed. The
current marks and overrides are the latest row of each (file, check). `MarkHistory` is the part
of `Gradebook` that reads and writes them.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from grader.errors import GraderError
from grader.gradebook_schema import UNKNOWN_RUN
from grader.marking import Mark, Override
from grader.score import now_iso


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


class MarkHistory:
    """The marks and overrides tables of an open `Gradebook` (it supplies the connection)."""

    path: Path
    _conn: sqlite3.Connection
    _lock: threading.Lock

    def record_marks(self, run_id: str, marks: Sequence[Mark]) -> None:
        """Add `marks` (new or changed since the last recorded ones) under `run_id`, at once."""
        now = now_iso()
        rows = [(run_id, m.file, m.check, m.points, m.comment, m.marker, m.marked_at, now)
                for m in marks]
        self._insert("INSERT INTO marks (run_id, file, check_id, points, comment, marker,"
                     " marked_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows, run_id)

    def record_overrides(self, run_id: str, overrides: Sequence[Override],
                         removed: Sequence[tuple[str, str, str, str]] = ()) -> None:
        """Add new or changed `overrides`, and `removed` ones as (file, check, marker, at)."""
        now = now_iso()
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
