"""Seed 000 Ex 4.2: the Gram matrix M = sum_i x_i x_i^T and f(x) = 1/2 x^T M x + m^T x + c.

(a.1) M^T = M and v^T M v = sum_i (x_i^T v)^2 >= 0.
(a.2) v^T M v = 0 iff v is orthogonal to every x_i, so M is PD iff the x_i span R^n.
(b)   grad f = M x + m, Hessian M > 0: the unique minimiser is x_min = -M^{-1} m with
      f_min = c - 1/2 m^T M^{-1} m.
(c)   x' = -grad f = -M x - m has the solution x(t) = x_min + exp(-M t) (x0 - x_min), and
      ||x(t) - x_min|| <= exp(-lambda_min t) ||x0 - x_min|| -> 0.
"""

from __future__ import annotations

import numpy as np


def gram_sum(X: np.ndarray) -> np.ndarray:
    """M = sum_i x_i x_i^T for the rows x_i of X, computed as X.T @ X.

    Args:
        X: (N, n) float64 or float32, one vector x_i per row.

    Returns:
        M: (n, n), same dtype; symmetric positive semi-definite (up to rounding).
    """
    return X.T @ X


def is_pd(M: np.ndarray, tol: float | None = None) -> bool:
    """Whether v^T M v > 0 for every v != 0, i.e. the smallest eigenvalue of (M + M^T)/2 > tol.

    Args:
        M: (n, n) float64 or float32, e.g. a `gram_sum`.
        tol: the eigenvalue threshold; by default n * machine epsilon * largest |eigenvalue|,
            the size of the rounding error of a computed zero eigenvalue.

    Returns:
        True when M is positive definite (up to `tol`).
    """
    eigenvalues = np.linalg.eigvalsh((M + M.T) / 2)  # v^T M v sees only the symmetric part
    if tol is None:
        tol = len(M) * np.finfo(eigenvalues.dtype).eps * float(np.abs(eigenvalues).max(initial=0.0))
    return bool(eigenvalues.min() > tol)


def quadratic_minimizer(M: np.ndarray, m: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """The unique minimiser of f(x) = 1/2 x^T M x + m^T x + c, by a linear solve (no inverse).

    Args:
        M: (n, n) symmetric positive definite, float64 or float32.
        m: (n,), same dtype.
        c: the constant term.

    Returns:
        (x_min, f_min): x_min = -M^{-1} m, shape (n,), dtype of M; f_min = c - 1/2 m^T M^{-1} m
        = c + 1/2 m^T x_min, a float.
    """
    x_min = -np.linalg.solve(M, m)
    return x_min, float(c + 0.5 * (m @ x_min))


def ode_solution(M: np.ndarray, m: np.ndarray, x0: np.ndarray, t: float) -> np.ndarray:
    """The solution at time t of the gradient flow x' = -M x - m, x(0) = x0.

    The seed prints "x' = -Mx m"; the missing operator is "-", so that x' = -grad f. With
    x' = -Mx + m the flow would tend to +M^{-1} m, not to x_min.
    x(t) = x_min + Q exp(-Lambda t) Q^T (x0 - x_min), where M = Q Lambda Q^T (M symmetric).

    Args:
        M: (n, n) symmetric positive definite, float64.
        m: (n,) float64.
        x0: (n,) float64, the initial value.
        t: the time, >= 0.

    Returns:
        x(t): (n,), same dtype as M.
    """
    x_min, _ = quadratic_minimizer(M, m, 0.0)
    lam, Q = np.linalg.eigh(M)
    return x_min + Q @ (np.exp(-lam * t) * (Q.T @ (x0 - x_min)))
