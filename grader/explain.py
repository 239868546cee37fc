"""The explain step: what each visible check tried and what came back, for the report.

Runs in the grading worker right after `grader.compare`, on the same planned calls and records,
and never changes a check's status, points or message: it adds `CheckResult.detail` (every case's
outcome, the first failing case's inputs and values beside the reference's, and a known mistake
the values match) and `CheckResult.pictures` (`grader.check_pictures`). A hidden check gets
neither. Anything that goes wrong while explaining or drawing leaves the check as it was.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

from grader import check_pictures
from grader.case_file import case_npz
from grader.check_notes import CheckNotes, notes_for
from grader.compare import CheckResult, judge
from grader.detail import CaseRow, CheckDetail, OutputView
from grader.extract import CallRecord
from grader.hints import hints
from grader.mistakes import match_mistake
from grader.picture import Picture
from grader.probe import PlannedCall, ProbePlan
from grader.rubric import CheckSpec, Rubric
from grader.value_view import (
    argument,
    argument_name,
    clip_text,
    largest_error,
    leaf_name,
    number,
    output_view,
    pairs,
    student_value,
)

MAX_CASES = 8            # rows of the case table
MAX_OUTPUTS = 6          # returned values shown side by side (differing ones first)
CASE_NOTES = {"missing": "not defined", "not-callable": "not a function",
              "error": "raised {error}", "timeout": "{error}",
              "invalid": "result unreadable: {error}"}


def explain_checks(rubric: Rubric, plan: ProbePlan, records: Mapping[tuple[str, int], CallRecord],
                   checks: tuple[CheckResult, ...], figures: tuple[tuple[str, str], ...] = (),
                   *, draw: bool = True) -> tuple[CheckResult, ...]:
    """`checks` (one per `rubric.checks`, in order) with detail and pictures added.

    Args:
        rubric, plan, records: what `grader.compare.evaluate_check` was given.
        checks: its results.
        figures: (MIME type, base64 data) of the first real images the notebook showed.
        draw: False skips the pictures (`Options.pictures`).
    """
    return tuple(explain_check(spec, plan.for_check(spec.id), records, result,
                               figures if spec.kind == "figure" else (), draw=draw)
                 for spec, result in zip(rubric.checks, checks))


def explain_check(check: CheckSpec, calls: tuple[PlannedCall, ...],
                  records: Mapping[tuple[str, int], CallRecord], result: CheckResult,
                  figures: tuple[tuple[str, str], ...] = (), *, draw: bool = True) -> CheckResult:
    """One check's result with its detail and pictures (unchanged for a hidden check)."""
    if not check.visible:
        return result
    notes = notes_for(check)
    detail = None
    if result.status in ("fail", "error") and check.kind in ("call", "variable"):
        try:
            detail = build_detail(check, notes, calls, records)
        except Exception:  # noqa: BLE001 - an explanation must never cost a grade
            detail = None
    pictures: tuple[Picture, ...] = ()
    if draw:
        try:
            pictures = check_pictures.draw(check, notes, calls, records, result.status, figures)
        except Exception:  # noqa: BLE001 - a drawing failure never changes a grade
            pictures = ()
    return dataclasses.replace(result, detail=detail, pictures=pictures)


def case_row(check: CheckSpec, call: PlannedCall, record: CallRecord | None) -> CaseRow:
    """How one case went, as `evaluate_check` judges it."""
    label = clip_text(call.case.label) if call.case is not None else ""
    number_ = call.index + 1
    if record is None:
        return CaseRow(number_, label, "not-run", note="no result: the probe stopped before it")
    if record.status != "ok":
        note = CASE_NOTES.get(record.status, "{error}").format(error=record.error)
        return CaseRow(number_, label, "error", note=clip_text(note, 120))
    value = student_value(check, record)
    verdict = judge(check, value, call.expected)
    worst = None    # a variable check's answer is the same for everyone: never hinted at
    if call.expected is not None and check.kind != "variable":
        worst = largest_error(call.expected, value)
    return CaseRow(number_, label, "pass" if verdict.passed else "fail",
                   number(worst, 3) if worst is not None else "",
                   "" if verdict.passed else clip_text(verdict.message, 120))


def build_detail(check: CheckSpec, notes: CheckNotes, calls: tuple[PlannedCall, ...],
                 records: Mapping[tuple[str, int], CallRecord]) -> CheckDetail:
    """The case table, and the first failing or erroring case in full."""
    rows = [case_row(check, call, records.get((check.id, call.index))) for call in calls]
    first = next((i for i, row in enumerate(rows) if row.status in ("fail", "error")), None)
    shown = tuple(rows[:MAX_CASES])
    if first is not None and first >= MAX_CASES:
        shown = (*shown[:MAX_CASES - 1], rows[first])
    base = CheckDetail(cases=shown, more_cases=len(rows) - len(shown),
                       symbol=(check.symbol or "") if check.kind == "call" else "",
                       driver=check.driver)
    if first is None:
        return base
    call, record = calls[first], records.get((check.id, calls[first].index))
    names = tuple(argument_name(notes.inputs, i) for i in range(len(call.case.args))) \
        if call.case is not None else ()
    inputs = tuple(argument(n, a) for n, a in zip(names, call.case.args)) if call.case else ()
    if call.case is not None:
        inputs += tuple(argument(k, v) for k, v in call.case.kwargs.items())
    npz = case_npz(call.case, names) if call.case is not None else None
    detail = dataclasses.replace(
        base, case=first + 1, label=rows[first].label, inputs=inputs,
        npz=base64.b64encode(npz).decode("ascii") if npz else "")
    if record is None or record.status != "ok":
        return dataclasses.replace(detail, reason=rows[first].note,
                                   timed_out=record is not None and record.status == "timeout",
                                   mistake=match_mistake(check, notes, calls, records, first))
    got = student_value(check, record)
    verdict = judge(check, got, call.expected)
    views = outputs(check, notes, call.expected, got)
    return dataclasses.replace(
        detail, reason=clip_text(verdict.message + hints(check, call, got), 400),
        outputs=tuple(v for v in views if v.verdict != "agrees")[:MAX_OUTPUTS],
        agreeing=tuple(v.name for v in views if v.verdict == "agrees"),
        mistake=match_mistake(check, notes, calls, records, first))


def outputs(check: CheckSpec, notes: CheckNotes, expected: Any, got: Any) -> list[OutputView]:
    """Every returned value of a case, named, beside the reference's (only the student's for a
    variable check, whose answer is the same for everyone)."""
    reveal = check.kind != "variable"
    leaves: list[tuple[tuple[int | str, ...], Any, Any]]
    if expected is None and isinstance(got, dict):
        leaves = [((str(k),), None, v) for k, v in got.items()]
    else:
        leaves = list(pairs(expected, got))
    views = []
    for path, e, g in leaves[:4 * MAX_OUTPUTS]:
        name = leaf_name(path, notes.outputs)
        views.append(output_view(name, e, g, check.rtol, check.atol, reveal,
                                 notes.axis_names(name)))
    return views
