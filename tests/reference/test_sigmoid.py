"""reference.sigmoid against sympy (exact derivative and series), torch.autograd and FD."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from reference.gradcheck import numerical_gradient
from reference.sigmoid import (
    first_order_prediction,
    sigmoid,
    sigmoid_prime,
    sigmoid_taylor,
    sigmoid_taylor_coeffs,
)

_X = sp.Symbol("x")
_SIGMA = 1 / (1 + sp.exp(-_X))


def _sympy_values(expr: sp.Expr, xs: np.ndarray) -> np.ndarray:
    """`expr` at each x, evaluated exactly at the float's rational value and rounded once."""
    return np.array([float(expr.subs(_X, sp.Rational(float(v))).evalf(40)) for v in xs])


def test_sigmoid_and_prime_match_sympy_at_high_precision() -> None:
    xs = np.random.default_rng(0).uniform(-30.0, 30.0, 40)
    np.testing.assert_allclose(sigmoid(xs), _sympy_values(_SIGMA, xs), rtol=1e-15, atol=0)
    # sigma - sigma**2 cancels for large x: the error is bounded by ~2 ulp of 1, not relatively.
    np.testing.assert_allclose(sigmoid_prime(xs), _sympy_values(sp.diff(_SIGMA, _X), xs),
                               rtol=0, atol=4.5e-16)


def test_sigmoid_prime_matches_central_differences() -> None:
    xs = np.random.default_rng(1).uniform(-8.0, 8.0, 50)
    fd = np.array([numerical_gradient(lambda v: float(sigmoid(v)), np.array(x), h=1e-5)
                   for x in xs])
    np.testing.assert_allclose(sigmoid_prime(xs), fd, rtol=0, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize(("dtype_name", "atol"), [("float64", 1e-15), ("float32", 1e-7)],
                         ids=["float64", "float32"])
def test_sigmoid_and_prime_match_torch_autograd(dtype_name: str, atol: float) -> None:
    torch = pytest.importorskip("torch")
    xs = np.random.default_rng(2).uniform(-30.0, 30.0, 200).astype(dtype_name)
    x = torch.tensor(xs, requires_grad=True)
    torch.sigmoid(x).sum().backward()
    np.testing.assert_allclose(sigmoid(xs), torch.sigmoid(x).detach().numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(sigmoid_prime(xs), x.grad.numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(sigmoid_prime(x.detach()).numpy(), x.grad.numpy(), rtol=0,
                               atol=atol)


@pytest.mark.torch
def test_autograd_through_torch_sigmoid_gives_the_derivative_including_at_zero() -> None:
    torch = pytest.importorskip("torch")
    x = torch.linspace(-20.0, 20.0, 81, dtype=torch.float64, requires_grad=True)
    sigmoid(x).sum().backward()
    e = np.exp(-np.abs(x.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), e / (1 + e) ** 2, rtol=1e-14, atol=0)
    assert float(x.grad[40]) == 0.25  # x = 0: a plain exp(-abs(x)) would give 0 here


@pytest.mark.parametrize("kind", ["numpy", pytest.param("torch", marks=pytest.mark.torch)],
                         ids=["numpy", "torch"])
@pytest.mark.parametrize("dtype_name", ["float64", "float32"], ids=["f64", "f32"])
def test_no_overflow_and_kind_dtype_shape_preserved(kind: str, dtype_name: str) -> None:
    xs = np.array([[-800.0, -40.0, 0.0], [0.5, 40.0, 800.0]], dtype=dtype_name)
    if kind == "torch":
        torch = pytest.importorskip("torch")
        x = torch.tensor(xs)
    else:
        x = xs
    for fn in (sigmoid, sigmoid_prime, sigmoid_taylor):
        out = fn(x)
        assert type(out) is type(x)
        assert out.shape == x.shape and out.dtype == x.dtype
    s = np.asarray(sigmoid(x))
    assert s[0, 0] == 0.0 and s[1, 2] == 1.0 and s[0, 2] == 0.5
    assert np.all(np.isfinite(np.asarray(sigmoid_prime(x))))


def test_taylor_coefficients_default_is_the_three_nonzero_terms() -> None:
    assert sigmoid_taylor_coeffs() == [(0, Fraction(1, 2)), (1, Fraction(1, 4)),
                                       (3, Fraction(-1, 48))]


@pytest.mark.parametrize("n_nonzero", [1, 2, 3, 6], ids=lambda n: f"{n}terms")
def test_taylor_coefficients_match_sympy_series(n_nonzero: int) -> None:
    order = 2 * n_nonzero + 1
    series = sp.series(_SIGMA, _X, 0, order).removeO()
    coeffs = sp.Poly(series, _X).all_coeffs()[::-1]
    expected = [(p, Fraction(int(c.p), int(c.q))) for p, c in enumerate(coeffs) if c != 0]
    assert sigmoid_taylor_coeffs(n_nonzero) == expected[:n_nonzero]


def test_taylor_polynomial_matches_sympy_polynomial() -> None:
    xs = np.random.default_rng(3).uniform(-1.0, 1.0, 30)
    poly = sp.series(_SIGMA, _X, 0, 4).removeO()
    np.testing.assert_allclose(sigmoid_taylor(xs), _sympy_values(poly, xs), rtol=1e-14, atol=0)


@pytest.mark.parametrize(("x", "error"), [(0.1, 2.1e-8), (0.5, 6.35e-5), (1.0, 1.89e-3),
                                          (2.0, 4.75e-2)], ids=["0.1", "0.5", "1", "2"])
def test_taylor_error_matches_the_documented_table(x: float, error: float) -> None:
    got = abs(float(sigmoid(np.array(x))) - float(sigmoid_taylor(np.array(x))))
    np.testing.assert_allclose(got, error, rtol=2e-2)


def test_first_order_prediction_on_quadratic_has_exact_second_order_gap() -> None:
    rng = np.random.default_rng(4)
    A, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))

    def f(w: np.ndarray) -> float:
        return 0.5 * float(np.sum((A @ w) ** 2))

    def grad(w: np.ndarray) -> np.ndarray:
        return A.T @ (A @ w)

    for eps in (0.1, 0.01):
        actual, predicted = first_order_prediction(f, grad, W, eps)
        # f(W - eps G) - f(W) = -eps ||G||^2 + eps^2/2 ||A G||^2 exactly for this quadratic.
        G = grad(W)
        np.testing.assert_allclose(predicted, -eps * np.trace(G.T @ G), rtol=1e-14)
        np.testing.assert_allclose(actual - predicted, 0.5 * eps**2 * np.sum((A @ G) ** 2),
                                   rtol=1e-9)
        assert actual < 0


def test_first_order_gap_shrinks_linearly_in_eps() -> None:
    rng = np.random.default_rng(5)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def f(w: np.ndarray) -> float:
        return float(np.sum(np.log(np.cosh(w @ x))) + np.sum(w**4))

    def grad(w: np.ndarray) -> np.ndarray:
        return np.outer(np.tanh(w @ x), x) + 4 * w**3

    gaps = []
    for eps in (1e-3, 1e-4, 1e-5):
        actual, predicted = first_order_prediction(f, grad, W, eps)
        gaps.append(abs(actual - predicted) / abs(predicted))
    np.testing.assert_allclose([gaps[0] / gaps[1], gaps[1] / gaps[2]], [10.0, 10.0], rtol=0.05)
