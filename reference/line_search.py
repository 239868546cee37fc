"""Seed 003, Problem 5: exact line search along -g from one Hessian-vector product.

For a quadratic l, l(Theta - lambda g) = l(Theta) - lambda ||g||**2 + 1/2 lambda**2 g.Hg, so
lambda* = ||g||**2 / (g.Hg) when g.Hg > 0, and the decrease is -||g||**4 / (2 g.Hg).
Seed error: the expansion line is printed l(Theta+D) = l(Theta) + g.D + D^T H D; the 1/2 is
missing (taken literally it gives lambda = ||g||**2 / (2 g.Hg), half the right value). The
next line restores the 1/2, so the official final answer is correct.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def exact_line_search_step(g: np.ndarray, Hg: np.ndarray) -> float:
    """lambda* = ||g||**2 / (g . Hg), the minimiser of l(Theta - lambda g) for quadratic l.

    Seed error (P5): the expansion is printed without the 1/2 in front of D^T H D, which would
    give ||g||**2 / (2 g.Hg); the exact expansion has the 1/2 and gives this value.

    Args:
        g: the gradient, (n,) float64/float32.
        Hg: the Hessian-vector product H g, (n,).

    Returns:
        lambda* as a Python float when g.Hg > 0. When g.Hg <= 0 there is no minimiser along the
        line (l is unbounded below along -g): returns inf. When g = 0 the step is irrelevant:
        returns 0.0.
    """
    g = np.asarray(g)
    Hg = np.asarray(Hg)
    if g.shape != Hg.shape or g.ndim != 1:
        raise ValueError(f"g and Hg must both be (n,); got {g.shape} and {Hg.shape}")
    gg = float(np.dot(g, g))
    curvature = float(np.dot(g, Hg))
    if gg == 0.0:
        return 0.0
    if curvature <= 0.0:
        return float("inf")
    return gg / curvature


def hvp_complex_step(grad_fn: Callable[[np.ndarray], np.ndarray], theta: np.ndarray,
                     v: np.ndarray, h: float = 1e-20) -> np.ndarray:
    """The Hessian-vector product H v = Im(grad l(theta + i h v)) / h (complex step).

    No subtraction, so no cancellation: h = 1e-20 gives H v to working precision, exactly for a
    quadratic. `grad_fn` must be complex-analytic code (no abs, conj, or comparisons on the
    argument) that accepts complex128 arrays.

    Args:
        grad_fn: theta (n,) complex128 -> grad l(theta) (n,) complex128.
        theta: the point, (n,) float64.
        v: the direction, (n,) float64 (e.g. v = g for the line search).
        h: the step, tiny and positive.

    Returns:
        H v, (n,) float64.
    """
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return np.asarray(np.imag(grad_fn(theta + 1j * h * v)), dtype=np.float64) / h
