"""Seed 004 Q6a: the expected gradient of a linear unit under multiplicative Gaussian dropout.

J1 = 1/2 (y_d - sum_k (w_k + delta_k) x_k)**2 with delta_k = sqrt(alpha) w_k xi_k, xi_k ~ N(0, 1)
(so delta_k ~ N(0, alpha w_k**2)), the gradient flowing through w_k (1 + sqrt(alpha) xi_k).
With r = y_d - w.x the fixed-input residual,

    dJ1/dw_k = -(r - sum_j sqrt(alpha) w_j xi_j x_j) x_k (1 + sqrt(alpha) xi_k)
    E[dJ1/dw_k] = -r x_k + alpha w_k x_k**2,

the gradient of J2 = 1/2 (y_d - w.x)**2 + alpha/2 sum_k w_k**2 x_k**2: in expectation Gaussian
dropout is a ridge penalty whose strength on w_k grows with x_k**2 (Q6b).
"""

from __future__ import annotations

import math

import numpy as np
import torch


def gaussian_dropout_expected_grad(
    w: np.ndarray, x: np.ndarray, y_d: float, alpha: float
) -> np.ndarray:
    """E[dJ1/dw] = -(y_d - w.x) x + alpha w x**2, in closed form.

    Seed 004 Q6a treats the fixed input x as random ("E[x_k]", "E[x_k**2] is the variance"),
    reuses k as the summation index, and ends with alpha w_k**2 x_k**2; the right term is
    alpha w_k x_k**2 (and the data term is -(y_d - sum_j w_j x_j) x_k).

    Args:
        w: (n,) float64 or float32, the weights.
        x: (n,), the input, same dtype.
        y_d: the target.
        alpha: the dropout variance ratio, >= 0.

    Returns:
        (n,), the expected gradient, the dtype of w.
    """
    return -(y_d - w @ x) * x + alpha * w * x**2


def gaussian_dropout_mc_grad(
    w: np.ndarray, x: np.ndarray, y_d: float, alpha: float, n_samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo estimate of E[dJ1/dw], each sample's gradient by torch autograd.

    Every sample gets its own copy of w (a leaf), so one backward pass of the summed loss gives
    the n_samples per-sample gradients through w * (1 + sqrt(alpha) * xi).

    Args:
        w: (n,) float64, the weights.
        x: (n,) float64, the input.
        y_d: the target.
        alpha: the dropout variance ratio, >= 0.
        n_samples: the number of noise draws xi ~ N(0, I_n), >= 2.
        seed: seeds the torch generator of xi.

    Returns:
        (mean, stderr): both (n,) float64; the sample mean of the gradients and its standard
        error (sample standard deviation / sqrt(n_samples)).
    """
    generator = torch.Generator().manual_seed(seed)
    w_t = torch.as_tensor(np.asarray(w, dtype=np.float64))
    x_t = torch.as_tensor(np.asarray(x, dtype=np.float64))
    xi = torch.randn((n_samples, len(w_t)), generator=generator, dtype=torch.float64)
    w_samples = w_t.expand(n_samples, -1).clone().requires_grad_(True)
    J1 = 0.5 * (y_d - (w_samples * (1 + math.sqrt(alpha) * xi)) @ x_t) ** 2
    (grads,) = torch.autograd.grad(J1.sum(), w_samples)
    mean = grads.mean(dim=0)
    stderr = grads.std(dim=0) / math.sqrt(n_samples)
    return mean.numpy(), stderr.numpy()
