"""`adam` report notes: student-style mistakes (independent of the trusted ones in
`grader.assignments.adam_feedback`) are named, other wrong code is not, values are named."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from probing import Rubrics, explained, probe_function

from grader.assignments.adam_feedback import FEEDBACK
from grader.check_notes import MISTAKE_LINE
from grader.hints import FLOAT32
from reference.adam import adam_step as ref_adam_step

from .test_adam import (
    _train_with,
    adam_eps_inside_sqrt,
    adam_m_v_swapped_betas,
    adam_no_bias_correction,
    adam_zero_based_t,
    gd_wrong_sign,
)

RUBRICS = Rubrics()

SEEDS = (0, 3)      # the mistake must be named whatever the upload's cases
# The comparison that names a mistake is the check's own: rtol=1e-6, atol=1e-9 (rubrics/adam.toml).
NAMED = [
    ("adam_step", adam_no_bias_correction, "a missing bias correction"),
    ("adam_step", adam_eps_inside_sqrt, "eps inside the square root"),
    ("adam_step", adam_zero_based_t, "a 0-based t"),
    ("adam_step", adam_m_v_swapped_betas, "beta1 and beta2 swapped"),
    ("adam_chain", adam_no_bias_correction, "a missing bias correction"),
    ("adam_chain", adam_eps_inside_sqrt, "eps inside the square root"),
    ("gd_step", gd_wrong_sign, "a step up the gradient"),
    ("train_linreg", _train_with(ref_adam_step, losses_after=True), "after its update"),
    ("train_logreg", _train_with(adam_no_bias_correction), "Adam without its bias correction"),
    ("train_linreg", _train_with(ref_adam_step, layout_b_first=True), "laid out as [b, w]"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("check_id", "student", "phrase"), NAMED,
                         ids=[f"{c}-{p}" for c, _, p in NAMED])
def test_a_classic_mistake_is_named(check_id: str, student: Any, phrase: str, seed: int) -> None:
    detail = explained(RUBRICS["adam"], check_id, student, seed)
    assert detail.case >= 1
    assert detail.mistake.startswith(MISTAKE_LINE.split("{")[0]) and phrase in detail.mistake


def adam_lr_squared(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float = 1e-3,
                    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Any:
    """Wrong in a way no note describes."""
    new, m, v = ref_adam_step(theta, grad, m, v, t, lr**2, beta1, beta2, eps)
    return new, m, v


@pytest.mark.parametrize(("check_id", "student"), [
    ("adam_step", adam_lr_squared),
    ("adam_step", lambda theta, grad, m, v, t, *a: (np.zeros_like(theta), m, v)),
    ("gd_step", lambda theta, grad, lr: theta - 2 * lr * grad),
], ids=["lr-squared", "zeros", "gd-double-step"])
def test_another_mistake_is_not_named(check_id: str, student: Any) -> None:
    detail = explained(RUBRICS["adam"], check_id, student, 0)
    assert detail.case >= 1 and detail.mistake == ""


def test_values_are_named_as_the_function_returns_them() -> None:
    detail = explained(RUBRICS["adam"], "adam_step", adam_no_bias_correction, 0)
    assert [a.name for a in detail.inputs] == ["theta", "grad", "m", "v", "t", "lr", "beta1",
                                               "beta2", "eps"]
    assert [o.name for o in detail.outputs] == ["theta"] and detail.agreeing == ("m", "v")
    train = explained(RUBRICS["adam"], "train_linreg", _train_with(adam_no_bias_correction), 0)
    assert {o.name for o in train.outputs} <= {"theta", "losses"}


def test_every_call_check_has_notes() -> None:
    assert {c.id for c in RUBRICS["adam"].checks if c.kind == "call"} == set(FEEDBACK)


def adam_global_step_counter() -> Any:
    """An adam_step that counts its own steps in a global instead of using t; the notebook's
    training ran 5000 steps before the grader's calls (as the tester's group 26)."""
    count = {"t": 5000}

    def adam_step(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float = 1e-3,
                  beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Any:
        count["t"] += 1
        k = count["t"]
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**k)) / (np.sqrt(v / (1 - beta2**k)) + eps), m, v
    return adam_step


def test_a_global_step_counter_is_worded_as_what_it_looks_like() -> None:
    detail = explained(RUBRICS["adam"], "adam_step", adam_global_step_counter(), 0)
    assert detail.mistake.startswith("this looks like a missing bias correction (or one whose "
                                     "step count is far larger than t")
    assert detail.mistake.endswith("your values are what it gives, within the tolerance")


def adam_float32(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Any:
    """The sheet's Adam, every array in float32 (as the tester's group 24)."""
    theta, grad, m, v = (np.asarray(a, dtype=np.float32) for a in (theta, grad, m, v))
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return (theta - step).astype(np.float32), m, v


@pytest.mark.parametrize("seed", (3, 5))     # seeds on which float32 drifts out of tolerance
def test_float32_arithmetic_is_hinted_at_in_the_message(seed: int) -> None:
    result = probe_function(RUBRICS["adam"], "adam_chain", adam_float32, seed).result
    assert result.status == "fail"
    assert result.message.endswith(f" ({FLOAT32})")
    assert explained(RUBRICS["adam"], "adam_chain", adam_float32, seed).reason.endswith(
        f"({FLOAT32})")


def test_a_float64_mistake_gets_no_float32_hint() -> None:
    result = probe_function(RUBRICS["adam"], "adam_step", adam_no_bias_correction, 0).result
    assert result.status == "fail" and FLOAT32 not in result.message


def adam_from_t0(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float) -> Any:
    """train's Adam counting steps from 0 (the tester's group 21): nan from the first step."""
    t, beta1, beta2, eps = t - 1, 0.9, 0.999, 1e-8
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    with np.errstate(all="ignore"):
        return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


@pytest.mark.parametrize("check_id", ["train_linreg", "train_logreg"])
def test_nan_from_an_adam_run_started_at_t0_is_explained(check_id: str) -> None:
    result = probe_function(RUBRICS["adam"], check_id, _train_with(adam_from_t0), 0).result
    assert result.status == "fail" and ", adam, " in result.message     # a case with Adam
    assert "theta contains nan or inf (the bias correction divides by 1 - beta**t, which is 0 " \
           "for t = 0: count steps from 1)" in result.message


def test_the_summary_names_the_output() -> None:
    result = probe_function(RUBRICS["adam"], "adam_step", adam_no_bias_correction, 0).result
    assert "): theta: got " in result.message and "output [" not in result.message
