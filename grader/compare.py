"""Compare a student's values with the reference's, in the grader's own process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

from grader.check_notes import notes_for
from grader.detail import CheckDetail
from grader.hints import hints
from grader.picture import Picture
from grader.timing import call_overrun
from grader.value_compare import Verdict, as_array, compare_arrays, compare_values, describe

if TYPE_CHECKING:
    from grader.execution import ExtraOutcome
    from grader.extract import CallRecord
    from grader.probe import PlannedCall
    from grader.rubric import CheckSpec

__all__ = ["CheckResult", "CheckStatus", "Verdict", "as_array", "compare_arrays", "compare_values",
           "describe", "evaluate_check", "judge"]

CheckStatus = Literal["pass", "fail", "error", "not-run"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one upload (a row of grades.json "checks").

    `detail` and `pictures` are for the report only (never in grades.json): added by
    `grader.explain` in the grading worker for a visible check, stored with the grade.
    """

    id: str
    status: CheckStatus
    points: float
    max_points: float
    message: str
    visible: bool = True
    detail: CheckDetail | None = None       # cases tried, the first failing one in full
    pictures: tuple[Picture, ...] = ()      # drawn in the worker (loss curves, heat maps, ...)


# ----------------------------------------------------------------------------- checks
RECORD_MESSAGES = {
    "missing": "{error}: define it in the notebook with exactly this name",
    "not-callable": "{error}",
    "error": "the call raised {error}",
    "timeout": "the call {error}",
    "invalid": "the returned value could not be read: {error}",
}


def _case_label(call: PlannedCall) -> str:
    if call.case is None:         # a variable check: one value, no cases
        return ""
    label = call.case.label
    return f" (case {call.index + 1}{': ' + label if label else ''})"


def _unfinished(check: CheckSpec, outcome: ExtraOutcome | None) -> str:
    """Why a planned call has no record, from how the check's probe cell ended."""
    if outcome is None:
        return "the probe did not finish (None)"
    if outcome.status == "timeout":
        return f"ran past its time limit ({check.timeout:g} s per call)"
    if outcome.status == "crashed":
        return "the kernel died"
    return f"the probe did not finish ({outcome.status})"


def judge(check: CheckSpec, got: Any, expected: Any) -> Verdict:
    """The check's verdict on one value: its custom comparator, else `compare_values`.

    A variable check has one fixed answer for everyone, so its messages never reveal it.
    """
    if check.compare_fn is not None:
        try:
            verdict: Verdict = check.compare_fn(got, expected)
        except Exception as exc:  # noqa: BLE001 - a comparator must not crash the batch
            return Verdict(False, f"the value could not be checked ({type(exc).__name__}: {exc})")
        return verdict
    return compare_values(expected, got, check.rtol, check.atol, reveal=check.kind != "variable",
                          names=notes_for(check).outputs)


def evaluate_check(check: CheckSpec, calls: tuple[PlannedCall, ...],
                   records: Mapping[tuple[str, int], CallRecord], image_outputs: int,
                   outcome: ExtraOutcome | None, cost: float | str) -> CheckResult:
    """Score one check from its planned calls and the records the probe wrote.

    Args:
        check: the rubric's check.
        calls: the check's planned calls (reference values included).
        records: every record read back, keyed by (check id, case index).
        image_outputs: image outputs the student's cells produced (for "figure" checks).
        outcome: how the check's probe cells ended, timed by the grader (None when the check has
            no probe cell). The kernel enforces each call's time limit itself, but student code
            can disarm that alarm: a call whose cell took longer than its limit by the grader's
            clock is an error whatever the records say (`grader.timing`).
        cost: what a probe cell costs in this kernel besides the call (`timing.probe_cost`), or
            why the calls cannot be timed (then every call check is an error saying so).
    """
    def result(status: CheckStatus, message: str) -> CheckResult:
        points = check.points if status == "pass" else 0.0
        return CheckResult(check.id, status, float(points), float(check.points), message,
                           check.visible)

    if check.kind == "figure":
        if image_outputs > 0:
            return result("pass", f"{image_outputs} figure(s) found")
        return result("fail", "no figure found: show a plot (plt.show() or a figure as a cell's "
                              "value) with Jupyter's inline backend; matplotlib.use('Agg'), "
                              "%matplotlib notebook/widget or a 'pdf' figure format show none")
    name = check.symbol or ", ".join(check.symbols)
    if outcome is not None and outcome.status == "error" and outcome.error is not None:
        return result("error", f"{name}: the grader's cell reported an error in the kernel "
                               f"({outcome.error.ename}: {outcome.error.evalue})")
    passed = Verdict(True, "")
    for position, call in enumerate(calls):
        record = records.get((check.id, call.index))
        if record is None:
            if outcome is not None and outcome.status == "not-run":
                return result("not-run", "not run: an earlier check stopped the kernel")
            return result("error", f"{name}{_case_label(call)}: {_unfinished(check, outcome)}")
        if record.status != "ok":
            text = RECORD_MESSAGES.get(record.status, "{error}").format(error=record.error)
            return result("error", f"{name}{_case_label(call)}: {text}")
        late = call_overrun(check, position, outcome, cost) if check.kind == "call" else None
        if late is not None:
            return result("error", f"{name}{_case_label(call)}: {late}")
        value = record.value
        if check.kind == "variable" and check.symbol and isinstance(value, dict):
            value = value.get(check.symbol)   # a single variable is compared as itself
        verdict = judge(check, value, call.expected)
        if not verdict.passed:
            return result("fail", f"{name}{_case_label(call)}: {verdict.message}"
                                  f"{hints(check, call, value)}")
        passed = verdict
    if len(calls) == 1 and check.compare_fn is not None and passed.message:
        return result("pass", passed.message)     # e.g. solves_xor: what the outputs were
    if check.kind == "variable":
        return result("pass", f"{name} agrees with the reference")
    return result("pass", f"{len(calls)} case(s) agree with the reference")
