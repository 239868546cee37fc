"""The comparator of the `xor` assignment's `solves_xor` check (pure numpy, no reference).

`solves_xor` runs the network of the sheet (`yhat = sigmoid(sigmoid(X @ Wi + ba) @ Wo + bo)`,
docs/assignments.md#xor) on the student's trained parameters and thresholds at 0.5. It is the only
code of the assignment a student's check kit needs (`grader.kit`), so it lives apart from the
input generators (`grader.assignments.xor`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.compare import Verdict, as_array, describe

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0.0, 1.0, 1.0, 0.0])
PARAMETERS = ("Wi", "ba", "Wo", "bo")


def _trained_parameters(got: Any) -> dict[str, np.ndarray] | Verdict:
    """The four parameters as float64 arrays of the sheet's layout, or a failing Verdict."""
    if not isinstance(got, dict):
        return Verdict(False,
                       f"expected the variables {', '.join(PARAMETERS)}, got {describe(got)}")
    got = dict(got)
    for name in PARAMETERS:
        value = got.get(name)
        if isinstance(value, (list, tuple)) and as_array(value) is not None:
            value = got[name] = as_array(value)   # trained in numpy, then .tolist(): fine
        if not isinstance(value, np.ndarray):
            return Verdict(False,
                           f"{name} is {describe(value)}; expected a tensor (or array) of numbers")
        if not np.all(np.isfinite(value)):
            return Verdict(False, f"{name} contains inf or nan")
    Wi, ba, Wo, bo = (got[name] for name in PARAMETERS)
    if Wi.ndim != 2 or Wi.shape[0] != 2 or Wi.shape[1] < 1:
        hint = (" (it looks transposed, the layout of nn.Linear.weight)"
                if Wi.ndim == 2 and Wi.shape[1] == 2 and Wi.shape[0] != 2 else "")
        return Verdict(False, f"Wi has shape {Wi.shape}; expected (2, H), one column per hidden "
                              f"unit, so that X @ Wi works{hint}")
    hidden = Wi.shape[1]
    if ba.size != 1 or ba.ndim > 1:
        return Verdict(False, f"ba has shape {ba.shape}; expected a scalar (shape ()): the sheet's "
                              f"ba is one bias shared by all hidden units")
    if Wo.shape not in ((hidden,), (hidden, 1)):
        return Verdict(False, f"Wo has shape {Wo.shape}; expected ({hidden},), one weight per "
                              f"hidden unit (Wi has {hidden} columns)")
    if bo.size != 1 or bo.ndim > 1:
        return Verdict(False, f"bo has shape {bo.shape}; expected a scalar (shape ())")
    return {"Wi": Wi, "ba": ba.reshape(()), "Wo": Wo.reshape(hidden), "bo": bo.reshape(())}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow, as `reference.sigmoid.sigmoid` computes it in numpy."""
    ex = np.exp(np.where(x < 0, x, -x))
    return np.where(x >= 0, np.ones_like(ex), ex) / (1.0 + ex)


def xor_forward(X: np.ndarray, Wi: np.ndarray, ba: np.ndarray, Wo: np.ndarray,
                bo: np.ndarray) -> np.ndarray:
    """yhat = sigma(sigma(X @ Wi + ba) @ Wo + bo) for float64 arrays.

    Args:
        X: (N, 2); Wi: (2, H); ba: () one bias shared by the hidden units; Wo: (H,); bo: ().

    Returns:
        yhat, (N,).
    """
    z = _sigmoid(X @ Wi + ba.reshape(()))
    return _sigmoid(z @ Wo + bo.reshape(()))


def solves_xor(got: Any, expected: Any) -> Verdict:
    """Pass when the sheet's forward on the student's Wi, ba, Wo, bo thresholds to 0 1 1 0.

    Args:
        got: {"Wi": (2, H), "ba": () or (1,), "Wo": (H,) or (H, 1), "bo": () or (1,)}, the
            student's trained parameters as plain float64 arrays.
        expected: unused (the check has no reference value).

    Returns:
        A Verdict whose message shows the outputs and the thresholded predictions.
    """
    params = _trained_parameters(got)
    if isinstance(params, Verdict):
        return params
    with np.errstate(all="ignore"):
        yhat = xor_forward(XOR_INPUTS, params["Wi"], params["ba"], params["Wo"], params["bo"])
    outputs = " ".join(f"{v:.3f}" for v in yhat)
    predictions = (yhat > 0.5).astype(int)
    shown = " ".join(str(p) for p in predictions)
    hidden = params["Wi"].shape[1]
    if np.array_equal(predictions, XOR_TARGETS.astype(int)):
        return Verdict(True, f"the reference forward on your Wi, ba, Wo, bo (H = {hidden}) gives "
                             f"{outputs} -> {shown}")
    return Verdict(False, f"the reference forward on your Wi, ba, Wo, bo (H = {hidden}) gives "
                          f"{outputs} for the inputs (0,0) (0,1) (1,0) (1,1); thresholded at 0.5 "
                          f"that is {shown}, expected 0 1 1 0 (train until XOR is solved)")
