"""`gradients` report notes: student-style mistakes are named, other wrong code is not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from probing import Rubrics, explained  # noqa: E402

from grader.assignments.gradients_feedback import FEEDBACK

from .test_gradients import (
    adam_1d_eps_inside_sqrt,
    adam_1d_no_bias_correction,
    backprop_no_derivative,
    chain_torch,
    gd_quadratic_half,
)

RUBRICS = Rubrics()

pytestmark = pytest.mark.torch
SEEDS = (0, 1)


def adam_1d_zero_based_t_numpy(grad_fn, theta0, lr, beta1, beta2, eps, steps):  # type: ignore[no-untyped-def]
    """t = 0, 1, ... in numpy floats: the first step divides by zero and gives nan, not an
    exception (test_gradients' Python-float version raises, and an error has no values)."""
    theta, m, v, out = np.float64(theta0), 0.0, 0.0, [theta0]
    with np.errstate(all="ignore"):
        for t in range(steps):
            g = grad_fn(theta)
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
            theta = theta - lr * (m / (1 - np.float64(beta1) ** t)) / (
                np.sqrt(v / (1 - np.float64(beta2) ** t)) + eps)
            out.append(theta)
    return out
# Named through the check's own comparison: rtol=1e-6, atol=1e-9 (rubrics/gradients.toml).
NAMED = [
    ("backprop", backprop_no_derivative, "activation's slope"),
    ("adam_1d", adam_1d_no_bias_correction, "a missing bias correction"),
    ("adam_1d", adam_1d_eps_inside_sqrt, "eps inside the square root"),
    ("adam_1d", adam_1d_zero_based_t_numpy, "a 0-based t"),
    ("gd_quadratic", gd_quadratic_half, "the gradient H w of J = 1/2 w^T H w"),
    ("max_stable_lr", lambda H: 2.0 / np.linalg.eigvalsh(H).max(), "2 / lambda_max"),
    ("max_stable_lr", lambda H: 1.0 / np.linalg.eigvalsh(H).min(), "smallest eigenvalue"),
    ("line_search", lambda g, Hg: np.linalg.norm(g) / (g @ Hg), "|g| instead of |g|^2"),
    ("line_search", lambda g, Hg: (g @ g) / (2 * g @ Hg), "without the 1/2"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("check_id", "student", "phrase"), NAMED,
                         ids=[f"{c}-{p}" for c, _, p in NAMED])
def test_a_classic_mistake_is_named(check_id: str, student: Any, phrase: str, seed: int) -> None:
    pytest.importorskip("torch")
    assert phrase in explained(RUBRICS["gradients"], check_id, student, seed).mistake


def test_another_mistake_is_not_named() -> None:
    detail = explained(RUBRICS["gradients"], "max_stable_lr", lambda H: 3.0 / np.trace(H), 0)
    assert detail.case >= 1 and detail.mistake == ""
    assert [o.name for o in detail.outputs] == ["lr_max"]


def test_list_results_are_named_per_layer() -> None:
    detail = explained(RUBRICS["gradients"], "backprop", backprop_no_derivative, 0)
    assert detail.outputs and all(o.name.startswith("dW[") for o in detail.outputs)
    assert [a.name for a in detail.inputs] == ["Ws", "bs", "x", "act", "dE_dxL"]
    assert detail.inputs[0].kind == "list"


def test_every_call_check_has_notes() -> None:
    assert {c.id for c in RUBRICS["gradients"].checks if c.kind == "call"} == set(FEEDBACK)


# A chain that ignores `shortcut` (never adds the skips) passes every shortcut=False case and gives
# what the inverted setting gives on a shortcut=True one: the cases that pass tell the two apart
# (gradient_studies_group_44 of the tester's uploads).
SHORTCUT_STUDENTS = [
    (lambda x, w1, b1, w, b, act="sigmoid", shortcut=False: chain_torch(x, w1, b1, w, b, act),
     "the shortcut setting ignored (the skips never added)"),
    (lambda x, w1, b1, w, b, act="sigmoid", shortcut=False:
     chain_torch(x, w1, b1, w, b, act, True),
     "the shortcut setting ignored (the skips always added)"),
    (lambda x, w1, b1, w, b, act="sigmoid", shortcut=False:
     chain_torch(x, w1, b1, w, b, act, not shortcut), "the shortcut setting inverted"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("student", "named"), SHORTCUT_STUDENTS,
                         ids=["never", "always", "inverted"])
def test_the_shortcut_mistake_named_is_the_one_every_case_agrees_with(student: Any, named: str,
                                                                       seed: int) -> None:
    pytest.importorskip("torch")
    detail = explained(RUBRICS["gradients"], "chain", student, seed)
    assert detail.mistake == f"this looks like {named}: your values are what it gives, within " \
                             "the tolerance"
