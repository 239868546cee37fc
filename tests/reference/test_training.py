"""reference.training against torch (loss, autograd, optimisers), lstsq and BFGS (Ex 4.3.2)."""

from __future__ import annotations

import numpy as np
import pytest

from reference.gradcheck import numerical_gradient
from reference.training import loss_and_grad, train, train_eval

TASKS = ["linreg", "logreg"]


def make_data(task: str, d: int = 2, n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Linear data with noise ("linreg") or Bernoulli labels of a logistic model ("logreg")."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    score = X @ np.linspace(1.5, -1.0, d) + 0.4
    if task == "linreg":
        return X, score + 0.3 * rng.standard_normal(n)
    return X, (rng.random(n) < 1 / (1 + np.exp(-score))).astype(np.float64)


def torch_train(X: np.ndarray, y: np.ndarray, task: str, optimizer: str, lr: float,
                epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """The oracle: the same full-batch loop with torch losses, autograd and torch.optim."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    theta = torch.zeros(X.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = (torch.optim.SGD([theta], lr=lr) if optimizer == "gd"
           else torch.optim.Adam([theta], lr=lr, foreach=False))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    losses = []
    for _ in range(epochs):
        z = Xt @ theta[:-1] + theta[-1]
        loss = (F.mse_loss(z, yt) if task == "linreg"
                else F.binary_cross_entropy_with_logits(z, yt))
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return theta.detach().numpy(), np.array(losses)


@pytest.mark.torch
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
@pytest.mark.parametrize(("task", "d"), [("linreg", 1), ("linreg", 2), ("logreg", 2)],
                         ids=["linreg1", "linreg2", "logreg"])
def test_train_matches_torch(task: str, d: int, optimizer: str) -> None:
    X, y = make_data(task, d)
    theta, losses = train(X, y, task, optimizer, lr=0.05, epochs=300)
    want_theta, want_losses = torch_train(X, y, task, optimizer, 0.05, 300)
    assert theta.shape == (d + 1,) and losses.shape == (300,)
    np.testing.assert_allclose(theta, want_theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)


@pytest.mark.parametrize("task", TASKS)
def test_first_loss_and_first_adam_step(task: str) -> None:
    """theta starts at 0: loss mean(y**2) or log 2; Adam's first step (t = 1) moves every
    coordinate by lr * |g| / (|g| + eps), against the gradient."""
    X, y = make_data(task)
    theta, losses = train(X, y, task, "adam", lr=0.01, epochs=1)
    np.testing.assert_allclose(losses[0], np.mean(y**2) if task == "linreg" else np.log(2),
                               rtol=1e-12)
    _, g = loss_and_grad(np.zeros(3), X, y, task)
    np.testing.assert_allclose(theta, -0.01 * np.sign(g) * np.abs(g) / (np.abs(g) + 1e-8),
                               rtol=1e-12)


@pytest.mark.parametrize("task", TASKS)
def test_gradient_matches_finite_differences(task: str) -> None:
    X, y = make_data(task, n=30, seed=3)
    theta = np.array([0.3, -0.8, 0.1])
    _, grad = loss_and_grad(theta, X, y, task)
    numeric = numerical_gradient(lambda th: loss_and_grad(th, X, y, task)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize("task", TASKS)
def test_loss_and_grad_match_autograd(task: str) -> None:
    torch = pytest.importorskip("torch")
    X, y = make_data(task, seed=4)
    theta = np.array([0.7, 2.0, -0.4])
    loss, grad = loss_and_grad(theta, X, y, task)
    th = torch.tensor(theta, requires_grad=True)
    z = torch.tensor(X) @ th[:-1] + th[-1]
    yt = torch.tensor(y)
    p = torch.sigmoid(z)
    want = (((z - yt) ** 2).mean() if task == "linreg"
            else -(yt * torch.log(p) + (1 - yt) * torch.log(1 - p)).mean())  # the sheet's formula
    want.backward()
    np.testing.assert_allclose(loss, want.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, th.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_stable_for_saturated_scores() -> None:
    """|z| = 800: log(1 + exp(z)) - y z without overflow (filterwarnings=error) or log(0)."""
    X, y = np.array([[1.0], [1.0]]), np.array([1.0, 0.0])
    loss, grad = loss_and_grad(np.array([800.0, 0.0]), X, y, "logreg")
    np.testing.assert_allclose(loss, 400.0, rtol=1e-15)  # the y = 0 sample costs z = 800
    np.testing.assert_allclose(grad, [0.5, 0.5], rtol=1e-15)


@pytest.mark.parametrize(("optimizer", "lr"), [("gd", 0.1), ("adam", 0.05)])
@pytest.mark.parametrize("d", [1, 2], ids=["1var", "2var"])
def test_linreg_converges_to_lstsq(d: int, optimizer: str, lr: float) -> None:
    X, y = make_data("linreg", d)
    theta, losses = train(X, y, "linreg", optimizer, lr, epochs=2000)
    A = np.hstack([X, np.ones((len(X), 1))])
    np.testing.assert_allclose(theta, np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-6, atol=1e-8)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize(("optimizer", "lr"), [("gd", 0.5), ("adam", 0.05)])
def test_logreg_converges_to_the_bfgs_optimum(optimizer: str, lr: float) -> None:
    scipy_optimize = pytest.importorskip("scipy.optimize")
    X, y = make_data("logreg")

    def bce(th: np.ndarray) -> float:  # an independent loss: the sheet's formula with log p
        p = 1 / (1 + np.exp(-(X @ th[:-1] + th[-1])))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    best = scipy_optimize.minimize(bce, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    theta, losses = train(X, y, "logreg", optimizer, lr, epochs=2000)
    np.testing.assert_allclose(theta, best.x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(losses[-1], best.fun, rtol=1e-6)


def test_train_eval_reports_the_test_loss_of_the_final_theta() -> None:
    X, y = make_data("linreg", d=2, n=300, seed=8)
    out = train_eval("linreg", "gd", 0.1, 2000, X[:200], y[:200], X[200:], y[200:])
    A_test = np.hstack([X[200:], np.ones((100, 1))])
    assert out["train_loss"].shape == (2000,)  # type: ignore[union-attr]
    np.testing.assert_allclose(out["test_loss"], np.mean((A_test @ out["theta"] - y[200:]) ** 2),
                               rtol=1e-12)
    assert out["test_loss"] > 0.5 * 0.3**2  # the noise floor: no fit gets below it


@pytest.mark.parametrize(("task", "optimizer"), [("ridge", "gd"), ("linreg", "sgd")])
def test_unknown_task_or_optimizer_is_rejected(task: str, optimizer: str) -> None:
    X, y = make_data("linreg")
    with pytest.raises(ValueError, match="must be"):
        train(X, y, task, optimizer, 0.1, 3)  # type: ignore[arg-type]
