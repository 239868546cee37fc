"""One upload's total: automatic points, tutors' overrides and marks, and the late penalty.

`merge` is pure: the batch passes what it scored and what it read (grader.marking, grader.overrides,
grader.lateness) and gets a frozen `Totals` whose fields go into grades.json next to the
contract's (`score` stays the sum of the automatic checks' own points, as
docs/contract.md#gradesjson says):

* `manual_score` / `manual_max_score`: the hand-marked points given so far / possible;
* `pending`: hand-marked checks still without points (pending is never counted as 0);
* `penalty`: the late penalty in points actually taken off: the rubric's (capped by it, 0 when
  on time), but never more than the points earned (so 0 for a rejected upload); while marks
  are pending, at most the points earned so far;
* `final_score`: automatic points (an override replacing a check's points) + `manual_score`
  - `penalty`, never below 0; None while a mark is pending;
* `checks[i].override`: a tutor's override of that check (its reason, who, when), with the
  automatic points kept beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from grader.marking import Mark, Override

DIGITS = 10          # sums are rounded to 1e-10 points (0.1 + 0.2 is 0.3)


@dataclass(frozen=True)
class CheckPoints:
    """An automatic check as the batch scored it."""

    id: str
    points: float
    max_points: float


@dataclass(frozen=True)
class CheckTotal:
    """An automatic check's points, and the tutor's override of them if any."""

    id: str
    points: float                   # as the grader scored it (the contract's checks[].points)
    max_points: float
    override: Override | None = None

    @property
    def counted(self) -> float:
        """The points that count: the override's when there is one."""
        return self.override.points if self.override is not None else self.points


@dataclass(frozen=True)
class ManualTotal:
    """A hand-marked check: its max points and the tutor's mark (points None: pending)."""

    id: str
    max_points: float
    mark: Mark | None = None

    @property
    def pending(self) -> bool:
        return self.mark is None or self.mark.points is None


@dataclass(frozen=True)
class Totals:
    """Everything that makes up one upload's final score."""

    file: str
    score: float                    # automatic points as scored (overrides not applied)
    checks: tuple[CheckTotal, ...]
    manual: tuple[ManualTotal, ...]
    manual_score: float
    manual_max_score: float
    pending: int
    penalty: float
    final_score: float | None

    def to_record(self) -> dict[str, Any]:
        """The fields this adds to the upload's grades.json record (JSON-safe)."""
        return {
            "manual_score": self.manual_score,
            "manual_max_score": self.manual_max_score,
            "pending": self.pending,
            "penalty": self.penalty,
            "final_score": self.final_score,
            "manual_checks": [
                {"id": m.id, "max_points": m.max_points,
                 "points": None if m.mark is None else m.mark.points,
                 "comment": "" if m.mark is None else m.mark.comment,
                 "marker": "" if m.mark is None else m.mark.marker,
                 "marked_at": "" if m.mark is None else m.mark.marked_at}
                for m in self.manual
            ],
            "overrides": {
                c.id: {"points": c.override.points, "reason": c.override.reason,
                       "marker": c.override.marker, "at": c.override.at}
                for c in self.checks if c.override is not None
            },
        }


def _sum(values: Sequence[float]) -> float:
    return round(math.fsum(values), DIGITS) + 0.0


def merge(file: str, checks: Sequence[CheckPoints], manual: Sequence[tuple[str, float]],
          marks: Mapping[tuple[str, str], Mark], overrides: Mapping[tuple[str, str], Override],
          penalty: float = 0.0) -> Totals:
    """Combine an upload's automatic points, its marks and overrides, and its late penalty.

    Args:
        file: the upload (grades.json "file"); marks and overrides are looked up by
            (file, check id).
        checks: the automatic checks as scored (a not-run check has 0 points).
        manual: the rubric's hand-marked checks, (id, max points), in rubric order.
        marks, overrides: what grader.marking and grader.overrides read, keyed by (file, check id).
        penalty: the rubric's late penalty in points (`grader.lateness.assess(...).points`);
            `Totals.penalty` is the part of it actually taken off.
    """
    check_totals = tuple(CheckTotal(c.id, c.points, c.max_points, overrides.get((file, c.id)))
                         for c in checks)
    manual_totals = tuple(ManualTotal(cid, most, marks.get((file, cid))) for cid, most in manual)
    given = [m.mark.points for m in manual_totals
             if m.mark is not None and m.mark.points is not None]
    pending = sum(m.pending for m in manual_totals)
    manual_score = _sum(given)
    earned = _sum([c.counted for c in check_totals] + [manual_score])
    taken = min(penalty, max(earned, 0.0))        # never more than there is to take off
    return Totals(
        file=file, score=_sum([c.points for c in checks]), checks=check_totals,
        manual=manual_totals, manual_score=manual_score,
        manual_max_score=_sum([most for _, most in manual]), pending=pending,
        penalty=taken, final_score=None if pending else max(_sum([earned, -taken]), 0.0),
    )
