"""compare_values: presence, kind, shape, finiteness, then tolerance, with got/expected messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.compare import compare_values
from grader.probe_runtime import Unsupported, plain

RTOL, ATOL = 1e-6, 1e-9
E = np.array([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(("expected", "got"), [
    (E, E.copy()),
    (E, E * (1 + 5e-7)),
    (E, [[1.0, 2.0], [3.0, 4.0]]),
    (np.array(2.5), 2.5),
    ((E, np.array(1.0)), [E, 1.0]),
    ((E, np.array(1.0), np.zeros(2)), (E, np.float32(1.0), [0.0, 0.0])),
    ({"a": E, "b": np.array(0.0)}, {"a": E, "b": 0, "extra": "ignored"}),
    ([np.ones(2), np.ones((2, 3))], [np.ones(2), np.ones((2, 3))]),
    (np.array([np.inf, 1.0]), np.array([np.inf, 1.0])),
    (np.zeros(3), np.full(3, 1e-10)),
], ids=["same", "within-rtol", "nested-list", "python-float", "tuple-as-list", "mixed-kinds",
        "dict-extra-key", "ragged-list", "same-inf", "within-atol"])
def test_passes(expected: Any, got: Any) -> None:
    verdict = compare_values(plain(expected), plain(got), RTOL, ATOL)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize(("expected", "got", "fragment"), [
    (E, E * (1 + 1e-4), "|got - expected| = 0.0004 > allowed 4.001e-06"),
    (E, E.T, "got 3, expected 2 at index (0, 1)"),
    (np.array(2.0), [2.0], "shape (1,), expected ()"),
    (E, E[:1], "shape (1, 2), expected (2, 2)"),
    (E, np.where(E > 3, np.nan, E), "got nan, expected 4 at index (1, 1)"),
    (E, np.where(E > 3, np.inf, E), "got inf"),
    (np.array([np.inf]), np.array([1e308]), "expected inf"),
    ((E, E), (E,), "returned 1 values, expected 2"),
    ((E, E), E[0], "output [0]: shape (), expected (2, 2)"),
    ({"a": E}, {"b": E}, "no key(s) ['a']"),
    ({"a": E}, E, "expected a dict"),
    (E, None, "returned None"),
    (E, "string", "cannot compare"),
    ((E, np.array(1.0)), (E, np.array(2.0)), "output [1]: got 2, expected 1"),
], ids=["outside-rtol", "transposed", "scalar-vs-1", "wrong-shape", "nan", "inf", "finite-vs-inf",
        "too-few", "array-vs-tuple", "missing-key", "not-a-dict", "none", "unsupported",
        "second-item"])
def test_fails_with_message(expected: Any, got: Any, fragment: str) -> None:
    verdict = compare_values(plain(expected), plain(got), RTOL, ATOL)
    assert not verdict.passed
    assert fragment in verdict.message


def test_nan_never_equals_nan() -> None:
    assert not compare_values(plain(np.array([np.nan])), plain(np.array([0.0])), RTOL, ATOL).passed
    assert not compare_values(plain(np.array([0.0])), plain(np.array([np.nan])), RTOL, ATOL).passed


def test_message_reports_the_worst_index() -> None:
    got = E.copy()
    got[0, 0] += 1e-3
    got[1, 1] += 1.0
    verdict = compare_values(plain(E), plain(got), RTOL, ATOL)
    assert "at index (1, 1)" in verdict.message
    assert "2 of 4 values out of tolerance" in verdict.message


def test_the_worst_element_is_the_furthest_out_of_tolerance_not_the_largest_difference() -> None:
    expected = np.array([1000.0, 0.01])
    got = expected + np.array([2e-3, 5e-6])     # 2e-3 is 2x its 1e-3; 5e-6 is 500x its 1e-8
    verdict = compare_values(expected, got, RTOL, ATOL)
    assert "expected 0.01 at index (1,), the worst element relative to its tolerance" \
        in verdict.message
    assert "|got - expected| = 5e-06 > allowed 1.1e-08" in verdict.message
    assert "2 of 2 values out of tolerance" in verdict.message


@pytest.mark.parametrize(("expected", "got", "names", "prefix"), [
    ((E, E), (E, E + 1), ("theta", "m"), "m: got"),
    ((E,), (E + 1,), ("dW",), "dW[0]: got"),
    (E, E + 1, ("theta",), "theta: got"),
    ({"Wi": E}, {"Wi": E + 1}, (), "Wi: got"),
    ((E, E), (E, E + 1), (), "output [1]: got"),
    (E, E + 1, (), "got"),
], ids=["tuple-item", "list-item", "single", "dict-key", "no-names", "no-names-single"])
def test_a_message_names_the_output_by_the_declared_names(expected: Any, got: Any,
                                                          names: tuple[str, ...],
                                                          prefix: str) -> None:
    verdict = compare_values(expected, got, RTOL, ATOL, names=names)
    assert verdict.message.startswith(prefix), verdict.message


def test_unsupported_marker_is_named() -> None:
    verdict = compare_values(plain(E), Unsupported("generator"), RTOL, ATOL)
    assert "generator" in verdict.message


def test_plain_converts_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True) * 2
    value = plain((t, {"k": torch.tensor(3)}))
    assert value[0].dtype == np.float64 and value[0].shape == (2,)
    np.testing.assert_allclose(value[0], [2.0, 4.0], rtol=0, atol=0)
    assert value[1]["k"].shape == ()


@pytest.mark.parametrize(("expected", "got"), [
    (np.array(0.410184), np.array(0.420184)),                     # outside tolerance
    (np.array([0.410184, 1.5]), np.array([0.410184, np.inf])),    # not finite
    ((np.array(0.410184),), (np.array(0.3),)),                    # inside a tuple
])
def test_reveal_false_never_prints_the_expected_value(expected: Any, got: Any) -> None:
    shown = compare_values(expected, got, rtol=0.0, atol=1e-3)
    hidden = compare_values(expected, got, rtol=0.0, atol=1e-3, reveal=False)
    assert not shown.passed and not hidden.passed
    assert "0.410184" in shown.message or "1.5" in shown.message
    assert "0.410184" not in hidden.message and "1.5" not in hidden.message
    assert "got " in hidden.message


def test_real_numbers_of_other_types_are_read_as_float64() -> None:
    from decimal import Decimal
    from fractions import Fraction

    losses = np.array([0.5, np.float64(0.25), 1, Fraction(1, 8)], dtype=object)
    np.testing.assert_allclose(plain(losses), [0.5, 0.25, 1.0, 0.125], rtol=0, atol=0)
    assert plain(losses).dtype == np.float64
    assert plain(Fraction(41, 100)).shape == () and float(plain(Decimal("0.41"))) == 0.41


def test_an_array_of_other_objects_names_its_dtype() -> None:
    class Sneaky:
        def __float__(self) -> float:
            return 0.41

    got = plain(np.array([Sneaky(), Sneaky()], dtype=object))
    assert isinstance(got, Unsupported) and got.type_name == "array of dtype object"
    assert isinstance(plain(np.array(["a", "b"])), Unsupported)
