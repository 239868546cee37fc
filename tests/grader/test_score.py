"""score(): the statuses of CONTRACT.md, and the zero-error rule."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from grader.compare import CheckResult
from grader.execute import CellError
from grader.rubric import CheckSpec, Limits, Rubric
from grader.score import score

CHECKS = (CheckSpec(id="a", points=2.0, kind="figure"), CheckSpec(id="b", points=3.0, kind="figure"))
RUBRIC = Rubric(id="demo", title="Demo", pattern=r"(?P<group>\d\d)\.ipynb", expected="NN.ipynb",
                upload="notebook", zero_error=True, limits=Limits(), checks=CHECKS)
RESULTS = (CheckResult("a", "pass", 2.0, 2.0, "ok"), CheckResult("b", "fail", 0.0, 3.0, "got 1, expected 2"))
ERROR = CellError(13, "ZeroDivisionError", "division by zero", "Traceback ...")


def grade(rubric: Any = RUBRIC, hint: str = "ok", errors: tuple[CellError, ...] = (), messages: tuple[str, ...] = ()):
    return score(file="x/01.ipynb", sha256="f" * 64, rubric=rubric, group="01", status_hint=hint,
                 messages=messages, cell_errors=errors, checks=RESULTS)


def test_graded_sums_check_points() -> None:
    g = grade()
    assert (g.status, g.score, g.max_score) == ("graded", 2.0, 5.0)
    assert g.checks == RESULTS


def test_zero_error_rule_gives_run_error_naming_the_cell() -> None:
    g = grade(errors=(ERROR,))
    assert (g.status, g.score) == ("run-error", 0.0)
    assert g.messages[0] == "cell 13: ZeroDivisionError: division by zero"
    assert all(c.status == "not-run" and c.points == 0 for c in g.checks)
    assert [c.max_points for c in g.checks] == [2.0, 3.0]


def test_without_zero_error_rule_errors_are_listed_and_checks_count() -> None:
    g = grade(rubric=dataclasses.replace(RUBRIC, zero_error=False), errors=(ERROR,))
    assert (g.status, g.score) == ("graded", 2.0)
    assert "cell 13: ZeroDivisionError: division by zero" in g.messages


@pytest.mark.parametrize("hint", ["timeout", "crashed", "rejected"])
def test_failed_runs_score_zero_whatever_the_rule(hint: str) -> None:
    for rubric in (RUBRIC, dataclasses.replace(RUBRIC, zero_error=False)):
        g = grade(rubric=rubric, hint=hint, messages=("why",))
        assert (g.status, g.score, g.max_score) == (hint, 0.0, 5.0)
        assert g.messages[0] == "why"
        assert {c.status for c in g.checks} == {"not-run"}


def test_unmatched_upload_has_null_assignment_and_no_checks() -> None:
    g = grade(rubric=None, hint="rejected", messages=("file name: expected NN.ipynb",))
    contract = g.to_contract()
    assert contract["assignment"] is None and contract["checks"] == [] and contract["max_score"] == 0.0
