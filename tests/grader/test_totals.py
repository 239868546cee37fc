"""merge: automatic points, overrides, hand marks and the late penalty make the final score."""

from __future__ import annotations

from typing import Any

import pytest

from grader.marking import Mark, Override
from grader.totals import CheckPoints, merge

FILE = "xor/sheet06_1234567.zip"
CHECKS = (CheckPoints("sigmoid", 1.0, 1.0), CheckPoints("manual_grads", 0.0, 2.0))
MANUAL = (("taylor", 3.0), ("saddle", 2.0))
REGRADE = Override(FILE, "manual_grads", 1.5, "ba is shared: accepted", "ana",
                   "2026-12-04T09:00:00+01:00")


def marks(**points: float | None) -> dict[tuple[str, str], Mark]:
    return {(FILE, check): Mark(FILE, check, value) for check, value in points.items()}


# (marks, overrides, penalty, manual_score, pending, final_score), all worked out by hand
CASES: list[tuple[str, dict[Any, Mark], dict[Any, Override], float, float, int, float | None]] = [
    # nothing marked yet: both pending, no final score
    ("unmarked", {}, {}, 0.0, 0.0, 2, None),
    # one of two marked: still pending
    ("half-marked", marks(taylor=2.5), {}, 0.0, 2.5, 1, None),
    ("empty-mark-is-pending", marks(taylor=2.5, saddle=None), {}, 0.0, 2.5, 1, None),
    # 1 (sigmoid) + 0 (manual_grads) + 2.5 + 2 = 5.5
    ("all-marked", marks(taylor=2.5, saddle=2.0), {}, 0.0, 4.5, 0, 5.5),
    # the override replaces manual_grads' 0 by 1.5: 1 + 1.5 + 4.5 = 7
    ("override", marks(taylor=2.5, saddle=2.0), {(FILE, "manual_grads"): REGRADE}, 0.0, 4.5, 0,
     7.0),
    # late: 7 - 0.8 = 6.2
    ("penalty", marks(taylor=2.5, saddle=2.0), {(FILE, "manual_grads"): REGRADE}, 0.8, 4.5, 0,
     6.2),
    # a penalty larger than the total leaves 0, never less
    ("floor", marks(taylor=0.0, saddle=0.0), {}, 4.0, 0.0, 0, 0.0),
    # 0.1 + 0.2 is 0.3, and 1 + 0.3 = 1.3 exactly
    ("rounding", marks(taylor=0.1, saddle=0.2), {}, 0.0, 0.3, 0, 1.3),
]


@pytest.mark.parametrize(("given", "overrides", "penalty", "manual_score", "pending", "final"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_merge(given: dict[Any, Mark], overrides: dict[Any, Override], penalty: float,
               manual_score: float, pending: int, final: float | None) -> None:
    totals = merge(FILE, CHECKS, MANUAL, given, overrides, penalty)
    assert (totals.manual_score, totals.pending, totals.final_score) == (manual_score, pending,
                                                                        final)
    assert totals.score == 1.0                      # the automatic points, overrides or not
    assert totals.manual_max_score == 5.0
    assert totals.penalty == (1.0 if penalty == 4.0 else penalty)    # "floor": 1 point earned
    assert [c.points for c in totals.checks] == [1.0, 0.0]


def test_the_penalty_shown_is_what_is_taken_off() -> None:
    given = marks(taylor=0.0, saddle=0.5)
    totals = merge(FILE, CHECKS, MANUAL, given, {}, 200.5)          # no cap in the rubric
    assert (totals.penalty, totals.final_score) == (1.5, 0.0)
    assert totals.to_record()["penalty"] == 1.5
    nothing = [CheckPoints("sigmoid", 0.0, 1.0)]                    # a rejected upload
    assert merge(FILE, nothing, (), {}, {}, 5.0).penalty == 0.0


def test_override_is_kept_beside_the_automatic_points() -> None:
    totals = merge(FILE, CHECKS, (), {}, {(FILE, "manual_grads"): REGRADE})
    grads = totals.checks[1]
    assert (grads.points, grads.counted, grads.override) == (0.0, 1.5, REGRADE)
    assert totals.final_score == 2.5                # no hand-marked checks: nothing pending


def test_other_uploads_marks_do_not_count() -> None:
    other = {("xor/other.zip", "taylor"): Mark("xor/other.zip", "taylor", 3.0)}
    assert merge(FILE, CHECKS, MANUAL, other, {}).pending == 2


def test_record_fields() -> None:
    given = {(FILE, "taylor"): Mark(FILE, "taylor", 2.5, "sign slip in (b)", "ana", "t1")}
    record = merge(FILE, CHECKS, MANUAL, given, {(FILE, "manual_grads"): REGRADE}, 0.5).to_record()
    assert record == {
        "manual_score": 2.5, "manual_max_score": 5.0, "pending": 1, "penalty": 0.5,
        "final_score": None,
        "manual_checks": [
            {"id": "taylor", "max_points": 3.0, "points": 2.5, "comment": "sign slip in (b)",
             "marker": "ana", "marked_at": "t1"},
            {"id": "saddle", "max_points": 2.0, "points": None, "comment": "", "marker": "",
             "marked_at": ""},
        ],
        "overrides": {"manual_grads": {"points": 1.5, "reason": "ba is shared: accepted",
                                       "marker": "ana", "at": "2026-12-04T09:00:00+01:00"}},
    }
