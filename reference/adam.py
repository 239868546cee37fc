"""Seed 000 Ex 4.3 and seed 004 Q4: Adam as the sheet writes it, and plain gradient descent.

    m_t = beta1 m_{t-1} + (1 - beta1) g_t,       m_0 = 0
    v_t = beta2 v_{t-1} + (1 - beta2) g_t**2,    v_0 = 0
    m_hat = m_t / (1 - beta1**t),  v_hat = v_t / (1 - beta2**t)
    theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)

Every step returns new arrays and never modifies its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np


def adam_step(
    theta: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam update with bias correction, exactly the formulas of the module docstring.

    Args:
        theta: parameters, any shape, float64 or float32.
        grad: g_t, the gradient at `theta`, same shape and dtype.
        m, v: the moments m_{t-1}, v_{t-1} (zeros before the first step), same shape and dtype.
        t: the 1-based number of this step (t = 1 for the first update).
        lr, beta1, beta2, eps: alpha, beta_1, beta_2 and epsilon of the sheet.

    Returns:
        (theta_t, m_t, v_t), new arrays of the shape and dtype of `theta`.
    """
    if t < 1:
        raise ValueError(f"t is the 1-based step number, got t={t}")
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    m_hat = bias_corrected(m_new, beta1, t)
    v_hat = bias_corrected(v_new, beta2, t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def gd_step(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """Plain gradient descent, theta - lr * grad (the "Project 2" baseline).

    Args:
        theta: parameters, any shape, float64 or float32.
        grad: the gradient at `theta`, same shape and dtype.
        lr: the learning rate.

    Returns:
        The new parameters, a new array shaped like `theta`.
    """
    return theta - lr * grad


@dataclass(frozen=True, eq=False)
class Adam:
    """Adam over several parameter arrays (weights and biases), as a frozen value.

    `step` does not change this object: it returns a new `Adam` holding the updated parameters,
    moments and step count, e.g. `opt = Adam([W, b], lr=1e-2); opt = opt.step([dW, db]);
    W, b = opt.params`. Each parameter has its own m and v; t counts the steps taken so far
    (0 before the first), so the first update uses t = 1.

    Attributes:
        params: the current parameter arrays, any shapes, float64 or float32 (copied on creation).
        lr: the learning rate alpha.
        betas: (beta1, beta2).
        eps: epsilon, added to sqrt(v_hat).
        m, v: the moments, one array per parameter (zeros when not given).
        t: the number of steps taken.
    """

    params: Sequence[np.ndarray]
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    m: Sequence[np.ndarray] = field(default=())
    v: Sequence[np.ndarray] = field(default=())
    t: int = 0

    def __post_init__(self) -> None:
        params = tuple(np.array(p) for p in self.params)
        object.__setattr__(self, "params", params)
        for name in ("m", "v"):
            moments = tuple(getattr(self, name)) or tuple(np.zeros_like(p) for p in params)
            if len(moments) != len(params):
                raise ValueError(f"{name} has {len(moments)} arrays for {len(params)} parameters")
            object.__setattr__(self, name, moments)

    def step(self, grads: Sequence[np.ndarray]) -> Adam:
        """One Adam update of every parameter.

        Args:
            grads: one gradient per parameter, each shaped like its parameter.

        Returns:
            A new `Adam` with the updated params, m, v and t + 1; `self` is unchanged.
        """
        if len(grads) != len(self.params):
            raise ValueError(f"{len(grads)} gradients for {len(self.params)} parameters")
        t = self.t + 1
        beta1, beta2 = self.betas
        steps = [
            adam_step(p, g, m, v, t, self.lr, beta1, beta2, self.eps)
            for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True)
        ]
        params, m, v = zip(*steps, strict=True)
        return replace(self, params=params, m=m, v=v, t=t)


def unrolled_m(gs: np.ndarray, beta1: float) -> float:
    """The first moment m_t written out: (1 - beta1) * sum_{i=0}^{t-1} beta1**i * g_{t-i}.

    Seed 004 Q4b indexes the sum with g_{t-i-1}; it is g_{t-i} (i = 0 is the newest gradient).
    The weights sum to 1 - beta1**t < 1 because m_0 = 0: that, not the decay itself, is the bias
    towards zero.

    Args:
        gs: (t,) float64, the gradients g_1, ..., g_t in order (gs[0] = g_1).
        beta1: the decay rate.

    Returns:
        m_t, a float; equal to the recursion m_t = beta1 m_{t-1} + (1 - beta1) g_t from m_0 = 0.
    """
    gs = np.asarray(gs)
    t = len(gs)
    i = np.arange(t)
    return float((1 - beta1) * np.sum(beta1**i * gs[t - 1 - i]))


def bias_corrected(m_t: float | np.ndarray, beta1: float, t: int) -> float | np.ndarray:
    """m_hat_t = m_t / (1 - beta1**t), an unbiased estimate of E[g] for stationary gradients.

    The same correction with beta2 turns v_t into v_hat_t.

    Seed 004 Q4b says beta1**t "dominates the denominator, making it approach zero" as t grows;
    it is the other way round: 1 - beta1**t -> 1, so the correction matters only for small t
    (at t = 1 it multiplies m_1 by 1 / (1 - beta1), 10 for beta1 = 0.9).

    Args:
        m_t: the raw first moment, a float or an array of any shape.
        beta1: the decay rate.
        t: the 1-based step number.

    Returns:
        m_hat_t, shaped like `m_t`.
    """
    return m_t / (1 - beta1**t)
