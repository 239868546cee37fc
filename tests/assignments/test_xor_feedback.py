"""`xor` report notes: student-style mistakes (on torch tensors) are named."""

from __future__ import annotations

from typing import Any, Callable

import pytest

torch = pytest.importorskip("torch")

from probing import Rubrics, explained  # noqa: E402

from grader.assignments.xor_feedback import FEEDBACK  # noqa: E402

from .test_xor import MISTAKES as STUDENT_MISTAKES  # noqa: E402

RUBRICS = Rubrics()


pytestmark = pytest.mark.torch
SEEDS = (0, 1)
# test_xor's student-style mistake -> the phrase the report must use (None: no note names it).
PHRASES = {
    "sign-flipped exponent": "exp(x) instead of exp(-x)",
    "tanh": "tanh instead of the sigmoid",
    "plus instead of minus": "sigma + sigma**2",
    "lost minus read as a product": "the sheet's lost minus sign",
    "sigma (1 + sigma)": "sigma + sigma**2 = sigma (1 + sigma)",   # the same function
    "terms through x**2": "stopping at the x**2 term",
    "wrong sign of the cubic": "+x**3/48",
    "cubic without the 1/2": "x**3/24 instead of /48",
    "no output sigmoid": "leaving out the output sigmoid",
    "transposed Wi": "Wi transposed",
    "hidden bias dropped": "leaving out the hidden bias",
    "without the 1/2": "a loss without the 1/2",
    "mean instead of sum": "a mean instead of the sum",
    "absolute error": "absolute instead of squared errors",
    "per-unit hidden bias": "a per-unit bias in XOR",
    "ba averaged over the hidden units": "averaged over the hidden units",
    "output sigmoid slope forgotten": "output sigmoid's slope",
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("check_id", "student", "what"), STUDENT_MISTAKES,
                         ids=[f"{c}-{w}" for c, _, w in STUDENT_MISTAKES])
def test_classic_mistakes_are_named_and_others_are_not(check_id: str,
                                                      student: Callable[..., Any], what: str,
                                                      seed: int) -> None:
    detail = explained(RUBRICS["xor"], check_id, student, seed)
    assert detail.case >= 1
    phrase = PHRASES[what]
    if phrase is None:
        assert detail.mistake == ""
    else:
        assert phrase in detail.mistake


def test_a_per_unit_bias_shows_both_shapes() -> None:
    student = dict((w, f) for _, f, w in STUDENT_MISTAKES)["per-unit hidden bias"]
    detail = explained(RUBRICS["xor"], "manual_grads", student, 0)
    (ba,) = detail.outputs
    assert (ba.name, ba.verdict) == ("ba", "shape") and set(detail.agreeing) == {"Wi", "Wo", "bo"}
    assert "tensor" in {a.kind for a in detail.inputs}


def test_every_call_check_has_notes() -> None:
    assert {c.id for c in RUBRICS["xor"].checks if c.kind != "manual"} == set(FEEDBACK)


def forward_nn_linear_layout(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """Right when Wi is (2, 2) (H = 2); X @ Wi.T, the nn.Linear layout, for any other H."""
    if Wi.shape == (2, 2):
        return torch.sigmoid(torch.sigmoid(X @ Wi + ba) @ Wo + bo)
    return torch.sigmoid(torch.sigmoid(X @ Wi.T + ba) @ Wo + bo)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_transposed_wi_is_named_from_the_shape_error_it_raises(seed: int) -> None:
    detail = explained(RUBRICS["xor"], "forward", forward_nn_linear_layout, seed)
    assert detail.cases[detail.case - 1].status == "error"
    assert "mat1 and mat2 shapes cannot be multiplied" in detail.reason
    assert detail.mistake.startswith("this looks like Wi transposed (X @ Wi.T")
    assert "the sheet's Wi is (2, H)" in detail.mistake


def test_another_shape_error_is_not_named() -> None:
    from grader.assignments.xor_feedback import wi_transposed_error

    X, Wi = torch.zeros(4, 2, dtype=torch.float64), torch.zeros(2, 8, dtype=torch.float64)
    with pytest.raises(RuntimeError) as transposed:
        X @ Wi.T
    with pytest.raises(RuntimeError) as other:
        X.T @ Wi.T
    assert wi_transposed_error((X, Wi), f"RuntimeError: {transposed.value}")
    assert not wi_transposed_error((X, Wi), f"RuntimeError: {other.value}")
    assert not wi_transposed_error((X, Wi[:, :2]), f"RuntimeError: {transposed.value}")
    assert wi_transposed_error((X.numpy(), Wi.numpy()),
                               "ValueError: shapes (4,2) and (8,2) not aligned: 2 (dim 1) != 8")
