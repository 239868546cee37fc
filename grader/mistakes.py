"""Which known mistake a failing case looks like (`grader.check_notes.Mistake`), for the report.

A mistake is named when the value its trusted code gives on the first failing case is one the
check would accept as the student's. When several do, the ones that also give the student's
value on the most other cases (every case with a value, passing ones included) are named:
ignoring a flag and inverting it agree on a case where the flag is on, not where it is off. A
case that raised is matched by the error's text instead (`ErrorMistake`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.check_notes import CheckNotes, Mistake, mistake_line
from grader.compare import judge
from grader.extract import CallRecord
from grader.probe import PlannedCall, reference_value
from grader.probe_runtime import Case, Tensor
from grader.rubric import CheckSpec
from grader.value_view import student_value


def gives(check: CheckSpec, mistake: Mistake, case: Case, got: Any) -> bool:
    """Whether the check would accept `got` as what `mistake` gives on `case` (False when the
    mistake cannot run on it)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = reference_value(dataclasses.replace(check, reference_fn=mistake.fn), case)
            return judge(check, got, value).passed
    except Exception:  # noqa: BLE001 - a mistake that cannot run on this case says nothing
        return False


def match_mistake(check: CheckSpec, notes: CheckNotes, calls: tuple[PlannedCall, ...],
                  records: Mapping[tuple[str, int], CallRecord], first: int) -> str:
    """The line naming the known mistakes the first failing case (`calls[first]`) looks like,
    or ""."""
    call = calls[first]
    record = records.get((check.id, call.index))
    if check.kind != "call" or call.case is None or record is None:
        return ""
    if record.status == "error":
        return match_error(notes, call.case, record.error)
    if record.status != "ok":
        return ""
    got = student_value(check, record)
    matching = [m for m in notes.mistakes if gives(check, m, call.case, got)]
    if len(matching) > 1:
        others = [(c.case, student_value(check, r)) for c in calls
                  if c is not call and c.case is not None
                  and (r := records.get((check.id, c.index))) is not None and r.status == "ok"]
        agree = [sum(gives(check, m, case, value) for case, value in others) for m in matching]
        matching = [m for m, n in zip(matching, agree) if n == max(agree)]
    return mistake_line(tuple(matching))


def _plain(arg: Any) -> Any:
    return arg.array if isinstance(arg, Tensor) else arg


def match_error(notes: CheckNotes, case: Case, error: str) -> str:
    """The line of the first `ErrorMistake` whose error the case raised, or ""."""
    args = tuple(_plain(a) for a in case.args)
    for mistake in notes.error_mistakes:
        try:
            if mistake.matches(args, error):
                return mistake.line
        except Exception:  # noqa: BLE001 - a hint that cannot read the case says nothing
            continue
    return ""
