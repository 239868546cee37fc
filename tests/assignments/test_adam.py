"""The `adam` assignment: probe generators, rubric, classic mistakes, reference notebook."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from probing import Rubrics, cases, caught, probe_function

from grader.assignments import adam as gen
from grader.assignments import adam_compare
from grader.compare import compare_values
from reference.adam import adam_step as ref_adam_step
from reference.adam import gd_step as ref_gd_step
from reference.training import loss_and_grad as ref_loss_and_grad
from reference.training import train as ref_train

from .support import assert_generator_contract, assert_release_conventions

CALL_CHECKS = ("adam_step", "adam_chain", "gd_step", "train_linreg", "train_logreg")
SEEDS = range(4)


# ----------------------------------------------------------------------------- rubric
def test_rubric_has_the_fixed_checks_and_five_points(rubrics: Rubrics) -> None:
    r = rubrics["adam"]
    assert [c.id for c in r.checks] == [*CALL_CHECKS, "figure"]
    assert r.max_score == 5.0
    assert r.zero_error and r.team is not None and r.team.placeholder == "YOUR ANSWER HERE"
    chain = rubrics.check("adam", "adam_chain")
    assert chain.driver == "optimizer_chain" and chain.symbol == "adam_step"


@pytest.mark.parametrize(("name", "group"), [
    ("adam_regression_classification_solved_group_01.ipynb", "01"),
    ("adam_regression_classification_solved_group_99.ipynb", "99"),
    ("adam_regression_classification_solved_group_00.ipynb", None),
    ("adam_regression_classification_solved_group_7.ipynb", None),
    ("adam_regression_classification_solved_group_100.ipynb", None),
    ("Adam_regression_classification_solved_group_01.ipynb", None),
])
def test_file_name_pattern(rubrics: Rubrics, name: str, group: str | None) -> None:
    import re

    match = re.fullmatch(rubrics["adam"].pattern, name)
    assert (match and match.group("group")) == group


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("check_id", CALL_CHECKS)
def test_generator_contract(rubrics: Rubrics, check_id: str) -> None:
    assert_generator_contract(rubrics.check("adam", check_id))


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_step_cases_cover_the_promised_ranges(rubrics: Rubrics, seed: int) -> None:
    found = cases(rubrics.check("adam", "adam_step"), seed)
    ts = [c.args[4] for c in found]
    assert {1, 2} <= set(ts) and all(1 <= t <= 1000 for t in ts) and max(ts) >= 20
    assert {1, 2} <= {c.args[0].ndim for c in found}
    for case in found:
        theta, grad, m, v, t, lr, beta1, beta2, eps = case.args   # hyper-parameters positional
        assert theta.shape == grad.shape == m.shape == v.shape and not case.kwargs
        assert 1e-8 <= eps <= 1e-1 and 0 < lr <= 0.1
        assert 0 < beta1 < 1 and 0 < beta2 < 1
        assert 1e-6 <= np.max(np.abs(grad)) <= 60  # scale in [1e-4, 10] times N(0, 1) entries
        assert np.all(v >= 0)
        if t == 1:
            assert not m.any() and not v.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_chain_cases_are_spd_quadratics(rubrics: Rubrics, seed: int) -> None:
    for case in cases(rubrics.check("adam", "adam_chain"), seed):
        theta0, fn, steps, _lr, _beta1, _beta2, eps = case.args
        a, b = fn.args
        lam = np.linalg.eigvalsh(a)
        assert fn.name == "quadratic_grad" and steps == 50 and np.array_equal(a, a.T)
        assert 0.5 - 1e-9 <= lam.min() and lam.max() <= 5 + 1e-9
        assert theta0.shape == b.shape == (len(a),)
        assert 1e-8 <= eps <= 1e-1


def _reference_run(x: np.ndarray, y: np.ndarray, optimizer: str, lr: float,
                   epochs: int) -> tuple[np.ndarray, float]:
    """The reference's logistic-regression run step by step: (final theta, largest |X w + b|)."""
    theta = np.zeros(x.shape[1] + 1)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    worst = 0.0
    for t in range(1, epochs + 1):
        worst = max(worst, float(np.max(np.abs(x @ theta[:-1] + theta[-1]))))
        _, g = ref_loss_and_grad(theta, x, y, "logreg")
        if optimizer == "gd":
            theta = ref_gd_step(theta, g, lr)
        else:
            theta, m, v = ref_adam_step(theta, g, m, v, t, lr)
    return theta, max(worst, float(np.max(np.abs(x @ theta[:-1] + theta[-1]))))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check_id", ["train_linreg", "train_logreg"])
def test_train_cases_keep_to_the_promised_settings(rubrics: Rubrics, check_id: str,
                                                   seed: int) -> None:
    found = cases(rubrics.check("adam", check_id), seed)
    assert {(c.args[0].shape[1], c.args[3]) for c in found} == {(1, "gd"), (1, "adam"), (2, "gd"),
                                                                (2, "adam")}
    for case in found:
        x, y, task, optimizer, lr, epochs = case.args
        assert task == check_id.removeprefix("train_") and 0 < lr <= 0.05 and 1 <= epochs <= 500
        if task == "logreg":
            assert set(np.unique(y)) == {0.0, 1.0}
            # p stays in [1e-6, 1 - 1e-6] (|logit| <= 13.8) along the run; the generator promises 10
            theta, worst = _reference_run(x, y, optimizer, lr, epochs)
            np.testing.assert_allclose(theta, ref_train(x, y, task, optimizer, lr, epochs)[0],
                                       rtol=1e-12)
            assert worst <= gen.LOGIT_BOUND + 1e-6


@pytest.mark.parametrize("check_id", CALL_CHECKS)
def test_reference_gives_finite_results(rubrics: Rubrics, check_id: str) -> None:
    for seed in SEEDS:
        reference = _reference_of(check_id)
        for probed in probe_function(rubrics["adam"], check_id, reference, seed).cases:
            assert probed.verdict.passed, probed
            expected = probed.expected
            leaves = expected if isinstance(expected, (tuple, list)) else [expected]
            assert all(np.all(np.isfinite(leaf)) for leaf in leaves), probed.label


def _reference_of(check_id: str) -> Any:
    return {"adam_step": ref_adam_step, "adam_chain": ref_adam_step, "gd_step": ref_gd_step,
            "train_linreg": ref_train, "train_logreg": ref_train}[check_id]


# ----------------------------------------------------------------------------- classic mistakes
def adam_no_bias_correction(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def adam_eps_inside_sqrt(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v


def adam_zero_based_t(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))  # t = 1 divides by 0
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_m_v_swapped_betas(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    return ref_adam_step(theta, grad, m, v, t, lr, beta2, beta1, eps)


def gd_wrong_sign(theta, grad, lr):  # type: ignore[no-untyped-def]
    return theta + lr * grad


def _train_with(step: Any, losses_after: bool = False, layout_b_first: bool = False) -> Any:
    def train(X, y, task, optimizer, lr, epochs):  # type: ignore[no-untyped-def]
        theta = np.zeros(X.shape[1] + 1)
        m, v = np.zeros_like(theta), np.zeros_like(theta)
        losses = np.zeros(epochs)
        for i in range(epochs):
            loss, g = ref_loss_and_grad(theta, X, y, task)
            if optimizer == "gd":
                theta = ref_gd_step(theta, g, lr)
            else:
                theta, m, v = step(theta, g, m, v, i + 1, lr)
            losses[i] = ref_loss_and_grad(theta, X, y, task)[0] if losses_after else loss
        return (np.roll(theta, 1) if layout_b_first else theta), losses
    return train


MISTAKES = [
    ("adam_step", adam_no_bias_correction, "no bias correction"),
    ("adam_step", adam_eps_inside_sqrt, "eps inside the square root"),
    ("adam_step", adam_zero_based_t, "0-based t"),
    ("adam_step", adam_m_v_swapped_betas, "beta1 and beta2 swapped"),
    ("adam_chain", adam_no_bias_correction, "no bias correction"),
    ("adam_chain", adam_eps_inside_sqrt, "eps inside the square root"),
    ("adam_chain", adam_zero_based_t, "0-based t"),
    ("gd_step", gd_wrong_sign, "GD with the wrong sign"),
    ("train_linreg", _train_with(ref_adam_step, losses_after=True), "losses after the update"),
    ("train_logreg", _train_with(ref_adam_step, losses_after=True), "losses after the update"),
    ("train_linreg", _train_with(adam_no_bias_correction), "Adam without bias correction"),
    ("train_logreg", _train_with(adam_no_bias_correction), "Adam without bias correction"),
    ("train_linreg", _train_with(ref_adam_step, layout_b_first=True), "theta as [b, w]"),
    ("train_logreg", _train_with(ref_adam_step, layout_b_first=True), "theta as [b, w]"),
]


@pytest.mark.parametrize(("check_id", "buggy", "what"), MISTAKES,
                         ids=[f"{c}-{w}" for c, _, w in MISTAKES])
def test_probes_catch_classic_mistakes(rubrics: Rubrics, check_id: str, buggy: Any,
                                       what: str) -> None:
    for seed in SEEDS:
        assert caught(rubrics["adam"], check_id, buggy, seed), \
            f"{what} passes every {check_id} case (seed {seed})"


def test_train_comparator_names_the_mistake(rubrics: Rubrics) -> None:
    messages = {}
    for name, fn in (("after", _train_with(ref_adam_step, losses_after=True)),
                     ("layout", _train_with(ref_adam_step, layout_b_first=True))):
        failed = probe_function(rubrics["adam"], "train_linreg", fn, 0).failed
        messages[name] = failed[0].verdict.message
    assert "before* update" in messages["after"]
    assert "[w_1, ..., w_d, b]" in messages["layout"]


@pytest.mark.parametrize(("got", "fragment"), [
    (np.zeros(3), "pair"),
    ((np.zeros(2), np.zeros(5)), "theta has shape (2,)"),
    ((np.zeros(3), np.zeros(4)), "losses has shape (4,)"),
    ((np.zeros(3), np.full(5, np.nan)), "nan"),
    ((np.zeros(3), np.ones(5)), "losses differ at index 4"),
    ((np.zeros(3), [np.array(0.0)] * 5), "losses differ at index 4"),
])
def test_train_comparator_messages(got: Any, fragment: str) -> None:
    verdict = adam_compare.train_compare(got, (np.zeros(3), np.arange(5.0)))
    assert not verdict.passed and fragment in verdict.message


# ----------------------------------------------------------------------------- correct alternatives
def adam_torch(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    """torch.optim.Adam with its state set to (m, v, t - 1): returns tensors."""
    import torch

    p = torch.tensor(theta, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(m),
                    "exp_avg_sq": torch.tensor(v)}
    p.grad = torch.tensor(grad)
    opt.step()
    return p, opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]


def adam_in_place_lists(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):  # type: ignore[no-untyped-def]
    """In-place updates and the 'efficient' step size form of the Adam paper; returns lists."""
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    theta -= step * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t))
    return theta.tolist(), m.tolist(), v.tolist()


def adam_renamed(theta, grad, m, v, t, alpha=1e-3, b1=0.9, b2=0.999, epsilon=1e-8):  # type: ignore[no-untyped-def]
    """The sheet's formula with the hyper-parameters named as in the Adam paper."""
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return theta - alpha * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + epsilon), m, v


def train_torch(X, y, task, optimizer, lr, epochs):  # type: ignore[no-untyped-def]
    """Autograd gradients, BCE with logits, and the student's own Adam written out."""
    import torch

    Xt, yt = torch.tensor(X), torch.tensor(y)
    theta = torch.zeros(X.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    m = torch.zeros_like(theta)
    v = torch.zeros_like(theta)
    losses = []
    for t in range(1, epochs + 1):
        z = Xt @ theta[:-1] + theta[-1]
        if task == "linreg":
            loss = torch.mean((z - yt) ** 2)
        else:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt)
        (g,) = torch.autograd.grad(loss, theta)
        losses.append(loss.item())
        with torch.no_grad():
            if optimizer == "gd":
                theta -= lr * g
            else:
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                theta -= lr * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8)
    return theta, losses


ALTERNATIVES = [
    ("adam_step", adam_torch), ("adam_step", adam_in_place_lists), ("adam_step", adam_renamed),
    ("adam_chain", adam_torch), ("adam_chain", adam_in_place_lists), ("adam_chain", adam_renamed),
    ("gd_step", lambda theta, grad, lr: theta - grad * lr),
    ("train_linreg", train_torch), ("train_logreg", train_torch),
]


@pytest.mark.torch
@pytest.mark.parametrize(("check_id", "fn"), ALTERNATIVES,
                         ids=[f"{c}-{getattr(f, '__name__', 'lambda')}" for c, f in ALTERNATIVES])
def test_correct_alternatives_pass_every_case(rubrics: Rubrics, check_id: str, fn: Any) -> None:
    pytest.importorskip("torch")
    for seed in SEEDS:
        for probed in probe_function(rubrics["adam"], check_id, fn, seed).cases:
            assert probed.verdict.passed, f"{probed.label}: {probed.verdict.message}"


def test_train_linreg_margin_is_wide(rubrics: Rubrics) -> None:
    """A correct alternative agrees far inside the tolerance (no case close to the edge)."""
    pytest.importorskip("torch")
    for probed_case in cases(rubrics.check("adam", "train_linreg"), 0):
        theta, losses = train_torch(*probed_case.args)
        ref_theta, ref_losses = ref_train(*probed_case.args)
        assert compare_values(ref_theta, theta.detach().numpy(), 1e-9, 1e-12).passed
        assert compare_values(ref_losses, np.array(losses), 1e-9, 1e-12).passed


# ----------------------------------------------------------------------------- notebook
def test_notebook_follows_the_release_conventions() -> None:
    assert_release_conventions("adam", "# Group members\n",
                               ("adam_step", "gd_step", "loss_and_grad", "train"))
