"""What the reports say about the `gradients` checks: value names, pictures, classic mistakes.

Each mistake is trusted code with the student's signature (docs/assignments.md#gradients), wrong
in exactly one way; `grader.explain` names it when the student's value is what it gives.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from grader.check_notes import CheckNotes, Mistake
from reference.bump import adam_1d
from reference.mlp import forward_mlp
from reference.quadratic import gd_quadratic, max_stable_lr
from reference.shortcut import SHORTCUT_SKIPS, chain_grads, net_grads

ZERO_T = "the bias correction divides by 1 - beta**t, which is 0 for t = 0: count steps from 1"
ADAM_1D_INPUTS = ("grad", "theta0", "lr", "beta1", "beta2", "eps", "steps")


def backprop_without_activation_slope(Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray],
                                      x: np.ndarray, act: str,
                                      dE_dxL: np.ndarray) -> list[np.ndarray]:
    """The delta recursion with act'(z) left out (every slope taken as 1)."""
    xs, _ = forward_mlp(Ws, bs, x, act)
    grads, delta = [], np.asarray(dE_dxL)
    for l in range(len(Ws) - 1, -1, -1):
        grads.append(np.outer(delta, xs[l]))
        delta = Ws[l].T @ delta
    return grads[::-1]


def chain_b1_only_in_layer_1(x: float, w1: float, b1: float, w: float, b: float,
                             act: str = "sigmoid", shortcut: bool = False) -> tuple[float, float]:
    """The chain with b1 in layer 1 only (b in layers 2..5), not in layers 1, 3 and 5."""
    skips = SHORTCUT_SKIPS if shortcut else ()
    dw1, db1 = net_grads(x, w1, b1, w, b, act, skips, tie_b1=False)
    return float(dw1), float(db1)


def chain_shortcut_inverted(x: float, w1: float, b1: float, w: float, b: float,
                            act: str = "sigmoid", shortcut: bool = False) -> tuple[float, float]:
    """The chain with the short-cut setting inverted (skips added when off, left out when on)."""
    return chain_grads(x, w1, b1, w, b, act, not shortcut)


def chain_shortcut_never(x: float, w1: float, b1: float, w: float, b: float,
                         act: str = "sigmoid", shortcut: bool = False) -> tuple[float, float]:
    """The chain with the short-cut setting ignored: the skips never added."""
    return chain_grads(x, w1, b1, w, b, act, False)


def chain_shortcut_always(x: float, w1: float, b1: float, w: float, b: float,
                          act: str = "sigmoid", shortcut: bool = False) -> tuple[float, float]:
    """The chain with the short-cut setting ignored: the skips always added."""
    return chain_grads(x, w1, b1, w, b, act, True)


def adam_1d_without_bias_correction(grad_fn: Callable[[float], float], theta0: float, lr: float,
                                    beta1: float, beta2: float, eps: float,
                                    steps: int) -> np.ndarray:
    """Adam in 1-D with m and v not divided by 1 - beta**t."""
    return adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps, bias_correction=False)


def _adam_1d(grad_fn: Callable[[float], float], theta0: float, lr: float, beta1: float,
             beta2: float, eps: float, steps: int, *, eps_inside: bool = False,
             first_t: int = 1) -> np.ndarray:
    theta, m, v, out = float(theta0), 0.0, 0.0, [float(theta0)]
    for t in range(first_t, first_t + int(steps)):
        g = float(grad_fn(theta))
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        denom = math.sqrt(v_hat + eps) if eps_inside else math.sqrt(v_hat) + eps
        theta -= lr * m_hat / denom
        out.append(theta)
    return np.array(out)


def adam_1d_eps_inside_root(grad_fn: Callable[[float], float], theta0: float, lr: float,
                            beta1: float, beta2: float, eps: float, steps: int) -> np.ndarray:
    """Adam in 1-D dividing by sqrt(v_hat + eps)."""
    return _adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps, eps_inside=True)


def adam_1d_zero_based_t(grad_fn: Callable[[float], float], theta0: float, lr: float,
                         beta1: float, beta2: float, eps: float, steps: int) -> np.ndarray:
    """Adam in 1-D with t = 0, 1, ... (the first bias correction divides by zero)."""
    with np.errstate(all="ignore"):
        return _adam_1d(grad_fn, theta0, lr, np.float64(beta1), np.float64(beta2), eps, steps,
                        first_t=0)


def gd_quadratic_half(H: np.ndarray, w0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """GD with the gradient H w of J = 1/2 w^T H w instead of 2 H w."""
    return gd_quadratic(H, w0, lr, steps, half=True)


def max_stable_lr_half(H: np.ndarray) -> float:
    """2 / lambda_max, the bound of J = 1/2 w^T H w."""
    return max_stable_lr(H, half=True)


def max_stable_lr_smallest(H: np.ndarray) -> float:
    """1 / lambda_min: the smallest eigenvalue instead of the largest."""
    return 1.0 / float(np.linalg.eigvalsh(H)[0])


def line_search_no_square(g: np.ndarray, Hg: np.ndarray) -> float:
    """|g| / (g . Hg): the norm of g not squared."""
    return float(np.linalg.norm(g) / (g @ Hg))


def line_search_printed_expansion(g: np.ndarray, Hg: np.ndarray) -> float:
    """|g|^2 / (2 g . Hg): the seed's expansion without the 1/2 in front of the Hessian term."""
    return float((g @ g) / (2 * (g @ Hg)))


ADAM_1D_MISTAKES = (
    Mistake("a missing bias correction", adam_1d_without_bias_correction),
    Mistake("eps inside the square root", adam_1d_eps_inside_root),
    Mistake("a 0-based t in the bias correction", adam_1d_zero_based_t),
)

FEEDBACK: dict[str, CheckNotes] = {
    "backprop": CheckNotes(
        inputs=("Ws", "bs", "x", "act", "dE_dxL"), outputs=("dW",),
        axes=(("dW", ("out", "in")),),
        mistakes=(Mistake("leaving out the activation's slope act'(z)",
                          backprop_without_activation_slope),)),
    "chain": CheckNotes(
        inputs=("x", "w1", "b1", "w", "b", "act", "shortcut"), outputs=("dy/dw1", "dy/db1"),
        mistakes=(Mistake("b1 in layer 1 only (the sheet's b1 enters layers 1, 3 and 5)",
                          chain_b1_only_in_layer_1),
                  Mistake("the shortcut setting ignored (the skips never added)",
                          chain_shortcut_never),
                  Mistake("the shortcut setting ignored (the skips always added)",
                          chain_shortcut_always),
                  Mistake("the shortcut setting inverted", chain_shortcut_inverted))),
    "adam_1d": CheckNotes(inputs=ADAM_1D_INPUTS, outputs=("theta",), picture="trajectory",
                          mistakes=ADAM_1D_MISTAKES, nonfinite_hint=lambda args: ZERO_T),
    "gd_quadratic": CheckNotes(
        inputs=("H", "w0", "lr", "steps"), outputs=("w",), axes=(("w", ("step", "i")),),
        picture="trajectory",
        mistakes=(Mistake("the gradient H w of J = 1/2 w^T H w (this J = w^T H w has 2 H w)",
                          gd_quadratic_half),)),
    "max_stable_lr": CheckNotes(
        inputs=("H",), outputs=("lr_max",),
        mistakes=(Mistake("the bound 2 / lambda_max of J = 1/2 w^T H w (here J = w^T H w: "
                          "1 / lambda_max)", max_stable_lr_half),
                  Mistake("the smallest eigenvalue instead of the largest",
                          max_stable_lr_smallest))),
    "line_search": CheckNotes(
        inputs=("g", "Hg"), outputs=("lambda*",),
        mistakes=(Mistake("|g| instead of |g|^2", line_search_no_square),
                  Mistake("the expansion without the 1/2 (the seed's misprint)",
                          line_search_printed_expansion))),
}

