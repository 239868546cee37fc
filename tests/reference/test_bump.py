"""reference.bump against torch.optim.Adam, the step-by-step closed form and a bisection over h."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest

from reference.bump import adam_1d, adam_escape_height, gd_1d, ramp_bump_grad

H_MAX = 0.410184295
H_MAX_EPS = 0.410184281


@pytest.mark.parametrize(("theta", "kwargs", "expected"), [
    (0.0, {}, -1.0), (0.999, {}, -1.0), (1.0, {"h": 0.4}, 1.0), (1.39, {"h": 0.4}, 1.0),
    (1.4, {"h": 0.4}, -1.0), (50.0, {}, 1.0), (0.5, {"s": 2.5}, -2.5), (2.0, {"L": 2.5}, -1.0),
], ids=["start", "before-foot", "foot", "below-peak", "peak", "endless-bump", "steep-ramp",
        "shifted-foot"])
def test_ramp_bump_grad_pieces(theta: float, kwargs: dict[str, float], expected: float) -> None:
    assert ramp_bump_grad(theta, **kwargs) == expected


def test_gd_is_a_two_cycle_around_the_foot() -> None:
    traj = gd_1d(lambda th: ramp_bump_grad(th, h=0.31), 0.0, 0.3, 50)
    assert traj.shape == (51,)
    expected = np.concatenate([[0.0, 0.3, 0.6, 0.9], np.tile([1.2, 0.9], 24)[:47]])
    np.testing.assert_allclose(traj, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("theta0", [0.0, 0.05, 0.13, 0.27], ids=lambda t: f"start{t}")
def test_gd_is_stuck_for_every_phase_when_h_exceeds_lr(theta0: float) -> None:
    traj = gd_1d(lambda th: ramp_bump_grad(th, h=0.3 + 1e-9), theta0, 0.3, 500)
    assert traj.max() < 1.0 + 0.3 + 1e-9  # never past the peak
    assert abs(traj[-1] - 1.0) <= 0.3


def _torch_adam(grad_fn: Callable[[float], float], steps: int, lr: float,
                betas: tuple[float, float], eps: float, theta0: float = 0.0) -> np.ndarray:
    """The trajectory of torch.optim.Adam fed the same gradient function."""
    import torch

    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps)
    traj = [theta0]
    for _ in range(steps):
        p.grad = torch.tensor(grad_fn(float(p.detach())), dtype=torch.float64)
        opt.step()
        traj.append(float(p.detach()))
    return np.array(traj)


@pytest.mark.torch
@pytest.mark.parametrize(("h", "eps", "lr", "betas"), [
    (0.41, 0.0, 0.3, (0.9, 0.999)), (0.4102, 0.0, 0.3, (0.9, 0.999)),
    (math.inf, 0.0, 0.3, (0.9, 0.999)), (0.41, 1e-8, 0.3, (0.9, 0.999)),
    (0.2, 1e-3, 0.05, (0.8, 0.99)),
], ids=["escapes", "stuck", "endless-bump", "eps1e-8", "other-hypers"])
def test_adam_1d_matches_torch_adam(h: float, eps: float, lr: float,
                                    betas: tuple[float, float]) -> None:
    pytest.importorskip("torch")
    grad_fn = lambda th: ramp_bump_grad(th, h=h)  # noqa: E731
    expected = _torch_adam(grad_fn, 100, lr, betas, eps)
    got = adam_1d(grad_fn, 0.0, lr, betas[0], betas[1], eps, 100)  # positional, as graded
    assert got.shape == (101,)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.torch
def test_torch_adam_escapes_below_h_max_and_not_above() -> None:
    pytest.importorskip("torch")
    for h, escapes in ((0.41, True), (0.4102, False)):
        traj = _torch_adam(lambda th, h=h: ramp_bump_grad(th, h=h), 300, 0.3, (0.9, 0.999), 0.0)
        assert (traj[-1] > 1.0 + h) == escapes


@pytest.mark.torch
def test_adam_1d_matches_torch_adam_on_a_quadratic() -> None:
    pytest.importorskip("torch")
    grad_fn = lambda th: 3.0 * (th - 2.0)  # noqa: E731
    expected = _torch_adam(grad_fn, 200, 0.1, (0.9, 0.999), 1e-8, theta0=-1.0)
    np.testing.assert_allclose(adam_1d(grad_fn, -1.0, 0.1, 0.9, 0.999, 1e-8, 200), expected,
                               rtol=0, atol=1e-12)


def test_adam_with_zero_gradient_and_zero_eps_stays_put() -> None:
    np.testing.assert_array_equal(adam_1d(lambda th: 0.0, 0.7, steps=5), np.full(6, 0.7))


def test_h_max_default_and_with_eps() -> None:
    np.testing.assert_allclose(adam_escape_height(), H_MAX, rtol=0, atol=1e-9)
    np.testing.assert_allclose(adam_escape_height(eps=1e-8), H_MAX_EPS, rtol=0, atol=1e-9)


def test_h_max_matches_the_step_by_step_closed_form() -> None:
    # n = 4 ramp gradients (-1) then k bump gradients (+1): m = 1 - 2 b^k + b^(n+k), v_hat = 1,
    # each step is -lr m_hat; the 4th step lands 0.2 up the bump, then two more steps climb.
    b, lr, n = 0.9, 0.3, 4
    m_hat = [(1 - 2 * b**k + b ** (n + k)) / (1 - b ** (n + k)) for k in (1, 2, 3)]
    np.testing.assert_allclose(m_hat[:2], [-0.511611, -0.189003], atol=1e-6)
    assert m_hat[2] > 0  # Adam turns back at the third bump step
    closed = (n * lr - 1.0) - lr * m_hat[0] - lr * m_hat[1]
    np.testing.assert_allclose(adam_escape_height(), closed, rtol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 1e-8], ids=["eps0", "eps1e-8"])
def test_h_max_matches_bisection_on_the_full_simulation(eps: float) -> None:
    def escapes(h: float) -> bool:
        traj = adam_1d(lambda th: ramp_bump_grad(th, h=h), eps=eps, steps=200)
        return bool(traj[-1] > 1.0 + h)

    lo, hi = 0.3, 0.5
    assert escapes(lo) and not escapes(hi)
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if escapes(mid) else (lo, mid)
    np.testing.assert_allclose(adam_escape_height(eps=eps), lo, rtol=0, atol=1e-11)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"s": 0.25}, 0.200), ({"s": 0.5}, 0.263), ({"s": 2.0}, 0.658), ({"s": 4.0}, 0.991),
    ({"L": 0.5}, 0.179), ({"L": 1.05}, 0.360), ({"L": 1.1}, 0.310), ({"L": 1.2}, 0.568),
    ({"L": 2.0}, 0.459), ({"L": 5.0}, 0.708), ({"L": 100.0}, 0.930),
    ({"bias_correction": False}, 1.613),
], ids=["s0.25", "s0.5", "s2", "s4", "L0.5", "L1.05", "L1.1", "L1.2", "L2", "L5", "L100",
        "no-bias-correction"])
def test_sensitivity_of_h_max_to_the_unknown_shape(kwargs: dict[str, float],
                                                  expected: float) -> None:
    """The table of docs/exercises.md#002-ex-2-gradient-descent-and-adam-on-a-ramp-with-a-bump."""
    np.testing.assert_allclose(adam_escape_height(**kwargs), expected, rtol=0, atol=6e-4)
