"""Seed 003, Problem 4 (printed as a second "Problem 3"): the regulariser lambda ||Theta||.

(a) For Theta != 0, grad ||Theta|| = Theta / ||Theta||, so a stationary point of
    l(Theta) + lambda ||Theta|| satisfies grad l(Theta) = -lambda Theta / ||Theta|| (correct).
(b) It is also stationary for l + (lambda'/2) ||Theta||**2 (condition grad l = -lambda' Theta)
    with lambda' = lambda / ||Theta||. Seed note: this holds for the (lambda'/2)||Theta||**2
    convention; for l + lambda' ||Theta||**2 it is lambda' = lambda / (2 ||Theta||).
(c) Theta = 0 is a strict local minimum iff ||grad l(0)|| < lambda (correct; <= is the
    subgradient condition for 0 to be a minimiser). For l = 1/2 ||Theta - a||**2 the minimiser
    is the block soft-threshold max(0, 1 - lambda/||a||) a.
"""

from __future__ import annotations

from typing import Literal

import numpy as np


def norm_grad(theta: np.ndarray) -> np.ndarray:
    """The gradient of the Euclidean norm, Theta / ||Theta|| (P4a).

    Args:
        theta: (n,) float64/float32, not zero.

    Returns:
        (n,), same dtype, a unit vector.

    Raises:
        ValueError: at Theta = 0, where the norm is not differentiable.
    """
    theta = np.asarray(theta)
    norm = np.linalg.norm(theta)
    if norm == 0:
        raise ValueError("||Theta|| is not differentiable at Theta = 0")
    return theta / norm


def l2_equivalent_lambda(theta: np.ndarray, lam: float,
                         convention: Literal["half", "plain"] = "half") -> float:
    """The lambda' that makes a stationary point of l + lambda ||.|| stationary for L2 (P4b).

    Seed note (P4b): the official lambda' = lambda/||Theta|| is right only for the (lambda'/2)
    convention; with l + lambda' ||Theta||**2 it is lambda / (2 ||Theta||).

    Args:
        theta: the stationary point, (n,), not zero.
        lam: the lambda of l + lambda ||Theta||.
        convention: "half" for l + (lambda'/2) ||Theta||**2 (the exam's, lambda/||Theta||) or
            "plain" for l + lambda' ||Theta||**2 (lambda / (2 ||Theta||)).

    Returns:
        lambda' as a Python float.
    """
    norm = float(np.linalg.norm(theta))
    if norm == 0:
        raise ValueError("lambda' is undefined at Theta = 0")
    if convention not in ("half", "plain"):
        raise ValueError(f"convention must be 'half' or 'plain', got {convention!r}")
    return lam / norm if convention == "half" else lam / (2.0 * norm)


def zero_is_strict_local_min(grad_at_zero: np.ndarray, lam: float) -> bool:
    """P4c: whether Theta = 0 is a strict local minimum of l + lambda ||Theta||.

    The condition is ||grad l(0)|| < lambda (strict, so (1) holds in every direction).

    Args:
        grad_at_zero: grad l(0), (n,); lam: lambda > 0.
    """
    return bool(np.linalg.norm(grad_at_zero) < lam)


def block_soft_threshold(a: np.ndarray, lam: float) -> np.ndarray:
    """argmin_Theta 1/2 ||Theta - a||**2 + lambda ||Theta|| = max(0, 1 - lambda/||a||) a (P4c).

    Here grad l(0) = -a, so the minimiser is 0 exactly when ||a|| <= lambda, as in (c).

    Args:
        a: (n,) float64/float32; lam: lambda >= 0.

    Returns:
        (n,), same dtype as `a`.
    """
    a = np.asarray(a)
    norm = float(np.linalg.norm(a))
    if norm <= lam:
        return np.zeros_like(a)
    return (1.0 - lam / norm) * a
