"""reference.regularised against torch autograd and torch.optim.SGD (seed 004 Q3a, Q3c)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.regularised import reg_backprop, sgd_step_reg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

EXAMPLE = {"w": 0.8, "b": -0.2, "x": 1.5, "t": 1.0, "lam": 0.1}  # 004 Q3 in docs/exercises.md
# float64: rtol 1e-12; float32: 1e-6 absolute (dw = dz x + lam w cancels: its relative error in
# float32 reaches ~2e-5 at the example, while every derivative is within 1e-6 absolutely).
TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-15}, np.float32: {"rtol": 0.0, "atol": 1e-6}}


def torch_derivatives(w: float, b: float, x: float, t: float, lam: float) -> dict[str, float]:
    """The oracle, in float64: autograd through z, y, L, R and L_reg = L + lam R."""
    w_, b_, x_ = (torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
                  for v in (w, b, x))
    z = w_ * x_ + b_
    y = torch.sigmoid(z)
    R = 0.5 * w_**2
    for node in (z, y, R):
        node.retain_grad()
    (0.5 * (y - float(t)) ** 2 + float(lam) * R).backward()
    grads = {"dR": R.grad, "dy": y.grad, "dz": z.grad, "dw": w_.grad, "dx": x_.grad, "db": b_.grad}
    return {k: float(g) for k, g in grads.items()}


def make_case(seed: int) -> dict[str, float]:
    """Random scalars with |z| = |w x + b| < 10."""
    rng = np.random.default_rng(seed)
    w, x = rng.uniform(-2.5, 2.5, 2)
    return {"w": w, "b": rng.uniform(-3, 3), "x": x, "t": rng.uniform(0, 1),
            "lam": 10 ** rng.uniform(-3, 0)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("seed", range(5))
def test_reg_backprop_matches_autograd(seed: int, dtype: type) -> None:
    case = {k: dtype(v) for k, v in make_case(seed).items()}
    got = reg_backprop(**case)
    want = torch_derivatives(**case)
    assert got.keys() == want.keys()
    for key in want:
        assert np.asarray(got[key]).dtype == dtype
        np.testing.assert_allclose(got[key], want[key], **TOL[dtype], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_reg_backprop_example_numbers(dtype: type) -> None:
    got = reg_backprop(**{k: dtype(v) for k, v in EXAMPLE.items()})
    tol = {"rtol": 0.0, "atol": 1e-12 if dtype == np.float64 else 1e-6}
    np.testing.assert_allclose(got["dw"], 0.000684360824, **tol)
    np.testing.assert_allclose(got["db"], -0.052877092784, **tol)
    np.testing.assert_allclose(got["dx"], -0.042301674227, **tol)
    np.testing.assert_allclose(got["dR"], 0.1, **tol)  # lam, not the seed's 1


def torch_sgd_step(w: float, b: float, x: float, t: float, lam: float, lr: float
                   ) -> tuple[float, float]:
    w_, b_ = (torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in (w, b))
    opt = torch.optim.SGD([w_, b_], lr=lr)
    loss = 0.5 * (torch.sigmoid(w_ * float(x) + b_) - float(t)) ** 2 + float(lam) * 0.5 * w_**2
    loss.backward()
    opt.step()
    return w_.item(), b_.item()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("seed", range(5))
def test_sgd_step_reg_matches_torch_sgd(seed: int, dtype: type) -> None:
    case = make_case(10 + seed)
    args = [dtype(case[k]) for k in ("w", "b", "x", "t", "lam")]
    w1, b1 = sgd_step_reg(*args, lr=0.3)
    want = torch_sgd_step(*args, lr=0.3)
    np.testing.assert_allclose([w1, b1], want, **TOL[dtype])


def test_sgd_step_reg_example_numbers() -> None:
    """(w0, b0, x0, t, lam) = (0.8, -0.2, 1.5, 1, 0.1), lr 0.1."""
    w1, b1 = sgd_step_reg(0.8, -0.2, 1.5, 1.0, 0.1)
    np.testing.assert_allclose([w1, b1], [0.799931563918, -0.194712290722], rtol=0, atol=1e-12)
    np.testing.assert_allclose([w1, b1], torch_sgd_step(0.8, -0.2, 1.5, 1.0, 0.1, lr=0.1),
                               rtol=1e-15)


def test_t_is_the_target_not_the_output() -> None:
    """Were t the network's output (the seed's reading), only the penalty would act:
    w1 = w0 (1 - lr lam) = 0.792, b1 = b0 = -0.2."""
    output = 1 / (1 + np.exp(-(0.8 * 1.5 - 0.2)))
    w1, b1 = sgd_step_reg(0.8, -0.2, 1.5, output, 0.1)
    np.testing.assert_allclose([w1, b1], [0.792, -0.2], rtol=1e-14)
