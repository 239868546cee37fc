"""Failure messages grouped by shape, and the first problem an upload shows in the overview."""

from __future__ import annotations

import pytest
from grade_builders import make_check, make_grade

from grader.failures import failure_groups, first_problem, message_shape
from grader.score import Grade


@pytest.mark.parametrize(("message", "shape"), [
    ("adam_step (case 1: t=1, shape (3,), lr=0.0123): output [0]: got 0.28, expected 0.25 at "
     "index (1,): largest error 0.0314 > allowed 2.5e-07 (rtol=1e-06, atol=1e-09)",
     "adam_step: output [#]: got #, expected # at index (#,): largest error # > allowed # "
     "(rtol=#, atol=#)"),
    ("conv3d_forward (case 1: L1 (8, 16, 16, 16, 8)): the call did not return within 10.0 s",
     "conv3d_forward: the call did not return within # s"),
    ("cell 13: ZeroDivisionError: division by zero", "cell #: ZeroDivisionError: division by zero"),
    ("dW2 has shape (3, 4), expected -1.5e+03", "dW2 has shape (#, #), expected #"),
    ("x (case 2: unbalanced ( label", "x"),
])
def test_message_shapes(message: str, shape: str) -> None:
    assert message_shape(message) == shape


def _grade(file: str, message: str, status: str = "fail") -> Grade:
    return make_grade(file=file, checks=(make_check(id="c", status=status, points=0.0,
                                                    message=message),))


def test_failures_group_by_shape_largest_group_first() -> None:
    grades = [_grade("a", "got 1, expected 2"), _grade("b", "raised KeyError", "error"),
              _grade("c", "got 3.5, expected 4"), _grade("d", "fine", "pass")]
    groups = failure_groups(grades, "c")
    assert [(g.shape, g.uploads) for g in groups] == [
        ("got #, expected #", ("a", "c")), ("raised KeyError", ("b",))]
    assert groups[0].example == "got 1, expected 2"
    assert failure_groups(grades, "c", limit=1) == groups[:1]


def test_first_problem() -> None:
    failing = make_grade(messages=("cell 2: NameError: x",), checks=(
        make_check(id="ok"),
        make_check(id="c", status="fail", message="f (case 1: x=(1, 2)): bad")))
    assert first_problem(failing) == "c: f: bad"
    assert first_problem(make_grade(status="rejected", messages=("file name: ...",))) == \
        "file name: ..."
    assert first_problem(make_grade(checks=(make_check(),), messages=())) == ""


@pytest.mark.parametrize(("check_id", "message", "shown"), [
    ("adam_step", "adam_step (case 1: t=1): output [0]: got 0.56",
     "adam_step: output [0]: got 0.56"),
    ("manual_grads", "manual_grads: output ['ba']: shape (2,)",
     "manual_grads: output ['ba']: shape (2,)"),
    ("adam_chain", "adam_step (case 1: 50 steps): got -0.08", "adam_chain: adam_step: got -0.08"),
    ("adam", "adam_step: got 1", "adam: adam_step: got 1"),
], ids=["symbol-is-the-id", "no-case-label", "another-symbol", "id-a-prefix-of-the-symbol"])
def test_first_problem_names_the_check_once(check_id: str, message: str, shown: str) -> None:
    grade = make_grade(checks=(make_check(id=check_id, status="fail", points=0.0,
                                          message=message),))
    assert first_problem(grade) == shown
