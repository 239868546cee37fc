"""grader.hints: float32 rounding and nan from an Adam run, told apart from other differences."""

from __future__ import annotations

import numpy as np

from grader.hints import float32_like, not_finite


def test_float32_rounding_is_recognised_and_float64_differences_are_not() -> None:
    rng = np.random.default_rng(7)
    expected = rng.normal(size=(5, 4))
    as_float32 = expected.astype(np.float32).astype(np.float64)
    assert float32_like(expected, as_float32)
    assert float32_like((expected, expected), (expected, as_float32))
    float64_off = expected * (1 + 1e-6 * rng.normal(size=expected.shape))
    assert not float32_like(expected, float64_off)                # not float32-representable
    assert not float32_like(expected, (expected + 0.1).astype(np.float32).astype(np.float64))
    assert not float32_like(expected, expected.copy())            # nothing differs
    assert not float32_like(expected, np.where(expected > 0, np.nan, as_float32))


def test_a_value_that_is_not_finite_where_the_reference_is() -> None:
    expected = np.array([1.0, np.inf, 2.0])
    assert not_finite(expected, np.array([np.nan, np.inf, 2.0]))
    assert not not_finite(expected, np.array([1.5, np.inf, 2.0]))
