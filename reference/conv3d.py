"""Seed 003, Problem 3: a 3-D convolution layer in numpy, forward and backward.

Layout (docs/assignments.md#conv3d; cross-correlation, no padding, stride 1):
    L1 (B, X, Y, T, Ci), F (U, V, Z, Ci, Co), L2 (B, X-U+1, Y-V+1, T-Z+1, Co),
    L2[b,x,y,t,c] = sum_{u,v,z,c'} F[u,v,z,c',c] * L1[b,x+u,y+v,t+z,c'].

Seed errors (docs/exercises.md#errors-in-the-sheets-worked-solutions), all fixed here:
- The statement writes F[u,v,c'] and L1[b,x+u,y+v,t+z,c',c]; right: F[u,v,z,c',c] and
  L1[b,x+u,y+v,t+z,c']. Its shapes do not fit: with L1 (B,H,W,T,C') and L2 (B,H,W,T,C) the index
  x+u runs past H-1. Either L2 shrinks (this module) or L1 is padded at the high end (`pad_high`).
- P3a: L1.value[x+u, y+v, z+t, c'] drops the batch index; right: L1.value[b, x+u, y+v, t+z, c'].
- P3c: F.grad[u,v,w,...] should be F.grad[u,v,z,...], and L1.grad must be indexed at the
  SHIFTED position: L1.grad[b,x+u,y+v,t+z,c'] += L2.grad[b,x,y,t,c] * F.value[u,v,z,c',c]
  (the seed's L1.grad[b,x,y,t,c'] is wrong).
- P3b/P3d code: `x:x_U` must be `x:x+U`; Range/Li/LiSlice/L1slice/L2.gradSlice/C' are typos.
"""

from __future__ import annotations

from itertools import product

import numpy as np


def _out_shape(L1: np.ndarray, F: np.ndarray) -> tuple[int, int, int, int, int]:
    """(B, X-U+1, Y-V+1, T-Z+1, Co), after checking that the shapes fit."""
    if L1.ndim != 5 or F.ndim != 5 or L1.shape[4] != F.shape[3]:
        raise ValueError(f"need L1 (B,X,Y,T,Ci) and F (U,V,Z,Ci,Co); got {L1.shape}, {F.shape}")
    B, X, Y, T, _ = L1.shape
    U, V, Z, _, Co = F.shape
    if U > X or V > Y or Z > T:
        raise ValueError(f"kernel {F.shape[:3]} is larger than the input {L1.shape[1:4]}")
    return B, X - U + 1, Y - V + 1, T - Z + 1, Co


def conv3d_forward(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """L2 = the valid 3-D cross-correlation of L1 with F (the exam's P3b, corrected).

    One matmul per output position: L2[:,x,y,t,:] = L1[:, x:x+U, y:y+V, t:t+Z, :].reshape(B, -1)
    @ F.reshape(-1, Co); both reshapes flatten (u, v, z, c') in the same row-major order.

    Args:
        L1: input, (B, X, Y, T, Ci), float64 or float32.
        F: filters, (U, V, Z, Ci, Co), same dtype.

    Returns:
        L2, (B, X-U+1, Y-V+1, T-Z+1, Co), in the common dtype of L1 and F.
    """
    L1, F = np.asarray(L1), np.asarray(F)
    B, Xo, Yo, To, Co = _out_shape(L1, F)
    U, V, Z = F.shape[:3]
    F_flat = F.reshape(-1, Co)
    L2 = np.empty((B, Xo, Yo, To, Co), dtype=np.result_type(L1, F))
    for x, y, t in product(range(Xo), range(Yo), range(To)):
        L2[:, x, y, t, :] = L1[:, x:x + U, y:y + V, t:t + Z, :].reshape(B, -1) @ F_flat
    return L2


def conv3d_backward(L1: np.ndarray, F: np.ndarray,
                    dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a loss through `conv3d_forward` (the exam's P3d, corrected).

    Per output position, with g = dL2[:, x, y, t, :] (B, Co) and the slice S = L1[:, x:x+U,
    y:y+V, t:t+Z, :] (a view, so += writes into dL1):
        dF += S.reshape(B, -1).T @ g       (the exam's (g * S[..., None]).sum(axis=0))
        dL1[:, x:x+U, y:y+V, t:t+Z, :] += (g @ F.reshape(-1, Co).T).reshape(S.shape)
    i.e. L1.grad[b, x+u, y+v, t+z, c'] += L2.grad[b,x,y,t,c] F[u,v,z,c',c] at the SHIFTED index.

    Args:
        L1: (B, X, Y, T, Ci); F: (U, V, Z, Ci, Co); dL2: dLoss/dL2, (B, X-U+1, Y-V+1, T-Z+1, Co).

    Returns:
        (dL1, dF): dLoss/dL1 (B, X, Y, T, Ci) and dLoss/dF (U, V, Z, Ci, Co), in this order.
    """
    L1, F, dL2 = np.asarray(L1), np.asarray(F), np.asarray(dL2)
    out_shape = _out_shape(L1, F)
    if dL2.shape != out_shape:
        raise ValueError(f"dL2 must have shape {out_shape}, got {dL2.shape}")
    B, Xo, Yo, To, Co = out_shape
    U, V, Z = F.shape[:3]
    dtype = np.result_type(L1, F, dL2)
    F_flat_T = F.reshape(-1, Co).T
    dL1 = np.zeros(L1.shape, dtype=dtype)
    dF_flat = np.zeros((U * V * Z * L1.shape[4], Co), dtype=dtype)
    for x, y, t in product(range(Xo), range(Yo), range(To)):
        g = dL2[:, x, y, t, :]
        window = (slice(None), slice(x, x + U), slice(y, y + V), slice(t, t + Z))
        dF_flat += L1[window].reshape(B, -1).T @ g
        dL1[window] += (g @ F_flat_T).reshape(B, U, V, Z, -1)
    return dL1, dF_flat.reshape(F.shape)


def conv3d_naive(L1: np.ndarray, F: np.ndarray) -> np.ndarray:
    """The P3a += expression as nine plain loops (tiny shapes only: orders of magnitude slower).

    for all b, x, y, t, c, u, v, z, c': L2[b,x,y,t,c] += F[u,v,z,c',c] * L1[b,x+u,y+v,t+z,c'].

    Args/Returns: as `conv3d_forward`.
    """
    L1, F = np.asarray(L1), np.asarray(F)
    shape = _out_shape(L1, F)
    L2 = np.zeros(shape, dtype=np.result_type(L1, F))
    for b, x, y, t, c in product(*(range(n) for n in shape)):
        for u, v, z, ci in product(*(range(n) for n in F.shape[:4])):
            L2[b, x, y, t, c] += F[u, v, z, ci, c] * L1[b, x + u, y + v, t + z, ci]
    return L2


def conv3d_backward_naive(L1: np.ndarray, F: np.ndarray,
                          dL2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The corrected P3c += expressions as plain loops (tiny shapes only).

    F.grad[u,v,z,c',c] += L2.grad[b,x,y,t,c] * L1.value[b,x+u,y+v,t+z,c']
    L1.grad[b,x+u,y+v,t+z,c'] += L2.grad[b,x,y,t,c] * F.value[u,v,z,c',c]

    Args/Returns: as `conv3d_backward`, (dL1, dF).
    """
    L1, F, dL2 = np.asarray(L1), np.asarray(F), np.asarray(dL2)
    shape = _out_shape(L1, F)
    dtype = np.result_type(L1, F, dL2)
    dL1, dF = np.zeros(L1.shape, dtype=dtype), np.zeros(F.shape, dtype=dtype)
    for b, x, y, t, c in product(*(range(n) for n in shape)):
        for u, v, z, ci in product(*(range(n) for n in F.shape[:4])):
            dF[u, v, z, ci, c] += dL2[b, x, y, t, c] * L1[b, x + u, y + v, t + z, ci]
            dL1[b, x + u, y + v, t + z, ci] += dL2[b, x, y, t, c] * F[u, v, z, ci, c]
    return dL1, dF


def pad_high(L1: np.ndarray, U: int, V: int, Z: int) -> np.ndarray:
    """Zero-pad L1 at the HIGH end of X, Y, T by U-1, V-1, Z-1: the exam's "same" shapes.

    conv3d_forward(pad_high(L1, U, V, Z), F) has shape (B, X, Y, T, Co), the L2 shape the exam
    states for L1 (B, X, Y, T, Ci). This is not torch's padding='same', which centres the zeros.

    Args:
        L1: (B, X, Y, T, Ci); U, V, Z: the kernel sizes (>= 1).

    Returns:
        (B, X+U-1, Y+V-1, T+Z-1, Ci), same dtype, zeros in the added cells.
    """
    if min(U, V, Z) < 1:
        raise ValueError(f"kernel sizes must be >= 1, got {(U, V, Z)}")
    return np.pad(np.asarray(L1), ((0, 0), (0, U - 1), (0, V - 1), (0, Z - 1), (0, 0)))
