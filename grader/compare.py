"""Compare a student's values with the reference's, in the grader's own process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np

from grader.detail import CheckDetail
from grader.picture import Picture
from grader.probe_runtime import Unsupported
from grader.timing import call_overrun

if TYPE_CHECKING:
    from grader.execution import ExtraOutcome
    from grader.extract import CallRecord
    from grader.probe import PlannedCall
    from grader.rubric import CheckSpec

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


@dataclass(frozen=True)
class Verdict:
    """What a comparison (built-in or a rubric's custom comparator) concludes for one value.

    A custom comparator named by a rubric's `compare` key has the signature
    `(got, expected) -> Verdict`: `got` is the student's value as a plain structure (float64
    arrays, lists, tuples, dicts; for a variable check a dict {name: value}), `expected` the
    reference's plain value (or None when the check has no reference).
    """

    passed: bool
    message: str


# ----------------------------------------------------------------------------- values
def _fmt(x: float) -> str:
    return f"{x:.6g}"


def describe(value: Any) -> str:
    """A student-readable name for a plain value's kind ("an array of shape (3,)")."""
    if value is None:
        return "None"
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else "a number"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)[:8]}"
    return type(value).__name__


def as_array(value: Any) -> np.ndarray | None:
    """A list/tuple of numbers or equal-shape arrays read as one array (students return lists)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        if not value:
            return np.zeros((0,))
        items = [as_array(v) for v in value]
        if all(item is not None for item in items) and len({item.shape for item in items}) == 1:  # type: ignore[union-attr]
            return np.stack(items)  # type: ignore[arg-type]
    return None


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def _prefix(where: str) -> str:
    """How a message names the part of the result it is about ("output [0]['Wi']: ")."""
    return f"output {where}: " if where else ""


def compare_arrays(where: str, expected: np.ndarray, got: np.ndarray, rtol: float, atol: float,
                   reveal: bool = True) -> Verdict:
    """Shape, finiteness, then |got - expected| <= atol + rtol * |expected| element-wise.

    With `reveal=False` the message gives the student's value but never the expected one (for
    fixed answers, the same for every upload, which a message must not hand out).
    """
    where = _prefix(where)
    if got.shape != expected.shape:
        return Verdict(False, f"{where}shape {got.shape}, expected {expected.shape}")
    if got.size == 0:
        return Verdict(True, "")
    exp_finite = np.isfinite(expected)
    got_finite = np.isfinite(got)
    bad = got_finite != exp_finite
    bad |= ~exp_finite & (got != expected) & ~(np.isnan(got) & np.isnan(expected))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        if not reveal:
            return Verdict(False, f"{where}got {_fmt(float(got[idx]))}{_where(idx)}, which is not "
                                  "the answer")
        return Verdict(False, f"{where}got {_fmt(float(got[idx]))}, expected "
                              f"{_fmt(float(expected[idx]))}{_where(idx)}")
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(exp_finite, np.abs(got - np.where(exp_finite, expected, 0.0)), 0.0)
    allowed = atol + rtol * np.abs(np.where(exp_finite, expected, 0.0))
    over = err > allowed
    if over.any():
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.where(over, err, -1.0))),
                                                       err.shape))
        count = int(over.sum())
        if not reveal:
            return Verdict(False, f"{where}got {_fmt(float(got[worst]))}{_where(worst)}, which is "
                                  f"not within the tolerance of the answer (rtol={rtol:g}, "
                                  f"atol={atol:g})")
        return Verdict(False, (
            f"{where}got {_fmt(float(got[worst]))}, expected {_fmt(float(expected[worst]))}"
            f"{_where(worst)}: largest error {_fmt(float(err[worst]))} > allowed "
            f"{_fmt(float(allowed[worst]))} (rtol={rtol:g}, atol={atol:g}); "
            f"{count} of {err.size} values out of tolerance"))
    return Verdict(True, "")


def compare_values(expected: Any, got: Any, rtol: float, atol: float, where: str = "",
                   reveal: bool = True) -> Verdict:
    """Compare two plain structures in a fixed order: presence, kind, shape, finiteness, tolerance.

    Args:
        expected: the reference's plain value.
        got: the student's plain value (decoded from the kernel's files).
        rtol, atol: the check's tolerances.
        where: the path of this value inside the result, for messages ("[0]['Wi']").
        reveal: False keeps expected numbers out of the messages (see `compare_arrays`).
    """
    at = _prefix(where)
    if isinstance(got, Unsupported):
        return Verdict(False, f"{at}returned {describe(got)}, which the grader cannot compare")
    if expected is None:
        return Verdict(got is None,
                       "" if got is None else f"{at}returned {describe(got)}, expected None")
    if got is None:
        return Verdict(False, f"{at}returned None, expected {describe(expected)}")
    if isinstance(expected, np.ndarray):
        arr = as_array(got)
        if arr is None:
            return Verdict(False, f"{at}returned {describe(got)}, expected {describe(expected)}")
        return compare_arrays(where, expected, arr, rtol, atol, reveal)
    if isinstance(expected, (tuple, list)):
        items: Any = got
        if isinstance(got, np.ndarray) and got.ndim >= 1 and got.shape[0] == len(expected):
            items = [np.asarray(got[i]) for i in range(got.shape[0])]
        if not isinstance(items, (tuple, list)):
            return Verdict(False, f"{at}returned {describe(got)}, expected {describe(expected)}")
        if len(items) != len(expected):
            return Verdict(False, f"{at}returned {len(items)} values, expected {len(expected)}")
        for i, (e, g) in enumerate(zip(expected, items)):
            verdict = compare_values(e, g, rtol, atol, f"{where}[{i}]", reveal)
            if not verdict.passed:
                return verdict
        return Verdict(True, "")
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Verdict(False, f"{at}returned {describe(got)}, expected a dict with keys "
                                  f"{sorted(expected)}")
        missing = [k for k in expected if k not in got]
        if missing:
            return Verdict(False, f"{at}the dict has no key(s) {missing}")
        for key, e in expected.items():
            verdict = compare_values(e, got[key], rtol, atol, f"{where}[{key!r}]", reveal)
            if not verdict.passed:
                return verdict
        return Verdict(True, "")
    raise TypeError(f"reference value of type {type(expected).__name__} is not plain")


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
    return compare_values(expected, got, check.rtol, check.atol, reveal=check.kind != "variable")


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
            return result("fail", f"{name}{_case_label(call)}: {verdict.message}")
        passed = verdict
    if len(calls) == 1 and check.compare_fn is not None and passed.message:
        return result("pass", passed.message)     # e.g. solves_xor: what the outputs were
    if check.kind == "variable":
        return result("pass", f"{name} agrees with the reference")
    return result("pass", f"{len(calls)} case(s) agree with the reference")
