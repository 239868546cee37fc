"""Compare a student's values with the reference's, in the grader's own process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CheckStatus = Literal["pass", "fail", "error", "not-run"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one upload (a row of grades.json "checks")."""

    id: str
    status: CheckStatus
    points: float
    max_points: float
    message: str
    visible: bool = True


@dataclass(frozen=True)
class Verdict:
    """What a comparison (built-in or a rubric's custom comparator) concludes for one value.

    A custom comparator named by a rubric's `compare` key has the signature
    `(got, expected) -> Verdict`: `got` is the student's value as a plain structure (float64
    arrays, lists, tuples, dicts; for a variable check a dict {name: value}), `expected` the
    reference's plain value (or None when the check has no reference).
    """

    passed: bool
    message: str
