"""The one test harness: probe a function, or grade a whole notebook, the way the grader does.

* A function under test (a student-style implementation written in a test) goes through the
  real probe steps in this process: `grader.probe.build_plan` (cases from the rubric's generator,
  the reference's values), `write_inputs` and `write_call` (plan.json and .npy files on disk,
  each call's just before it),
  `grader.probe_runtime.run_probes` (the very code the kernel runs, with a plain namespace
  standing in for the student's globals), `grader.extract.read_results`, then
  `grader.compare.evaluate_check` for the check's result and `grader.compare.judge` for each
  case's verdict.
* A whole notebook goes through the real pipeline in the real sandbox: `grader.intake.intake`,
  then `grader.pipeline.grade_accepted`, giving the `Grade`.
* `Rubrics`: the project's rubrics (rubrics/*.toml), loaded once; the `rubrics` fixture.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from grader import probe_runtime as rt
from grader.check_notes import notes_for
from grader.compare import CheckResult, Verdict, evaluate_check, judge
from grader.detail import CheckDetail
from grader.discover import upload_of
from grader.execution import ExtraOutcome
from grader.explain import build_detail
from grader.extract import CallRecord, read_results
from grader.intake import Accepted, intake
from grader.pipeline import Options, grade_accepted
from grader.probe import (
    EMPTY_PROBE,
    EMPTY_PROBES,
    CallInputs,
    PlannedCall,
    ProbePlan,
    build_plan,
    call_inputs,
    write_call,
    write_inputs,
)
from grader.rubric import CheckSpec, Rubric, load_rubrics
from grader.score import Grade
from grader.timing import probe_cost

ROOT = Path(__file__).resolve().parent.parent
PROJECT_RUBRICS = ROOT / "rubrics"


# ----------------------------------------------------------------------------- rubrics
@dataclass(frozen=True)
class Rubrics:
    """The rubrics of one folder, loaded once.

    `rubrics["adam"]` is a rubric, `rubrics.check("adam", "gd_step")` one of its checks.
    """

    folder: Path = PROJECT_RUBRICS

    @cached_property
    def by_id(self) -> dict[str, Rubric]:
        return {r.id: r for r in load_rubrics(self.folder)}

    def __getitem__(self, rubric_id: str) -> Rubric:
        return self.by_id[rubric_id]

    def check(self, rubric_id: str, check_id: str) -> CheckSpec:
        """One check of one rubric."""
        (check,) = [c for c in self[rubric_id].checks if c.id == check_id]
        return check


def only(rubric: Rubric, *check_ids: str) -> Rubric:
    """The rubric restricted to some of its checks (in the rubric's order)."""
    checks = tuple(c for c in rubric.checks if c.id in check_ids)
    assert {c.id for c in checks} == set(check_ids), f"{rubric.id} has no check {check_ids}"
    return dataclasses.replace(rubric, checks=checks)


def cases(check: CheckSpec, seed: int) -> list[rt.Case]:
    """The cases the check's input generator makes from `default_rng(seed)`."""
    assert check.inputs_fn is not None, f"{check.id} has no input generator"
    return list(check.inputs_fn(np.random.default_rng(seed)))


# ----------------------------------------------------------------------------- probing
@dataclass(frozen=True)
class RoundTrip:
    """One probe round trip: the plan, the records read back, every check's result."""

    plan: ProbePlan
    records: dict[tuple[str, int], CallRecord]
    results: dict[str, CheckResult]


def run_round_trip(rubric: Rubric, namespace: Mapping[str, Any], workdir: Path,
                   seed: int = 1) -> RoundTrip:
    """Plan, write the inputs, run the probe runtime on `namespace` as the probe cells do (the
    empty probes, then one call at a time, each timed by this process), read back and evaluate.

    Warnings raised by the probed code are ignored, as in a kernel (where they are only printed).
    """
    plan = build_plan(rubric, seed)
    workdir.mkdir(parents=True, exist_ok=True)
    write_inputs(plan, workdir)
    in_dir = workdir / plan.dirname / "in"
    out_dir = str(workdir / plan.dirname / "out")

    def timed(check_id: str, calls: Sequence[tuple[int, CallInputs | None]]) -> ExtraOutcome:
        seconds = []
        for index, inputs in calls:
            plan_path = in_dir / "plan.json"
            if inputs is not None:       # written just before the call, as its cell's prepare does
                write_call(workdir, plan.dirname, inputs)
                plan_path = in_dir / inputs.folder / "plan.json"
            began = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rt.run_probes(str(plan_path), out_dir, namespace, check_id, index)
            seconds.append(time.perf_counter() - began)
        return ExtraOutcome("ok", sum(seconds), None, tuple(seconds))

    cost = probe_cost(timed(EMPTY_PROBE, [(i, None) for i in range(EMPTY_PROBES)]), EMPTY_PROBES)
    outcomes = {c.id: timed(c.id, [(call.index, call_inputs(plan, rubric, call))
                                   for call in plan.for_check(c.id)])
                for c in rubric.checks}
    records = read_results(workdir, plan.dirname)
    results = {c.id: evaluate_check(c, plan.for_check(c.id), records, 0, outcomes[c.id], cost)
               for c in rubric.checks}
    return RoundTrip(plan, records, results)


@dataclass(frozen=True)
class Probed:
    """One case of a check: its label, the verdict on the value that came back, the expected."""

    label: str
    verdict: Verdict
    expected: Any


@dataclass(frozen=True)
class Probing:
    """A check run against some implementation: the check's result and every case's verdict."""

    result: CheckResult
    cases: tuple[Probed, ...]

    @property
    def failed(self) -> tuple[Probed, ...]:
        return tuple(p for p in self.cases if not p.verdict.passed)


def _verdict(check: CheckSpec, call: PlannedCall, record: CallRecord | None) -> Verdict:
    """The case's verdict from its record (the value unwrapped as `evaluate_check` does)."""
    if record is None:
        return Verdict(False, "no record")
    if record.status != "ok":
        return Verdict(False, f"{record.status}: {record.error}")
    value = record.value
    if check.kind == "variable" and check.symbol and isinstance(value, dict):
        value = value.get(check.symbol)
    return judge(check, value, call.expected)


def probe(rubric: Rubric, check_id: str, namespace: Mapping[str, Any], seed: int) -> Probing:
    """Run one check of `rubric` against `namespace` (a stand-in for the student's globals)."""
    single = only(rubric, check_id)
    check = single.checks[0]
    with tempfile.TemporaryDirectory(prefix="probe-") as folder:
        trip = run_round_trip(single, namespace, Path(folder), seed)
    probed = tuple(
        Probed(call.case.label if call.case is not None else check.symbol or check.id,
               _verdict(check, call, trip.records.get((check_id, call.index))), call.expected)
        for call in trip.plan.for_check(check_id))
    return Probing(trip.results[check_id], probed)


def records_of(rubric: Rubric, check_id: str, fn: Callable[..., Any],
               seed: int) -> tuple[CheckSpec, tuple[PlannedCall, ...],
                                   dict[tuple[str, int], CallRecord]]:
    """One call check probed against `fn` (bound to the name it calls): the check, its planned
    calls (reference values included) and the records read back, for the comparison and the
    report's explanation to work on."""
    single = only(rubric, check_id)
    check = single.checks[0]
    assert check.kind == "call" and check.symbol, f"{check_id} is not a call check"
    with tempfile.TemporaryDirectory(prefix="probe-") as folder:
        trip = run_round_trip(single, {check.symbol: fn}, Path(folder), seed)
    return check, trip.plan.for_check(check_id), trip.records


def on_time(calls: Sequence[PlannedCall]) -> ExtraOutcome:
    """The outcome of a check's call cells when every call kept well within its limit."""
    return ExtraOutcome("ok", 0.01 * len(calls), None, (0.01,) * len(calls))


def explained(rubric: Rubric, check_id: str, fn: Callable[..., Any], seed: int) -> CheckDetail:
    """The report's explanation (`grader.explain.build_detail`) of `fn` failing the check."""
    check, calls, records = records_of(rubric, check_id, fn, seed)
    detail = build_detail(check, notes_for(check), calls, records)
    assert detail is not None, f"{check_id}: nothing to explain"
    return detail


def probe_function(rubric: Rubric, check_id: str, fn: Callable[..., Any], seed: int) -> Probing:
    """Run one call check against `fn`, bound to the name the check calls."""
    check = next(c for c in rubric.checks if c.id == check_id)
    assert check.kind == "call" and check.symbol, f"{check_id} is not a call check"
    return probe(rubric, check_id, {check.symbol: fn}, seed)


def caught(rubric: Rubric, check_id: str, fn: Callable[..., Any], seed: int) -> bool:
    """True when the check does not pass `fn` (some case tells it apart from the reference)."""
    probing = probe_function(rubric, check_id, fn, seed)
    assert (probing.result.status == "pass") == (not probing.failed), probing
    return probing.result.status != "pass"


# ----------------------------------------------------------------------------- whole notebooks
def grade_file(path: Path, rubric: Rubric, sandbox: bool = True) -> Grade:
    """Grade one upload through intake and the real pipeline (sandboxed kernel, probes, score).

    The file name must match the rubric; the upload must pass intake.
    """
    upload = upload_of(path, path.name)
    verdict = intake(upload, (rubric,))
    assert isinstance(verdict, Accepted), verdict
    return grade_accepted(verdict, Options(rubrics_dir=PROJECT_RUBRICS, sandbox=sandbox))
