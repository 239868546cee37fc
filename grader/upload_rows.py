"""The rows of the overview's uploads table: each upload's score as it counts, in a useful order.

With a course record that changes a score (hand marks, overrides, late penalties,
`grader.ledger_view.Overview.shown`), a row's score is the final score, out of the automatic
plus the hand-marked maximum, with the automatic score beside it; a final score still pending
shows "pending" and is sorted and filtered by its automatic part. The rows are ordered by
assignment (unmatched uploads last), then score (highest first), then path: the order a page
without JavaScript shows, and the one its sort tools start from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from grader.failures import first_problem
from grader.score import Grade

if TYPE_CHECKING:
    from grader.ledger_view import Overview, UploadLedger

BREAK_AFTER = re.compile(r"(?<=[/_.-])")


def breaks(text: str) -> list[str]:
    """`text` cut after each "/", "_", "-" and ".": the template joins the pieces with <wbr>, so
    a long file name wraps at those places rather than inside a word or number."""
    return [piece for piece in BREAK_AFTER.split(text) if piece] or [""]


@dataclass(frozen=True)
class UploadRow:
    """One upload as the uploads table shows it.

    Attributes:
        anchor: the row's id in the page (the "by status" lists link to it).
        problem: its first problem (`grader.failures.first_problem`).
        final, final_max: the final score (None: pending) and what it is out of; without a course
            record that changes scores, the automatic score and maximum.
        adjusted: whether the course record changes scores (the row shows both).
        automatic: the automatic score with a tutor's overrides applied (as Final scores
            shows it); changed: whether an override changed it.
        percent: of `final_max`, what the table sorts and filters by.
    """

    grade: Grade
    anchor: str
    problem: str
    final: float | None
    final_max: float
    adjusted: bool
    percent: float
    automatic: float = 0.0
    changed: bool = False


def _percent(points: float, out_of: float) -> float:
    return 100.0 * points / out_of if out_of > 0 else 0.0


def _row(grade: Grade, entry: UploadLedger | None) -> UploadRow:
    if entry is None:
        return UploadRow(grade, "", first_problem(grade), grade.score, grade.max_score, False,
                         _percent(grade.score, grade.max_score), grade.score)
    final = entry.totals.final_score
    percent = (_percent(entry.automatic, entry.max_score) if final is None
               else _percent(final, entry.total_max))
    return UploadRow(grade, "", first_problem(grade), final, entry.total_max, True, percent,
                     entry.automatic, bool(entry.overridden))


def upload_rows(grades: Sequence[Grade], course: Overview | None = None) -> list[UploadRow]:
    """The uploads table's rows: by assignment (unmatched last), score (highest first), path."""
    entries = {e.file: e for e in course.totals} if course is not None and course.shown else {}
    rows = sorted((_row(g, entries.get(g.file)) for g in grades),
                  key=lambda r: (r.grade.assignment is None, r.grade.assignment or "",
                                 -r.percent, r.grade.file))
    return [replace(r, anchor=f"upload-{i}") for i, r in enumerate(rows, 1)]
