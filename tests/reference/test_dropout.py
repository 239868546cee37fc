"""reference.dropout against autograd, finite differences and Monte Carlo (seed 004 Q6a)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.gradcheck import numerical_gradient

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from reference.dropout import gaussian_dropout_expected_grad, gaussian_dropout_mc_grad  # noqa: E402

N_MC = 100_000  # about 10 ms of torch per estimate; the standard errors are ~1e-3


def make_case(seed: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Random w, x (n = 5), target y_d and alpha in [0.1, 0.5]."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(5), rng.standard_normal(5), float(rng.standard_normal()),
            float(rng.uniform(0.1, 0.5)))


def ridge_loss(w: np.ndarray, x: np.ndarray, y_d: float, alpha: float) -> float:
    """J2 = 1/2 (y_d - w.x)**2 + alpha/2 sum_k w_k**2 x_k**2, whose gradient E[dJ1/dw] is."""
    return float(0.5 * (y_d - w @ x) ** 2 + 0.5 * alpha * np.sum(w**2 * x**2))


@pytest.mark.parametrize("seed", range(3))
def test_expected_grad_is_the_gradient_of_the_ridge_loss(seed: int) -> None:
    w, x, y_d, alpha = make_case(seed)
    got = gaussian_dropout_expected_grad(w, x, y_d, alpha)
    w_t = torch.tensor(w, requires_grad=True)
    x_t = torch.tensor(x)
    (0.5 * (y_d - w_t @ x_t) ** 2 + 0.5 * alpha * (w_t**2 * x_t**2).sum()).backward()
    np.testing.assert_allclose(got, w_t.grad.numpy(), rtol=1e-12, atol=1e-15)
    fd = numerical_gradient(lambda v: ridge_loss(v, x, y_d, alpha), w)
    np.testing.assert_allclose(got, fd, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_monte_carlo_agrees_with_the_closed_form_within_5_se(seed: int) -> None:
    w, x, y_d, alpha = make_case(seed)
    mean, stderr = gaussian_dropout_mc_grad(w, x, y_d, alpha, N_MC, seed=100 + seed)
    assert mean.shape == stderr.shape == (5,) and np.all(stderr > 0)
    assert np.all(np.abs(mean - gaussian_dropout_expected_grad(w, x, y_d, alpha)) <= 5 * stderr)


def _seed_formula(w: np.ndarray, x: np.ndarray, y_d: float, alpha: float) -> np.ndarray:
    """004 Q6a's final line with x fixed: -(y_d x_k - sum_k w_k x_k**2) + alpha w_k**2 x_k**2."""
    return -(y_d * x - np.sum(w * x**2)) + alpha * w**2 * x**2


def _no_noise_gradient(w: np.ndarray, x: np.ndarray, y_d: float, alpha: float) -> np.ndarray:
    """The stop-gradient reading: delta treated as a constant, no regulariser at all."""
    return -(y_d - w @ x) * x


@pytest.mark.parametrize("wrong", [_seed_formula, _no_noise_gradient],
                         ids=["seed-formula", "stop-gradient"])
def test_monte_carlo_rejects_the_wrong_formulas(wrong: object) -> None:
    """The 5-SE test has power: the wrong formulas (docs/exercises.md#004-q6-gaussian-dropout)
    lie far outside it."""
    w, x, y_d, alpha = make_case(0)
    mean, stderr = gaussian_dropout_mc_grad(w, x, y_d, alpha, N_MC, seed=7)
    assert np.max(np.abs(mean - wrong(w, x, y_d, alpha)) / stderr) > 5  # type: ignore[operator]


def test_without_noise_every_sample_is_the_plain_gradient() -> None:
    w, x, y_d, _ = make_case(4)
    mean, stderr = gaussian_dropout_mc_grad(w, x, y_d, 0.0, 10, seed=0)
    np.testing.assert_allclose(mean, -(y_d - w @ x) * x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(stderr, 0.0, atol=1e-15)


def test_monte_carlo_is_reproducible_and_leaves_inputs_alone() -> None:
    w, x, y_d, alpha = make_case(5)
    w_before = w.copy()
    first = gaussian_dropout_mc_grad(w, x, y_d, alpha, 1000, seed=3)
    again = gaussian_dropout_mc_grad(w, x, y_d, alpha, 1000, seed=3)
    other = gaussian_dropout_mc_grad(w, x, y_d, alpha, 1000, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    assert np.max(np.abs(first[0] - other[0])) > 0
    np.testing.assert_array_equal(w, w_before)
