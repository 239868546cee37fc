"""The explain step: every case's outcome and the first failing case in full, added to a check
without changing its grade; nothing of a hidden check, no answer of a variable check."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from grade_builders import make_grade
from probing import on_time, records_of

from grader.check_notes import notes_for
from grader.compare import evaluate_check
from grader.explain import MAX_CASES, build_detail, explain_check
from grader.extract import CallRecord
from grader.grade_json import grade_from_dict, grade_to_dict
from grader.probe import PlannedCall, reference_value
from grader.rubric import load_rubric
from reference.adam import adam_step, gd_step

ROOT = Path(__file__).resolve().parents[2]
ADAM = load_rubric(ROOT / "rubrics" / "adam.toml")
GRADIENTS = load_rubric(ROOT / "rubrics" / "gradients.toml")


def adam_without_correction(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float = 1e-3,
                            beta1: float = 0.9, beta2: float = 0.999,
                            eps: float = 1e-8) -> tuple[Any, Any, Any]:
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def raises(*_: Any) -> Any:
    raise ValueError("not implemented yet")


STUDENTS: list[tuple[str, Callable[..., Any]]] = [
    ("adam_step", adam_step), ("adam_step", adam_without_correction), ("adam_step", raises),
    ("gd_step", gd_step), ("gd_step", lambda theta, grad, lr: theta + lr * grad),
]


@pytest.mark.parametrize(("check_id", "student"), STUDENTS,
                         ids=["right", "no-correction", "raises", "gd-right", "gd-wrong"])
def test_explaining_never_changes_the_grade(check_id: str, student: Callable[..., Any]) -> None:
    check, calls, records = records_of(ADAM, check_id, student, seed=2)
    result = evaluate_check(check, calls, records, 0, on_time(calls), 0.0)
    explained = explain_check(check, calls, records, result)
    assert dataclasses.replace(explained, detail=None, pictures=()) == result
    assert (explained.detail is None) == (result.status == "pass")


def test_a_hidden_check_gets_no_detail_and_no_picture() -> None:
    check, calls, records = records_of(ADAM, "adam_step", adam_without_correction, seed=2)
    hidden = dataclasses.replace(check, visible=False)
    result = evaluate_check(hidden, calls, records, 0, on_time(calls), 0.0)
    assert result.status == "fail"
    assert explain_check(hidden, calls, records, result) == result


def test_an_erroring_case_says_what_happened_and_gives_the_inputs() -> None:
    check, calls, records = records_of(ADAM, "adam_step", raises, seed=2)
    detail = build_detail(check, notes_for(check), calls, records)
    assert detail.case == 1 and [r.status for r in detail.cases] == ["error"] * len(calls)
    assert "raised ValueError" in detail.cases[0].note and "not implemented" in detail.reason
    assert detail.outputs == () and detail.mistake == ""
    assert [a.name for a in detail.inputs][:4] == ["theta", "grad", "m", "v"]
    assert len(detail.cases) <= MAX_CASES


def test_a_variable_checks_answer_never_shows() -> None:
    check = next(c for c in GRADIENTS.checks if c.id == "h_max")
    answer = reference_value(check, None)
    calls = (PlannedCall("h_max", 0, None, answer),)
    records = {("h_max", 0): CallRecord("h_max", 0, "ok", "", {"h_max": np.asarray(0.3)})}
    result = evaluate_check(check, calls, records, 0, on_time(calls), 0.0)
    detail = explain_check(check, calls, records, result).detail
    assert result.status == "fail" and detail is not None
    (shown,) = detail.outputs
    assert (shown.verdict, shown.got_preview) == ("shown", "0.3")
    text = json.dumps(dataclasses.asdict(detail))
    assert f"{float(answer):.3g}"[:4] not in text and detail.cases[0].largest_error == ""


def test_detail_and_pictures_survive_the_gradebook() -> None:
    check, calls, records = records_of(ADAM, "adam_chain", adam_without_correction, seed=2)
    result = explain_check(check, calls, records,
                           evaluate_check(check, calls, records, 0, on_time(calls), 0.0))
    assert result.detail is not None and result.pictures
    grade = make_grade(checks=(result,))
    record = json.dumps(grade_to_dict(grade), allow_nan=False)
    assert grade_from_dict(json.loads(record)) == grade
    assert len(record) < 60_000    # the detail and a picture stay small


@pytest.mark.parametrize("rubric_id", ["adam", "conv3d", "gradients", "xor"])
def test_no_description_gives_a_fixed_answer_away(rubric_id: str) -> None:
    """Reports show each check's description to students; a variable check's answer is the
    same for everyone, so no rounding of it may appear there."""
    rubric = load_rubric(ROOT / "rubrics" / f"{rubric_id}.toml")
    for check in rubric.checks:
        if check.kind != "variable" or check.reference_fn is None:
            continue
        answer = float(np.asarray(reference_value(check, None)))
        for digits in range(2, 7):
            assert f"{answer:.{digits}f}" not in check.description, (check.id, digits)


def test_a_call_past_its_limit_is_marked_so_the_snippet_times_it() -> None:
    check, calls, records = records_of(ADAM, "gd_step", gd_step, seed=2)
    records[("gd_step", 1)] = CallRecord("gd_step", 1, "timeout", "did not return within 10 s")
    detail = build_detail(check, notes_for(check), calls, records)
    assert (detail.case, detail.timed_out) == (2, True)
    assert detail.cases[1].note == "did not return within 10 s"
