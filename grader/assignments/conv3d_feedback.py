"""What the reports say about the `conv3d` checks: value names and axes, classic mistakes.

Layout (docs/assignments.md#conv3d): L1 (B, X, Y, T, C'), F (U, V, Z, C', C), L2 and dL2
(B, X-U+1, Y-V+1, T-Z+1, C). Each mistake is trusted code with the student's signature, wrong in
exactly one way; `grader.explain` names it when the student's value is what it gives.
"""

from __future__ import annotations

import numpy as np

from grader.check_notes import CheckNotes, Mistake
from reference.conv3d import conv3d_backward, conv3d_forward, pad_high

L1_AXES = ("b", "x", "y", "t", "c'")
F_AXES = ("u", "v", "z", "c'", "c")
L2_AXES = ("b", "x", "y", "t", "c")


def forward_flipped_kernel(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """A true convolution (the kernel flipped along u, v, z), not the exam's cross-correlation."""
    return conv3d_forward(L1, F[::-1, ::-1, ::-1])


def forward_same_size(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """L2 as large as L1, the windows that overhang zero-padded at the high end."""
    return conv3d_forward(pad_high(L1, *F.shape[:3]), F)


def backward_without_shift(L1: np.ndarray, F: np.ndarray,
                           dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL1 with every window's gradient added at the window's corner [b, x, y, t] instead of
    at [b, x+u, y+v, t+z] (the exam's printed L1.grad)."""
    B, C = L1.shape[0], F.shape[4]
    dL1 = np.zeros(L1.shape)
    _, dF = conv3d_backward(L1, F, dL2)
    for x, y, t in np.ndindex(*dL2.shape[1:4]):
        g = dL2[:, x, y, t, :].reshape(B, 1, 1, 1, 1, C)
        dL1[:, x, y, t, :] += (g * F).sum(axis=(1, 2, 3, 5))
    return dL1, dF


def backward_dF_last_sample(L1: np.ndarray, F: np.ndarray,
                            dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dF from the last sample of the batch only (not summed over b)."""
    dL1, _ = conv3d_backward(L1, F, dL2)
    _, dF = conv3d_backward(L1[-1:], F, dL2[-1:])
    return dL1, dF


def backward_swapped(L1: np.ndarray, F: np.ndarray,
                     dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dF, dL1): the two gradients in the wrong order."""
    dL1, dF = conv3d_backward(L1, F, dL2)
    return dF, dL1


FORWARD = CheckNotes(
    inputs=("L1", "F"), outputs=("L2",), axes=(("L2", L2_AXES),),
    mistakes=(Mistake("a flipped kernel (a true convolution, not the cross-correlation)",
                      forward_flipped_kernel),
              Mistake("an output as large as the input (zero padding at the high end)",
                      forward_same_size)))

FEEDBACK: dict[str, CheckNotes] = {
    "forward": FORWARD,
    "forward_speed": CheckNotes(inputs=FORWARD.inputs, outputs=FORWARD.outputs,
                                axes=FORWARD.axes),
    "backward": CheckNotes(
        inputs=("L1", "F", "dL2"), outputs=("dL1", "dF"),
        axes=(("dL1", L1_AXES), ("dF", F_AXES)),
        mistakes=(Mistake("conv3d backward without the shift (dL1 at [b, x, y, t] instead of "
                          "[b, x+u, y+v, t+z])", backward_without_shift),
                  Mistake("dF not summed over the batch", backward_dF_last_sample),
                  Mistake("returning (dF, dL1) instead of (dL1, dF)", backward_swapped))),
}
