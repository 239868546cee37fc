"""A `Grade` as JSON-safe data and back: the gradebook's `record_json`, older records included."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from grader.cell_error import CellError
from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.plain_data import from_plain
from grader.score import INTERNAL_ERROR, Grade

_TUPLE_FIELDS = ("messages", "members", "warnings")


def grade_to_dict(grade: Grade) -> dict[str, Any]:
    """Every field of `grade` as JSON-safe data (tuples become lists, checks become dicts)."""
    data = dataclasses.asdict(grade)
    for name in _TUPLE_FIELDS:
        data[name] = list(data[name])
    data["checks"] = [dict(c) for c in data["checks"]]
    return data


def grade_from_dict(data: dict[str, Any]) -> Grade:
    """The inverse of `grade_to_dict`: tuples, `CheckResult`s (their detail and pictures),
    `CellRun`s and the `CellError` restored.

    Keys unknown to this `Grade` are ignored (a record written by a newer grader); optional
    fields missing from an older record take their defaults. A missing required field raises
    KeyError/TypeError. Records written before 0.2 (a `first_error` string, no
    `internal_error` flag) are read through `_upgrade_legacy`.
    """
    known = {f.name for f in dataclasses.fields(Grade)}
    kwargs = {k: v for k, v in data.items() if k in known}
    kwargs["checks"] = tuple(from_plain(CheckResult, c) for c in data["checks"])
    kwargs["cell_runs"] = tuple(from_plain(CellRun, r) for r in data.get("cell_runs", ()))
    for name in _TUPLE_FIELDS:
        if name in kwargs:
            kwargs[name] = tuple(kwargs[name])
    _upgrade_legacy(kwargs)
    if isinstance(kwargs.get("first_error"), dict):
        kwargs["first_error"] = CellError(**kwargs["first_error"])
    return Grade(**kwargs)


def _upgrade_legacy(kwargs: dict[str, Any]) -> None:
    """Read a record of grader 0.1 (in place): its `first_error` was "summary\ntraceback"
    (the cell number and exception name are recovered from the summary), and a record of the
    grader's own failure was marked only by its first message."""
    text = kwargs.get("first_error")
    if isinstance(text, str):
        head, _, trace = text.partition("\n")
        found = re.match(r"cell (\d+): ([^:]*)(?:: (.*))?$", head)
        kwargs["first_error"] = CellError(int(found.group(1)), found.group(2),
                                          found.group(3) or "", trace) if found else None
    if "internal_error" not in kwargs:
        messages = kwargs.get("messages", ())
        kwargs["internal_error"] = kwargs.get("status") == "crashed" and bool(messages) \
            and str(messages[0]).startswith(INTERNAL_ERROR)
