"""Seed 004 Q5: gradient descent and Newton's method on J(w) = w^T H w, H = Q Lambda Q^T > 0.

GD: grad J = 2 H w, so w_{t+1} = (I - 2 eps H) w_t = Q (I - 2 eps Lambda) Q^T w_t and
w_t = Q (I - 2 eps Lambda)^t Q^T w_0. It converges for every w_0 iff |1 - 2 eps lambda_i| < 1 for
every eigenvalue (element-wise, not a matrix inequality), i.e. 0 < eps < 1 / lambda_max.
For J = 1/2 w^T H w (gradient H w) the factor 2 disappears and the bound is 2 / lambda_max.
Newton: the Hessian is 2 H, so w_{t+1} = w_t - eta (2H)^{-1} 2 H w_t = (1 - eta) w_t.
"""

from __future__ import annotations

import numpy as np


def _gradient_factor(half: bool) -> float:
    return 1.0 if half else 2.0


def gd_quadratic(
    H: np.ndarray, w0: np.ndarray, lr: float, steps: int, half: bool = False
) -> np.ndarray:
    """The gradient-descent iterates w_0, ..., w_steps on J(w) = w^T H w.

    Args:
        H: (n, n) symmetric positive definite, float64 or float32.
        w0: (n,), the start, same dtype.
        lr: the step size eps.
        steps: the number of updates.
        half: minimise J = 1/2 w^T H w instead (gradient H w rather than 2 H w).

    Returns:
        (steps + 1, n), row t the iterate w_t (row 0 is w0), dtype np.result_type(H, w0).
    """
    c = _gradient_factor(half)
    ws = np.empty((steps + 1, len(w0)), dtype=np.result_type(H, w0))
    ws[0] = w0
    for t in range(steps):
        ws[t + 1] = ws[t] - lr * (c * (H @ ws[t]))
    return ws


def gd_closed_form(
    H: np.ndarray, w0: np.ndarray, lr: float, t: int, half: bool = False
) -> np.ndarray:
    """The t-th GD iterate in closed form, Q (I - 2 eps Lambda)^t Q^T w0 (seed 004 Q5b).

    Args:
        H: (n, n) symmetric positive definite, float64 or float32.
        w0: (n,), same dtype.
        lr: the step size eps.
        t: the number of steps, >= 0.
        half: for J = 1/2 w^T H w, Q (I - eps Lambda)^t Q^T w0.

    Returns:
        w_t, shape (n,).
    """
    lam, Q = np.linalg.eigh(H)
    return Q @ ((1 - _gradient_factor(half) * lr * lam) ** t * (Q.T @ w0))


def newton_quadratic(H: np.ndarray, w0: np.ndarray, eta: float, steps: int) -> np.ndarray:
    """Damped Newton iterates w_{t+1} = w_t - eta (2H)^{-1} (2 H w_t) on J(w) = w^T H w.

    Each step multiplies w by (1 - eta). Seed 004 Q5d stops at "eta too large may diverge"; in
    fact eta = 1 reaches the minimiser w = 0 in one step whatever the conditioning of H, and the
    iteration converges iff 0 < eta < 2 (eta = 2 flips w to -w). The factor 1/2 of J cancels.

    Args:
        H: (n, n) symmetric positive definite, float64 or float32.
        w0: (n,), same dtype.
        eta: the damping (step size) of Newton's method.
        steps: the number of updates.

    Returns:
        (steps + 1, n), row t the iterate w_t.
    """
    hessian = 2 * H
    ws = np.empty((steps + 1, len(w0)), dtype=np.result_type(H, w0))
    ws[0] = w0
    for t in range(steps):
        ws[t + 1] = ws[t] - eta * np.linalg.solve(hessian, 2 * (H @ ws[t]))
    return ws


def max_stable_lr(H: np.ndarray, half: bool = False) -> float:
    """The supremum of the step sizes for which GD on w^T H w converges for every w0.

    That is 1 / lambda_max(H) (seed 004 Q5c's answer, right for J = w^T H w); for
    J = 1/2 w^T H w it is 2 / lambda_max. At exactly the bound GD does not converge: the
    lambda_max component flips sign forever.

    Args:
        H: (n, n) symmetric positive definite, float64 or float32.
        half: for J = 1/2 w^T H w.

    Returns:
        The bound, a float.
    """
    return 2.0 / (_gradient_factor(half) * float(np.linalg.eigvalsh(H)[-1]))
