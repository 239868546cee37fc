"""What the reports say about the `adam` checks: value names, pictures, and the classic mistakes.

Each mistake is trusted code with the student's signature (docs/assignments.md#adam), written to
be wrong in exactly one way; `grader.explain` runs it on a failing case and names it when the
student's value is what it gives. Warnings (a 0-based t divides by zero at t = 1) are the caller's
to silence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.check_notes import CheckNotes, Mistake
from reference.adam import adam_step, gd_step
from reference.training import loss_and_grad

STEP_INPUTS = ("theta", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps")
TRAIN_INPUTS = ("X", "y", "task", "optimizer", "lr", "epochs")


def adam_without_bias_correction(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float,
                                 beta1: float, beta2: float, eps: float) -> tuple[Any, Any, Any]:
    """Adam with m and v used as they are, not divided by 1 - beta**t."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def adam_eps_inside_root(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float,
                         beta1: float, beta2: float, eps: float) -> tuple[Any, Any, Any]:
    """Adam dividing by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v


def adam_zero_based_t(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float,
                      beta1: float, beta2: float, eps: float) -> tuple[Any, Any, Any]:
    """Adam whose bias correction counts steps from 0 (1 - beta**(t - 1): 0/0 at t = 1)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_swapped_betas(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float,
                       beta1: float, beta2: float, eps: float) -> tuple[Any, Any, Any]:
    """Adam with beta1 and beta2 exchanged."""
    return adam_step(theta, grad, m, v, t, lr, beta2, beta1, eps)


def gd_wrong_sign(theta: Any, grad: Any, lr: float) -> Any:
    """A step up the gradient, theta + lr * grad."""
    return theta + lr * grad


def _train(X: np.ndarray, y: np.ndarray, task: Any, optimizer: str, lr: float, epochs: int, *,
           step: Any = adam_step, losses_after: bool = False,
           b_first: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`reference.training.train` with one thing changed (the arguments say which)."""
    theta = np.zeros(X.shape[1] + 1)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    losses = np.empty(int(epochs))
    for i in range(int(epochs)):
        losses[i], grad = loss_and_grad(theta, X, y, task)
        if optimizer == "gd":
            theta = gd_step(theta, grad, lr)
        else:
            theta, m, v = step(theta, grad, m, v, i + 1, lr, 0.9, 0.999, 1e-8)
        if losses_after:
            losses[i] = loss_and_grad(theta, X, y, task)[0]
    return (np.roll(theta, 1) if b_first else theta), losses


def train_losses_after_update(X: np.ndarray, y: np.ndarray, task: Any, optimizer: str,
                              lr: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Training that records each loss after its update instead of before."""
    return _train(X, y, task, optimizer, lr, epochs, losses_after=True)


def train_without_bias_correction(X: np.ndarray, y: np.ndarray, task: Any, optimizer: str,
                                  lr: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Training whose Adam steps skip the bias correction."""
    return _train(X, y, task, optimizer, lr, epochs, step=adam_without_bias_correction)


def train_b_first(X: np.ndarray, y: np.ndarray, task: Any, optimizer: str, lr: float,
                  epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Training that lays theta out as [b, w_1, ..., w_d]."""
    return _train(X, y, task, optimizer, lr, epochs, b_first=True)


ZERO_T = "the bias correction divides by 1 - beta**t, which is 0 for t = 0: count steps from 1"


def adam_nonfinite(args: tuple[Any, ...]) -> str:
    """The hint for nan or inf from an Adam step or chain."""
    return ZERO_T


def train_nonfinite(args: tuple[Any, ...]) -> str:
    """The hint for nan or inf from a training run: only when it used Adam."""
    return ZERO_T if len(args) > 3 and args[3] == "adam" else ""


STEP_MISTAKES = (
    Mistake("a missing bias correction (or one whose step count is far larger than t, as when "
            "steps are counted in a global variable instead of using t)",
            adam_without_bias_correction),
    Mistake("eps inside the square root", adam_eps_inside_root),
    Mistake("a 0-based t in the bias correction", adam_zero_based_t),
    Mistake("beta1 and beta2 swapped", adam_swapped_betas),
)
TRAIN_MISTAKES = (
    Mistake("recording each loss after its update (losses[i] is the loss before update i+1)",
            train_losses_after_update),
    Mistake("Adam without its bias correction", train_without_bias_correction),
    Mistake("theta laid out as [b, w] (the reference's is [w, b])", train_b_first),
)
TRAIN_NOTES = CheckNotes(inputs=TRAIN_INPUTS, outputs=("theta", "losses"),
                         picture="loss_curves", mistakes=TRAIN_MISTAKES,
                         nonfinite_hint=train_nonfinite)

FEEDBACK: dict[str, CheckNotes] = {
    "adam_step": CheckNotes(inputs=STEP_INPUTS, outputs=("theta", "m", "v"),
                            mistakes=STEP_MISTAKES, nonfinite_hint=adam_nonfinite),
    "adam_chain": CheckNotes(inputs=("theta0", "grad", "steps", "lr", "beta1", "beta2", "eps"),
                             outputs=("theta",), axes=(("theta", ("step", "p")),),
                             picture="trajectory", mistakes=STEP_MISTAKES[:3],
                             nonfinite_hint=adam_nonfinite),
    "gd_step": CheckNotes(inputs=("theta", "grad", "lr"), outputs=("theta",),
                          mistakes=(Mistake("a step up the gradient (theta + lr * grad)",
                                            gd_wrong_sign),)),
    "train_linreg": TRAIN_NOTES,
    "train_logreg": TRAIN_NOTES,
}
