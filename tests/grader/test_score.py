"""grader.score: the statuses (docs/contract.md#statuses), the zero-error rule, grader faults."""

from __future__ import annotations

import dataclasses

import pytest

from grader.cell_error import CellError
from grader.compare import CheckResult
from grader.rubric import CheckSpec, Limits, Rubric
from grader.score import (
    INTERNAL_ERROR,
    WORKER_DIED,
    Grade,
    RunFacts,
    Subject,
    probes_can_score,
    score_fault,
    score_rejected,
    score_run,
    score_worker_died,
)

CHECKS = (CheckSpec(id="a", points=2.0, kind="figure"),
          CheckSpec(id="b", points=3.0, kind="figure"))
RUBRIC = Rubric(id="demo", title="Demo", pattern=r"(?P<group>\d\d)\.ipynb", expected="NN.ipynb",
                upload="notebook", zero_error=True, limits=Limits(), checks=CHECKS)
RESULTS = (CheckResult("a", "pass", 2.0, 2.0, "ok"),
           CheckResult("b", "fail", 0.0, 3.0, "got 1, expected 2"))
ERROR = CellError(13, "ZeroDivisionError", "division by zero", "Traceback ...")


def who(rubric: Rubric | None = RUBRIC) -> Subject:
    return Subject("x/01.ipynb", "f" * 64, rubric, "01" if rubric else None, "r" * 64, "v1")


def run(rubric: Rubric = RUBRIC, outcome: str = "ok", errors: tuple[CellError, ...] = (),
        message: str = "") -> Grade:
    facts = RunFacts(outcome, message, errors, isolation="bubblewrap", duration=2.0)  # type: ignore[arg-type]
    return score_run(who(rubric), facts, RESULTS)


def test_graded_sums_check_points() -> None:
    g = run()
    assert (g.status, g.score, g.max_score) == ("graded", 2.0, 5.0)
    assert g.checks == RESULTS and g.first_error is None and g.isolation == "bubblewrap"
    assert (g.rubric_sha256, g.reference_version, g.internal_error) == ("r" * 64, "v1", False)


def test_zero_error_rule_gives_run_error_naming_the_cell() -> None:
    g = run(errors=(ERROR,))
    assert (g.status, g.score) == ("run-error", 0.0)
    assert g.messages[0] == "cell 13: ZeroDivisionError: division by zero"
    assert g.first_error == ERROR
    assert all(c.status == "not-run" and c.points == 0 for c in g.checks)
    assert [c.max_points for c in g.checks] == [2.0, 3.0]


def test_without_zero_error_rule_errors_are_listed_and_checks_count() -> None:
    g = run(rubric=dataclasses.replace(RUBRIC, zero_error=False), errors=(ERROR,))
    assert (g.status, g.score) == ("graded", 2.0)
    assert "cell 13: ZeroDivisionError: division by zero" in g.messages
    assert g.first_error == ERROR


@pytest.mark.parametrize(("zero_error", "errors", "expected"), [
    (True, (), True), (True, (ERROR,), False), (False, (ERROR,), True), (False, (), True)],
    ids=["rule-clean", "rule-error", "no-rule-error", "no-rule-clean"])
def test_probes_can_score_only_without_a_zero_error_failure(
        zero_error: bool, errors: tuple[CellError, ...], expected: bool) -> None:
    assert probes_can_score(dataclasses.replace(RUBRIC, zero_error=zero_error), errors) is expected


@pytest.mark.parametrize("outcome", ["timeout", "crashed"])
def test_failed_runs_score_zero_whatever_the_rule(outcome: str) -> None:
    for rubric in (RUBRIC, dataclasses.replace(RUBRIC, zero_error=False)):
        g = run(rubric=rubric, outcome=outcome, errors=(ERROR,), message="why")
        assert (g.status, g.score, g.max_score) == (outcome, 0.0, 5.0)
        assert g.messages == ("why", "cell 13: ZeroDivisionError: division by zero")
        assert {c.status for c in g.checks} == {"not-run"}


def test_rejected_scores_zero_with_its_messages() -> None:
    g = score_rejected(who(), ("team information: the first cell is empty",))
    assert (g.status, g.score, g.max_score, g.assignment, g.group) == (
        "rejected", 0.0, 5.0, "demo", "01")
    assert g.messages == ("team information: the first cell is empty",)
    assert {c.message for c in g.checks} == {"not scored: the upload was rejected at intake"}


def test_unmatched_upload_has_null_assignment_and_no_checks() -> None:
    g = score_rejected(who(None), ("file name: expected NN.ipynb",))
    contract = g.to_contract()
    assert contract["assignment"] is None and contract["checks"] == []
    assert contract["max_score"] == 0.0


def test_a_fault_of_the_grader_is_crashed_and_flagged() -> None:
    g = score_fault(who(), "internal error: KeyError: 'x'")
    assert (g.status, g.score, g.internal_error) == ("crashed", 0.0, True)
    assert g.messages == (f"{INTERNAL_ERROR} (internal error: KeyError: 'x'); a tutor must look "
                          "at it",)
    assert {c.message for c in g.checks} == {f"not scored: {INTERNAL_ERROR}"}


def test_a_worker_killed_by_the_notebook_is_crashed_not_a_fault() -> None:
    g = score_worker_died(who())
    assert (g.status, g.messages, g.internal_error) == ("crashed", (WORKER_DIED,), False)
