"""Central finite differences: the numerical-gradient oracle used by the reference tests."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Args:
        f: maps an array shaped like `x` to a float; must not keep a reference to its argument.
        x: the point, any shape, float64 (not modified).
        h: the step; the truncation error is O(h**2), the rounding error O(eps / h).

    Returns:
        An array shaped like `x`: (f(x + h e_i) - f(x - h e_i)) / (2 h) at every index i.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + h
        f_plus = float(f(x.copy()))
        x[idx] = orig - h
        f_minus = float(f(x.copy()))
        x[idx] = orig
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad
