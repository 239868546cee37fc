"""Turn what happened to an upload into its `Grade` (the zero-error rule lives here).

Four ways an upload ends, one function each: rejected at intake (`score_rejected`), run and
probed (`score_run`, where the zero-error rule applies), and the two records the grader makes
when it failed itself (`score_fault`, `score_worker_died`). See docs/contract.md#statuses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from grader.cell_error import CellError
from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.rubric import CheckSpec, Rubric

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
    first_error: CellError | None = None   # the first cell that raised
    members: tuple[str, ...] = ()    # zip listing
    isolation: str = ""
    warnings: tuple[str, ...] = ()
    duration: float = 0.0
    notebook_seconds: float = 0.0
    rubric_sha256: str = ""
    reference_version: str = ""
    graded_at: str = ""              # ISO-8601 UTC
    internal_error: bool = False     # the grader failed on this upload (never reused on a rerun)
    cell_runs: tuple[CellRun, ...] = ()   # the student cells that ran: seconds, In [n], code

    def to_contract(self) -> dict[str, Any]:
        """The SUBMISSION object of grades.json, exactly as the contract names its fields."""
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


@dataclass(frozen=True)
class Subject:
    """Who is graded: the upload's identity and what its grade depends on.

    Attributes:
        file: the upload's path relative to SUBMISSIONS.
        sha256: digest of its bytes.
        rubric: the matched rubric (None when its name matches none).
        group: the group id from the file name (None when no rubric matched).
        rubric_sha256: the digest of the rubric(s) the grade depends on.
        reference_version: the digest of the reference and the probe code.
    """

    file: str
    sha256: str
    rubric: Rubric | None
    group: str | None
    rubric_sha256: str
    reference_version: str


@dataclass(frozen=True)
class RunFacts:
    """What a run adds to a grade besides the checks (all of it is shown in the report).

    Attributes:
        outcome: how the student's cells ended: "ok", "timeout" or "crashed".
        message: the executor's message for a timeout or crash ("" otherwise).
        cell_errors: the student cells that raised, in order.
        members: the kept zip members, for the report.
        isolation, warnings, duration, notebook_seconds: from the execution.
        error_reporting: what the notebook changed in how the kernel reports errors, as
            messages (`grader.error_hooks.messages`); empty when nothing changed.
        cell_runs: the student cells that ran (for the report).
    """

    outcome: Literal["ok", "timeout", "crashed"]
    message: str
    cell_errors: tuple[CellError, ...]
    members: tuple[str, ...] = ()
    isolation: str = ""
    warnings: tuple[str, ...] = ()
    duration: float = 0.0
    notebook_seconds: float = 0.0
    error_reporting: tuple[str, ...] = ()
    cell_runs: tuple[CellRun, ...] = ()


ZERO_ERROR_NOTE = ("the zero-error rule is on for this assignment: a notebook with any error "
                   "in any cell scores 0; fix the cell and make sure the notebook runs from top "
                   "to bottom")
NOT_SCORED = "not scored: {why}"
WHY_NOT_SCORED = {"rejected": "the upload was rejected at intake",
                  "timeout": "the notebook ran too long", "crashed": "the kernel died"}
# The first message of a record made because the grader itself failed on an upload.
INTERNAL_ERROR = "the grader failed on this upload"
WORKER_DIED = ("the notebook's process killed the grader's worker while it was graded "
               "(possible only without the OS sandbox)")


def group_of(grade: Grade) -> tuple[str, str] | None:
    """The (assignment, group) an upload's grade belongs to; None when its name matched no
    rubric."""
    if grade.assignment and grade.group:
        return grade.assignment, grade.group
    return None


def now_iso() -> str:
    """The current time, ISO-8601 in UTC to the second (`graded_at`)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def probes_can_score(rubric: Rubric, cell_errors: tuple[CellError, ...]) -> bool:
    """Whether calling the student's functions can still earn points: not when the zero-error
    rule is on and a cell raised (the upload scores 0 whatever its functions return)."""
    return not (rubric.zero_error and cell_errors)


def breaks_zero_error(rubric: Rubric, facts: RunFacts) -> bool:
    """The zero-error rule: when it is on, a cell that raised, or a notebook that changed how
    the kernel reports errors (so a cell may have raised unseen), scores 0."""
    return rubric.zero_error and bool(facts.cell_errors or facts.error_reporting)


def _not_run(checks: tuple[CheckSpec, ...], why: str) -> tuple[CheckResult, ...]:
    """Every check of a rubric as not-run, with its max points (used when nothing was scored)."""
    return tuple(
        CheckResult(c.id, "not-run", 0.0, float(c.points), NOT_SCORED.format(why=why), c.visible)
        for c in checks
    )


def _grade(subject: Subject, status: Status, score: float, messages: tuple[str, ...],
           checks: tuple[CheckResult, ...], facts: RunFacts | None = None,
           internal_error: bool = False) -> Grade:
    rubric = subject.rubric
    extra: dict[str, Any] = {}
    if facts is not None:
        extra = dict(first_error=facts.cell_errors[0] if facts.cell_errors else None,
                     members=facts.members, isolation=facts.isolation, warnings=facts.warnings,
                     duration=facts.duration, notebook_seconds=facts.notebook_seconds,
                     cell_runs=facts.cell_runs)
    return Grade(
        file=subject.file, sha256=subject.sha256, assignment=rubric.id if rubric else None,
        group=subject.group, status=status, score=score,
        max_score=rubric.max_score if rubric else 0.0, messages=messages, checks=checks,
        rubric_sha256=subject.rubric_sha256, reference_version=subject.reference_version,
        graded_at=now_iso(), internal_error=internal_error, **extra)


def _rubric_checks(subject: Subject) -> tuple[CheckSpec, ...]:
    return subject.rubric.checks if subject.rubric is not None else ()


def score_rejected(subject: Subject, messages: tuple[str, ...]) -> Grade:
    """An upload that failed an intake rule: `rejected`, 0, every check not run."""
    checks = _not_run(_rubric_checks(subject), WHY_NOT_SCORED["rejected"])
    return _grade(subject, "rejected", 0.0, messages, checks)


def score_run(subject: Subject, facts: RunFacts, checks: tuple[CheckResult, ...]) -> Grade:
    """Apply the statuses of the contract to a run; the zero-error rule is applied here.

    Args:
        subject: the upload (its rubric is set: only accepted uploads run).
        facts: how the run went.
        checks: the evaluated checks (used only when the upload ends as `graded`).
    """
    assert subject.rubric is not None, "only an accepted upload is run"
    errors = tuple(e.summary() for e in facts.cell_errors) + facts.error_reporting
    if facts.outcome in ("timeout", "crashed"):
        messages = ((facts.message,) if facts.message else ()) + errors
        checks = _not_run(subject.rubric.checks, WHY_NOT_SCORED[facts.outcome])
        return _grade(subject, facts.outcome, 0.0, messages, checks, facts)
    if breaks_zero_error(subject.rubric, facts):
        checks = _not_run(subject.rubric.checks, "the zero-error rule")
        return _grade(subject, "run-error", 0.0, errors + (ZERO_ERROR_NOTE,), checks, facts)
    messages = ((facts.message,) if facts.message else ()) + errors
    total = float(sum(c.points for c in checks))
    return _grade(subject, "graded", total, messages, checks, facts)


def score_fault(subject: Subject, note: str) -> Grade:
    """The record of an upload the grader itself failed on: `crashed`, flagged `internal_error`
    (never reused on a rerun), with a message for the tutors.

    Args:
        note: what failed ("internal error: KeyError: 'x'", or a GraderError's message).
    """
    message = f"{INTERNAL_ERROR} ({note}); a tutor must look at it"
    checks = _not_run(_rubric_checks(subject), f"{INTERNAL_ERROR}")
    return _grade(subject, "crashed", 0.0, (message,), checks, internal_error=True)


def score_worker_died(subject: Subject) -> Grade:
    """An upload that kills the grader's worker even when graded alone: `crashed`."""
    checks = _not_run(_rubric_checks(subject), WHY_NOT_SCORED["crashed"])
    return _grade(subject, "crashed", 0.0, (WORKER_DIED,), checks)


def replace_checks(grade: Grade, checks: tuple[CheckResult, ...]) -> Grade:
    """`grade` with other check results (used by tests and views that derive a grade)."""
    return dataclasses.replace(grade, checks=checks)
