"""Values as the report shows them: paired like the comparison pairs them, named, formatted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.probe_runtime import Fn, Tensor, Unsupported
from grader.value_view import (
    MAX_ELEMENTS,
    argument,
    index_text,
    largest_error,
    leaf_name,
    number,
    output_view,
    pairs,
    preview,
)

A = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(("expected", "got", "paths"), [
    (A, [1.0, 2.0, 3.0], [()]),                                       # a list read as an array
    ((A, A), np.stack([A, A]), [(0,), (1,)]),                         # an array unpacked
    ({"Wi": A, "ba": np.array(1.0)}, {"Wi": A}, [("Wi",), ("ba",)]),
    ((A, A), (A,), [()]),                                             # wrong length: one pair
], ids=["list", "stacked", "dict", "short-tuple"])
def test_pairs_follow_the_comparison(expected: Any, got: Any, paths: list[Any]) -> None:
    assert [p for p, _, _ in pairs(expected, got)] == paths


@pytest.mark.parametrize(("path", "names", "name"), [
    ((), ("L2",), "L2"), ((), (), "result"), ((1,), ("theta", "m", "v"), "m"),
    ((3,), ("dW",), "dW[3]"), (("ba",), (), "ba"), ((0, 2), ("dL1", "dF"), "dL1[2]"),
    ((5,), ("theta", "m"), "result[5]"),
])
def test_leaf_names(path: Any, names: tuple[str, ...], name: str) -> None:
    assert leaf_name(path, names) == name


def test_largest_error_and_unpaired_values() -> None:
    assert largest_error((A, A), (A + 0.5, A)) == pytest.approx(0.5, abs=1e-12)
    assert largest_error(A, np.array([1.0, np.nan, 3.0])) == np.inf
    assert largest_error(np.array([np.nan]), np.array([np.nan])) == 0.0
    assert largest_error(A, A[:2]) is None and largest_error(A, None) is None


def test_a_differing_output_lists_its_largest_differences_first() -> None:
    expected = np.zeros((4, 5))
    got = np.arange(20, dtype=float).reshape(4, 5) * 1e-3
    view = output_view("dW", expected, got, rtol=0.0, atol=1e-9, axes=("out", "in"))
    assert (view.verdict, view.out_of_tolerance, view.largest_error) == ("differs", "19 of 20",
                                                                         "0.019")
    assert len(view.elements) == MAX_ELEMENTS
    assert [e.index for e in view.elements[:2]] == ["out=3, in=4", "out=3, in=3"]
    assert (view.elements[0].got, view.elements[0].expected) == ("0.019", "0")


@pytest.mark.parametrize(("got", "verdict"), [
    (A, "agrees"), (A[:2], "shape"), (None, "missing"), (Unsupported("str"), "kind"),
])
def test_output_verdicts(got: Any, verdict: str) -> None:
    assert output_view("x", A, got, 1e-6, 1e-9).verdict == verdict


def test_an_answer_that_is_not_revealed_shows_only_the_students_value() -> None:
    view = output_view("h_max", np.array(0.4102), np.array(0.3), 0.0, 1e-3, reveal=False)
    assert (view.verdict, view.got_preview) == ("shown", "0.3") and "0.41" not in str(view)


def test_arguments_are_named_previewed_and_small_ones_written_out() -> None:
    big = np.arange(20.0)
    assert argument("X", big).preview == "[0, 1, 2, 3, 4, 5, …]" and argument("X",
                                                                              big).literal == ""
    small = argument("b", Tensor(np.array([0.5, -1.0])))
    assert (small.kind, small.shape, small.literal) == ("tensor", (2,), "np.array([0.5, -1.0])")
    fn = argument("grad", Fn("quadratic_grad", (np.eye(2), np.zeros(2))))
    assert (fn.kind, [p.name for p in fn.parts]) == ("fn", ["grad_0", "grad_1"])
    assert argument("task", "linreg").literal == "'linreg'"
    assert argument("Ws", [A, A]).kind == "list"


def test_numbers_and_previews() -> None:
    assert (number(0.000123456789), number(float("nan")), number(2.0)) == ("0.000123457", "nan",
                                                                            "2")
    assert preview(np.array(3.5)) == "3.5" and preview(np.zeros((2, 2))) == "[0, 0, 0, 0]"
    assert index_text(()) == "" and index_text((3,)) == "(3,)"


def test_elements_are_listed_furthest_out_of_tolerance_first_with_what_was_allowed() -> None:
    expected = np.array([1000.0, 0.01, 1.0])
    got = expected + np.array([2e-3, 5e-6, 0.0])   # 2x its 1e-3 allowed; 500x its 1.1e-8
    view = output_view("theta", expected, got, rtol=1e-6, atol=1e-9)
    assert [e.index for e in view.elements] == ["(1,)", "(0,)"]
    assert (view.elements[0].error, view.elements[0].allowed) == ("5e-06", "1.1e-08")
    assert view.largest_error == "0.002" and view.out_of_tolerance == "2 of 3"
