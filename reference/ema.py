"""Seed 003, Problem 1: the EMA decay beta1 that matches a backward window of k gradients.

The window (1/k) sum_{i=1..k} grad l^{t-i} gives weight 1/k to the newest gradient; the EMA
g^{t+1} = beta1 g^t + (1 - beta1) grad l^t gives it 1 - beta1. Equal weights: beta1 = 1 - 1/k
(the official answer, correct). The EMA's weights (1 - beta) beta^(j-1) have mean lag
1/(1 - beta) = k (the window's is (k + 1)/2) and put 1 - (1 - 1/k)^k of their mass on the last k
gradients (0.75, 0.6723, 0.6513 for k = 2, 5, 10; -> 1 - 1/e). Matching the centre of mass
instead gives (k - 1)/(k + 1), the pandas "span" convention; not the exam's answer. The exam's
Adam has no bias correction, so neither has `ema`.
"""

from __future__ import annotations

import numpy as np


def ema_beta_for_window(k: int) -> float:
    """beta1 = 1 - 1/k, the EMA decay whose newest-gradient weight equals the window's 1/k.

    Args:
        k: the window length, an integer >= 1 (k = 1 gives beta1 = 0: no averaging).

    Returns:
        1 - 1/k as a Python float.
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    return 1.0 - 1.0 / int(k)


def ema(grads: np.ndarray, beta: float) -> np.ndarray:
    """The exponential moving average g_hat <- beta g_hat + (1 - beta) g over a gradient stream.

    Starts from g_hat = 0 with no bias correction (the exam's Adam). Row t of the result is the
    average after the gradients of rows 0..t, i.e. the exam's g_hat^{t+1}:
    out[t] = (1 - beta) sum_{j=0..t} beta^j grads[t - j].

    Args:
        grads: (T, P) (or (T,)) float64/float32, one gradient per row, oldest first.
        beta: the decay, in [0, 1).

    Returns:
        (T, P) (or (T,)), same dtype as `grads`.
    """
    grads = np.asarray(grads)
    if grads.dtype.kind != "f":
        grads = grads.astype(np.float64)
    out = np.empty_like(grads)
    acc = np.zeros_like(grads[0]) if len(grads) else np.zeros((), grads.dtype)
    for t, g in enumerate(grads):
        acc = beta * acc + (1.0 - beta) * g
        out[t] = acc
    return out
