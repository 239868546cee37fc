"""reference.conv3d against torch.nn.functional.conv3d (forward) and its autograd (backward)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from reference.conv3d import (
    conv3d_backward,
    conv3d_backward_naive,
    conv3d_forward,
    conv3d_naive,
    pad_high,
)
from reference.gradcheck import numerical_gradient

# (B, X, Y, T, Ci, U, V, Z, Co)
SHAPES = [
    (2, 5, 4, 6, 3, 2, 3, 2, 2),
    (1, 4, 4, 4, 2, 1, 1, 1, 3),
    (2, 3, 4, 2, 2, 3, 4, 2, 3),
    (2, 6, 1, 3, 1, 3, 1, 2, 1),
    (1, 3, 3, 3, 3, 1, 3, 2, 2),
]
SHAPE_IDS = ["general", "U=V=Z=1", "kernel=input", "thin-axis", "U=1-mixed"]
TOLS = {"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}  # (rtol, atol relative to the scale)


def make_case(shape: tuple[int, ...], seed: int, dtype: str = "float64") -> dict[str, np.ndarray]:
    B, X, Y, T, Ci, U, V, Z, Co = shape
    rng = np.random.default_rng(seed)
    return {
        "L1": rng.standard_normal((B, X, Y, T, Ci)).astype(dtype),
        "F": rng.standard_normal((U, V, Z, Ci, Co)).astype(dtype),
        "dL2": rng.standard_normal((B, X - U + 1, Y - V + 1, T - Z + 1, Co)).astype(dtype),
    }


def torch_conv(L1: np.ndarray, F: np.ndarray, dL2: np.ndarray | None = None) -> Any:
    """L2 by torch conv3d (a cross-correlation) in our layout; with dL2 also (dL1, dF)."""
    import torch

    t1 = torch.tensor(L1, requires_grad=True)
    tf = torch.tensor(F, requires_grad=True)
    out = torch.nn.functional.conv3d(t1.permute(0, 4, 1, 2, 3), tf.permute(4, 3, 0, 1, 2))
    L2 = out.permute(0, 2, 3, 4, 1)
    if dL2 is None:
        return L2.detach().numpy()
    dl1, df = torch.autograd.grad((L2 * torch.tensor(dL2)).sum(), (t1, tf))
    return L2.detach().numpy(), dl1.numpy(), df.numpy()


def assert_close(got: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    rtol, atol = TOLS[dtype]
    assert got.shape == expected.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol * np.abs(expected).max())


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"], ids=["f64", "f32"])
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_forward_and_backward_match_torch(shape: tuple[int, ...], dtype: str) -> None:
    pytest.importorskip("torch")
    c = make_case(shape, seed=sum(shape), dtype=dtype)
    L2, dL1, dF = torch_conv(c["L1"], c["F"], c["dL2"])
    assert_close(conv3d_forward(c["L1"], c["F"]), L2, dtype)
    got_dL1, got_dF = conv3d_backward(c["L1"], c["F"], c["dL2"])  # order (dL1, dF)
    assert_close(got_dL1, dL1, dtype)
    assert_close(got_dF, dF, dtype)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[2]], ids=["general", "kernel=input"])
def test_naive_loops_match_torch(shape: tuple[int, ...]) -> None:
    pytest.importorskip("torch")
    c = make_case(shape, seed=3)
    L2, dL1, dF = torch_conv(c["L1"], c["F"], c["dL2"])
    assert_close(conv3d_naive(c["L1"], c["F"]), L2, "float64")
    got_dL1, got_dF = conv3d_backward_naive(c["L1"], c["F"], c["dL2"])
    assert_close(got_dL1, dL1, "float64")
    assert_close(got_dF, dF, "float64")


def test_backward_matches_central_differences() -> None:
    c = make_case((1, 3, 3, 2, 2, 2, 2, 1, 2), seed=4)

    def loss(L1: np.ndarray, F: np.ndarray) -> float:
        return float(np.sum(conv3d_forward(L1, F) * c["dL2"]))

    dL1, dF = conv3d_backward(c["L1"], c["F"], c["dL2"])
    np.testing.assert_allclose(dF, numerical_gradient(lambda f: loss(c["L1"], f), c["F"]),
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(dL1, numerical_gradient(lambda l1: loss(l1, c["F"]), c["L1"]),
                               rtol=1e-7, atol=1e-8)


@pytest.mark.torch
def test_pad_high_gives_the_exam_shapes_and_matches_torch_high_padding() -> None:
    torch = pytest.importorskip("torch")
    c = make_case((2, 4, 5, 3, 2, 3, 2, 2, 3), seed=5)
    U, V, Z = c["F"].shape[:3]
    padded = pad_high(c["L1"], U, V, Z)
    L2 = conv3d_forward(padded, c["F"])
    assert L2.shape == (*c["L1"].shape[:4], 3)
    t1 = torch.nn.functional.pad(torch.tensor(c["L1"]).permute(0, 4, 1, 2, 3),
                                 (0, Z - 1, 0, V - 1, 0, U - 1))  # last dim first
    expected = torch.nn.functional.conv3d(t1, torch.tensor(c["F"]).permute(4, 3, 0, 1, 2))
    assert_close(L2, expected.permute(0, 2, 3, 4, 1).numpy(), "float64")
    np.testing.assert_array_equal(padded[:, 4:], 0.0)


@pytest.mark.torch
def test_exam_size_forward_is_fast_and_correct() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    L1, F = rng.standard_normal((8, 16, 16, 16, 8)), rng.standard_normal((3, 3, 3, 8, 16))
    start = time.perf_counter()
    L2 = conv3d_forward(L1, F)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"forward took {elapsed:.2f} s"
    assert_close(L2, torch_conv(L1, F), "float64")


@pytest.mark.parametrize(("L1_shape", "F_shape", "match"), [
    ((1, 2, 4, 4, 1), (3, 1, 1, 1, 1), "larger"),
    ((1, 4, 4, 4, 2), (1, 1, 1, 3, 1), "Ci"),
    ((4, 4, 4, 2), (1, 1, 1, 2, 1), "Ci"),
], ids=["kernel-too-large", "channel-mismatch", "missing-batch-axis"])
def test_bad_shapes_raise(L1_shape: tuple[int, ...], F_shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        conv3d_forward(np.zeros(L1_shape), np.zeros(F_shape))


def test_backward_checks_the_gradient_shape() -> None:
    c = make_case(SHAPES[0], seed=8)
    with pytest.raises(ValueError, match="dL2"):
        conv3d_backward(c["L1"], c["F"], c["dL2"][:, :-1])
