"""reference.saddle against the closed form, Newton's step and |H| from scipy's polar()."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import polar

from reference.saddle import saddle_free_newton_step


def random_symmetric(n: int, eigenvalues: np.ndarray, seed: int) -> np.ndarray:
    """Q diag(eigenvalues) Q^T with a random orthogonal Q."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return (q * eigenvalues) @ q.T


def test_seed_demo_newton_lands_on_the_saddle_and_sfn_escapes() -> None:
    point = np.array([0.3, 0.2])            # f = x**2 - y**2
    grad, H = np.array([0.6, -0.4]), np.diag([2.0, -2.0])
    np.testing.assert_allclose(point + np.linalg.solve(H, -grad), [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(point + saddle_free_newton_step(grad, H), [0.0, 0.4], atol=1e-15)


def test_equals_newton_for_positive_definite_hessian() -> None:
    H = random_symmetric(6, np.array([0.5, 1.0, 2.0, 3.0, 5.0, 9.0]), seed=0)
    g = np.random.default_rng(1).standard_normal(6)
    np.testing.assert_allclose(saddle_free_newton_step(g, H), np.linalg.solve(H, -g), rtol=1e-10)


@pytest.mark.parametrize("damping", [0.0, 0.3], ids=["undamped", "damped"])
@pytest.mark.parametrize("n", [2, 5, 12], ids=lambda n: f"n{n}")
def test_solves_abs_hessian_system_for_indefinite_hessian(n: int, damping: float) -> None:
    rng = np.random.default_rng(n)
    eig = rng.uniform(0.2, 3.0, n) * rng.choice([-1.0, 1.0], n)
    eig[0] = -abs(eig[0])                    # at least one negative direction
    H, g = random_symmetric(n, eig, seed=n + 100), rng.standard_normal(n)
    abs_h = polar(H)[1]                      # H = U P with P = (H^T H)^(1/2) = |H|
    step = saddle_free_newton_step(g, H, damping=damping)
    residual = (abs_h + damping * np.eye(n)) @ step + g
    np.testing.assert_allclose(residual, np.zeros(n), atol=1e-12 * np.linalg.cond(abs_h))
    assert g @ step < 0                      # always a descent direction, unlike Newton


def test_float32_inputs_stay_float32() -> None:
    H = random_symmetric(4, np.array([-2.0, -0.5, 1.0, 4.0]), seed=3)
    g = np.random.default_rng(3).standard_normal(4)
    step32 = saddle_free_newton_step(g.astype(np.float32), H.astype(np.float32))
    assert step32.dtype == np.float32
    np.testing.assert_allclose(step32, saddle_free_newton_step(g, H), rtol=1e-5, atol=1e-6)


def test_singular_hessian_without_damping_raises() -> None:
    with pytest.raises(ValueError, match="singular"):
        saddle_free_newton_step(np.array([1.0, 1.0]), np.diag([1.0, 0.0]))
    np.testing.assert_allclose(
        saddle_free_newton_step(np.array([1.0, 1.0]), np.diag([1.0, 0.0]), damping=0.5),
        [-1.0 / 1.5, -1.0 / 0.5], rtol=1e-15)
