"""Probe inputs for the `conv3d` assignment (seed 003, Problem 3): forward, backward and speed.

Layout (docs/assignments.md#conv3d): L1 (B, X, Y, T, C'), F (U, V, Z, C', C),
L2 (B, X-U+1, Y-V+1, T-Z+1, C), a cross-correlation with no padding and stride 1. Every argument
is a float64 numpy array.

The small cases keep B <= 2, X, Y, T <= 6, C', C <= 3 and U, V, Z <= 3, with sizes drawn so that
no two of X, Y, T (or U, V, Z) are forced equal: swapped axes, a flipped kernel (a true
convolution), a missing shift in the gradient of L1, or a transposed filter reshape all change
the result. Every generator includes a kernel with U = 1 and a kernel as large as the input (a
1 x 1 x 1 output). `forward_speed_cases` is the one timed case of the rubric.
"""

from __future__ import annotations

import numpy as np

from grader.assignments.conv3d_feedback import FEEDBACK  # noqa: F401 (report notes)
from grader.probe_runtime import Case

MAX_BATCH = 2
MAX_SPATIAL = 6
MAX_CHANNELS = 3
MAX_KERNEL = 3
SPEED_L1_SHAPE = (8, 16, 16, 16, 8)
SPEED_F_SHAPE = (3, 3, 3, 8, 16)

Shapes = tuple[tuple[int, int, int, int, int], tuple[int, int, int, int, int]]


def _channels(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(1, MAX_CHANNELS + 1)), int(rng.integers(1, MAX_CHANNELS + 1))


def _random_shapes(rng: np.random.Generator) -> Shapes:
    """Any admissible pair of shapes: kernel <= 3 and <= the input along every axis."""
    batch = int(rng.integers(1, MAX_BATCH + 1))
    sizes = [int(s) for s in rng.integers(1, MAX_SPATIAL + 1, size=3)]
    kernel = [int(rng.integers(1, min(MAX_KERNEL, s) + 1)) for s in sizes]
    c_in, c_out = _channels(rng)
    return (batch, *sizes, c_in), (*kernel, c_in, c_out)  # type: ignore[return-value]


def _case_shapes(rng: np.random.Generator) -> list[tuple[Shapes, str]]:
    """Six shape pairs: a general one, U = 1, a 1x1x1 kernel, kernel = input, two random."""
    c_in, c_out = _channels(rng)
    general = ((2, 6, 5, 4, 3), (3, 2, 3, 3, 2))
    u_one = ((int(rng.integers(1, 3)), 4, 5, 6, c_in), (1, 2, 3, c_in, c_out))
    c_in, c_out = _channels(rng)
    point = ((int(rng.integers(1, 3)), 3, 4, 2, c_in), (1, 1, 1, c_in, c_out))
    c_in, c_out = _channels(rng)
    whole = ((int(rng.integers(1, 3)), 3, 2, 3, c_in), (3, 2, 3, c_in, c_out))
    return [
        (general, "B=2, L1 (2, 6, 5, 4, 3), F (3, 2, 3, 3, 2)"),
        (u_one, f"U=1: L1 {u_one[0]}, F {u_one[1]}"),
        (point, f"1x1x1 kernel: L1 {point[0]}, F {point[1]}"),
        (whole, f"kernel as large as the input: L1 {whole[0]}, F {whole[1]}"),
        *[(shapes, f"random: L1 {shapes[0]}, F {shapes[1]}")
          for shapes in (_random_shapes(rng), _random_shapes(rng))],
    ]


def output_shape(l1_shape: tuple[int, ...], f_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of L2 for inputs of these shapes."""
    B, X, Y, T, _ = l1_shape
    U, V, Z, _, C = f_shape
    return (B, X - U + 1, Y - V + 1, T - Z + 1, C)


def forward_cases(rng: np.random.Generator) -> list[Case]:
    """conv3d_forward(L1, F) on six small shape pairs (U = 1 and kernel = input included)."""
    return [Case((rng.standard_normal(l1), rng.standard_normal(f)), label=label)
            for (l1, f), label in _case_shapes(rng)]


def backward_cases(rng: np.random.Generator) -> list[Case]:
    """conv3d_backward(L1, F, dL2) on six small shape pairs; compares the tuple (dL1, dF)."""
    return [Case((rng.standard_normal(l1), rng.standard_normal(f),
                  rng.standard_normal(output_shape(l1, f))), label=label)
            for (l1, f), label in _case_shapes(rng)]


def forward_speed_cases(rng: np.random.Generator) -> list[Case]:
    """One forward of the size the exam has in mind: L1 (8, 16, 16, 16, 8), F (3, 3, 3, 8, 16)."""
    return [Case((rng.standard_normal(SPEED_L1_SHAPE), rng.standard_normal(SPEED_F_SHAPE)),
                 label=f"L1 {SPEED_L1_SHAPE}, F {SPEED_F_SHAPE} within the time limit")]
