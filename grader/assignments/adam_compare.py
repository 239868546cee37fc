"""The comparator of the `adam` assignment's two `train` checks (pure numpy, no reference).

`train_compare` holds the student's `(theta, losses)` to the reference's with the rubric's
tolerances, and hints at the classic mistakes (losses recorded after the update, a `[b, w]`
layout). It is the only code of the assignment a student's check kit needs (`grader.kit`), so it
lives apart from the input generators (`grader.assignments.adam`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.compare import Verdict, as_array

TRAIN_RTOL = 1e-6             # the rubric's tolerances for train (the comparator gets no tolerance)
TRAIN_ATOL = 1e-9


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.all(np.abs(got - expected) <= TRAIN_ATOL + TRAIN_RTOL * np.abs(expected)))


def _as_array(value: Any) -> Any:
    """A list/tuple of numbers (a student may return losses as a list) read as one array."""
    arr = as_array(value) if isinstance(value, (list, tuple)) else None
    return value if arr is None else arr


def _array_problem(name: str, got: Any, expected: np.ndarray) -> str:
    """Why `got` cannot be compared with `expected` ("" when it can)."""
    if not isinstance(got, np.ndarray):
        kind = getattr(got, "type_name", type(got).__name__)
        return f"{name} is a {kind}, expected an array of shape {expected.shape}"
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return f"{name} contains nan or inf"
    return ""


def _worst(got: np.ndarray, expected: np.ndarray) -> str:
    i = int(np.argmax(np.abs(got - expected) - TRAIN_RTOL * np.abs(expected)))
    return f"at index {i}: got {got.flat[i]:.10g}, expected {expected.flat[i]:.10g}"


def _theta_hint(theta: np.ndarray, expected: np.ndarray) -> str:
    if _close(np.roll(theta, -1), expected):
        return " (it looks like [b, w_1, ..., w_d]; lay theta out as [w_1, ..., w_d, b])"
    return ""


def _losses_hint(losses: np.ndarray, expected: np.ndarray) -> str:
    if len(losses) > 1 and _close(losses[:-1], expected[1:]):
        return (" (they match the reference shifted by one: losses[i] is the loss *before*"
                " update i+1)")
    return ""


def train_compare(got: Any, expected: Any) -> Verdict:
    """Compare `train`'s (theta, losses) with the reference, with hints for classic mistakes.

    Args:
        got: the student's plain value; must be a pair (theta (d+1,), losses (epochs,)).
        expected: the reference's plain value, the same pair.

    Returns:
        A `Verdict`; passes when both arrays agree with rtol=1e-6, atol=1e-9 elementwise.
    """
    exp_theta, exp_losses = (np.asarray(e, dtype=np.float64) for e in expected)
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        kind = getattr(got, "type_name", type(got).__name__)
        return Verdict(False, f"train should return a pair (theta, losses); got a {kind}"
                       + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""))
    theta, losses = (_as_array(v) for v in got)
    for name, value, exp in (("theta", theta, exp_theta), ("losses", losses, exp_losses)):
        problem = _array_problem(name, value, exp)
        if problem:
            return Verdict(False, problem)
    if not _close(losses, exp_losses):
        return Verdict(False, f"losses differ {_worst(losses, exp_losses)}"
                       + _losses_hint(losses, exp_losses))
    if not _close(theta, exp_theta):
        return Verdict(False, f"theta differs {_worst(theta, exp_theta)}"
                       + _theta_hint(theta, exp_theta))
    return Verdict(True, "theta and losses match")
