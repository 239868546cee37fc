"""Seed 001, Ex 6.2: the 2-H-1 sigmoid network for XOR, its loss and hand-derived gradients.

The network of the sheet (Eq. 2, batched over N samples, a = pre-activation, z = sigma(a)):
    a = X @ Wi + ba      (N, H)   ba: ONE scalar shared by all hidden units, as the sheet says
    z = sigma(a)         (N, H)
    ao = z @ Wo + bo     (N,)
    yhat = sigma(ao)     (N,)
    L = 1/2 sum_n (yhat_n - y_n)**2                                       (Eq. 3)

Computation graph of Ex 6.2a for one sample (leaves x, Wi, ba, Wo, bo, y):
    a = Wi^T x + ba -> z = sigma(a) -> ao = Wo^T z + bo -> yhat = sigma(ao) -> d = yhat - y
    -> L = 1/2 d**2.

Every function accepts numpy arrays or torch tensors (the grader passes float64 tensors, scalars
as 0-d tensors); when any argument is a tensor the computation runs in torch and tensors come
back, otherwise numpy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.sigmoid import is_torch_tensor, sigmoid


def _coerce(*args: Any) -> list[Any]:
    """All arguments as tensors (if any is one; dtype of the first tensor) or as float arrays."""
    tensors = [a for a in args if is_torch_tensor(a)]
    if tensors:
        import torch

        dtype = tensors[0].dtype if tensors[0].is_floating_point() else torch.float64
        return [torch.as_tensor(a, dtype=dtype) for a in args]
    arrays = [np.asarray(a) for a in args]
    common = np.result_type(*[a.dtype for a in arrays], np.float32)
    return [a.astype(common, copy=False) for a in arrays]


def _check_bias(ba: Any, hidden: int, shared_hidden_bias: bool) -> None:
    """Raise ValueError when `ba` does not fit the bias convention."""
    size = int(ba.numel()) if is_torch_tensor(ba) else int(np.size(ba))
    if shared_hidden_bias and size != 1:
        raise ValueError(f"shared_hidden_bias=True needs a scalar ba, got shape {tuple(ba.shape)}")
    if not shared_hidden_bias and tuple(ba.shape) != (hidden,):
        raise ValueError(f"shared_hidden_bias=False needs ba of shape ({hidden},), "
                         f"got {tuple(ba.shape)}")


def _hidden_bias(ba: Any, shared: bool) -> Any:
    """The hidden bias ready to broadcast over (N, H): 0-d when shared, (H,) otherwise."""
    return ba.reshape(()) if shared else ba.reshape(-1)


def forward(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any, shared_hidden_bias: bool = True) -> Any:
    """yhat = sigma(sigma(X @ Wi + ba) @ Wo + bo), the network of Eq. (2) on a batch.

    Args:
        X: inputs, (N, 2) (any input width D works), float64 tensor or array.
        Wi: input-to-hidden weights, (2, H).
        ba: hidden bias, a scalar (0-d) shared by all hidden units; (H,) when
            shared_hidden_bias=False (the per-unit variant of nn.Linear).
        Wo: hidden-to-output weights, (H,).
        bo: output bias, a scalar (0-d).
        shared_hidden_bias: the sheet's convention (True) or one bias per hidden unit.

    Returns:
        yhat, (N,), a tensor if any input is one (differentiable), else a numpy array.
    """
    X, Wi, ba, Wo, bo = _coerce(X, Wi, ba, Wo, bo)
    _check_bias(ba, Wi.shape[1], shared_hidden_bias)
    z = sigmoid(X @ Wi + _hidden_bias(ba, shared_hidden_bias))
    return sigmoid(z @ Wo + bo.reshape(()))


def loss_fn(yhat: Any, y: Any) -> Any:
    """The loss of Eq. (3): 1/2 sum_n (yhat_n - y_n)**2.

    Args:
        yhat: predictions, (N,), tensor or array.
        y: targets in {0, 1}, (N,).

    Returns:
        The loss as a 0-d tensor (tensor inputs) or a numpy float64/float32 scalar.
    """
    yhat, y = _coerce(yhat, y)
    return 0.5 * ((yhat - y) ** 2).sum()


def manual_grads(
    X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any, shared_hidden_bias: bool = True
) -> dict[str, Any]:
    """The partial derivatives of Ex 6.2b, written out by the chain rule (no autograd).

    With delta_o[n] = (yhat_n - y_n) yhat_n (1 - yhat_n) and
    delta_a[n, j] = delta_o[n] Wo[j] z[n, j] (1 - z[n, j]):
        dL/dWo[j] = sum_n delta_o[n] z[n, j]         dL/dbo = sum_n delta_o[n]
        dL/dWi[k, j] = sum_n X[n, k] delta_a[n, j]   dL/dba = sum_n sum_j delta_a[n, j]
    (ba is shared, so its derivative sums over the hidden units too; per-unit: sum over n only).

    Args:
        X: (N, 2); y: (N,); Wi: (2, H); ba: scalar (or (H,)); Wo: (H,); bo: scalar.
            Tensors (float64, with or without requires_grad) or arrays.
        shared_hidden_bias: as in `forward`.

    Returns:
        {"Wi": (2, H), "ba": () (or (H,)), "Wo": (H,), "bo": ()}, tensors without grad history
        when the inputs are tensors, else numpy arrays.
    """
    X, y, Wi, ba, Wo, bo = _coerce(X, y, Wi, ba, Wo, bo)
    if is_torch_tensor(X):
        import torch

        with torch.no_grad():
            return _grads(X, y, Wi, ba, Wo, bo, shared_hidden_bias)
    return _grads(X, y, Wi, ba, Wo, bo, shared_hidden_bias)


def _grads(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any, shared: bool) -> dict[str, Any]:
    """The backward pass of `manual_grads` on already coerced inputs."""
    _check_bias(ba, Wi.shape[1], shared)
    z = sigmoid(X @ Wi + _hidden_bias(ba, shared))                          # (N, H)
    yhat = sigmoid(z @ Wo + bo.reshape(()))                                 # (N,)
    delta_o = (yhat - y) * yhat * (1 - yhat)                                # (N,)
    delta_a = delta_o.reshape(-1, 1) * Wo.reshape(1, -1) * z * (1 - z)      # (N, H)
    return {
        "Wi": X.T @ delta_a,
        "ba": delta_a.sum() if shared else delta_a.sum(0),
        "Wo": z.T @ delta_o,
        "bo": delta_o.sum(),
    }


def xor_forward(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """Alias of `forward` under the name used in docs/exercises.md (001 Ex 6.2b)."""
    return forward(X, Wi, ba, Wo, bo)


def xor_loss(X: Any, Y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """`xor_loss(X, Y, ...)` of docs/exercises.md: loss_fn(forward(X, Wi, ba, Wo, bo), Y)."""
    return loss_fn(forward(X, Wi, ba, Wo, bo), Y)


def xor_grads(X: Any, Y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    """Alias of `manual_grads` under the name used in docs/exercises.md."""
    return manual_grads(X, Y, Wi, ba, Wo, bo)
