"""The trusted side of the example assignment `dot`: input generators, references, a comparator.

The rubric `dot.toml` beside this file names these functions as `dot_grading:<name>`; the grader
imports this module with the rubric's folder on the import path (docs/add-an-assignment.md). It
runs in the grader's own process, never in a student's kernel.

Students define `dot(a, b)`, `normalise(v)` and the variable `angle_deg`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.compare import Verdict, compare_values
from grader.probe_runtime import Case

RTOL = 1e-6      # normalise_compare's tolerances, the rubric defaults (a comparator gets none)
ATOL = 1e-9


# ----------------------------------------------------------------------------- references
def dot(a: np.ndarray, b: np.ndarray) -> float:
    """The dot product sum_i a_i b_i.

    Args:
        a, b: (n,) float64 vectors of the same length.

    Returns:
        A Python float (shape () once the grader has converted it).
    """
    return float(np.dot(a, b))


def normalise(v: np.ndarray) -> np.ndarray:
    """v / ||v||_2, the unit vector in the direction of v.

    Args:
        v: (n,) float64, not zero.

    Returns:
        (n,) float64 with Euclidean norm 1.
    """
    return v / np.linalg.norm(v)


def angle_45() -> float:
    """The answer of the variable check: the angle between (1, 0) and (1, 1) in degrees, 45."""
    a, b = np.array([1.0, 0.0]), np.array([1.0, 1.0])
    return float(np.degrees(np.arccos(dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))))


# ----------------------------------------------------------------------------- input generators
def dot_cases(rng: np.random.Generator) -> list[Case]:
    """Five pairs: length 1, an orthogonal pair (answer 0), and three random lengths up to 50."""
    a = rng.standard_normal(2)
    cases = [
        Case((rng.standard_normal(1), rng.standard_normal(1)), label="length 1"),
        Case((a, np.array([-a[1], a[0]])), label="orthogonal vectors of length 2"),
    ]
    for n in rng.integers(3, 51, size=3):
        cases.append(Case((rng.standard_normal(n), rng.standard_normal(n)), label=f"length {n}"))
    return cases


def normalise_cases(rng: np.random.Generator) -> list[Case]:
    """Four vectors of lengths 2..10 whose norm is far from 1 (between 3 and 30)."""
    cases = []
    for _ in range(4):
        v = rng.standard_normal(int(rng.integers(2, 11)))
        v *= rng.uniform(3.0, 30.0) / np.linalg.norm(v)
        cases.append(Case((v,), label=f"length {len(v)}, norm {np.linalg.norm(v):.3g}"))
    return cases


# ----------------------------------------------------------------------------- comparator
def normalise_compare(got: Any, expected: Any) -> Verdict:
    """The usual comparison, plus a hint for the two classic mistakes of `normalise`.

    Args:
        got: the student's value as a plain structure (a float64 array, or something else).
        expected: the reference's value, v / ||v|| of shape (n,).

    Returns:
        A passing Verdict, or a failing one that says what was got and expected and, when the
        result is v / sum|v_i| or points the right way with a length other than 1, says so.
    """
    verdict = compare_values(expected, got, RTOL, ATOL)
    if verdict.passed or not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return verdict
    if np.allclose(got, expected / np.sum(np.abs(expected)), rtol=RTOL, atol=ATOL):
        return Verdict(False, f"{verdict.message} (you divided by the sum of |v_i|, the 1-norm; "
                              "divide by the Euclidean norm ||v||)")
    length = float(np.linalg.norm(got))
    if length > 0 and np.allclose(got / length, expected, rtol=RTOL, atol=ATOL):
        return Verdict(False, f"{verdict.message} (your vector points the right way but has "
                              f"length {length:.6g}, not 1: did you divide by ||v||**2?)")
    return verdict
