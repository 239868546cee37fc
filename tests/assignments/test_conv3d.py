"""The `conv3d` assignment: rubric, probe generators, classic mistakes, notebook, uploads."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

import nbformat
import numpy as np
import pytest
from probing import Rubrics, cases, caught, grade_file, probe_function

from grader.assignments import conv3d as gen

from .support import (
    ROOT,
    assert_generator_contract,
    assert_release_conventions,
    reference_notebook,
)

SEEDS = range(4)
UPLOADS = ROOT / "submissions" / "conv3d"
GRADED_NAMES = ("conv3d_forward", "conv3d_backward")


# ----------------------------------------------------------------------------- rubric
def test_rubric_checks_points_and_rules(rubrics: Rubrics) -> None:
    r = rubrics["conv3d"]
    assert [(c.id, c.symbol, c.points) for c in r.checks] == [
        ("forward", "conv3d_forward", 10.0), ("backward", "conv3d_backward", 15.0),
        ("forward_speed", "conv3d_forward", 5.0)]
    assert r.max_score == 30.0 and r.upload == "notebook" and r.zero_error
    assert r.team is None     # the student id in the file name says who (docs/assignments.md)
    assert rubrics.check("conv3d", "forward_speed").timeout == 10.0


@pytest.mark.parametrize(("name", "group"), [
    ("conv3d_jdoe42.ipynb", "jdoe42"),
    ("conv3d_abc.ipynb", "abc"),
    ("conv3d_" + "a" * 20 + ".ipynb", "a" * 20),
    ("conv3d_1234567.ipynb", "1234567"),
    ("conv3d_JDoe42.ipynb", None),
    ("conv3d_ab.ipynb", None),
    ("conv3d_" + "a" * 21 + ".ipynb", None),
    ("conv3d_j_doe.ipynb", None),
    ("conv3d_jdoe42.zip", None),
    ("Conv3d_jdoe42.ipynb", None),
], ids=lambda v: str(v))
def test_file_name_pattern(rubrics: Rubrics, name: str, group: str | None) -> None:
    match = re.fullmatch(rubrics["conv3d"].pattern, name)
    assert (match.group("group") if match else None) == group


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("check_id", ["forward", "backward"])
def test_generator_contract(rubrics: Rubrics, check_id: str) -> None:
    assert_generator_contract(rubrics.check("conv3d", check_id))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check_id", ["forward", "backward"])
def test_small_cases_keep_the_promised_bounds(rubrics: Rubrics, check_id: str, seed: int) -> None:
    kernels_u1, kernel_is_input = 0, 0
    for case in cases(rubrics.check("conv3d", check_id), seed):
        L1, F = case.args[:2]
        B, X, Y, T, Ci = L1.shape
        U, V, Z, Fi, Co = F.shape
        assert 1 <= B <= 2 and all(1 <= s <= 6 for s in (X, Y, T))
        assert Ci == Fi and 1 <= Ci <= 3 and 1 <= Co <= 3
        assert all(1 <= k <= min(3, s) for k, s in zip((U, V, Z), (X, Y, T)))
        if check_id == "backward":
            assert case.args[2].shape == gen.output_shape(L1.shape, F.shape)
        kernels_u1 += U == 1
        kernel_is_input += (U, V, Z) == (X, Y, T)
        assert all(a.dtype == np.float64 for a in case.args)
    assert kernels_u1 >= 1 and kernel_is_input >= 1


def test_speed_case(rubrics: Rubrics) -> None:
    (case,) = cases(rubrics.check("conv3d", "forward_speed"), 0)
    assert case.args[0].shape == (8, 16, 16, 16, 8) and case.args[1].shape == (3, 3, 3, 8, 16)


# ----------------------------------------------------------------------------- classic mistakes
def _out(L1: np.ndarray, F: np.ndarray) -> tuple[int, ...]:
    return gen.output_shape(L1.shape, F.shape)


def forward_true_convolution(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Flips the kernel: a convolution, not the exam's cross-correlation."""
    from reference.conv3d import conv3d_forward

    return conv3d_forward(L1, F[::-1, ::-1, ::-1])


def forward_swapped_filter_reshape(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Flattens F in (c', u, v, z) order against a (u, v, z, c') window."""
    B, U, V, Z, C = L1.shape[0], *F.shape[:3], F.shape[4]
    L2 = np.zeros(_out(L1, F))
    F_mat = F.transpose(3, 0, 1, 2, 4).reshape(-1, C)
    for x, y, t in np.ndindex(*L2.shape[1:4]):
        L2[:, x, y, t, :] = L1[:, x:x + U, y:y + V, t:t + Z, :].reshape(B, -1) @ F_mat
    return L2


def forward_same_size(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """The exam's shapes: L2 as large as L1, the overhanging windows zero-padded at the high end."""
    from reference.conv3d import conv3d_forward, pad_high

    return conv3d_forward(pad_high(L1, *F.shape[:3]), F)


def backward_without_shift(L1: np.ndarray, F: np.ndarray,
                           dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exam's L1.grad[b, x, y, t, c']: every window's gradient lands on its corner."""
    B, U, V, Z, Ci, C = L1.shape[0], *F.shape
    dL1, dF = np.zeros(L1.shape), np.zeros(F.shape)
    for x, y, t in np.ndindex(*dL2.shape[1:4]):
        g = dL2[:, x, y, t, :].reshape(B, 1, 1, 1, 1, C)
        dF += (g * L1[:, x:x + U, y:y + V, t:t + Z, :].reshape(B, U, V, Z, Ci, 1)).sum(axis=0)
        dL1[:, x, y, t, :] += (g * F).sum(axis=(1, 2, 3, 5))
    return dL1, dF


def backward_dF_not_summed_over_batch(L1: np.ndarray, F: np.ndarray,
                                      dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keeps only the last sample's contribution to dF."""
    from reference.conv3d import conv3d_backward

    dL1, _ = conv3d_backward(L1, F, dL2)
    _, dF_last = conv3d_backward(L1[-1:], F, dL2[-1:])
    return dL1, dF_last


def backward_swapped_outputs(L1: np.ndarray, F: np.ndarray,
                             dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns (dF, dL1): the reverse of the order in docs/assignments.md#conv3d."""
    from reference.conv3d import conv3d_backward

    dL1, dF = conv3d_backward(L1, F, dL2)
    return dF, dL1


def forward_nine_loops(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Correct, and far too slow for the timed case."""
    U, V, Z, Ci, C = F.shape
    L2 = np.zeros(_out(L1, F))
    for b, x, y, t, c in np.ndindex(*L2.shape):
        for u, v, z, ci in np.ndindex(U, V, Z, Ci):
            L2[b, x, y, t, c] += F[u, v, z, ci, c] * L1[b, x + u, y + v, t + z, ci]
    return L2


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("forward", forward_true_convolution, "flipped kernel (true convolution)"),
    ("forward", forward_swapped_filter_reshape, "filter flattened in another order"),
    ("forward", forward_same_size, "same-size output (the exam's shapes)"),
    ("forward", lambda L1, F: np.zeros(_out(L1, F)), "zeros"),
    ("backward", backward_without_shift, "dL1 without the shift"),
    ("backward", backward_dF_not_summed_over_batch, "dF not summed over the batch"),
    ("backward", backward_swapped_outputs, "returns (dF, dL1)"),
    ("backward", lambda L1, F, dL2: (np.zeros(L1.shape), np.zeros(F.shape)), "zeros"),
]


@pytest.mark.parametrize(("check_id", "buggy", "what"), MISTAKES,
                         ids=[f"{c}-{w}" for c, _, w in MISTAKES])
def test_probes_catch_classic_mistakes(rubrics: Rubrics, check_id: str, buggy: Callable[..., Any],
                                       what: str) -> None:
    for seed in SEEDS:
        assert caught(rubrics["conv3d"], check_id, buggy, seed), \
            f"{what} passes every case of seed {seed}"


def test_nine_nested_loops_are_correct_on_small_shapes(rubrics: Rubrics) -> None:
    assert not caught(rubrics["conv3d"], "forward", forward_nine_loops, 0)


# ----------------------------------------------------------------------------- correct alternatives
def forward_einsum(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    U, V, Z = F.shape[:3]
    windows = np.lib.stride_tricks.sliding_window_view(L1, (U, V, Z), axis=(1, 2, 3))
    return np.einsum("bxytcuvz,uvzcd->bxytd", windows, F)


def backward_einsum(L1: np.ndarray, F: np.ndarray,
                    dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    U, V, Z = F.shape[:3]
    windows = np.lib.stride_tricks.sliding_window_view(L1, (U, V, Z), axis=(1, 2, 3))
    dF = np.einsum("bxytcuvz,bxytd->uvzcd", windows, dL2)
    dL1 = np.zeros(L1.shape)
    X2, Y2, T2 = dL2.shape[1:4]
    for u, v, z in np.ndindex(U, V, Z):
        dL1[:, u:u + X2, v:v + Y2, z:z + T2, :] += np.einsum("bxytd,cd->bxytc", dL2, F[u, v, z])
    return dL1, dF


def backward_torch(L1: np.ndarray, F: np.ndarray, dL2: np.ndarray) -> list[Any]:
    """Autograd through torch's conv3d; returns a list of tensors (accepted like a tuple)."""
    torch = pytest.importorskip("torch")
    l1 = torch.tensor(L1, requires_grad=True)
    f = torch.tensor(F, requires_grad=True)
    out = torch.nn.functional.conv3d(l1.permute(0, 4, 1, 2, 3), f.permute(4, 3, 0, 1, 2))
    out.permute(0, 2, 3, 4, 1).backward(torch.tensor(dL2))
    return [l1.grad, f.grad]


ALTERNATIVES: list[tuple[str, Callable[..., Any]]] = [
    ("forward", forward_einsum),
    ("forward_speed", forward_einsum),
    ("backward", backward_einsum),
    ("backward", backward_torch),
]


@pytest.mark.parametrize(("check_id", "fn"), ALTERNATIVES,
                         ids=[f"{c}-{getattr(f, '__name__', i)}"
                              for i, (c, f) in enumerate(ALTERNATIVES)])
def test_correct_alternatives_pass_every_case(rubrics: Rubrics, check_id: str,
                                              fn: Callable[..., Any]) -> None:
    for seed in SEEDS if check_id != "forward_speed" else range(1):
        failed = probe_function(rubrics["conv3d"], check_id, fn, seed).failed
        assert not failed, f"seed {seed}: {failed[0].label}: {failed[0].verdict.message}"


# ----------------------------------------------------------------------------- notebook and uploads
def test_reference_notebook_layout_and_student_version() -> None:
    text = "\n".join(c.source for c in reference_notebook("conv3d").cells)
    assert r"L_1.\mathrm{grad}[b,\, x+u,\, y+v,\, t+z,\, c']" in text   # the shifted index
    assert "x:x + U" in text and "x:x_U" in text  # the fix, and the note on the exam's typo
    assert_release_conventions("conv3d", "# Team\n", GRADED_NAMES)


def test_the_name_error_upload_has_its_typo_in_cell_11() -> None:
    typo = nbformat.read(UPLOADS / "conv3d_mmust3.ipynb", as_version=4)
    assert "conv3d_foward(" in typo.cells[10].source     # cell 11, 1-based


@pytest.mark.kernel
@pytest.mark.slow
def test_the_name_error_upload_loses_its_points_only_to_the_zero_error_rule(
        rubrics: Rubrics) -> None:
    """conv3d_mmust3.ipynb: its functions are right, the timing cell has a typo."""
    lenient = dataclasses.replace(rubrics["conv3d"], zero_error=False)
    grade = grade_file(UPLOADS / "conv3d_mmust3.ipynb", lenient)
    assert (grade.status, grade.score) == ("graded", lenient.max_score), grade.checks
    assert grade.first_error is not None and grade.first_error.cell == 11
    assert "conv3d_foward" in grade.first_error.summary()
