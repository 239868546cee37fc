"""Seed 000 Ex 4.1: a fully connected network, its backward pass, and vanishing/exploding gradients.

The lecture's notation: z_l = W_l @ x_{l-1} + b_l and x_l = act(z_l) for l = 1..L. With
delta_l = dE/dz_l the backward pass is

    delta_L = act'(z_L) * dE/dx_L
    delta_l = act'(z_l) * (W_{l+1}.T @ delta_{l+1})
    dE/dW_l = outer(delta_l, x_{l-1}),   dE/db_l = delta_l

so dE/dW_1 carries a product of L - 1 Jacobians diag(act'(z_l)) W_l.T: it shrinks geometrically
when max|act'| * ||W||_2 < 1 (sigmoid: act' <= 1/4) and grows geometrically when it is > 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference.sigmoid import sigmoid, sigmoid_prime

Activation = Callable[[np.ndarray], np.ndarray]


def _tanh_prime(z: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(z) ** 2


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_prime(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)  # 0 at the kink, as torch does


ACTIVATIONS: dict[str, tuple[Activation, Activation]] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (np.tanh, _tanh_prime),
    "relu": (_relu, _relu_prime),
}


def _activation(act: str) -> tuple[Activation, Activation]:
    if act not in ACTIVATIONS:
        raise ValueError(f"act must be one of {sorted(ACTIVATIONS)}, got {act!r}")
    return ACTIVATIONS[act]


def forward_mlp(
    Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], x: np.ndarray, act: str
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward pass z_l = W_l @ x_{l-1} + b_l, x_l = act(z_l), l = 1..L.

    Args:
        Ws: L matrices, Ws[l-1] of shape (n_l, n_{l-1}), float64 or float32.
        bs: L vectors, bs[l-1] of shape (n_l,), same dtype.
        x: the input x_0, shape (n_0,).
        act: "sigmoid", "tanh" or "relu", used in every layer (the output layer too).

    Returns:
        (xs, zs): xs = [x_0, x_1, ..., x_L] (L + 1 arrays, xs[l] of shape (n_l,)) and
        zs = [z_1, ..., z_L] (L arrays, zs[l-1] of shape (n_l,)); the cache of the backward pass.
    """
    f, _ = _activation(act)
    xs, zs = [np.asarray(x)], []
    for W, b in zip(Ws, bs, strict=True):
        zs.append(W @ xs[-1] + b)
        xs.append(f(zs[-1]))
    return xs, zs


def backprop_weight_grads(
    Ws: Sequence[np.ndarray],
    bs: Sequence[np.ndarray],
    x: np.ndarray,
    act: str,
    dE_dxL: np.ndarray,
) -> list[np.ndarray]:
    """Weight gradients dE/dW_l of any loss E, by the delta recursion of the module docstring.

    Args:
        Ws, bs, x, act: as in `forward_mlp` (float64 or float32).
        dE_dxL: the loss gradient at the output, dE/dx_L, shape (n_L,).

    Returns:
        [dE/dW_1, ..., dE/dW_L], the l-th of shape (n_l, n_{l-1}), the dtype of the inputs.
        (dE/db_l is delta_l itself.)
    """
    _, f_prime = _activation(act)
    xs, zs = forward_mlp(Ws, bs, x, act)
    grads = []
    delta = f_prime(zs[-1]) * dE_dxL
    for l in range(len(Ws) - 1, -1, -1):  # 0-based: Ws[l] is W_{l+1}, xs[l] is its input
        grads.append(np.outer(delta, xs[l]))
        if l > 0:
            delta = f_prime(zs[l - 1]) * (Ws[l].T @ delta)
    return grads[::-1]


def grad_norm_vs_depth(
    depths: Sequence[int], width: int, gain: float, act: str, seed: int
) -> np.ndarray:
    """||dE/dW_1||_F against depth L for E = 1/2 ||x_L||^2 (so dE/dx_L = x_L).

    For each L, one draw from np.random.default_rng(seed): first x_0 ~ N(0, I_width), then
    W_1, ..., W_L with entries N(0, gain**2 / width); biases are zero.

    Args:
        depths: the depths L >= 1 to try.
        width: the width of every layer, input included.
        gain: the standard deviation of the weights times sqrt(width).
        act: "sigmoid", "tanh" or "relu".
        seed: the seed of every draw.

    Returns:
        Shape (len(depths),) float64: the Frobenius norm of dE/dW_1 for each depth.
    """
    norms = np.empty(len(depths))
    for i, depth in enumerate(depths):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(width)
        Ws = [rng.normal(0.0, gain / np.sqrt(width), (width, width)) for _ in range(depth)]
        bs = [np.zeros(width) for _ in range(depth)]
        xs, _ = forward_mlp(Ws, bs, x, act)
        norms[i] = np.linalg.norm(backprop_weight_grads(Ws, bs, x, act, xs[-1])[0])
    return norms
