"""reference.mlp against torch autograd and central differences (seed 000 Ex 4.1)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.gradcheck import numerical_gradient
from reference.mlp import backprop_weight_grads, forward_mlp, grad_norm_vs_depth

ACTS = ["sigmoid", "tanh", "relu"]
# float64: rtol 1e-10; float32: rtol 1e-4 (L <= 20). Both also get atol = rtol * max|grad|:
# a delta is a sum W^T delta, so a single entry may cancel down to rounding noise.
RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def make_network(
    rng: np.random.Generator, sizes: list[int], dtype: type = np.float64, gain: float = 1.5
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Random weights N(0, gain^2 / fan_in), biases N(0, 0.1^2) and input N(0, 1)."""
    pairs = zip(sizes, sizes[1:])
    Ws = [rng.normal(0, gain / np.sqrt(n_in), (n_out, n_in)) for n_in, n_out in pairs]
    bs = [rng.normal(0, 0.1, n_out) for n_out in sizes[1:]]
    x = rng.standard_normal(sizes[0])
    return [W.astype(dtype) for W in Ws], [b.astype(dtype) for b in bs], x.astype(dtype)


def torch_weight_grads(
    Ws: list[np.ndarray], bs: list[np.ndarray], x: np.ndarray, act: str, dE_dxL: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """The oracle: autograd in float64 of E = dE_dxL . x_L, so that dE/dx_L = dE_dxL."""
    torch = pytest.importorskip("torch")
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[act]
    Wt = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in Ws]
    h = torch.tensor(x, dtype=torch.float64)
    for W, b in zip(Wt, bs):
        h = f(W @ h + torch.tensor(b, dtype=torch.float64))
    (h @ torch.tensor(dE_dxL, dtype=torch.float64)).backward()
    return [W.grad.numpy() for W in Wt], h.detach().numpy()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("depth", [1, 2, 5, 12], ids=lambda d: f"L{d}")
@pytest.mark.parametrize("act", ACTS)
def test_backprop_matches_autograd(act: str, depth: int, dtype: type) -> None:
    rng = np.random.default_rng(100 * depth + ACTS.index(act))
    sizes = list(rng.integers(1, 9, depth + 1))
    Ws, bs, x = make_network(rng, sizes, dtype)
    dE_dxL = rng.standard_normal(sizes[-1]).astype(dtype)

    got = backprop_weight_grads(Ws, bs, x, act, dE_dxL)
    want, x_L = torch_weight_grads(Ws, bs, x, act, dE_dxL)

    rtol = RTOL[dtype]
    np.testing.assert_allclose(forward_mlp(Ws, bs, x, act)[0][-1], x_L, rtol=rtol, atol=rtol)
    assert len(got) == depth
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * np.abs(w).max())


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_backprop_matches_finite_differences(act: str) -> None:
    rng = np.random.default_rng(7)
    sizes = [3, 4, 2, 3]
    Ws, bs, x = make_network(rng, sizes)
    c = rng.standard_normal(sizes[-1])  # E = c . x_L

    got = backprop_weight_grads(Ws, bs, x, act, c)
    for layer in range(len(Ws)):

        def energy(W: np.ndarray, layer: int = layer) -> float:
            Ws_new = [W if i == layer else Wi for i, Wi in enumerate(Ws)]
            return float(c @ forward_mlp(Ws_new, bs, x, act)[0][-1])

        np.testing.assert_allclose(
            got[layer], numerical_gradient(energy, Ws[layer]), rtol=1e-7, atol=1e-9
        )


def test_forward_caches_every_layer() -> None:
    rng = np.random.default_rng(3)
    Ws, bs, x = make_network(rng, [4, 3, 2])
    xs, zs = forward_mlp(Ws, bs, x, "tanh")
    assert [a.shape for a in xs] == [(4,), (3,), (2,)] and [z.shape for z in zs] == [(3,), (2,)]
    np.testing.assert_allclose(xs[1], np.tanh(Ws[0] @ x + bs[0]), rtol=1e-15)
    np.testing.assert_allclose(zs[1], Ws[1] @ xs[1] + bs[1], rtol=1e-15)


def test_unknown_activation_is_rejected() -> None:
    Ws, bs, x = make_network(np.random.default_rng(0), [2, 2])
    with pytest.raises(ValueError, match="act must be one of"):
        backprop_weight_grads(Ws, bs, x, "softplus", np.ones(2))


@pytest.mark.torch
@pytest.mark.parametrize("act", ACTS)
def test_grad_norm_vs_depth_matches_autograd(act: str) -> None:
    depths, width, gain, seed = [1, 3, 8], 6, 1.3, 11
    got = grad_norm_vs_depth(depths, width, gain, act, seed)
    for depth, norm in zip(depths, got):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(width)
        Ws = [rng.normal(0.0, gain / np.sqrt(width), (width, width)) for _ in range(depth)]
        bs = [np.zeros(width)] * depth
        _, x_L = torch_weight_grads(Ws, bs, x, act, np.zeros(width))  # forward only
        grads, _ = torch_weight_grads(Ws, bs, x, act, x_L)  # E = 1/2 |x_L|^2: dE/dx_L = x_L
        np.testing.assert_allclose(norm, np.linalg.norm(grads[0]), rtol=1e-10)


@pytest.mark.parametrize(
    ("act", "gain", "slope_range"),
    [
        ("sigmoid", 1.0, (-1.0, -0.3)),  # vanishing: sigmoid' <= 1/4
        ("relu", 4.0, (0.3, 1.5)),  # exploding
        ("tanh", 1.0, (-0.1, 0.1)),  # roughly preserved
    ],
    ids=["sigmoid-vanishes", "relu-explodes", "tanh-preserved"],
)
def test_log_grad_norm_is_linear_in_depth(
    act: str, gain: float, slope_range: tuple[float, float]
) -> None:
    """log10 ||dE/dW_1|| against L = 2..40 (width 16, seed 0), as in
    docs/exercises.md#000-ex-41-vanishing-and-exploding-gradients."""
    depths = np.array([2, 5, 10, 20, 40])
    norms = grad_norm_vs_depth(depths, 16, gain, act, seed=0)
    assert np.all(np.isfinite(norms)) and np.all(norms > 0)
    slope = np.polyfit(depths, np.log10(norms), 1)[0]  # decades per layer
    assert slope_range[0] < slope < slope_range[1]
