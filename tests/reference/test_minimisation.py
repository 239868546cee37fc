"""reference.minimisation against loops, numpy/scipy linear algebra and an ODE solver (Ex 4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.minimisation import gram_sum, is_pd, ode_solution, quadratic_minimizer

scipy_linalg = pytest.importorskip("scipy.linalg")
scipy_integrate = pytest.importorskip("scipy.integrate")
scipy_optimize = pytest.importorskip("scipy.optimize")

EIG_FLOOR = {np.float64: 1e-12, np.float32: 1e-5}  # min eigenvalue >= -floor * ||M||


def make_spd(rng: np.random.Generator, eigenvalues: np.ndarray) -> np.ndarray:
    """Q diag(eigenvalues) Q^T with a random orthogonal Q: an SPD matrix of known spectrum."""
    Q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    M = Q @ np.diag(eigenvalues) @ Q.T
    return (M + M.T) / 2


def make_problem(seed: int, n: int = 4, cond: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    M = make_spd(rng, np.geomspace(1.0, cond, n))
    return M, rng.standard_normal(n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("N", "n"), [(2, 4), (6, 4), (50, 7)], ids=["N<n", "N>n", "tall"])
def test_gram_sum_is_the_sum_of_outer_products(N: int, n: int, dtype: type) -> None:
    X = np.random.default_rng(N * n).standard_normal((N, n)).astype(dtype)
    M = gram_sum(X)
    loop = sum(np.outer(xi.astype(np.float64), xi.astype(np.float64)) for xi in X)
    norm = np.linalg.norm(loop, 2)
    floor = EIG_FLOOR[dtype]
    assert M.shape == (n, n) and M.dtype == dtype
    np.testing.assert_allclose(M, loop, rtol=floor, atol=floor * norm)
    np.testing.assert_allclose(M, M.T, rtol=0, atol=floor * norm)
    assert np.linalg.eigvalsh(M.astype(np.float64)).min() >= -floor * norm


def _low_rank(rng: np.random.Generator, N: int, n: int, rank: int) -> np.ndarray:
    return rng.standard_normal((N, rank)) @ rng.standard_normal((rank, n))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(
    ("N", "n", "rank"),
    [(8, 4, 4), (30, 6, 6), (2, 4, 2), (6, 4, 3), (20, 5, 1)],
    ids=["full", "full-tall", "N<n", "N>=n-but-rank-3", "rank-1"],
)
def test_is_pd_agrees_with_the_rank_of_X(N: int, n: int, rank: int, dtype: type) -> None:
    X = _low_rank(np.random.default_rng(N + 10 * n + 100 * rank), N, n, rank).astype(dtype)
    assert is_pd(gram_sum(X)) == (np.linalg.matrix_rank(X) == n)
    assert is_pd(gram_sum(X)) == (rank == n)


def test_is_pd_sees_only_the_quadratic_form() -> None:
    A = np.array([[1.0, 5.0], [-5.0, 1.0]])  # v^T A v = |v|^2 > 0, but A is not symmetric
    assert is_pd(A)
    assert not is_pd(np.diag([1.0, -1e-3]))
    assert not is_pd(np.diag([1.0, 1e-3]), tol=1e-2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadratic_minimizer_matches_lstsq_and_the_gradient_identity(seed: int) -> None:
    M, m = make_problem(seed)
    c = 0.7
    x_min, f_min = quadratic_minimizer(M, m, c)
    kappa = np.linalg.cond(M)
    tol = 1e-10 * kappa
    np.testing.assert_allclose(x_min, scipy_linalg.lstsq(M, -m)[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(M @ x_min + m, 0.0, atol=tol * np.linalg.norm(m))  # grad f = 0
    f_direct = 0.5 * x_min @ M @ x_min + m @ x_min + c
    np.testing.assert_allclose(f_min, f_direct, rtol=tol)
    assert isinstance(f_min, float)


def test_quadratic_minimizer_matches_scipy_minimize() -> None:
    M, m = make_problem(5)
    c = -0.3

    def f(x: np.ndarray) -> float:
        return float(0.5 * x @ M @ x + m @ x + c)

    res = scipy_optimize.minimize(f, np.zeros(4), jac=lambda x: M @ x + m, method="BFGS",
                                  options={"gtol": 1e-12})
    x_min, f_min = quadratic_minimizer(M, m, c)
    np.testing.assert_allclose(x_min, res.x, rtol=1e-6, atol=1e-8)  # BFGS's accuracy, not ours
    np.testing.assert_allclose(f_min, res.fun, rtol=1e-10)
    rng = np.random.default_rng(6)  # a strict minimum: any move increases f
    assert all(f(x_min + 1e-3 * d) > f_min for d in rng.standard_normal((20, 4)))


def test_quadratic_minimizer_float32() -> None:
    M, m = make_problem(7, cond=100.0)
    x32, f32 = quadratic_minimizer(M.astype(np.float32), m.astype(np.float32), 1.5)
    x_oracle = scipy_linalg.lstsq(M, -m)[0]
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, x_oracle, rtol=1e-4, atol=1e-4 * np.abs(x_oracle).max())
    np.testing.assert_allclose(f32, 1.5 + 0.5 * m @ x_oracle, rtol=1e-4)


@pytest.mark.parametrize("t", [0.1, 1.0, 5.0, 20.0], ids=lambda t: f"t={t}")
def test_ode_solution_matches_expm_and_solve_ivp(t: float) -> None:
    M, m = make_problem(10, n=5, cond=10.0)
    x0 = np.random.default_rng(11).normal(0, 5, 5)
    x_min = scipy_linalg.lstsq(M, -m)[0]
    got = ode_solution(M, m, x0, t)

    by_expm = x_min + scipy_linalg.expm(-M * t) @ (x0 - x_min)
    np.testing.assert_allclose(got, by_expm, rtol=1e-10, atol=1e-10 * np.linalg.norm(x0))
    ivp = scipy_integrate.solve_ivp(lambda _, x: -M @ x - m, (0.0, t), x0, method="DOP853",
                                    rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, ivp.y[:, -1], rtol=1e-8, atol=1e-9)
    lam_min = np.linalg.eigvalsh(M)[0]  # the Lyapunov bound of (c)
    assert np.linalg.norm(got - x_min) <= np.exp(-lam_min * t) * np.linalg.norm(x0 - x_min)


def test_ode_solution_solves_the_corrected_equation() -> None:
    """x(0) = x0 and x' = -M x - m (central difference in t); the seed's "+m" reading fails."""
    M, m = make_problem(12, n=3, cond=5.0)
    x0 = np.array([3.0, -1.0, 2.0])
    np.testing.assert_allclose(ode_solution(M, m, x0, 0.0), x0, rtol=1e-13, atol=1e-13)
    t, h = 0.8, 1e-5
    x_dot = (ode_solution(M, m, x0, t + h) - ode_solution(M, m, x0, t - h)) / (2 * h)
    x_t = ode_solution(M, m, x0, t)
    np.testing.assert_allclose(x_dot, -M @ x_t - m, rtol=1e-8, atol=1e-8)
    assert np.linalg.norm(x_dot - (-M @ x_t + m)) > 1e-2
