"""reference.line_search against Brent (scipy.optimize.minimize_scalar) and torch hvp."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from reference.line_search import exact_line_search_step, hvp_complex_step


def quadratic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random SPD H (condition number <= 30), b, Theta for l = 1/2 Theta^T H Theta - b.Theta."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    H = (q * rng.uniform(0.3, 9.0, n)) @ q.T
    return 0.5 * (H + H.T), rng.standard_normal(n), rng.standard_normal(n)


@pytest.mark.parametrize("n", [5, 20, 50], ids=lambda n: f"n{n}")
def test_step_matches_brent_and_the_decrease_formula(n: int) -> None:
    H, b, theta = quadratic(n, seed=n)

    def loss(t: np.ndarray) -> float:
        return 0.5 * float(t @ H @ t) - float(b @ t)

    g = H @ theta - b
    lam = exact_line_search_step(g, H @ g)
    brent = minimize_scalar(lambda s: loss(theta - s * g), bracket=(0.0, 1.0),
                            options={"xtol": 1e-12}).x
    np.testing.assert_allclose(lam, brent, rtol=1e-7)
    decrease = -float(g @ g) ** 2 / (2.0 * float(g @ H @ g))
    np.testing.assert_allclose(loss(theta - lam * g) - loss(theta), decrease, rtol=1e-10)
    # the seed's expansion without the 1/2 would give half the step, and a smaller decrease
    assert loss(theta - 0.5 * lam * g) > loss(theta - lam * g)


def test_float32_step_within_1e_4() -> None:
    H, b, theta = quadratic(20, seed=3)
    g = H @ theta - b
    lam32 = exact_line_search_step(g.astype(np.float32), (H @ g).astype(np.float32))
    np.testing.assert_allclose(lam32, float(g @ g) / float(g @ H @ g), rtol=1e-4)


@pytest.mark.parametrize(("g", "Hg", "expected"), [
    ([1.0, 0.0], [-2.0, 0.0], np.inf), ([1.0, 1.0], [1.0, -1.0], np.inf),
    ([0.0, 0.0], [0.0, 0.0], 0.0), ([2.0, 0.0], [4.0, 0.0], 0.5),
], ids=["negative-curvature", "zero-curvature", "zero-gradient", "positive"])
def test_degenerate_curvature(g: list[float], Hg: list[float], expected: float) -> None:
    assert exact_line_search_step(np.array(g), np.array(Hg)) == expected


def test_complex_step_hvp_is_exact_for_a_quadratic() -> None:
    H, b, theta = quadratic(30, seed=4)
    v = np.random.default_rng(5).standard_normal(30)
    got = hvp_complex_step(lambda t: H @ t - b, theta, v)
    np.testing.assert_allclose(got, H @ v, rtol=1e-13, atol=1e-14 * np.abs(H @ v).max())


def _logcosh_problem(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((12, 6)), rng.standard_normal(12), rng.standard_normal(6),
            rng.standard_normal(6))


@pytest.mark.torch
def test_complex_step_hvp_matches_torch_hvp_on_a_logcosh_net() -> None:
    torch = pytest.importorskip("torch")
    X, y, theta, v = _logcosh_problem(6)

    def loss(t: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.cosh(torch.tensor(X) @ t - torch.tensor(y))).sum()

    _, expected = torch.autograd.functional.hvp(loss, torch.tensor(theta), torch.tensor(v))
    got = hvp_complex_step(lambda t: X.T @ np.tanh(X @ t - y), theta, v)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-14)


def test_complex_step_hvp_matches_differences_of_gradients() -> None:
    X, y, theta, v = _logcosh_problem(7)

    def grad(t: np.ndarray) -> np.ndarray:
        return X.T @ np.tanh(X @ t - y)

    h = 1e-6
    fd = (grad(theta + h * v) - grad(theta - h * v)) / (2 * h)
    np.testing.assert_allclose(hvp_complex_step(grad, theta, v), fd, rtol=1e-7, atol=1e-9)
