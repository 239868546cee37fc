"""reference.adam against torch.optim.Adam / SGD and the closed forms of seed 000 Ex 4.3, 004 Q4."""

from __future__ import annotations

import numpy as np
import pytest

from reference.adam import Adam, adam_step, bias_corrected, gd_step, unrolled_m

torch = pytest.importorskip("torch")

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["f64", "f32"]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def torch_adam(params: list[np.ndarray], lr: float, betas: tuple[float, float], eps: float,
               t: int = 1, m: list[np.ndarray] | None = None, v: list[np.ndarray] | None = None
               ) -> tuple[list[torch.Tensor], torch.optim.Adam]:
    """The oracle: torch.optim.Adam on copies of `params`, or resumed at step t with m and v."""
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    opt = torch.optim.Adam(ps, lr=lr, betas=betas, eps=eps, amsgrad=False, weight_decay=0,
                           foreach=False)
    if m is not None and v is not None:
        for p, mi, vi in zip(ps, m, v):
            opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(mi),
                            "exp_avg_sq": torch.tensor(vi)}
    return ps, opt


def make_hyper(rng: np.random.Generator) -> dict[str, float]:
    """Random hyper-parameters as the grader draws them: eps log-uniform in [1e-8, 1e-1]."""
    return {"lr": 10 ** rng.uniform(-4, -1), "beta1": rng.uniform(0.5, 0.99),
            "beta2": rng.uniform(0.9, 0.9999), "eps": 10 ** rng.uniform(-8, -1)}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    ("shape", "t", "grad_scale"),
    [((5,), 1, 1.0), ((3, 4), 2, 1e-4), ((2, 3, 2), 17, 10.0), ((), 1000, 0.1), ((7,), 389, 3e-3)],
    ids=["vec-t1", "mat-t2-tiny-grads", "3d-t17-large-grads", "scalar-t1000", "vec-t389"],
)
def test_adam_step_matches_torch(shape: tuple[int, ...], t: int, grad_scale: float,
                                 dtype: type) -> None:
    rng = np.random.default_rng(t)
    hp = make_hyper(rng)
    theta, grad = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    grad = (grad_scale * grad).astype(dtype)
    m = (grad_scale * rng.standard_normal(shape)).astype(dtype)
    v = (grad_scale**2 * rng.chisquare(1, shape)).astype(dtype)
    before = [a.copy() for a in (theta, grad, m, v)]

    got = adam_step(theta, grad, m, v, t, **hp)

    (p,), opt = torch_adam([theta], hp["lr"], (hp["beta1"], hp["beta2"]), hp["eps"], t, [m], [v])
    p.grad = torch.tensor(grad)
    opt.step()
    state = opt.state[p]
    rtol = RTOL[dtype]
    for g, want in zip(got, [p.detach(), state["exp_avg"], state["exp_avg_sq"]]):
        want = want.numpy()
        assert g.shape == shape and g.dtype == dtype
        np.testing.assert_allclose(g, want, rtol=rtol, atol=rtol * np.abs(want).max())
    for a, b in zip((theta, grad, m, v), before):
        np.testing.assert_array_equal(a, b)  # inputs never modified


def _quadratic(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(0.1, 10, n)) @ Q.T, rng.standard_normal(n)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("eps", [1e-8, 0.0], ids=["eps1e-8", "eps0"])
def test_adam_step_chained_200_steps_matches_torch(eps: float, dtype: type) -> None:
    """f(theta) = 1/2 theta A theta - b theta; each side computes its own gradient."""
    rng = np.random.default_rng(2)
    A, b = (a.astype(dtype) for a in _quadratic(rng, 6))
    theta = rng.standard_normal(6).astype(dtype)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    (p,), opt = torch_adam([theta], 0.05, (0.9, 0.999), eps)
    At, bt = torch.tensor(A), torch.tensor(b)
    rtol = RTOL[dtype]
    for t in range(1, 201):
        theta, m, v = adam_step(theta, A @ theta - b, m, v, t, lr=0.05, eps=eps)
        opt.zero_grad()
        (0.5 * p @ At @ p - bt @ p).backward()
        opt.step()
        want = p.detach().numpy()
        np.testing.assert_allclose(theta, want, rtol=rtol, atol=rtol * np.abs(want).max())
    assert theta.dtype == dtype


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_adam_class_matches_torch_on_weights_and_biases(dtype: type) -> None:
    """A linear layer: per-parameter m, v; t starts at 1; 200 chained steps (still far from the
    optimum, so the gradients, m and v stay well above rounding noise)."""
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((20, 4)).astype(dtype), rng.standard_normal((20, 3)).astype(dtype)
    W, b = rng.standard_normal((3, 4)).astype(dtype), np.zeros(3, dtype=dtype)
    W_before = W.copy()
    opt = Adam([W, b], lr=0.002, betas=(0.8, 0.99), eps=1e-6)
    (Wt, bt), topt = torch_adam([W, b], 0.002, (0.8, 0.99), 1e-6)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    for _ in range(200):
        R = X @ opt.params[0].T + opt.params[1] - Y  # loss 1/2 sum R**2
        previous = opt
        opt = opt.step([R.T @ X, R.sum(axis=0)])
        topt.zero_grad()
        (0.5 * ((Xt @ Wt.T + bt - Yt) ** 2).sum()).backward()
        topt.step()
    assert previous.t == 199 and opt.t == 200
    rtol = RTOL[dtype]
    for ours, p in zip(opt.params, (Wt, bt)):
        want = p.detach().numpy()
        np.testing.assert_allclose(ours, want, rtol=10 * rtol, atol=10 * rtol * np.abs(want).max())
    for name, key in (("m", "exp_avg"), ("v", "exp_avg_sq")):
        for ours, p in zip(getattr(opt, name), (Wt, bt)):
            want = topt.state[p][key].numpy()
            np.testing.assert_allclose(ours, want, rtol=10 * rtol,
                                       atol=10 * rtol * np.abs(want).max())
    np.testing.assert_array_equal(W, W_before)  # the caller's array is never touched


def test_adam_rejects_a_zero_based_step() -> None:
    with pytest.raises(ValueError, match="1-based"):
        adam_step(np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), t=0)
    with pytest.raises(ValueError, match="gradients for"):
        Adam([np.ones(2)]).step([np.ones(2), np.ones(2)])


@pytest.mark.parametrize(
    ("t", "raw_m", "uncorrected_ratio"),
    [(1, 0.1, 3.16), (2, 0.19, 4.25), (5, 0.40951, 5.80), (10, 0.651322, None),
     (50, 0.994846, None)],
    ids=["t1", "t2", "t5", "t10", "t50"],
)
def test_constant_gradient_steps(t: int, raw_m: float, uncorrected_ratio: float | None) -> None:
    """g = 1 always: m_t = 1 - 0.9**t is biased, m_hat = g, and every step is exactly -lr."""
    theta, m, v = np.zeros(1), np.zeros(1), np.zeros(1)
    for step in range(1, t + 1):
        previous = theta
        theta, m, v = adam_step(theta, np.ones(1), m, v, step, lr=0.01, eps=0.0)
    np.testing.assert_allclose(theta - previous, -0.01, rtol=1e-12)
    np.testing.assert_allclose(m, raw_m, rtol=1e-6)
    np.testing.assert_allclose(bias_corrected(m, 0.9, t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(bias_corrected(v, 0.999, t), 1.0, rtol=1e-12)
    if uncorrected_ratio is not None:  # without the correction the step would be this many lr
        np.testing.assert_allclose(m / np.sqrt(v), uncorrected_ratio, rtol=5e-3)


@pytest.mark.parametrize("g", [2.0, -0.5, 1e-9], ids=["g2", "g-0.5", "g1e-9"])
def test_first_step_is_lr_times_g_over_g_plus_eps(g: float) -> None:
    theta, _, _ = adam_step(np.array([1.0]), np.array([g]), np.zeros(1), np.zeros(1), 1,
                            lr=0.1, eps=1e-8)
    np.testing.assert_allclose(theta - 1.0, -0.1 * np.sign(g) * abs(g) / (abs(g) + 1e-8),
                               rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gd_step_matches_torch_sgd(dtype: type) -> None:
    rng = np.random.default_rng(9)
    theta, grad = (rng.standard_normal((4, 3)).astype(dtype) for _ in range(2))
    before = theta.copy()
    p = torch.tensor(theta, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    p.grad = torch.tensor(grad)
    opt.step()
    got = gd_step(theta, grad, 0.3)
    np.testing.assert_allclose(got, p.detach().numpy(), rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_array_equal(theta, before)


@pytest.mark.torch
@pytest.mark.parametrize("t", [1, 8, 50], ids=lambda t: f"t{t}")
def test_unrolled_m_equals_the_recursion(t: int) -> None:
    """The oracle is torch.optim.Adam's exp_avg after the gradients g_1..g_t (004 Q4b)."""
    gs = np.random.default_rng(t).standard_normal(t)
    (p,), opt = torch_adam([np.zeros(())], 1e-3, (0.85, 0.999), 1e-8)
    for g in gs:
        p.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(unrolled_m(gs, 0.85), opt.state[p]["exp_avg"].item(),
                               rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    ("position", "expected"),
    [(7, 0.1), (0, 0.1 * 0.9**7), (5, 0.1 * 0.9**2)],
    ids=["g_t-weight-1-beta", "g_1-weight-beta^(t-1)", "g_6"],
)
def test_unrolled_m_index(position: int, expected: float) -> None:
    """A single non-zero gradient among g_1..g_8 gets weight (1 - beta) beta**(t - index)."""
    gs = np.zeros(8)
    gs[position] = 1.0
    np.testing.assert_allclose(unrolled_m(gs, 0.9), expected, rtol=1e-14)


def test_bias_correction_is_unbiased_monte_carlo() -> None:
    """E[g] = 0.7, T = 10: E[m_T] = (1 - 0.9**10) 0.7 = 0.45593 and E[m_hat_T] = 0.7 (5 SE)."""
    gs = np.random.default_rng(42).normal(0.7, 1.0, (20_000, 10))
    m_T = np.array([unrolled_m(row, 0.9) for row in gs])
    m_hat = bias_corrected(m_T, 0.9, 10)
    se_m, se_hat = m_T.std(ddof=1) / np.sqrt(len(m_T)), m_hat.std(ddof=1) / np.sqrt(len(m_T))
    assert abs(m_T.mean() - (1 - 0.9**10) * 0.7) <= 5 * se_m
    assert abs(m_hat.mean() - 0.7) <= 5 * se_hat
    assert abs(m_T.mean() - 0.7) > 5 * se_m  # the raw moment is visibly biased
