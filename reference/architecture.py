"""Seed 004 Q1d and Q1e: counting parameters, and two-class softmax against logistic regression.

Q1d: a fully connected layer n_in -> n_out has n_in * n_out weights and n_out biases. For
[20, 10, 10, 10, 10, 10, 1] (five hidden layers of 10) that is 21*10 + 4*11*10 + 11*1 = 661.

Q1e: softmax([z1, z2])[0] = 1 / (1 + exp(z2 - z1)) = sigmoid(z1 - z2). Softmax is unchanged when
a common vector is added to both rows, so only the differences Ws[0] - Ws[1], bs[0] - bs[1]
matter: the two-neuron softmax describes exactly the logistic classifiers, and its extra
parameters are redundant (not identifiable), adding no capacity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mlp_param_count(sizes: Sequence[int], bias: bool = True) -> int:
    """The number of trainable parameters of a chain of fully connected layers.

    Args:
        sizes: the layer widths [n_0 (input), n_1, ..., n_L (output)], at least two.
        bias: whether every layer has a bias vector.

    Returns:
        sum over l of n_{l-1} * n_l (+ n_l with biases); 661 for [20, 10, 10, 10, 10, 10, 1].
    """
    if len(sizes) < 2:
        raise ValueError(f"need an input and an output size, got {list(sizes)}")
    return sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in zip(sizes, sizes[1:]))


def softmax2_to_logistic(Ws: np.ndarray, bs: np.ndarray) -> tuple[np.ndarray, float]:
    """The logistic regression (w, b) whose sigmoid(w.x + b) is the softmax's first output.

    Args:
        Ws: (2, d) float64 or float32, the rows w_s1, w_s2.
        bs: (2,), the biases b_s1, b_s2.

    Returns:
        (w, b) = (Ws[0] - Ws[1], bs[0] - bs[1]); w of shape (d,), b a float.
    """
    return Ws[0] - Ws[1], float(bs[0] - bs[1])


def logistic_to_softmax2(w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    """A two-neuron softmax whose first output equals sigmoid(w.x + b) for every x.

    Seed 004 Q1e chooses w_s2 = -w_l, b_s2 = -b_l; that gives softmax(...)[0] = sigmoid(2 z),
    not sigmoid(z). What is needed is w_s1 - w_s2 = w_l and b_s1 - b_s2 = b_l; here (w_l, 0) and
    (b_l, 0).

    Args:
        w: (d,) float64 or float32.
        b: the bias, a float.

    Returns:
        (Ws, bs): Ws of shape (2, d) with rows (w, 0); bs of shape (2,) equal to (b, 0); the dtype
        of `w`.
    """
    w = np.asarray(w)
    return np.stack([w, np.zeros_like(w)]), np.array([b, 0.0], dtype=w.dtype)
