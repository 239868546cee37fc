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


ZERO_ERROR_NOTE = ("the zero-error rule is on for this assignment: a notebook with any error "
                   "in any cell scores 0; fix the cell and make sure the notebook runs from top to bottom")
NOT_SCORED = "not scored: {why}"


def _not_run(checks: tuple[CheckResult, ...] | tuple[Any, ...], why: str) -> tuple[CheckResult, ...]:
    """Every check of a rubric as not-run, with its max points (used when nothing was scored)."""
    return tuple(
        CheckResult(c.id, "not-run", 0.0, float(c.points), NOT_SCORED.format(why=why), c.visible)
        for c in checks
    )


def score(*, file: str, sha256: str, rubric: Any, group: str | None, status_hint: str,
          messages: tuple[str, ...], cell_errors: tuple[Any, ...], checks: tuple[CheckResult, ...],
          **extra: Any) -> Grade:
    """Apply the statuses of CONTRACT.md; the zero-error rule is applied here and nowhere else.

    Args:
        status_hint: how the run ended: "rejected", "timeout", "crashed" or "ok".
        messages: intake messages (rejected) or the executor's message (timeout/crashed).
        cell_errors: the student cells that raised (CellError objects).
        checks: the evaluated checks (ignored unless the upload ends as "graded").
        extra: the extra-detail fields of Grade (first_error, isolation, duration, ...).
    """
    rubric_checks = tuple(rubric.checks) if rubric is not None else ()
    max_score = float(sum(c.points for c in rubric_checks))
    assignment = rubric.id if rubric is not None else None
    errors = tuple(e.summary() for e in cell_errors)
    if status_hint in ("rejected", "timeout", "crashed"):
        why = {"rejected": "the upload was rejected at intake", "timeout": "the notebook ran too long",
               "crashed": "the kernel died"}[status_hint]
        return Grade(file, sha256, assignment, group, status_hint, 0.0, max_score,  # type: ignore[arg-type]
                     messages + errors, _not_run(rubric_checks, why), **extra)
    if cell_errors and rubric.zero_error:
        return Grade(file, sha256, assignment, group, "run-error", 0.0, max_score,
                     errors + (ZERO_ERROR_NOTE,), _not_run(rubric_checks, "the zero-error rule"), **extra)
    total = float(sum(c.points for c in checks))
    return Grade(file, sha256, assignment, group, "graded", total, max_score, messages + errors,
                 checks, **extra)
