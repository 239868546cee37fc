"""The probe round trip without a kernel: plan -> inputs on disk -> runtime -> files -> extract.

The runtime is the same module the kernel executes (as source text); here it runs in-process
against a plain namespace standing in for the student's globals (`probing.run_round_trip`, the
harness the assignment tests share).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from probing import run_round_trip

from grader import probe_runtime as rt
from grader.compare import evaluate_check
from grader.errors import ReferenceFault
from grader.execution import ExtraOutcome
from grader.probe import (
    CALL_GRACE,
    EMPTY_PROBE,
    EMPTY_PROBES,
    HOOKS_CHECK,
    build_plan,
    call_inputs,
    plan_document,
    probe_cells,
    upload_seed,
    write_call,
    write_inputs,
)
from grader.rubric import CheckSpec, Limits, Rubric
from grader.timing import MARGIN


def _affine(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Reference for the tests: scale * (a @ b)."""
    return scale * (a @ b)


def _affine_cases(rng: np.random.Generator) -> list[rt.Case]:
    return [rt.Case((rng.normal(size=(3, 2)), rng.normal(size=2)), {"scale": 2.0},
                    label=f"case {i}")
            for i in range(3)]


def _pair(x: np.ndarray) -> tuple[np.ndarray, float]:
    return x * 2, float(x.sum())


def _pair_cases(rng: np.random.Generator) -> list[rt.Case]:
    return [rt.Case((rng.normal(size=(2, 2)),))]


def _sgd(theta: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int,
         lr: float = 0.1):
    return theta - lr * grad, m, v


def _chain_cases(rng: np.random.Generator) -> list[rt.Case]:
    a = np.diag([1.0, 2.0])
    return [rt.Case((np.ones(2), rt.Fn("quadratic_grad", (a, np.zeros(2))), 5), {"lr": 0.1})]


def _tensor_cases(rng: np.random.Generator) -> list[rt.Case]:
    return [rt.Case((rt.Tensor(rng.normal(size=4)),))]


def _square(x: Any) -> Any:
    return x * x


def _answer() -> float:
    return 0.41


def make_check(**overrides: Any) -> CheckSpec:
    fields: dict[str, Any] = dict(
        id="affine", points=2.0, kind="call", symbol="affine", reference="tests:_affine",
        inputs="tests:_affine_cases", reference_fn=_affine, inputs_fn=_affine_cases, timeout=5.0)
    fields.update(overrides)
    return CheckSpec(**fields)


def make_rubric(*checks: CheckSpec) -> Rubric:
    return Rubric(id="demo", title="Demo", pattern=r"(?P<group>\d\d)\.ipynb", expected="NN.ipynb",
                  upload="notebook", zero_error=True, limits=Limits(),
                  checks=checks or (make_check(),))


def test_correct_function_passes_every_case(tmp_path: Path) -> None:
    trip = run_round_trip(make_rubric(), {"affine": lambda a, b, scale=1.0: scale * a @ b},
                          tmp_path)
    records, results = trip.records, trip.results
    assert sorted(k for k in records if k[0] == "affine") == [("affine", i) for i in range(3)]
    assert results["affine"].status == "pass"
    assert results["affine"].points == 2.0
    assert results["affine"].message == "3 case(s) agree with the reference"


def test_wrong_function_fails_with_got_and_expected(tmp_path: Path) -> None:
    results = run_round_trip(make_rubric(), {"affine": lambda a, b, scale=1.0: a @ b},
                             tmp_path).results
    result = results["affine"]
    assert result.status == "fail" and result.points == 0.0
    assert "got" in result.message and "expected" in result.message and "case 1" in result.message


@pytest.mark.parametrize(("namespace", "status", "fragment"), [
    ({}, "error", "'affine' is not defined"),
    ({"affine": 3}, "error", "not a function"),
    ({"affine": lambda a, b, scale=1.0: 1 / 0}, "error", "ZeroDivisionError"),
    ({"affine": lambda a, b, scale=1.0: float("nan") * a @ b}, "fail", "got nan"),
    ({"affine": lambda a, b, scale=1.0: (scale * a @ b)[:1]}, "fail", "shape (1,), expected (3,)"),
    ({"affine": lambda a, b, scale=1.0: "text"}, "fail", "cannot compare"),
    ({"affine": lambda a, b, scale=1.0: None}, "fail", "returned None"),
], ids=["missing", "not-callable", "raises", "nan", "wrong-shape", "string", "none"])
def test_student_mistakes_are_data(tmp_path: Path, namespace: dict[str, Any], status: str,
                                   fragment: str) -> None:
    results = run_round_trip(make_rubric(), namespace, tmp_path).results
    assert results["affine"].status == status
    assert fragment in results["affine"].message


def test_inputs_are_fresh_copies(tmp_path: Path) -> None:
    """A function that mutates its inputs in place still gets correct inputs on the next case."""
    def mutating(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> np.ndarray:
        out = scale * a @ b
        a[...] = 0.0
        return out

    results = run_round_trip(make_rubric(), {"affine": mutating}, tmp_path).results
    assert results["affine"].status == "pass"


def test_tuple_results_accept_lists_and_python_floats(tmp_path: Path) -> None:
    check = make_check(id="pair", symbol="pair", reference_fn=_pair, inputs_fn=_pair_cases)
    results = run_round_trip(make_rubric(check), {"pair": lambda x: [x * 2, x.sum()]},
                             tmp_path).results
    assert results["pair"].status == "pass"


def test_optimizer_chain_driver(tmp_path: Path) -> None:
    check = make_check(id="chain", symbol="step", driver="optimizer_chain", reference_fn=_sgd,
                       inputs_fn=_chain_cases)
    wrong = lambda th, g, m, v, t, lr=0.1: (th + lr * g, m, v)  # noqa: E731 - ascent instead of descent
    ok = run_round_trip(make_rubric(check), {"step": _sgd}, tmp_path / "a").results
    bad = run_round_trip(make_rubric(check), {"step": wrong}, tmp_path / "b").results
    assert ok["chain"].status == "pass"
    assert bad["chain"].status == "fail"


@pytest.mark.torch
def test_tensor_arguments_and_tensor_results(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    check = make_check(id="sq", symbol="sq", reference_fn=_square, inputs_fn=_tensor_cases)

    def student(x: Any) -> Any:
        assert isinstance(x, torch.Tensor) and x.dtype == torch.float64
        return (x * x).requires_grad_(True)

    results = run_round_trip(make_rubric(check), {"sq": student}, tmp_path).results
    assert results["sq"].status == "pass"


def test_variable_check(tmp_path: Path) -> None:
    check = make_check(id="h", kind="variable", symbol="h_max", reference_fn=_answer,
                       inputs_fn=None,
                       atol=1e-3, rtol=0.0)
    good = run_round_trip(make_rubric(check), {"h_max": 0.4105}, tmp_path / "a").results
    bad = run_round_trip(make_rubric(check), {"h_max": 0.5}, tmp_path / "b").results
    missing = run_round_trip(make_rubric(check), {}, tmp_path / "c").results
    assert (good["h"].status, good["h"].message) == ("pass", "h_max agrees with the reference")
    assert bad["h"].status == "fail"
    assert "got 0.5" in bad["h"].message and "0.41" not in bad["h"].message   # one answer for all
    assert missing["h"].status == "error"


def _says_what_it_saw(value: Any, expected: Any) -> Any:
    from grader.compare import Verdict
    return Verdict(bool(np.allclose(value, expected)), f"saw {float(np.sum(value)):.1f}")


def test_a_comparator_pass_message_is_kept_for_a_single_case(tmp_path: Path) -> None:
    one = make_check(inputs_fn=lambda rng: _affine_cases(rng)[:1], compare_fn=_says_what_it_saw)
    many = make_check(compare_fn=_says_what_it_saw)
    student = {"affine": lambda a, b, scale=1.0: scale * a @ b}
    single = run_round_trip(make_rubric(one), student, tmp_path / "one").results
    several = run_round_trip(make_rubric(many), student, tmp_path / "many").results
    assert single["affine"].status == "pass" and single["affine"].message.startswith("saw ")
    assert several["affine"].message == "3 case(s) agree with the reference"


def test_a_call_slower_than_its_limit_by_the_graders_clock_is_an_error(tmp_path: Path) -> None:
    """The grader's clock wins over the kernel's records (the alarm can be disarmed)."""
    rubric = make_rubric(make_check(timeout=5.0))
    trip = run_round_trip(rubric, {"affine": lambda a, b, scale=1.0: scale * a @ b}, tmp_path)
    plan, records, results = trip.plan, trip.records, trip.results
    check, calls = rubric.checks[0], plan.for_check("affine")
    assert results["affine"].status == "pass" and len(calls) == 3
    cost = 0.02
    in_time = ExtraOutcome("ok", 0.0, None, (0.1, 5.0 + cost + MARGIN - 0.01, 0.1))
    too_slow = ExtraOutcome("ok", 0.0, None, (0.1, 5.0 + cost + MARGIN + 0.01, 0.1))
    assert evaluate_check(check, calls, records, 0, in_time, cost).status == "pass"
    late = evaluate_check(check, calls, records, 0, too_slow, cost)
    assert (late.status, late.points) == ("error", 0.0)
    assert late.message == ("affine (case 2: case 1): the call took 5.11 s by the grader's clock, "
                            "past its limit of 5 s (a probe cell's own cost in this kernel, "
                            "0.020 s, is not counted)")


def test_calls_that_cannot_be_timed_fail_and_say_why(tmp_path: Path) -> None:
    rubric = make_rubric(make_check(timeout=5.0))
    trip = run_round_trip(rubric, {"affine": lambda a, b, scale=1.0: scale * a @ b}, tmp_path)
    plan, records = trip.plan, trip.records
    fast = ExtraOutcome("ok", 0.3, None, (0.1, 0.1, 0.1))
    why = "the grader could not time the calls: its empty probes did not all run (error)"
    result = evaluate_check(rubric.checks[0], plan.for_check("affine"), records, 0, fast, why)
    assert (result.status, result.message) == ("error", f"affine (case 1: case 0): {why}")


def test_a_probe_cell_that_raised_makes_its_check_an_error(tmp_path: Path) -> None:
    """An `error` message during a grader cell counts as raising, whatever the records say."""
    from grader.cell_error import CellError

    rubric = make_rubric(make_check(timeout=5.0))
    trip = run_round_trip(rubric, {"affine": lambda a, b, scale=1.0: scale * a @ b}, tmp_path)
    plan, records = trip.plan, trip.records
    raised = ExtraOutcome("error", 0.3, CellError(0, "ValueError", "from a callback", ""),
                          (0.1, 0.1, 0.1))
    result = evaluate_check(rubric.checks[0], plan.for_check("affine"), records, 0, raised, 0.01)
    assert (result.status, result.message) == (
        "error", "affine: the grader's cell reported an error in the kernel (ValueError: from a "
                 "callback)")


def test_timeout_of_one_call(tmp_path: Path) -> None:

    check = make_check(timeout=0.2)
    results = run_round_trip(make_rubric(check), {"affine": lambda a, b, scale=1.0: time.sleep(5)},
                             tmp_path).results
    assert results["affine"].status == "error"
    assert "did not return within 0.2 s" in results["affine"].message


def test_plan_is_deterministic_per_upload_and_differs_between_uploads() -> None:
    rubric = make_rubric()
    a1 = build_plan(rubric, upload_seed("aa", "demo"))
    a2 = build_plan(rubric, upload_seed("aa", "demo"))
    b = build_plan(rubric, upload_seed("bb", "demo"))
    np.testing.assert_array_equal(a1.calls[0].case.args[0], a2.calls[0].case.args[0])  # type: ignore[union-attr]
    assert not np.array_equal(a1.calls[0].case.args[0], b.calls[0].case.args[0])  # type: ignore[union-attr]


def test_reference_failure_is_a_grader_fault() -> None:
    check = make_check(reference_fn=lambda a, b, scale=1.0: 1 / 0)
    with pytest.raises(ReferenceFault, match="affine"):
        build_plan(make_rubric(check), 0)


def test_plan_document_is_plain_json() -> None:
    document, files = plan_document(build_plan(make_rubric(), 3), make_rubric())
    assert json.loads(json.dumps(document)) == document
    assert all(arr.dtype == np.float64 for arr in files.values())


def test_write_inputs_never_follows_a_planted_link(tmp_path: Path) -> None:
    """If the student planted the probe directory as a link, the grader does not write through."""
    rubric = make_rubric()
    plan = build_plan(rubric, 0)
    target = tmp_path / "outside"
    target.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    os.symlink(target, work / plan.dirname)
    with pytest.raises(OSError):
        write_inputs(plan, work)
    assert list(target.iterdir()) == []


def test_no_call_input_is_on_disk_before_its_cell_prepares_it(tmp_path: Path) -> None:
    """Code the notebook left running cannot read a later (timed) call's inputs in advance:
    after `write_inputs` only the empty probes' plan exists, and each call cell's `prepare`
    writes that call's entry and arrays alone, into a folder no one could guess."""
    rubric = make_rubric()
    plan = build_plan(rubric, 0)
    write_inputs(plan, tmp_path)
    in_dir = tmp_path / plan.dirname / "in"
    assert [p.name for p in in_dir.iterdir()] == ["plan.json"]
    plan_doc = json.loads((in_dir / "plan.json").read_text())
    assert {e["check"] for e in plan_doc["entries"]} == {EMPTY_PROBE}
    calls = [c for c in probe_cells(plan, rubric, tmp_path) if c.key == "affine"]
    assert len(calls) == 3 and all(c.prepare is not None for c in calls)
    for n, cell in enumerate(calls, start=1):
        assert cell.prepare is not None
        cell.prepare()
        folders = [p for p in in_dir.iterdir() if p.is_dir()]
        assert len(folders) == n and len({p.name for p in folders}) == n
        arrays = {p.parent.name for p in in_dir.rglob("*.npy")}
        assert arrays == {p.name for p in folders}     # only called cases have their arrays
        newest = [p for p in folders if str(p / "plan.json") in cell.source]
        entries = json.loads((newest[0] / "plan.json").read_text())["entries"]
        assert [(e["check"], e["case"]) for e in entries] == [("affine", n - 1)]


def test_a_call_whose_folder_was_replaced_by_a_link_is_not_written_through(
        tmp_path: Path) -> None:
    rubric = make_rubric()
    plan = build_plan(rubric, 0)
    work = tmp_path / "work"
    work.mkdir()
    write_inputs(plan, work)
    outside = tmp_path / "outside"
    outside.mkdir()
    in_dir = work / plan.dirname / "in"
    in_dir.rename(work / plan.dirname / "was-in")
    os.symlink(outside, in_dir)
    inputs = call_inputs(plan, rubric, plan.calls[0])
    with pytest.raises(OSError):
        write_call(work, plan.dirname, inputs)
    assert list(outside.iterdir()) == []


def test_probe_cells_check_the_error_reporting_first_then_one_cell_per_call() -> None:
    rubric = make_rubric(make_check(),
                         make_check(id="fig", kind="figure", symbol=None, reference_fn=None,
                                                  inputs_fn=None))
    cells = probe_cells(build_plan(rubric, 0), rubric, Path("/tmp/x"))
    assert [(c.key, c.what) for c in cells] == [
        (HOOKS_CHECK, "its check of how the kernel reports errors"), (None, "its probe setup"),
        *[(EMPTY_PROBE, "its empty probe")] * EMPTY_PROBES, *[("affine", "check affine")] * 3]
    assert [c.always for c in cells] == [True] + [False] * (len(cells) - 1)
    assert {(c.timeout, c.stated_limit) for c in cells if c.key == "affine"} == {(5.0 + CALL_GRACE,
                                                                                  5.0)}


def test_a_returned_object_that_hangs_on_conversion_is_timed(tmp_path: Path) -> None:

    class Sticky:
        def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
            time.sleep(5)
            return np.zeros(3)

    check = make_check(timeout=0.3)
    started = time.monotonic()
    results = run_round_trip(make_rubric(check), {"affine": lambda a, b, scale=1.0: Sticky()},
                             tmp_path).results
    result = results["affine"]
    assert result.status == "error" and "did not return within" in result.message
    assert time.monotonic() - started < 4
