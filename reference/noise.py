"""Seed 003, Problem 2: additive Gaussian weight noise needs no test-time scaling.

At train time y_i = ReLU(sum_j (W_ij + eps_ij) x_j) with eps_ij ~ N(0, 1). The ReLU input has
E = sum_j W_ij x_j = (Wx)_i and variance ||x||**2, so the test-time rule is "no scaling" (the
official answer, correct). Seed typos: "Theta = grad l(Theta, eps)" should read
Theta <- Theta - eta grad l(Theta, eps); "the expectation of w_i x_i" should read sum_j W_ij x_j.
(The ReLU output is not unbiased: E[ReLU] = mu Phi(mu/s) + s phi(mu/s) > ReLU(mu); the question
only asks about the input.)
"""

from __future__ import annotations

import numpy as np

_CHUNK = 8192  # samples drawn at once, to bound memory at _CHUNK * m * d floats


def noisy_preactivation_mc(W: np.ndarray, x: np.ndarray, n_samples: int,
                           seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo mean and variance of the train-time ReLU input (W + eps) @ x.

    Each sample draws a full noise matrix eps (m, d) with i.i.d. N(0, 1) entries from
    np.random.default_rng(seed), in chunks, and the moments are accumulated with Chan's
    pairwise update (numerically stable).

    Args:
        W: weights, (m, d) float64.
        x: input, (d,) float64.
        n_samples: number of noise draws, >= 2.
        seed: seed of np.random.default_rng.

    Returns:
        (mean (m,), var (m,)): the sample mean and the unbiased sample variance (ddof = 1);
        the mean's standard error is sqrt(var / n_samples). Expected: Wx and ||x||**2.
    """
    W = np.asarray(W, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    rng = np.random.default_rng(seed)
    count, mean, m2 = 0, np.zeros(W.shape[0]), np.zeros(W.shape[0])
    while count < n_samples:
        n = min(_CHUNK, n_samples - count)
        eps = rng.standard_normal((n, *W.shape))
        pre = (W + eps) @ x                         # (n, m)
        c_mean = pre.mean(axis=0)
        c_m2 = ((pre - c_mean) ** 2).sum(axis=0)
        delta = c_mean - mean
        total = count + n
        mean = mean + delta * (n / total)
        m2 = m2 + c_m2 + delta**2 * (count * n / total)
        count = total
    return mean, m2 / (count - 1)
