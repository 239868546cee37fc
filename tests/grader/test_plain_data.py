"""Frozen dataclasses rebuilt from their JSON: nested, optional, tuples, unknown keys ignored."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.detail import Argument, CaseRow, CheckDetail, Element, OutputView
from grader.picture import Picture
from grader.plain_data import from_plain


@dataclass(frozen=True)
class Pair:
    name: str
    kind: Literal["a", "b"] = "a"
    pos: tuple[int, int] = (0, 0)
    note: str | None = None


DETAIL = CheckDetail(
    cases=(CaseRow(1, "t=1", "fail", "0.5", "got 1"), CaseRow(2, "t=2", "pass", "0")),
    case=1, label="t=1", inputs=(Argument("grad", "fn", fn="quadratic_grad", parts=(
        Argument("grad_0", "array", (2, 2), "[1, 0, 0, 1]"),)),),
    outputs=(OutputView("theta", "differs", "an array of shape (2,)", elements=(
        Element("(0,)", "1", "0.5", "0.5"),)),), agreeing=("m", "v"),
    mistake="this is what x gives")


@pytest.mark.parametrize("value", [
    CheckResult("adam_step", "fail", 0.0, 1.5, "m", True, DETAIL,
                (Picture("data:image/png;base64,AA", 10, 20, "alt", "cap"),)),
    CheckResult("figure", "pass", 0.5, 0.5, "ok"),
    CellRun(19, 1.25, 11, ("x = 1", "y = 2"), 3, True),
    Pair("x", "b", (1, 2), None),
], ids=["check-with-detail", "check-plain", "cell-run", "literal-and-pair"])
def test_round_trip_through_json(value: Any) -> None:
    data = json.loads(json.dumps(dataclasses.asdict(value)))
    assert from_plain(type(value), data) == value


def test_unknown_keys_are_ignored_and_missing_ones_take_defaults() -> None:
    assert from_plain(Pair, {"name": "x", "added_later": 1}) == Pair("x")
    assert from_plain(CheckResult, {"id": "c", "status": "pass", "points": 1, "max_points": 1,
                                    "message": ""}).points == 1.0


@pytest.mark.parametrize("data", [
    {"name": 3}, {"name": "x", "kind": "c"}, {"name": "x", "pos": [1]}, {"name": "x", "pos": 1},
    {"name": "x", "note": 5},
], ids=["int-for-str", "bad-literal", "short-tuple", "not-a-list", "bad-optional"])
def test_a_value_of_the_wrong_form_raises(data: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        from_plain(Pair, data)
