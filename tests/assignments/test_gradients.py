"""The `gradients` assignment: probe generators, rubric, classic mistakes, reference notebook."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from probing import Rubrics, cases, caught, probe, probe_function

from grader.assignments import gradients as gen
from reference.bump import adam_1d as ref_adam_1d
from reference.bump import adam_escape_height
from reference.line_search import exact_line_search_step as ref_line_search
from reference.mlp import backprop_weight_grads as ref_backprop
from reference.quadratic import gd_quadratic as ref_gd_quadratic
from reference.quadratic import max_stable_lr as ref_max_stable_lr
from reference.shortcut import chain_grads as ref_chain_grads

from .support import assert_generator_contract, assert_release_conventions, reference_notebook

CALL_CHECKS = ("backprop", "chain", "adam_1d", "gd_quadratic", "max_stable_lr", "line_search")
SEEDS = range(4)
REFERENCES = {"backprop": ref_backprop, "chain": ref_chain_grads, "adam_1d": ref_adam_1d,
              "gd_quadratic": ref_gd_quadratic, "max_stable_lr": ref_max_stable_lr,
              "line_search": ref_line_search}


# ----------------------------------------------------------------------------- rubric
def test_rubric_has_the_fixed_checks(rubrics: Rubrics) -> None:
    r = rubrics["gradients"]
    assert [c.id for c in r.checks] == ["backprop", "chain", "adam_1d", "h_max", "gd_quadratic",
                                        "max_stable_lr", "line_search", "figure"]
    assert r.max_score == 10.0 and r.zero_error
    assert r.team is None     # the group number in the file name says who (docs/assignments.md)
    h_max = rubrics.check("gradients", "h_max")
    assert (h_max.kind, h_max.symbol, h_max.atol, h_max.rtol) == ("variable", "h_max", 1e-3, 0.0)
    assert re.fullmatch(r.pattern, "gradient_studies_group_04.ipynb").group("group") == "04"
    assert re.fullmatch(r.pattern, "gradient_studies_group_7.ipynb") is None


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("check_id", CALL_CHECKS)
def test_generator_contract(rubrics: Rubrics, check_id: str) -> None:
    assert_generator_contract(rubrics.check("gradients", check_id))


@pytest.mark.parametrize("seed", SEEDS)
def test_backprop_cases_are_well_conditioned(rubrics: Rubrics, seed: int) -> None:
    found = cases(rubrics.check("gradients", "backprop"), seed)
    assert {c.args[3] for c in found} == {"sigmoid", "tanh", "relu"}
    depths = [len(c.args[0]) for c in found]
    assert all(2 <= d <= 12 for d in depths) and {2, 12} <= set(depths)
    for case in found:
        ws, bs, x, act, dx = case.args
        assert [w.shape[1] for w in ws] == [len(x)] + [w.shape[0] for w in ws[:-1]]
        assert [len(b) for b in bs] == [w.shape[0] for w in ws] and dx.shape == (ws[-1].shape[0],)
        scales = [np.max(np.abs(g)) for g in ref_backprop(ws, bs, x, act, dx)]
        assert gen.GRAD_MIN <= min(scales) and max(scales) <= gen.GRAD_MAX, case.label


@pytest.mark.parametrize("seed", SEEDS)
def test_chain_cases_use_sigmoid_or_tanh_and_both_settings(rubrics: Rubrics, seed: int) -> None:
    found = cases(rubrics.check("gradients", "chain"), seed)
    assert {(c.args[5], c.args[6]) for c in found} == {
        (a, s) for a in ("sigmoid", "tanh") for s in (False, True)}
    for case in found:
        assert min(map(abs, ref_chain_grads(*case.args, **case.kwargs))) >= gen.CHAIN_MIN


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_1d_cases_stay_away_from_the_breaks(rubrics: Rubrics, seed: int) -> None:
    found = cases(rubrics.check("gradients", "adam_1d"), seed)
    assert {c.args[0].name for c in found} == {"piecewise_slope", "scalar_quadratic_grad"}
    assert any("seed 002" in c.label for c in found)
    for case in found:
        fn, theta0, lr, beta1, beta2, eps, steps = case.args
        assert steps <= 100 and 0 < lr <= 0.5 and (eps == 0.0 or 1e-8 <= eps <= 1e-1)
        if fn.name == "piecewise_slope":
            breaks = fn.args[0]
            grad = lambda th, b=breaks, s=fn.args[1]: (  # noqa: E731
                float(s[int(np.searchsorted(b, th, side="right"))]))
            traj = ref_adam_1d(grad, theta0, lr, beta1, beta2, eps, steps)
            assert np.min(np.abs(traj[:, None] - breaks[None, :])) >= gen.BREAK_MARGIN


@pytest.mark.parametrize("seed", SEEDS)
def test_quadratic_cases_are_spd_and_stable(rubrics: Rubrics, seed: int) -> None:
    for case in cases(rubrics.check("gradients", "gd_quadratic"), seed):
        h, w0, lr, steps = case.args
        lam = np.linalg.eigvalsh(h)
        assert np.array_equal(h, h.T) and lam.min() > 0 and 0 < lr < 1 / lam.max()
    for case in cases(rubrics.check("gradients", "max_stable_lr"), seed):
        (h,) = case.args
        lam = np.linalg.eigvalsh(h)
        assert np.array_equal(h, h.T) and lam.min() > 0
        assert len(lam) == 1 or lam[-1] >= (gen.SPECTRAL_GAP - 1e-9) * lam[-2]
    for case in cases(rubrics.check("gradients", "line_search"), seed):
        g, hg = case.args
        assert g @ hg >= gen.LINE_COS * np.linalg.norm(g) * np.linalg.norm(hg) > 0
        assert not 0.5 < np.linalg.norm(g) < 2.0


@pytest.mark.parametrize("check_id", CALL_CHECKS)
def test_reference_gives_finite_results(rubrics: Rubrics, check_id: str) -> None:
    for seed in SEEDS:
        reference = REFERENCES[check_id]
        for probed in probe_function(rubrics["gradients"], check_id, reference, seed).cases:
            assert probed.verdict.passed, probed
            expected = probed.expected
            leaves = expected if isinstance(expected, (tuple, list)) else [expected]
            assert all(np.all(np.isfinite(leaf)) for leaf in leaves), probed.label


def test_h_max_reference_is_the_documented_value() -> None:
    """docs/exercises.md#002-ex-2-gradient-descent-and-adam-on-a-ramp-with-a-bump"""
    assert abs(adam_escape_height() - 0.410184295) < 1e-9


# ----------------------------------------------------------------------------- classic mistakes
def _act(act: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if act == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s, s * (1 - s)
    if act == "tanh":
        return np.tanh(z), 1 - np.tanh(z) ** 2
    return np.maximum(z, 0), (z > 0).astype(float)


def backprop_loops(Ws, bs, x, act, dE_dxL, forget_derivative=False):  # type: ignore[no-untyped-def]
    """Element by element, as on the blackboard (correct unless forget_derivative)."""
    xs, primes = [list(x)], []
    for W, b in zip(Ws, bs):
        z = np.array([sum(W[i, j] * xs[-1][j] for j in range(W.shape[1])) + b[i]
                      for i in range(W.shape[0])])
        out, prime = _act(act, z)
        xs.append(list(out))
        primes.append(np.ones_like(prime) if forget_derivative else prime)
    grads = []
    delta = [primes[-1][i] * dE_dxL[i] for i in range(len(dE_dxL))]
    for l in range(len(Ws) - 1, -1, -1):
        grads.insert(0, [[delta[i] * xs[l][j] for j in range(len(xs[l]))]
                         for i in range(len(delta))])
        if l:
            W = Ws[l]
            delta = [primes[l - 1][j] * sum(W[i, j] * delta[i] for i in range(len(delta)))
                     for j in range(W.shape[1])]
    return grads


def backprop_no_derivative(Ws, bs, x, act, dE_dxL):  # type: ignore[no-untyped-def]
    return backprop_loops(Ws, bs, x, act, dE_dxL, forget_derivative=True)


def backprop_torch(Ws, bs, x, act, dE_dxL):  # type: ignore[no-untyped-def]
    import torch

    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    h = torch.tensor(x)
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[act]
    for W, b in zip(tW, bs):
        h = f(W @ h + torch.tensor(b))
    (h @ torch.tensor(dE_dxL)).backward()
    return [W.grad for W in tW]


def chain_grads_b1_missing_in_layer3(x, w1, b1, w, b, act="sigmoid", shortcut=False):  # type: ignore[no-untyped-def]
    return chain_torch(x, w1, b1, w, b, act, shortcut, b1_layers=(1, 5))


def chain_torch(x, w1, b1, w, b, act="sigmoid", shortcut=False, b1_layers=(1, 3, 5)):  # type: ignore[no-untyped-def]
    import torch

    f = torch.sigmoid if act == "sigmoid" else torch.tanh
    tw1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    tb1 = torch.tensor(b1, dtype=torch.float64, requires_grad=True)
    s = 1.0 if shortcut else 0.0
    bias = {layer: (tb1 if layer in b1_layers else 0.0) for layer in (1, 3, 5)}
    h1 = f(tw1 * x + bias[1])
    h2 = f(w * h1 + b)
    h3 = f(w * h2 + bias[3] + s * h1)
    h4 = f(w * h3 + b)
    y = f(w * h4 + bias[5] + s * h3)
    dw1, db1 = torch.autograd.grad(y, (tw1, tb1))
    return dw1, db1


def adam_1d_no_bias_correction(grad_fn, theta0, lr, beta1, beta2, eps, steps):  # type: ignore[no-untyped-def]
    return ref_adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps, bias_correction=False)


def adam_1d_eps_inside_sqrt(grad_fn, theta0, lr, beta1, beta2, eps, steps):  # type: ignore[no-untyped-def]
    theta, m, v, out = theta0, 0.0, 0.0, [theta0]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        theta -= lr * m / (1 - beta1**t) / math.sqrt(v / (1 - beta2**t) + eps)
        out.append(theta)
    return out


def adam_1d_torch(grad_fn, theta0, lr, beta1, beta2, eps, steps):  # type: ignore[no-untyped-def]
    import torch

    p = torch.tensor([float(theta0)], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    out = [float(theta0)]
    for _ in range(steps):
        p.grad = torch.tensor([float(grad_fn(p.item()))], dtype=torch.float64)
        opt.step()
        out.append(p.item())
    return out


def adam_1d_zero_based_t(grad_fn, theta0, lr, beta1, beta2, eps, steps):  # type: ignore[no-untyped-def]
    theta, m, v, out = theta0, 0.0, 0.0, [theta0]
    for t in range(steps):  # t = 0, 1, ...: the first bias correction divides by zero
        g = grad_fn(theta)
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        theta -= lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
        out.append(theta)
    return out


def gd_quadratic_half(H, w0, lr, steps):  # type: ignore[no-untyped-def]
    return ref_gd_quadratic(H, w0, lr, steps, half=True)


def gd_quadratic_closed_form(H, w0, lr, steps):  # type: ignore[no-untyped-def]
    lam, Q = np.linalg.eigh(H)
    return np.stack([Q @ ((1 - 2 * lr * lam) ** t * (Q.T @ w0)) for t in range(steps + 1)])


def max_stable_lr_power_iteration(H):  # type: ignore[no-untyped-def]
    v = np.ones(len(H)) + np.arange(len(H)) * 1e-3
    lam = 0.0
    for _ in range(10000):
        w = H @ v
        lam, previous = float(v @ w) / float(v @ v), lam
        v = w / np.linalg.norm(w)
        if abs(lam - previous) <= 1e-14 * lam:
            break
    return 1.0 / lam


def line_search_vertex(g, Hg):  # type: ignore[no-untyped-def]
    """The vertex of the parabola l(lambda) through three of its points."""
    q = lambda s: -s * np.sum(g**2) + 0.5 * s * s * np.sum(g * Hg)  # noqa: E731
    a, b, _ = np.polyfit([0.0, 1.0, 2.0], [q(0.0), q(1.0), q(2.0)], 2)
    return -b / (2 * a)


MISTAKES = [
    ("backprop", backprop_no_derivative, "activation derivative forgotten"),
    ("chain", chain_grads_b1_missing_in_layer3, "b1 ignored in layer 3"),
    ("chain",
     lambda *a, **k: ref_chain_grads(*a, **{**k, "shortcut": not k.get("shortcut", False)}),
     "shortcut setting ignored/inverted"),
    ("adam_1d", adam_1d_no_bias_correction, "no bias correction"),
    ("adam_1d", adam_1d_eps_inside_sqrt, "eps inside the square root"),
    ("adam_1d", adam_1d_zero_based_t, "0-based t"),
    ("gd_quadratic", gd_quadratic_half, "gradient Hw instead of 2Hw"),
    ("max_stable_lr", lambda H: 2.0 / np.linalg.eigvalsh(H).max(), "2 / lambda_max"),
    ("max_stable_lr", lambda H: 1.0 / np.linalg.eigvalsh(H).min(), "1 / lambda_min"),
    ("line_search", lambda g, Hg: np.linalg.norm(g) / (g @ Hg), "missing the square"),
    ("line_search", lambda g, Hg: (g @ g) / (2 * g @ Hg), "the seed's missing 1/2"),
]


@pytest.mark.torch
@pytest.mark.parametrize(("check_id", "buggy", "what"), MISTAKES,
                         ids=[f"{c}-{w}" for c, _, w in MISTAKES])
def test_probes_catch_classic_mistakes(rubrics: Rubrics, check_id: str, buggy: Any,
                                       what: str) -> None:
    pytest.importorskip("torch")
    for seed in SEEDS:
        assert caught(rubrics["gradients"], check_id, buggy, seed), \
            f"{what} passes every {check_id} case (seed {seed})"


@pytest.mark.parametrize(("value", "passes"), [(0.410184295, True), (0.4108, True), (0.4, False),
                                                (0.3, False), (1.613, False)])
def test_h_max_tolerance(rubrics: Rubrics, value: float, passes: bool) -> None:
    probing = probe(rubrics["gradients"], "h_max", {"h_max": value}, seed=0)
    assert (probing.result.status == "pass") is passes, probing.result.message


ALTERNATIVES = [
    ("backprop", backprop_loops), ("backprop", backprop_torch),
    ("chain", chain_torch),
    ("adam_1d", adam_1d_torch),
    ("gd_quadratic", gd_quadratic_closed_form),
    ("max_stable_lr", max_stable_lr_power_iteration),
    ("max_stable_lr", lambda H: 1.0 / max(np.linalg.eigvals(H).real)),
    ("max_stable_lr", lambda H: 1.0 / np.linalg.norm(H, 2)),
    ("line_search", line_search_vertex),
]


@pytest.mark.torch
@pytest.mark.parametrize(("check_id", "fn"), ALTERNATIVES,
                         ids=[f"{c}-{getattr(f, '__name__', 'lambda')}" for c, f in ALTERNATIVES])
def test_correct_alternatives_pass_every_case(rubrics: Rubrics, check_id: str, fn: Any) -> None:
    pytest.importorskip("torch")
    for seed in SEEDS:
        for probed in probe_function(rubrics["gradients"], check_id, fn, seed).cases:
            assert probed.verdict.passed, f"{probed.label}: {probed.verdict.message}"


# ----------------------------------------------------------------------------- notebook
GRADED = ("backprop_weight_grads", "chain_grads", "adam_1d", "gd_quadratic", "max_stable_lr",
          "exact_line_search_step")


def test_notebook_follows_the_release_conventions() -> None:
    assert_release_conventions("gradients", "# Group members\n", GRADED)


def test_h_max_is_computed_inside_a_solution_block() -> None:
    from grader.release import release_notebook

    nb = reference_notebook("gradients")
    solved = [c.source for c in nb.cells if c.cell_type == "code"]
    handout = [c.source for c in release_notebook(nb).cells if c.cell_type == "code"]
    assert any(re.search(r"^h_max\s*=", s, re.M) for s in solved)
    assert not any(re.search(r"^h_max\s*=", s, re.M) for s in handout)
