"""reference.regularisers against torch.autograd, scipy minimisers and linear-solve closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from reference.gradcheck import numerical_gradient
from reference.regularisers import (
    block_soft_threshold,
    l2_equivalent_lambda,
    norm_grad,
    zero_is_strict_local_min,
)


def spd(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.torch
@pytest.mark.parametrize(("dtype", "rtol"), [("float64", 1e-12), ("float32", 1e-5)],
                         ids=["float64", "float32"])
def test_norm_grad_matches_autograd(dtype: str, rtol: float) -> None:
    torch = pytest.importorskip("torch")
    for n in (1, 4, 30):
        theta = np.random.default_rng(n).standard_normal(n).astype(dtype)
        t = torch.tensor(theta, requires_grad=True)
        torch.linalg.norm(t).backward()
        got = norm_grad(theta)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=rtol, atol=rtol * 1e-3)


def test_norm_grad_matches_central_differences_and_fails_at_zero() -> None:
    theta = np.random.default_rng(0).standard_normal(6)
    np.testing.assert_allclose(norm_grad(theta),
                               numerical_gradient(lambda v: float(np.linalg.norm(v)), theta),
                               rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="Theta = 0"):
        norm_grad(np.zeros(3))


@pytest.mark.parametrize(("ratio", "norm"), [(0.5, 0.0), (0.99, 0.0), (1.01, 0.01), (2.0, 1.0)],
                         ids=["0.5", "0.99", "1.01", "2"])
def test_block_soft_threshold_table_and_nelder_mead(ratio: float, norm: float) -> None:
    direction = np.array([0.6, -0.8, 0.0])
    a, lam = ratio * direction, 1.0
    got = block_soft_threshold(a, lam)
    np.testing.assert_allclose(np.linalg.norm(got), norm, rtol=0, atol=1e-12)

    def objective(t: np.ndarray) -> float:
        return 0.5 * float(np.sum((t - a) ** 2)) + lam * float(np.linalg.norm(t))

    res = minimize(objective, a + 0.3, method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000})
    np.testing.assert_allclose(got, res.x, rtol=0, atol=1e-6)
    assert objective(got) <= res.fun + 1e-12


def test_block_soft_threshold_is_stationary_when_nonzero() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, lam = rng.standard_normal(5) * 3, float(rng.uniform(0.1, 2.0))
        t = block_soft_threshold(a, lam)
        if np.linalg.norm(a) > lam:
            np.testing.assert_allclose(t - a + lam * norm_grad(t), 0.0, atol=1e-12)
        else:
            np.testing.assert_array_equal(t, 0.0)
            assert zero_is_strict_local_min(-a, lam) == (np.linalg.norm(a) < lam)


@pytest.mark.parametrize("seed", range(3), ids=lambda s: f"draw{s}")
def test_stationary_point_is_l2_stationary_with_lambda_prime(seed: int) -> None:
    # l(Theta) = 1/2 Theta^T A Theta - b^T Theta, with ||grad l(0)|| = ||b|| > lambda.
    n, lam = 4, 1.0
    A = spd(n, seed)
    b = np.random.default_rng(seed + 10).standard_normal(n)
    b *= 3.0 * lam / np.linalg.norm(b)
    assert not zero_is_strict_local_min(-b, lam)

    def obj(t: np.ndarray) -> float:
        return 0.5 * t @ A @ t - b @ t + lam * np.linalg.norm(t)

    def jac(t: np.ndarray) -> np.ndarray:
        return A @ t - b + lam * norm_grad(t)

    theta = minimize(obj, np.linalg.solve(A, b), jac=jac, method="BFGS",
                     options={"gtol": 1e-12}).x
    np.testing.assert_allclose(A @ theta - b, -lam * norm_grad(theta), atol=1e-8)  # (a)
    half = l2_equivalent_lambda(theta, lam, "half")     # l + (lambda'/2)||Theta||^2
    plain = l2_equivalent_lambda(theta, lam, "plain")   # l + lambda' ||Theta||^2
    np.testing.assert_allclose(np.linalg.solve(A + half * np.eye(n), b), theta, rtol=1e-7)
    np.testing.assert_allclose(np.linalg.solve(A + 2 * plain * np.eye(n), b), theta, rtol=1e-7)


def test_zero_is_the_minimiser_when_the_gradient_at_zero_is_small() -> None:
    A, lam = spd(3, 5), 2.0
    b = np.array([0.3, -0.9, 0.5])  # ||grad l(0)|| = ||b|| < lambda
    assert zero_is_strict_local_min(-b, lam)
    rng = np.random.default_rng(6)
    for _ in range(50):
        t = rng.standard_normal(3) * 10.0 ** rng.uniform(-6, 0)
        assert 0.5 * t @ A @ t - b @ t + lam * np.linalg.norm(t) > 0.0


def test_bad_convention_and_zero_theta_raise() -> None:
    with pytest.raises(ValueError, match="convention"):
        l2_equivalent_lambda(np.ones(2), 1.0, "quarter")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Theta = 0"):
        l2_equivalent_lambda(np.zeros(2), 1.0)
