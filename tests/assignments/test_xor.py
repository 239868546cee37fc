"""The `xor` assignment: rubric, probe generators, mistakes, solves_xor, notebook, uploads."""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from probing import Rubrics, cases, caught, probe_function  # noqa: E402

from grader.assignments import xor_compare as xc  # noqa: E402
from grader.compare import Verdict  # noqa: E402
from grader.probe_runtime import Tensor, Unsupported  # noqa: E402

from .support import assert_release_conventions, reference_notebook, valid_argument  # noqa: E402

pytestmark = pytest.mark.torch

CALL_CHECKS = ("sigmoid", "sigmoid_prime", "sigmoid_taylor", "forward", "loss_fn", "manual_grads")
GRADED_NAMES = CALL_CHECKS          # for xor every call check calls the function of its own name
SEEDS = range(4)
SOLVING = {"Wi": np.array([[20.0, -20.0], [-20.0, 20.0]]), "ba": np.array(-10.0),
           "Wo": np.array([20.0, 20.0]), "bo": np.array(-10.0)}


def tensors(case: Any) -> list[np.ndarray]:
    assert all(isinstance(a, Tensor) for a in case.args), case.label
    return [a.array for a in case.args]


# ----------------------------------------------------------------------------- rubric
def test_rubric_checks_points_and_rules(rubrics: Rubrics) -> None:
    r = rubrics["xor"]
    assert [c.id for c in r.checks] == [*CALL_CHECKS, "solves_xor"]
    assert {c.id: c.points for c in r.checks} == {
        "sigmoid": 1, "sigmoid_prime": 1, "sigmoid_taylor": 1, "forward": 1, "loss_fn": 1,
        "manual_grads": 2, "solves_xor": 1}
    assert r.max_score == 8.0 and r.upload == "zip" and not r.zero_error
    assert r.zip is not None and (r.zip.notebooks, r.zip.pdfs) == (1, 1)
    assert r.team is not None and r.team.cell == 1 and r.team.require_group_ids
    assert r.team.placeholder == "YOUR ANSWER HERE"
    solves = r.checks[-1]
    assert solves.kind == "variable" and solves.symbols == ("Wi", "ba", "Wo", "bo")
    assert solves.compare_fn is xc.solves_xor


@pytest.mark.parametrize(("name", "group"), [
    ("sheet06_1234567.zip", "1234567"),
    ("sheet06_1234567_7654321.zip", "1234567_7654321"),
    ("sheet06_0000001_1234567_7654321.zip", "0000001_1234567_7654321"),
    ("sheet06_1234567_7654321_1111111_2222222.zip", None),
    ("sheet06_123456.zip", None),
    ("sheet06_1234567-7654321.zip", None),
    ("Sheet06_1234567.zip", None),
    ("sheet06_1234567.ZIP", None),
    ("sheet06_1234567.ipynb", None),
    ("sheet6_1234567.zip", None),
], ids=lambda v: str(v))
def test_file_name_pattern(rubrics: Rubrics, name: str, group: str | None) -> None:
    match = re.fullmatch(rubrics["xor"].pattern, name)
    assert (match.group("group") if match else None) == group


# ----------------------------------------------------------------------------- generators
def same_tensors(a: Any, b: Any) -> bool:
    """Two cases' arguments are equal bit for bit (every xor argument is a Tensor marker)."""
    return (len(a) == len(b) and all(isinstance(x, Tensor) and isinstance(y, Tensor)
                                     and x.array.shape == y.array.shape
                                     and np.array_equal(x.array, y.array)
                                     and x.requires_grad == y.requires_grad for x, y in zip(a, b)))


@pytest.mark.parametrize("check_id", CALL_CHECKS)
def test_generator_contract(rubrics: Rubrics, check_id: str) -> None:
    """3 to 8 valid, labelled float64 tensor cases; the same seed gives the same cases."""
    for seed in SEEDS:
        check = rubrics.check("xor", check_id)
        first, again = cases(check, seed), cases(check, seed)
        assert 3 <= len(first) <= 8
        labels = [c.label for c in first]
        assert all(labels) and len(set(labels)) == len(labels), labels
        for a, b in zip(first, again):
            assert valid_argument(a.args) and not a.kwargs, a.label
            assert all(isinstance(x, Tensor) and x.array.dtype == np.float64 for x in a.args)
            assert same_tensors(a.args, b.args), a.label


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("check_id", "bound"), [("sigmoid", 30.0), ("sigmoid_prime", 30.0),
                                                 ("sigmoid_taylor", 2.0)])
def test_elementwise_cases_stay_in_range(rubrics: Rubrics, check_id: str, bound: float,
                                         seed: int) -> None:
    shapes = set()
    for case in cases(rubrics.check("xor", check_id), seed):
        (x,) = tensors(case)
        shapes.add(x.ndim)
        assert np.all(np.abs(x) <= bound) and (bound > 2 or np.all(np.abs(x) < 2))
    assert shapes == {0, 1, 2, 3}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check_id", ["forward", "manual_grads"])
def test_network_cases_have_the_sheets_shapes(rubrics: Rubrics, check_id: str, seed: int) -> None:
    hidden = []
    for case in cases(rubrics.check("xor", check_id), seed):
        arrays = tensors(case)
        X, (Wi, ba, Wo, bo) = arrays[0], arrays[-4:]
        N, H = X.shape[0], Wi.shape[1]
        assert X.shape == (N, 2) and Wi.shape == (2, H) and Wo.shape == (H,)
        assert ba.shape == () and bo.shape == ()
        if check_id == "manual_grads":
            assert arrays[1].shape == (N,) and set(np.unique(arrays[1])) <= {0.0, 1.0}
        hidden.append(H)
    assert min(hidden) == 2 and max(hidden) == 8 and all(2 <= h <= 8 for h in hidden)
    first = tensors(cases(rubrics.check("xor", check_id), seed)[0])[0]
    np.testing.assert_array_equal(first, xc.XOR_INPUTS)


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_cases(rubrics: Rubrics, seed: int) -> None:
    for case in cases(rubrics.check("xor", "loss_fn"), seed):
        yhat, y = tensors(case)
        assert yhat.shape == y.shape and yhat.ndim == 1
        assert np.all((yhat > 0) & (yhat < 1))


def test_generators_are_deterministic_and_seed_dependent(rubrics: Rubrics) -> None:
    a, b = cases(rubrics.check("xor", "forward"), 1), cases(rubrics.check("xor", "forward"), 2)
    assert not np.array_equal(tensors(a[1])[1], tensors(b[1])[1])


# ----------------------------------------------------------------------------- classic mistakes
def _sig(x: Any) -> Any:
    return 1 / (1 + torch.exp(-x))


def _forward(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    return _sig(_sig(X @ Wi + ba) @ Wo + bo)


def _grads_parts(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> tuple[Any, Any, Any]:
    z = _sig(X @ Wi + ba)
    yhat = _sig(z @ Wo + bo)
    delta_o = (yhat - y) * yhat * (1 - yhat)
    return z, delta_o, delta_o[:, None] * Wo[None, :] * z * (1 - z)


def grads_per_unit_bias(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    z, d_o, d_a = _grads_parts(X, y, Wi, ba, Wo, bo)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(0), "Wo": z.T @ d_o, "bo": d_o.sum()}


def grads_ba_mean_over_units(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    z, d_o, d_a = _grads_parts(X, y, Wi, ba, Wo, bo)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(0).mean(), "Wo": z.T @ d_o, "bo": d_o.sum()}


def grads_no_output_slope(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    z = _sig(X @ Wi + ba)
    d_o = _sig(z @ Wo + bo) - y
    d_a = d_o[:, None] * Wo[None, :] * z * (1 - z)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(), "Wo": z.T @ d_o, "bo": d_o.sum()}


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("sigmoid", lambda x: 1 / (1 + torch.exp(x)), "sign-flipped exponent"),
    ("sigmoid", lambda x: torch.tanh(x), "tanh"),
    ("sigmoid_prime", lambda x: _sig(x) + _sig(x) ** 2, "plus instead of minus"),
    ("sigmoid_prime", lambda x: _sig(x) * _sig(x) ** 2, "lost minus read as a product"),
    ("sigmoid_prime", lambda x: _sig(x) * (1 + _sig(x)), "sigma (1 + sigma)"),
    ("sigmoid_taylor", lambda x: 0.5 + x / 4, "terms through x**2"),
    ("sigmoid_taylor", lambda x: 0.5 + x / 4 + x**3 / 48, "wrong sign of the cubic"),
    ("sigmoid_taylor", lambda x: 0.5 + x / 4 - x**3 / 24, "cubic without the 1/2"),
    ("forward", lambda X, Wi, ba, Wo, bo: _sig(X @ Wi + ba) @ Wo + bo, "no output sigmoid"),
    ("forward", lambda X, Wi, ba, Wo, bo: _sig(_sig(X @ Wi.T + ba) @ Wo + bo), "transposed Wi"),
    ("forward", lambda X, Wi, ba, Wo, bo: _sig(_sig(X @ Wi) @ Wo + bo), "hidden bias dropped"),
    ("loss_fn", lambda yhat, y: ((yhat - y) ** 2).sum(), "without the 1/2"),
    ("loss_fn", lambda yhat, y: 0.5 * ((yhat - y) ** 2).mean(), "mean instead of sum"),
    ("loss_fn", lambda yhat, y: 0.5 * (yhat - y).abs().sum(), "absolute error"),
    ("manual_grads", grads_per_unit_bias, "per-unit hidden bias"),
    ("manual_grads", grads_ba_mean_over_units, "ba averaged over the hidden units"),
    ("manual_grads", grads_no_output_slope, "output sigmoid slope forgotten"),
]


@pytest.mark.parametrize(("check_id", "buggy", "what"), MISTAKES,
                         ids=[f"{c}-{w}" for c, _, w in MISTAKES])
def test_probes_catch_classic_mistakes(rubrics: Rubrics, check_id: str, buggy: Callable[..., Any],
                                       what: str) -> None:
    for seed in SEEDS:
        assert caught(rubrics["xor"], check_id, buggy, seed), \
            f"{what} passes every case of seed {seed}"


# ----------------------------------------------------------------------------- correct alternatives
def sigmoid_prime_autograd(x: Any) -> Any:
    x = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    return grad


def forward_einsum(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    z = torch.sigmoid(torch.einsum("nk,kh->nh", X, Wi) + ba)
    return torch.sigmoid(torch.einsum("nh,h->n", z, Wo) + bo).numpy()   # numpy is accepted too


def manual_grads_autograd(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    params = dict(Wi=Wi, ba=ba, Wo=Wo, bo=bo)
    leaves = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
    hidden = torch.sigmoid(X @ leaves["Wi"] + leaves["ba"])
    yhat = torch.sigmoid(hidden @ leaves["Wo"] + leaves["bo"])
    torch.nn.functional.mse_loss(yhat, y, reduction="sum").div(2).backward()
    return {k: v.grad for k, v in leaves.items()}


def manual_grads_loops(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    X, y, Wi, Wo = (t.numpy() for t in (X, y, Wi, Wo))
    ba, bo = float(ba), float(bo)
    out = {"Wi": np.zeros_like(Wi), "ba": 0.0, "Wo": np.zeros_like(Wo), "bo": 0.0}
    for n in range(len(X)):
        z = 1 / (1 + np.exp(-(X[n] @ Wi + ba)))
        yhat = 1 / (1 + np.exp(-(z @ Wo + bo)))
        d_o = (yhat - y[n]) * yhat * (1 - yhat)
        out["Wo"] += d_o * z
        out["bo"] += d_o
        for j in range(len(Wo)):
            d_a = d_o * Wo[j] * z[j] * (1 - z[j])
            out["Wi"][:, j] += X[n] * d_a
            out["ba"] += d_a
    return out


ALTERNATIVES: list[tuple[str, Callable[..., Any]]] = [
    ("sigmoid", torch.sigmoid),
    ("sigmoid", lambda x: 1 / (1 + torch.exp(-x))),
    ("sigmoid_prime", sigmoid_prime_autograd),
    ("sigmoid_prime", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    ("sigmoid_taylor", lambda x: 0.5 + x * (0.25 - x * x / 48)),
    ("forward", forward_einsum),
    ("loss_fn", lambda yhat, y: torch.nn.functional.mse_loss(yhat, y, reduction="sum") / 2),
    ("loss_fn", lambda yhat, y: float(0.5 * ((yhat - y) ** 2).sum())),
    ("manual_grads", manual_grads_autograd),
    ("manual_grads", manual_grads_loops),
]


@pytest.mark.parametrize(("check_id", "fn"), ALTERNATIVES,
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate(ALTERNATIVES)])
def test_correct_alternatives_pass_every_case(rubrics: Rubrics, check_id: str,
                                              fn: Callable[..., Any]) -> None:
    for seed in SEEDS:
        failed = probe_function(rubrics["xor"], check_id, fn, seed).failed
        assert not failed, f"seed {seed}: {failed[0].label}: {failed[0].verdict.message}"


# ----------------------------------------------------------------------------- solves_xor
@pytest.mark.parametrize("params", [
    SOLVING,
    {**SOLVING, "ba": np.array([-10.0]), "bo": np.array([-10.0]), "Wo": np.array([[20.0], [20.0]])},
    {"Wi": np.array([[20.0, -20.0, 0.0], [-20.0, 20.0, 0.0]]), "ba": np.array(-10.0),
     "Wo": np.array([20.0, 20.0, 0.0]), "bo": np.array(-10.0)},
], ids=["sheet-layout", "size-1-biases-column-Wo", "H=3"])
def test_solves_xor_passes_on_solving_parameters(params: dict[str, np.ndarray]) -> None:
    verdict = xc.solves_xor(params, None)
    assert verdict == Verdict(True, verdict.message) and "-> 0 1 1 0" in verdict.message


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("hidden", [1, 2, 8])
def test_solves_xors_forward_is_the_references_bit_for_bit(seed: int, hidden: int) -> None:
    from reference.xor import forward

    rng = np.random.default_rng(seed)
    X = np.vstack([xc.XOR_INPUTS, rng.uniform(-40.0, 40.0, size=(6, 2))])
    params = (rng.normal(0.0, 5.0, size=(2, hidden)), np.array(rng.normal(0.0, 5.0)),
              rng.normal(0.0, 5.0, size=hidden), np.array(rng.normal(0.0, 5.0)))
    np.testing.assert_array_equal(xc.xor_forward(X, *params), forward(X, *params))


@pytest.mark.parametrize(("got", "fragment"), [
    ({k: np.zeros_like(v) for k, v in SOLVING.items()}, "expected 0 1 1 0"),
    ({**SOLVING, "Wo": -SOLVING["Wo"], "bo": np.array(10.0)}, "that is 1 0 0 1"),
    ({**SOLVING, "Wi": SOLVING["Wi"][:, :1]}, "Wo has shape (2,)"),
    ({**SOLVING, "Wi": np.ones((4, 2)), "Wo": np.ones(4)}, "transposed"),
    ({**SOLVING, "Wi": np.ones(2)}, "Wi has shape (2,)"),
    ({**SOLVING, "ba": np.array([-10.0, -10.0])}, "shared by all hidden units"),
    ({**SOLVING, "bo": np.ones((2, 2))}, "bo has shape (2, 2)"),
    ({**SOLVING, "Wo": np.ones(3)}, "expected (2,)"),
    ({**SOLVING, "Wi": np.full((2, 2), np.nan)}, "inf or nan"),
    ({k: v for k, v in SOLVING.items() if k != "bo"}, "bo is None"),
    ({**SOLVING, "Wi": Unsupported("Sequential")}, "Wi is a Sequential"),
    ({**SOLVING, "Wi": [np.ones(2), np.ones(3)]}, "Wi is a list"),        # ragged: no array
    (None, "got None"),
    ([np.ones(2)], "got a list"),
], ids=["zeros", "inverted", "one-hidden-unit-mismatch", "transposed", "1-d-Wi", "per-unit-ba",
        "matrix-bo", "Wo-too-long", "nan", "missing", "unsupported", "list", "none", "not-a-dict"])
def test_solves_xor_fails_with_a_message_and_never_raises(got: Any, fragment: str) -> None:
    verdict = xc.solves_xor(got, None)
    assert not verdict.passed and fragment in verdict.message, verdict.message


def test_solves_xor_reads_parameters_kept_as_lists() -> None:
    """Trained in numpy, then `Wi, Wo = Wi.tolist(), Wo.tolist()`: lists of numbers are arrays."""
    as_lists = {k: [np.array(x) for x in v.tolist()] if v.ndim == 1 else
                [[np.array(x) for x in row] for row in v.tolist()] if v.ndim == 2 else v
                for k, v in SOLVING.items()}
    assert isinstance(as_lists["Wi"], list) and isinstance(as_lists["Wo"], list)
    verdict = xc.solves_xor(as_lists, None)
    assert verdict.passed and "-> 0 1 1 0" in verdict.message, verdict.message


# ----------------------------------------------------------------------------- notebook
def test_reference_notebook_layout_and_student_version(rubrics: Rubrics) -> None:
    assert "| Ada Lovelace | 1234567 | ada.lovelace |" in reference_notebook("xor").cells[0].source
    assert re.fullmatch(rubrics["xor"].pattern, rubrics["xor"].example)
    assert "1234567" in rubrics["xor"].example
    assert_release_conventions("xor", "# Team\n", GRADED_NAMES)
