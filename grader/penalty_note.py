"""How a page words a late penalty that was capped at the points earned.

`grader.totals.merge` never takes off more than the upload earned, so the penalty in
grades.json (`penalty`) can be less than the rubric's (`grader.lateness.Lateness.points`, kept in
the course record). The pages say so: "-1 (13 started hours late: 6.5, capped at the points
earned)" in a report, "-1 (6.5, capped at the points earned)" in the overview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from grader.ledger_view import UploadLedger


def capped_note(entry: UploadLedger, number: Callable[[float], str]) -> str:
    """"6.5, capped at the points earned" when the penalty taken is less than the rubric's
    (`number` shows a score as the page does); "" when it was not capped."""
    if entry.lateness is None or entry.totals.penalty >= entry.lateness.points:
        return ""
    if entry.totals.penalty == 0 and not entry.totals.pending:
        return f"{number(entry.lateness.points)} late, but no points earned to take it from"
    earned = "the points earned so far" if entry.totals.pending else "the points earned"
    return f"{number(entry.lateness.points)}, capped at {earned}"
