"""Seed 001, Ex 6.3c: the saddle-free Newton step of Dauphin et al. (2014).

Newton's step -H^{-1} g rescales each eigendirection by 1/lambda_i, so along lambda_i < 0 it moves
towards the saddle (saddles attract it). Saddle-free Newton uses |H| = V |Lambda| V^T instead:
the same 1/|lambda_i| rescaling, but always downhill; it equals Newton when H is positive
definite. Example (f = x**2 - y**2 from (0.3, 0.2)): Newton lands on the saddle (0, 0), the
saddle-free step goes to (0, 0.4), away along the negative-curvature axis.
"""

from __future__ import annotations

import numpy as np


def saddle_free_newton_step(grad: np.ndarray, H: np.ndarray, damping: float = 0.0) -> np.ndarray:
    """The step -(|H| + damping I)^{-1} grad, with |H| from the eigendecomposition of H.

    Args:
        grad: the gradient, (n,), float64 (float32 is computed in float32).
        H: the Hessian, (n, n), symmetric (only its symmetric part is used).
        damping: >= 0, added to every |lambda_i| (the paper's damped variant); 0 by default.

    Returns:
        The step Delta theta, (n,), in the dtype of `grad` and `H`.

    Raises:
        ValueError: on bad shapes, or when |lambda_i| + damping is zero to working precision
            (|H| is singular: the step is undefined).
    """
    grad = np.asarray(grad)
    H = np.asarray(H)
    n = grad.shape[0]
    if grad.shape != (n,) or H.shape != (n, n):
        raise ValueError(f"need grad (n,) and H (n, n); got {grad.shape} and {H.shape}")
    lam, V = np.linalg.eigh(0.5 * (H + H.T))
    scale = np.abs(lam) + damping
    tiny = n * np.finfo(lam.dtype).eps * max(float(np.abs(lam).max()), float(damping))
    if float(scale.min()) <= tiny:
        raise ValueError("|H| + damping I is singular: a zero eigenvalue and no damping")
    return -(V @ ((V.T @ grad) / scale))
