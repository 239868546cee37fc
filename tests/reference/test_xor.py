"""reference.xor against torch.autograd (and central differences for the numpy path)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

from reference.gradcheck import numerical_gradient
from reference.xor import forward, loss_fn, manual_grads, xor_grads

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def make_params(hidden: int, seed: int, n: int = 6, shared: bool = True,
                dtype: Any = np.float64) -> dict[str, np.ndarray]:
    """Random inputs, targets and parameters of the 2-H-1 net (ba a scalar unless not shared)."""
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((n, 2)).astype(dtype),
        "y": rng.integers(0, 2, n).astype(dtype),
        "Wi": rng.standard_normal((2, hidden)).astype(dtype),
        "ba": np.array(rng.standard_normal() if shared else rng.standard_normal(hidden),
                       dtype=dtype),
        "Wo": rng.standard_normal(hidden).astype(dtype),
        "bo": np.array(rng.standard_normal(), dtype=dtype),
    }


def _torch_oracle(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """Loss, autograd gradients and predictions of Eq. (3) written with torch.sigmoid."""
    import torch

    t = {k: torch.tensor(v, requires_grad=k not in ("X", "y")) for k, v in p.items()}
    yhat = torch.sigmoid(torch.sigmoid(t["X"] @ t["Wi"] + t["ba"]) @ t["Wo"] + t["bo"])
    loss = 0.5 * ((yhat - t["y"]) ** 2).sum()
    loss.backward()
    grads = {k: t[k].grad.numpy() for k in ("Wi", "ba", "Wo", "bo")}
    return float(loss.detach()), grads, yhat.detach().numpy()


PARAM_NAMES = ("Wi", "ba", "Wo", "bo")
GRAD_FNS: list[Callable[..., dict[str, Any]]] = [manual_grads, xor_grads]


@pytest.mark.torch
@pytest.mark.parametrize("grad_fn", GRAD_FNS, ids=["manual_grads", "xor_grads"])
@pytest.mark.parametrize("as_tensor", [True, False], ids=["tensor", "numpy"])
@pytest.mark.parametrize("hidden", [2, 3, 8], ids=lambda h: f"H{h}")
def test_grads_forward_loss_match_autograd(hidden: int, as_tensor: bool,
                                          grad_fn: Callable[..., dict[str, Any]]) -> None:
    torch = pytest.importorskip("torch")
    p = make_params(hidden, seed=hidden)
    loss, expected, yhat = _torch_oracle(p)
    args = {k: torch.tensor(v, requires_grad=k not in ("X", "y")) if as_tensor else v
            for k, v in p.items()}
    got = grad_fn(args["X"], args["y"], args["Wi"], args["ba"], args["Wo"], args["bo"])
    out = forward(args["X"], args["Wi"], args["ba"], args["Wo"], args["bo"])
    for name in PARAM_NAMES:
        assert torch.is_tensor(got[name]) == as_tensor
        assert tuple(got[name].shape) == expected[name].shape  # "ba", "bo": ()
        np.testing.assert_allclose(np.asarray(got[name]), expected[name], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(out.detach() if as_tensor else out), yhat, rtol=1e-14)
    got_loss = loss_fn(out.detach() if as_tensor else out, args["y"])
    assert tuple(got_loss.shape) == ()
    np.testing.assert_allclose(float(got_loss), loss, rtol=1e-13)
    if as_tensor:
        assert all(got[name].grad_fn is None for name in PARAM_NAMES)


@pytest.mark.torch
def test_float32_grads_match_float32_autograd() -> None:
    torch = pytest.importorskip("torch")
    p = make_params(4, seed=11, dtype=np.float32)
    _, expected, _ = _torch_oracle(p)
    got = manual_grads(*(torch.tensor(p[k]) for k in ("X", "y", "Wi", "ba", "Wo", "bo")))
    for name in PARAM_NAMES:
        assert got[name].dtype == torch.float32
        np.testing.assert_allclose(got[name].numpy(), expected[name], rtol=0, atol=1e-6)


@pytest.mark.torch
def test_per_unit_bias_variant_matches_autograd() -> None:
    torch = pytest.importorskip("torch")
    p = make_params(5, seed=7, shared=False)
    _, expected, yhat = _torch_oracle(p)
    got = manual_grads(p["X"], p["y"], p["Wi"], p["ba"], p["Wo"], p["bo"],
                       shared_hidden_bias=False)
    assert got["ba"].shape == (5,)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12)
    out = forward(torch.tensor(p["X"]), p["Wi"], p["ba"], p["Wo"], p["bo"],
                  shared_hidden_bias=False)
    np.testing.assert_allclose(out.numpy(), yhat, rtol=1e-14)


def test_numpy_grads_match_central_differences() -> None:
    p = make_params(3, seed=5)

    def loss_at(name: str) -> Callable[[np.ndarray], float]:
        def f(value: np.ndarray) -> float:
            q = dict(p, **{name: value})
            return float(loss_fn(forward(q["X"], q["Wi"], q["ba"], q["Wo"], q["bo"]), q["y"]))
        return f

    got = manual_grads(p["X"], p["y"], p["Wi"], p["ba"], p["Wo"], p["bo"])
    for name in PARAM_NAMES:
        fd = numerical_gradient(loss_at(name), p[name], h=1e-6)
        np.testing.assert_allclose(got[name], fd, rtol=1e-7, atol=1e-9)


def test_hand_set_weights_solve_xor() -> None:
    Wi = np.array([[20.0, -20.0], [-20.0, 20.0]])
    yhat = forward(XOR_X, Wi, -10.0, np.array([20.0, 20.0]), -10.0)
    # Closed form: rows (0,0) and (1,1) give both hidden units sigma(-10), so yhat =
    # sigma(-10 + 40 sigma(-10)) (about 5.0e-5); rows (0,1) and (1,0) give
    # hidden units sigma(10) and sigma(-30).
    def sig(v: float) -> float:
        return 1.0 / (1.0 + math.exp(-v))

    low = sig(-10.0 + 40.0 * sig(-10.0))
    high = sig(20.0 * sig(10.0) + 20.0 * sig(-30.0) - 10.0)
    np.testing.assert_allclose(yhat, [low, high, high, low], rtol=1e-12)
    np.testing.assert_allclose(yhat, [5.0e-5, 0.99995, 0.99995, 5.0e-5], rtol=0.1)
    np.testing.assert_allclose(float(loss_fn(yhat, XOR_Y)), 4.1e-9, rtol=2e-2)
    assert ((yhat > 0.5) == XOR_Y.astype(bool)).all()


@pytest.mark.torch
def test_training_through_reference_forward_solves_xor() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    params = [torch.randn(2, 3, dtype=torch.float64), torch.zeros((), dtype=torch.float64),
              torch.randn(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64)]
    for q in params:
        q.requires_grad_(True)
    X, y = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    opt = torch.optim.SGD(params, lr=2.0)
    for _ in range(600):
        opt.zero_grad()
        loss = loss_fn(forward(X, *params), y)
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.05
    assert ((forward(X, *params) > 0.5).numpy() == XOR_Y.astype(bool)).all()


@pytest.mark.parametrize(("ba", "shared"), [(np.zeros(3), True), (np.zeros(()), False)],
                         ids=["vector-ba-shared", "scalar-ba-per-unit"])
def test_bias_shape_must_match_the_convention(ba: np.ndarray, shared: bool) -> None:
    p = make_params(3, seed=1)
    with pytest.raises(ValueError, match="ba"):
        forward(p["X"], p["Wi"], ba, p["Wo"], p["bo"], shared_hidden_bias=shared)
