"""`grades-<assignment>.csv`: one CSV per assignment whose header names each check with its maximum.

`grades.csv` (the contract's) puts every assignment's checks in shared columns: conv3d's
`forward` (out of 10) and xor's `forward` (out of 1) land in one. Here each assignment gets its
own file: `file, group, status, score (max 30)`, then `forward (max 10)`, ... in the rubric's
order, one row per upload of that assignment. Text cells are made inert for spreadsheets as in
`grades.csv`. With the course record (`grader.ledger`), the columns go on: each hand-marked check
named with its maximum (`theory (max 2, by hand)`, empty while pending), `automatic_score` (the
automatic points with a tutor's overrides), `overrides` (`check=points` each), then grades.csv's
course columns (`manual_score, manual_max_score, pending, penalty, final_score, submitted_at,
counts`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.export import csv_number, csv_text, write_text_atomic
from grader.rubric import Rubric
from grader.score import Grade

if TYPE_CHECKING:
    from grader.ledger_view import UploadLedger

FILE_NAME = "grades-{assignment}.csv"
COURSE_COLUMNS = ("automatic_score", "overrides", "manual_score", "manual_max_score", "pending",
                  "penalty", "final_score", "submitted_at", "counts")
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")   # rubric ids are (grader.rubric NAME)


def columns(grades: Sequence[Grade], rubric: Rubric | None) -> list[tuple[str, float]]:
    """(check id, max points) in the rubric's order (else by first appearance in `grades`)."""
    if rubric is not None:
        return [(c.id, float(c.points)) for c in rubric.checks]
    seen: dict[str, float] = {}
    for grade in grades:
        for check in grade.checks:
            seen.setdefault(check.id, check.max_points)
    return list(seen.items())


def hand_marked(entries: Sequence[UploadLedger]) -> list[tuple[str, float]]:
    """(hand-marked check id, max points) in order of first appearance in `entries`."""
    seen: dict[str, float] = {}
    for entry in entries:
        for mark in entry.hand_marks:
            seen.setdefault(mark.id, mark.max_points)
    return list(seen.items())


def course_cells(entry: UploadLedger | None, marks: Sequence[str]) -> list[str]:
    """One upload's cells of the hand-marked checks `marks` and COURSE_COLUMNS (all empty
    without a course record)."""
    if entry is None:
        return [""] * (len(marks) + len(COURSE_COLUMNS))
    cells = entry.csv_cells()
    cells["automatic_score"] = csv_number(entry.automatic)
    cells["overrides"] = csv_text(" ".join(f"{item.id}={csv_number(item.override.points)}"
                                           for item in entry.overridden))
    return [cells.get(column, "") for column in (*marks, *COURSE_COLUMNS)]


def assignment_csv_text(grades: Sequence[Grade], rubric: Rubric | None,
                        course: Mapping[str, UploadLedger] | None = None) -> str:
    """The CSV of one assignment's uploads (`grades` all of that assignment, in table order);
    `course`: the course record by file (its columns are appended when it has any)."""
    checks = columns(grades, rubric)
    top = rubric.max_score if rubric is not None else max((g.max_score for g in grades),
                                                             default=0.0)
    marks = hand_marked([course[g.file] for g in grades if g.file in course]) if course else []
    appended = [*(f"{mid} (max {csv_number(points)}, by hand)" for mid, points in marks),
                *COURSE_COLUMNS] if course else []
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "group", "status", f"score (max {csv_number(top)})",
                     *(f"{check_id} (max {csv_number(points)})" for check_id, points in checks),
                     *appended])
    for grade in grades:
        points = {c.id: csv_number(c.points) for c in grade.checks}
        extra = course_cells(course.get(grade.file), [m for m, _ in marks]) if course else []
        writer.writerow([csv_text(grade.file), csv_text(grade.group or ""), grade.status,
                         csv_number(grade.score), *(points.get(cid, "") for cid, _ in checks),
                         *extra])
    return buffer.getvalue()


def write_assignment_csvs(out_dir: Path, grades: Sequence[Grade], rubrics: Sequence[Rubric],
                          course: Mapping[str, UploadLedger] | None = None) -> dict[str, str]:
    """Write `grades-<assignment>.csv` for every assignment with an upload; return assignment
    id -> file name (relative to `out_dir`). Uploads that matched no assignment are in none.
    `course`: the course record by file (hand marks, overrides, penalty, final score)."""
    by_id = {r.id: r for r in rubrics}
    assignments = sorted({g.assignment for g in grades
                          if g.assignment is not None and SAFE_ID.fullmatch(g.assignment)})
    written = {}
    for assignment in assignments:
        name = FILE_NAME.format(assignment=assignment)
        rows = [g for g in grades if g.assignment == assignment]
        write_text_atomic(out_dir / name, assignment_csv_text(rows, by_id.get(assignment),
                                                                 course))
        written[assignment] = name
    return written
