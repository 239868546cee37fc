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
