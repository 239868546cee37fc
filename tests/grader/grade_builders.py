"""Factories for `Grade` and `CheckResult` with fixed, non-volatile defaults.

Use `make_grade(status="timeout", score=0.0, ...)`: every field has a sensible default (a graded
upload with two checks), timestamps and durations are fixed so golden files stay stable.
"""

from __future__ import annotations

from typing import Any

from grader.cell_error import CellError
from grader.compare import CheckResult
from grader.score import Grade

FIXED_GRADED_AT = "2025-01-15T10:30:00+00:00"
SHA_A = "a" * 64
RUBRIC_SHA = "b" * 64
REFERENCE_VERSION = "0.1.0"


def make_check(**overrides: Any) -> CheckResult:
    """A passing, visible check worth 1 point, with any field overridden."""
    fields: dict[str, Any] = {
        "id": "affine_forward",
        "status": "pass",
        "points": 1.0,
        "max_points": 1.0,
        "message": "matches the reference",
        "visible": True,
    }
    fields.update(overrides)
    return CheckResult(**fields)


def make_grade(**overrides: Any) -> Grade:
    """A graded upload (2 of 3 points) with fixed timestamps, with any field overridden."""
    fields: dict[str, Any] = {
        "file": "adam/adam_regression_classification_solved_group_04.ipynb",
        "sha256": SHA_A,
        "assignment": "adam",
        "group": "04",
        "status": "graded",
        "score": 2.0,
        "max_score": 3.0,
        "messages": (),
        "checks": (
            make_check(id="adam_step", points=2.0, max_points=2.0),
            make_check(id="adam_converges", status="fail", points=0.0,
                       message="got loss 0.9, expected below 0.1"),
        ),
        "first_error": None,
        "members": (),
        "isolation": "bubblewrap",
        "warnings": (),
        "duration": 12.5,
        "notebook_seconds": 9.25,
        "rubric_sha256": RUBRIC_SHA,
        "reference_version": REFERENCE_VERSION,
        "graded_at": FIXED_GRADED_AT,
    }
    fields.update(overrides)
    return Grade(**fields)


# A grade with most fields away from their defaults: for round trips (JSON, the gradebook).
FULL_GRADE = make_grade(
    file="sub/dir/mlp_group_07.zip",
    sha256="c" * 64,
    assignment="mlp",
    group="07",
    status="graded",
    score=1.5,
    max_score=4.0,
    messages=("cell 3: ValueError: bad", "note ünïcødé"),
    checks=(
        make_check(id="forward", points=1.5, max_points=2.0, status="fail", message="close"),
        make_check(id="secret", status="error", points=0.0, max_points=2.0, visible=False),
    ),
    first_error=CellError(3, "ValueError", "bad", "Traceback:\n  line 1"),
    members=("mlp_group_07.ipynb", "report.pdf"),
    isolation="bubblewrap",
    warnings=("WARNING: no OS sandbox",),
    duration=3.25,
    notebook_seconds=2.5,
    rubric_sha256="d" * 64,
    reference_version="1.2.3",
    graded_at="2025-02-01T08:00:00+00:00",
)
