"""`grades-<assignment>.csv`: one CSV per assignment whose header names each check with its maximum.

`grades.csv` (the contract's) puts every assignment's checks in shared columns: conv3d's
`forward` (out of 10) and xor's `forward` (out of 1) land in one. Here each assignment gets its
own file: `file, group, status, score (max 30)`, then `forward (max 10)`, ... in the rubric's
order, one row per upload of that assignment. Text cells are made inert for spreadsheets as in
`grades.csv`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from grader.export import csv_number, csv_text, write_text_atomic
from grader.rubric import Rubric
from grader.score import Grade

FILE_NAME = "grades-{assignment}.csv"
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


def assignment_csv_text(grades: Sequence[Grade], rubric: Rubric | None) -> str:
    """The CSV of one assignment's uploads (`grades` all of that assignment, in table order)."""
    checks = columns(grades, rubric)
    top = rubric.max_score if rubric is not None else max((g.max_score for g in grades),
                                                             default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "group", "status", f"score (max {csv_number(top)})",
                     *(f"{check_id} (max {csv_number(points)})" for check_id, points in checks)])
    for grade in grades:
        points = {c.id: csv_number(c.points) for c in grade.checks}
        writer.writerow([csv_text(grade.file), csv_text(grade.group or ""), grade.status,
                         csv_number(grade.score), *(points.get(cid, "") for cid, _ in checks)])
    return buffer.getvalue()


def write_assignment_csvs(out_dir: Path, grades: Sequence[Grade],
                          rubrics: Sequence[Rubric]) -> dict[str, str]:
    """Write `grades-<assignment>.csv` for every assignment with an upload; return assignment
    id -> file name (relative to `out_dir`). Uploads that matched no assignment are in none."""
    by_id = {r.id: r for r in rubrics}
    assignments = sorted({g.assignment for g in grades
                          if g.assignment is not None and SAFE_ID.fullmatch(g.assignment)})
    written = {}
    for assignment in assignments:
        name = FILE_NAME.format(assignment=assignment)
        rows = [g for g in grades if g.assignment == assignment]
        write_text_atomic(out_dir / name, assignment_csv_text(rows, by_id.get(assignment)))
        written[assignment] = name
    return written
