"""Seed 002, Ex 2: gradient descent and Adam on a ramp with a bump (the figure is missing).

The model (it reproduces the seed's GD answer and its premise h > a; see
docs/exercises.md#002-ex-2-gradient-descent-and-adam-on-a-ramp-with-a-bump):
- start at theta0 = 0 (the point 'o'); f falls towards the bump with slope -s (s = 1);
- the foot of the bump, the local minimum 'x', is at theta = L = 1;
- the bump is a triangle of height h and base 2h: slope +1 on [L, L + h), -1 beyond the peak;
- past the peak f keeps falling, so reaching theta >= L + h counts as escaping.

(1) GD with lr a = 0.3: 0, 0.3, 0.6, 0.9, 1.2, 0.9, 1.2, ... a 2-cycle around the foot; for
h > a no phase can climb the bump, so GD is stuck at 'x' (the seed's answer).
(2) Adam (eps = 0, betas 0.9/0.999): every |g| = 1, so v_hat = 1 and each step is -a m_hat. The
iterates reach 1.2 after four ramp steps, then climb 0.3 * 0.511611 and 0.3 * 0.189003 before
m turns positive: h_max = 0.2 + 0.153483 + 0.056701 = 0.410184295 (Adam escapes iff h < h_max).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

GradFn = Callable[[float], float]


def ramp_bump_grad(theta: float, L: float = 1.0, h: float = math.inf, s: float = 1.0) -> float:
    """The gradient of the ramp-with-bump function at `theta`.

    Args:
        theta: the position.
        L: the foot of the bump (the local minimum 'x').
        h: the bump height (the base is 2h); inf gives a bump that never ends.
        s: the steepness of the ramp before the bump.

    Returns:
        -s for theta < L, +1 for L <= theta < L + h, -1 for theta >= L + h.
    """
    if theta < L:
        return -s
    if theta < L + h:
        return 1.0
    return -1.0


def gd_1d(grad_fn: GradFn, theta0: float = 0.0, lr: float = 0.3, steps: int = 50) -> np.ndarray:
    """Plain gradient descent theta <- theta - lr * grad_fn(theta) in one dimension.

    Args:
        grad_fn: float -> float, the gradient.
        theta0: the start; lr: the step size; steps: the number of updates.

    Returns:
        The trajectory theta_0 .. theta_steps, (steps + 1,) float64.
    """
    traj = [float(theta0)]
    for _ in range(int(steps)):
        traj.append(traj[-1] - lr * float(grad_fn(traj[-1])))
    return np.array(traj, dtype=np.float64)


def adam_1d(grad_fn: GradFn, theta0: float = 0.0, lr: float = 0.3, beta1: float = 0.9,
            beta2: float = 0.999, eps: float = 0.0, steps: int = 3000,
            bias_correction: bool = True) -> np.ndarray:
    """Adam (Kingma & Ba, Algorithm 1, as printed in seed 002) in one dimension.

    m_t = beta1 m + (1 - beta1) g_t; v_t = beta2 v + (1 - beta2) g_t**2;
    m_hat = m_t / (1 - beta1**t); v_hat = v_t / (1 - beta2**t) (t = 1, 2, ...);
    theta <- theta - lr m_hat / (sqrt(v_hat) + eps). With eps = 0 and v_hat = 0 (every gradient
    so far exactly 0, hence m = 0 too) the step is taken as 0 instead of 0/0.

    Args:
        grad_fn: float -> float, the gradient at theta.
        theta0, lr, beta1, beta2, eps: the start and the hyper-parameters.
        steps: the number of updates.
        bias_correction: divide by 1 - beta**t (True, the algorithm) or not.

    Returns:
        The trajectory theta_0 .. theta_steps, (steps + 1,) float64.
    """
    theta, m, v = float(theta0), 0.0, 0.0
    traj = [theta]
    for t in range(1, int(steps) + 1):
        g = float(grad_fn(theta))
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        m_hat = m / (1.0 - beta1**t) if bias_correction else m
        v_hat = v / (1.0 - beta2**t) if bias_correction else v
        denom = math.sqrt(v_hat) + eps
        theta = theta - (lr * m_hat / denom if denom > 0.0 else 0.0)
        traj.append(theta)
    return np.array(traj, dtype=np.float64)


def adam_escape_height(L: float = 1.0, lr: float = 0.3, beta1: float = 0.9, beta2: float = 0.999,
                       eps: float = 0.0, s: float = 1.0, steps: int = 3000,
                       bias_correction: bool = True) -> float:
    """The largest bump height h that Adam escapes, h_max (0.410184295 for the defaults).

    With a finite h, Adam's trajectory equals the one for h = inf (a bump that never ends) up
    to the first iterate with theta >= L + h; that iterate got there by a forward step (m < 0)
    and every gradient beyond the peak is -1, so m stays negative and Adam escapes for good.
    Hence Adam escapes iff the h = inf trajectory ever reaches L + h within `steps` updates,
    and h_max = max_t theta_t(h = inf) - L exactly: no bisection needed (a bisection over h on
    the full simulation gives the same 0.410184295130). With eps = 1e-8: 0.410184281.

    Args:
        L, s: the model (foot of the bump, ramp slope); lr, beta1, beta2, eps: Adam's settings.
        steps: the simulated horizon; bias_correction: as in `adam_1d`.

    Returns:
        h_max as a Python float: Adam escapes iff h < h_max (at h = h_max one iterate lands
        exactly on the peak, the boundary case).
    """
    traj = adam_1d(lambda th: ramp_bump_grad(th, L=L, h=math.inf, s=s), 0.0, lr, beta1, beta2,
                   eps, steps, bias_correction)
    return float(traj.max() - L)
