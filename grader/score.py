"""Turn an execution and its check results into a `Grade` (the zero-error rule lives here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from grader.compare import CheckResult

Status = Literal["graded", "rejected", "run-error", "timeout", "crashed"]


@dataclass(frozen=True)
class Grade:
    """Everything recorded for one upload.

    The first block is the contract's SUBMISSION object; the rest is extra detail for reports
    and the gradebook.
    """

    file: str
    sha256: str
    assignment: str | None
    group: str | None
    status: Status
    score: float
    max_score: float
    messages: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    # extra detail
    first_error: str = ""            # "cell 13: ZeroDivisionError: ..." + short traceback
    members: tuple[str, ...] = ()    # zip listing
    isolation: str = ""
    warnings: tuple[str, ...] = ()
    duration: float = 0.0
    notebook_seconds: float = 0.0
    rubric_sha256: str = ""
    reference_version: str = ""
    graded_at: str = ""              # ISO-8601 UTC

    def to_contract(self) -> dict[str, Any]:
        """The SUBMISSION object of grades.json, exactly as CONTRACT.md names its fields."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "assignment": self.assignment,
            "group": self.group,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "messages": list(self.messages),
            "checks": [
                {"id": c.id, "status": c.status, "points": c.points,
                 "max_points": c.max_points, "message": c.message}
                for c in self.checks
            ],
        }
