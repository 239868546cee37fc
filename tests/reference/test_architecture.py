"""reference.architecture against torch.nn parameter counts and torch softmax/sigmoid (004 Q1)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.architecture import logistic_to_softmax2, mlp_param_count, softmax2_to_logistic

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

ATOL = {np.float64: 1e-15, np.float32: 1e-7}


def torch_param_count(sizes: list[int], bias: bool) -> int:
    layers = [torch.nn.Linear(n_in, n_out, bias=bias) for n_in, n_out in zip(sizes, sizes[1:])]
    return sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())


@pytest.mark.parametrize(
    ("sizes", "bias", "expected"),
    [
        ([20, 10, 10, 10, 10, 10, 1], True, 661),
        ([20, 10, 10, 10, 10, 1], True, 551),
        ([20, 10, 10, 10, 10, 10, 1], False, 610),
        ([20, 10, 10, 10, 10, 10, 2], True, 672),
    ],
    ids=["Q1d-five-hidden-661", "four-hidden-551", "no-bias-610", "two-outputs-672"],
)
def test_param_count_of_q1d_and_its_alternatives(sizes: list[int], bias: bool,
                                                  expected: int) -> None:
    assert mlp_param_count(sizes, bias) == expected == torch_param_count(sizes, bias)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_param_count_matches_torch_on_random_sizes(bias: bool) -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        sizes = [int(n) for n in rng.integers(1, 40, rng.integers(2, 8))]
        assert mlp_param_count(sizes, bias) == torch_param_count(sizes, bias)


def test_param_count_needs_two_sizes() -> None:
    with pytest.raises(ValueError, match="input and an output"):
        mlp_param_count([5])


def _t64(a: np.ndarray | float) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64))


# Both classifiers are evaluated in float64 (from the given, possibly float32, parameters), so a
# float32 test measures only the reference's own rounding.
def _softmax_first(Ws: np.ndarray, bs: np.ndarray, X: np.ndarray) -> np.ndarray:
    return torch.softmax(_t64(X) @ _t64(Ws).T + _t64(bs), dim=1)[:, 0].numpy()


def _sigmoid(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    return torch.sigmoid(_t64(X) @ _t64(w) + _t64(b)).numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_softmax2_to_logistic_gives_the_same_classifier(dtype: type) -> None:
    rng = np.random.default_rng(2)
    Ws, bs = rng.standard_normal((2, 4)).astype(dtype), rng.standard_normal(2).astype(dtype)
    X = rng.standard_normal((50, 4)).astype(dtype)
    w, b = softmax2_to_logistic(Ws, bs)
    assert w.shape == (4,) and w.dtype == dtype
    np.testing.assert_allclose(_sigmoid(w, b, X), _softmax_first(Ws, bs, X), rtol=0,
                               atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_logistic_to_softmax2_gives_the_same_classifier(dtype: type) -> None:
    rng = np.random.default_rng(3)
    w, b = rng.standard_normal(3).astype(dtype), float(rng.standard_normal())
    X = rng.standard_normal((50, 3)).astype(dtype)
    Ws, bs = logistic_to_softmax2(w, b)
    assert Ws.shape == (2, 3) and bs.shape == (2,) and Ws.dtype == bs.dtype == dtype
    np.testing.assert_allclose(_softmax_first(Ws, bs, X), _sigmoid(w, b, X), rtol=0,
                               atol=ATOL[dtype])


def test_the_seeds_substitution_gives_sigmoid_of_2z() -> None:
    """004 Q1e: w_s2 = -w_l, b_s2 = -b_l gives sigmoid(2z) = 0.9036699214 where sigmoid(z) =
    0.7538666021; the differences (w_l, b_l) give sigmoid(z)."""
    z = np.log(0.7538666021 / (1 - 0.7538666021))
    w, b, x = np.array([2.0, -1.0]), z - 0.5, np.array([[0.75, 1.0]])  # w.x + b = z
    seed_version = _softmax_first(np.stack([w, -w]), np.array([b, -b]), x)
    np.testing.assert_allclose(seed_version, 0.9036699214, atol=1e-10)
    np.testing.assert_allclose(_softmax_first(*logistic_to_softmax2(w, b), x), 0.7538666021,
                               atol=1e-10)
