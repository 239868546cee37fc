"""Seed 000 Ex 4.3.2: full-batch training of linear and logistic regression with GD and with Adam.

The parameters are one vector theta = [w_1, ..., w_d, b]; with the design matrix A = [X, 1]
the model's score is A @ theta = X @ w + b.

    "linreg": loss = mean((A theta - y)**2),                 grad = 2/N A^T (A theta - y)
    "logreg": p = sigmoid(A theta),
              loss = -mean(y log p + (1 - y) log(1 - p)),  grad = 1/N A^T (p - y)

The cross-entropy is evaluated as mean(log(1 + exp(z)) - y z) with z = A theta (np.logaddexp),
which is the same number without log(0) or overflow for large |z|.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from reference.adam import adam_step, gd_step
from reference.sigmoid import sigmoid

Task = Literal["linreg", "logreg"]
Optimizer = Literal["gd", "adam"]


def _design(X: np.ndarray) -> np.ndarray:
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {X.shape}")
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def loss_and_grad(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, task: Task
) -> tuple[float, np.ndarray]:
    """The mean loss of `task` and its gradient with respect to theta = [w_1 .. w_d, b].

    Args:
        theta: (d + 1,) float64.
        X: (N, d) float64, one sample per row.
        y: (N,) float64; targets for "linreg", labels in {0, 1} (or [0, 1]) for "logreg".
        task: "linreg" (mean squared error) or "logreg" (mean binary cross-entropy).

    Returns:
        (loss, grad): the loss as a float and its gradient, shape (d + 1,).
    """
    A = _design(X)
    z = A @ theta
    n = len(y)
    if task == "linreg":
        residual = z - y
        return float(np.mean(residual**2)), (2.0 / n) * (A.T @ residual)
    if task == "logreg":
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
        return float(loss), (1.0 / n) * (A.T @ (sigmoid(z) - y))
    raise ValueError(f"task must be 'linreg' or 'logreg', got {task!r}")


def train(
    X: np.ndarray, y: np.ndarray, task: Task, optimizer: Optimizer, lr: float, epochs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch training from theta = 0 with `gd_step` or `adam_step` (default betas and eps).

    Args:
        X: (N, d) float64, one sample per row.
        y: (N,) float64.
        task: "linreg" or "logreg" (see the module docstring).
        optimizer: "gd" or "adam"; Adam's step number runs t = 1, 2, ..., epochs.
        lr: the learning rate of either optimiser.
        epochs: the number of updates.

    Returns:
        (theta, losses): theta, shape (d + 1,) laid out [w_1 .. w_d, b], after `epochs` updates;
        losses, shape (epochs,) float64, losses[i] the loss before update i + 1.
    """
    if optimizer not in ("gd", "adam"):
        raise ValueError(f"optimizer must be 'gd' or 'adam', got {optimizer!r}")
    theta = np.zeros(X.shape[1] + 1, dtype=X.dtype)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    losses = np.empty(epochs)
    for i in range(epochs):
        losses[i], grad = loss_and_grad(theta, X, y, task)
        if optimizer == "gd":
            theta = gd_step(theta, grad, lr)
        else:
            theta, m, v = adam_step(theta, grad, m, v, t=i + 1, lr=lr)
    return theta, losses


def train_eval(
    task: Task,
    optimizer: Optimizer,
    lr: float,
    epochs: int,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> dict[str, np.ndarray | float]:
    """`train` on the training split, then the loss of the final theta on the test split.

    The one- and two-variable regressions of the sheet are both task "linreg" (d = 1 or 2).

    Args:
        task, optimizer, lr, epochs: as in `train`.
        X_train: (N, d) float64; y_train: (N,).
        X_test: (M, d) float64; y_test: (M,).

    Returns:
        {"theta": (d + 1,), "train_loss": (epochs,) the loss before each update,
         "test_loss": float, the test loss of the final theta}.
    """
    theta, train_loss = train(X_train, y_train, task, optimizer, lr, epochs)
    test_loss, _ = loss_and_grad(theta, X_test, y_test, task)
    return {"theta": theta, "train_loss": train_loss, "test_loss": test_loss}
