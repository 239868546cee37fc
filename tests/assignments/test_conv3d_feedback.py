"""`conv3d` report notes: student-style mistakes are named, values and axes are named."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from probing import Rubrics, explained

from grader.assignments.conv3d_feedback import FEEDBACK, L1_AXES

from .test_conv3d import (
    backward_dF_not_summed_over_batch,
    backward_swapped_outputs,
    backward_without_shift,
    forward_same_size,
    forward_true_convolution,
)

RUBRICS = Rubrics()

SEEDS = (0, 2)
# Named through the check's own comparison (the rubric's default rtol=1e-6, atol=1e-9).
NAMED: list[tuple[str, Callable[..., Any], str]] = [
    ("forward", forward_true_convolution, "a flipped kernel"),
    ("forward", forward_same_size, "as large as the input"),
    ("backward", backward_without_shift, "conv3d backward without the shift"),
    ("backward", backward_dF_not_summed_over_batch, "not summed over the batch"),
    ("backward", backward_swapped_outputs, "(dF, dL1) instead of (dL1, dF)"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("check_id", "student", "phrase"), NAMED,
                         ids=[f"{c}-{p}" for c, _, p in NAMED])
def test_a_classic_mistake_is_named(check_id: str, student: Callable[..., Any], phrase: str,
                                    seed: int) -> None:
    assert phrase in explained(RUBRICS["conv3d"], check_id, student, seed).mistake


def test_zeros_are_not_a_named_mistake() -> None:
    detail = explained(RUBRICS["conv3d"], "backward",
                       lambda L1, F, dL2: (np.zeros(L1.shape), np.zeros(F.shape)), 0)
    assert detail.case == 1 and detail.mistake == ""
    assert [o.name for o in detail.outputs] == ["dL1", "dF"]


def test_the_failing_case_names_inputs_and_outputs() -> None:
    detail = explained(RUBRICS["conv3d"], "backward", backward_without_shift, 0)
    assert [(a.name, a.kind) for a in detail.inputs] == [("L1", "array"), ("F", "array"),
                                                         ("dL2", "array")]
    assert detail.inputs[0].shape == (2, 6, 5, 4, 3)
    (dl1,) = detail.outputs
    assert (dl1.name, dl1.verdict) == ("dL1", "differs") and detail.agreeing == ("dF",)
    assert dl1.elements and all(len(e.index.split(",")) == 5 for e in dl1.elements)
    assert FEEDBACK["backward"].axis_names("dL1") == L1_AXES


def test_every_call_check_has_notes() -> None:
    assert {c.id for c in RUBRICS["conv3d"].checks if c.kind == "call"} == set(FEEDBACK)
