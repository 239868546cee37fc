"""reference.quadratic against torch autograd, matrix powers and the closed forms (seed 004 Q5)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.quadratic import gd_closed_form, gd_quadratic, max_stable_lr, newton_quadratic

SPECTRUM = np.array([0.1, 0.5, 1.0, 2.0, 3.0, 5.0])  # lambda_max = 5 (004 Q5 in docs/exercises.md)
RTOL = {np.float64: 1e-12, np.float32: 1e-4}


def make_H(eigenvalues: np.ndarray = SPECTRUM, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """H = Q diag(eigenvalues) Q^T with a random orthogonal Q; returns (H, Q)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    H = Q @ np.diag(eigenvalues) @ Q.T
    return (H + H.T) / 2, Q


def equal_mix_start(Q: np.ndarray) -> np.ndarray:
    """w0 with the same |component| 1 along every eigenvector (signs alternate)."""
    return Q @ np.where(np.arange(Q.shape[0]) % 2 == 0, 1.0, -1.0)


@pytest.mark.torch
@pytest.mark.parametrize("half", [False, True], ids=["wHw", "half-wHw"])
def test_one_gd_step_uses_the_autograd_gradient(half: bool) -> None:
    torch = pytest.importorskip("torch")
    H, _ = make_H(seed=1)
    w0 = np.random.default_rng(2).standard_normal(6)
    w = torch.tensor(w0, requires_grad=True)
    ((0.5 if half else 1.0) * (w @ torch.tensor(H) @ w)).backward()
    got = gd_quadratic(H, w0, 0.07, 1, half=half)
    assert got.shape == (2, 6)
    np.testing.assert_allclose(got[0], w0, rtol=0, atol=0)
    np.testing.assert_allclose(got[1], w0 - 0.07 * w.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("half", [False, True], ids=["wHw", "half-wHw"])
def test_iteration_and_closed_form_match_the_matrix_power(half: bool, dtype: type) -> None:
    """Q5b: w_t = Q (I - 2 eps Lambda)^t Q^T w0 = (I - 2 eps H)^t w0 for t = 0..60."""
    H, _ = make_H(seed=3)
    w0 = np.random.default_rng(4).standard_normal(6)
    lr = 0.15
    c = 1.0 if half else 2.0
    ws = gd_quadratic(H.astype(dtype), w0.astype(dtype), lr, 60, half=half)
    assert ws.dtype == dtype
    rtol = RTOL[dtype]
    for t in (0, 1, 7, 60):
        want = np.linalg.matrix_power(np.eye(6) - c * lr * H, t) @ w0
        atol = rtol * np.linalg.norm(w0)
        np.testing.assert_allclose(ws[t], want, rtol=rtol, atol=atol)
        closed = gd_closed_form(H.astype(dtype), w0.astype(dtype), lr, t, half=half)
        np.testing.assert_allclose(closed, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("half", [False, True], ids=["wHw", "half-wHw"])
def test_max_stable_lr(half: bool) -> None:
    H, _ = make_H(seed=5)
    np.testing.assert_allclose(max_stable_lr(H, half=half), (2.0 if half else 1.0) / 5.0,
                               rtol=1e-12)
    assert isinstance(max_stable_lr(H), float)


# lr as a multiple of 1 / lambda_max, 200 steps (004 Q5 in docs/exercises.md).
STABILITY = [
    (False, 0.99, "converges"), (False, 1.00, "oscillates"), (False, 1.01, "diverges"),
    (False, 1.5, "diverges"), (False, 1.99, "diverges"), (False, 2.01, "diverges"),
    (True, 0.99, "converges"), (True, 1.00, "converges"), (True, 1.01, "converges"),
    (True, 1.5, "converges"), (True, 1.99, "converges"), (True, 2.01, "diverges"),
]


@pytest.mark.parametrize(
    ("half", "multiple", "outcome"), STABILITY,
    ids=[f"{'half-' if h else ''}wHw-{m}x-{o}" for h, m, o in STABILITY],
)
def test_gd_stability_table(half: bool, multiple: float, outcome: str) -> None:
    H, Q = make_H(seed=6)
    w0 = equal_mix_start(Q)
    ws = gd_quadratic(H, w0, multiple / SPECTRUM.max(), 200, half=half)
    ratio = np.linalg.norm(ws[200]) / np.linalg.norm(w0)
    if outcome == "converges":
        assert ratio < 0.2 and np.linalg.norm(ws[200]) < np.linalg.norm(ws[100])
    elif outcome == "diverges":
        assert ratio > 1.0 and np.linalg.norm(ws[200]) > np.linalg.norm(ws[100])
    else:  # the lambda_max component flips sign and keeps its size: no convergence
        np.testing.assert_allclose(abs(Q[:, -1] @ ws[200]), 1.0, rtol=1e-10)
        assert ratio > 0.3


@pytest.mark.parametrize("half", [False, True], ids=["wHw", "half-wHw"])
@pytest.mark.parametrize(("multiple", "converges"), [(0.99, True), (1.01, False)],
                         ids=["0.99x-bound", "1.01x-bound"])
def test_the_bound_separates_convergence_from_divergence(
    multiple: float, converges: bool, half: bool
) -> None:
    """What the grader does with a student's bound: run GD at 0.99x and 1.01x of it."""
    H, Q = make_H(np.array([0.3, 0.7, 1.1, 4.0]), seed=7)
    w0 = equal_mix_start(Q)
    ws = gd_quadratic(H, w0, multiple * max_stable_lr(H, half=half), 400, half=half)
    grows = np.linalg.norm(ws[400]) > np.linalg.norm(w0)
    assert grows != converges


def test_best_constant_step_rate() -> None:
    """eps* = 1/(lambda_min + lambda_max) = 0.196078 shrinks both extreme eigen-directions by
    (kappa - 1)/(kappa + 1) = 0.960784, with opposite signs."""
    H, Q = make_H(seed=8)
    eps_star = 1 / (SPECTRUM.min() + SPECTRUM.max())
    np.testing.assert_allclose(eps_star, 0.196078, atol=5e-7)
    for column, factor in ((0, 0.960784), (-1, -0.960784)):
        w1 = gd_quadratic(H, Q[:, column], eps_star, 1)[1]
        np.testing.assert_allclose(w1, factor * Q[:, column], rtol=1e-6, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("eta", [0.5, 1.0, 1.7])
def test_newton_step_uses_the_autograd_hessian(eta: float) -> None:
    """The Hessian of w^T H w is 2H (torch.autograd.functional.hessian); the step is
    w - eta hess^-1 grad."""
    torch = pytest.importorskip("torch")
    H, _ = make_H(seed=9)
    w0 = np.random.default_rng(10).standard_normal(6)
    Ht = torch.tensor(H)
    hess = torch.autograd.functional.hessian(lambda w: w @ Ht @ w, torch.tensor(w0)).numpy()
    np.testing.assert_allclose(hess, 2 * H, rtol=1e-14, atol=1e-15)
    grad = 2 * H @ w0
    np.testing.assert_allclose(newton_quadratic(H, w0, eta, 1)[1],
                               w0 - eta * np.linalg.inv(hess) @ grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("eta", [0.5, 1.0, 1.5, 1.99, 2.0, 2.5], ids=lambda e: f"eta{e}")
def test_newton_scales_by_one_minus_eta(eta: float) -> None:
    """||w_50|| = |1 - eta|**50 ||w0||: 0 for eta = 1, converging iff 0 < eta < 2."""
    H, _ = make_H(np.geomspace(1e-3, 1e3, 6), seed=11)  # kappa = 1e6: Newton does not care
    kappa = 1e6
    w0 = np.random.default_rng(12).standard_normal(6)
    ws = newton_quadratic(H, w0, eta, 50)
    atol = 1e-12 * kappa * np.linalg.norm(w0)
    np.testing.assert_allclose(np.linalg.norm(ws[50]), abs(1 - eta) ** 50 * np.linalg.norm(w0),
                               rtol=1e-8, atol=atol)
    np.testing.assert_allclose(ws[1], (1 - eta) * w0, rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_newton_with_eta_1_lands_on_the_minimum_in_one_step(dtype: type) -> None:
    H, _ = make_H(np.geomspace(0.01, 10.0, 5), seed=13)
    w0 = np.random.default_rng(14).standard_normal(5)
    ws = newton_quadratic(H.astype(dtype), w0.astype(dtype), 1.0, 1)
    kappa = np.linalg.cond(H)
    tol = 1e-12 * kappa if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ws[1], 0.0, atol=tol * np.linalg.norm(w0))
