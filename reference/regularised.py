"""Seed 004 Q3a and Q3c: backprop through one sigmoid neuron with an L2 penalty, and one SGD step.

The graph (Grosse's CSC321 example): z = w x + b, y = sigmoid(z), L = 1/2 (y - t)**2,
R = 1/2 w**2, L_reg = L + lam R. Backwards, each line reuses the one above:

    dL_reg/dR = lam
    dL_reg/dy = y - t
    dL_reg/dz = dL_reg/dy * y (1 - y)
    dL_reg/dw = dL_reg/dz * x + dL_reg/dR * w
    dL_reg/dx = dL_reg/dz * w
    dL_reg/db = dL_reg/dz
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.sigmoid import sigmoid

Scalar = float | np.floating[Any]


def reg_backprop(w: Scalar, b: Scalar, x: Scalar, t: Scalar, lam: Scalar) -> dict[str, Scalar]:
    """Every partial derivative of L_reg = 1/2 (sigmoid(w x + b) - t)**2 + lam/2 w**2.

    Seed 004 Q3a writes dL_reg/dR = 1 (true only if R = lam w**2 / 2; with R = w**2 / 2 it is
    lam), garbles dL_reg/dy and labels a dL_reg/dy line as dL_reg/dz; its dw, dx, db are right.

    Args:
        w, b, x: the weight, bias and input, scalars (float, or numpy float64 / float32).
        t: the target.
        lam: the penalty strength lambda.

    Returns:
        {"dR", "dy", "dz", "dw", "dx", "db"}: the derivatives of L_reg with respect to R, y, z,
        w, x and b, scalars of the inputs' precision.
    """
    y = sigmoid(w * x + b)[()]
    dR = lam
    dy = y - t
    dz = dy * y * (1 - y)
    return {"dR": dR, "dy": dy, "dz": dz, "dw": dz * x + dR * w, "dx": dz * w, "db": dz}


def sgd_step_reg(
    w0: Scalar, b0: Scalar, x0: Scalar, t: Scalar, lam: Scalar, lr: float = 0.1
) -> tuple[Scalar, Scalar]:
    """One gradient-descent step on L_reg at the sample (x0, t).

    w1 = w0 - lr [(sigmoid(z0) - t) sigmoid'(z0) x0 + lam w0], b1 = b0 - lr (sigmoid(z0) - t)
    sigmoid'(z0), z0 = w0 x0 + b0. Seed 004 Q3c multiplies by "x" (it is x0) and calls t "the
    output of the network"; t is the target (were it the output, the data term would vanish).

    Args:
        w0, b0: the current weight and bias (float, or numpy float64 / float32).
        x0, t: the input and its target.
        lam: the penalty strength lambda.
        lr: the learning rate.

    Returns:
        (w1, b1), the parameters after the step.
    """
    grads = reg_backprop(w0, b0, x0, t, lam)
    return w0 - lr * grads["dw"], b0 - lr * grads["db"]
