"""Hints a failing case's message ends with, when the values suggest why it failed.

* float32: every difference is within about 1e-5 of the values' scale, and the differing values
  the student returned are exactly representable in float32 (the kernel hands every value back as
  float64, so the dtype itself is gone; a float64 result is float32-representable by chance about
  once in 5e8) — "looks like float32 arithmetic: the reference computes in float64".
* nan or inf where the reference is finite: the check's own hint, if its notes declare one
  (`CheckNotes.nonfinite_hint`; an Adam run: the bias correction divides by zero at t = 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.check_notes import notes_for
from grader.value_view import pairs

if TYPE_CHECKING:
    from grader.probe import PlannedCall
    from grader.rubric import CheckSpec

FLOAT32 = "looks like float32 arithmetic: the reference computes in float64"
FLOAT32_SCALE = 1e-5      # the largest difference, relative to max |expected|, float32 explains


def _leaves(expected: Any, got: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (expected, got) array pairs of the same shape."""
    return [(e, g) for _, e, g in pairs(expected, got)
            if isinstance(e, np.ndarray) and isinstance(g, np.ndarray) and e.shape == g.shape
            and e.size]


def float32_like(expected: Any, got: Any) -> bool:
    """Whether the student's values differ from the reference's only as float32 rounding would."""
    found = False
    for e, g in _leaves(expected, got):
        if not (np.all(np.isfinite(e)) and np.all(np.isfinite(g))):
            return False
        diff = float(np.abs(g - e).max())
        if diff == 0.0:
            continue
        if diff > FLOAT32_SCALE * float(np.abs(e).max()):
            return False
        differing = g[g != e]       # a trajectory's given start stays float64, say
        exact = np.all(differing.astype(np.float32).astype(np.float64) == differing)
        found = found or bool(exact and np.any(differing != np.round(differing)))
    return found


def not_finite(expected: Any, got: Any) -> bool:
    """Whether the student returned nan or inf where the reference's value is finite."""
    return any(np.any(~np.isfinite(g) & np.isfinite(e)) for e, g in _leaves(expected, got))


def hints(check: CheckSpec, call: PlannedCall, got: Any) -> str:
    """" (hint)" for each hint that applies to this failing case, or "" (always for a variable
    check, whose answer a hint must not narrow down)."""
    if check.kind == "variable":
        return ""
    found = []
    if float32_like(call.expected, got):
        found.append(FLOAT32)
    nonfinite = notes_for(check).nonfinite_hint
    if nonfinite is not None and call.case is not None and not_finite(call.expected, got):
        found.append(nonfinite(call.case.args))
    return "".join(f" ({hint})" for hint in found if hint)
