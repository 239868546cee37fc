"""Probe inputs for the `xor` assignment (seed 001, Ex 6.1 and 6.2), and the `solves_xor` comparator.

Every argument is a float64 torch tensor (`Tensor` marker; scalars as 0-d tensors), as
docs/assignments.md#xor promises for this assignment. The generators stay where the maths is well
conditioned and still tell the classic mistakes apart:

* `sigmoid`, `sigmoid_prime`: x in [-30, 30] (the fixed points -30, -1, 0, 1, 30 included), shapes
  (), (n,), (m, k) and a 3-D one; sigma' with "+" instead of "-", or sigma * sigma**2 (the sheet's
  lost minus sign read as a product), is off by at least 1/8 near 0.
* `sigmoid_taylor`: |x| < 2, where 1/2 + x/4 - x**3/48 and the "terms through x**2" reading
  1/2 + x/4 differ by x**3/48 (far above the tolerance for |x| > 0.01).
* `forward`, `manual_grads`: H in 2..8 (H = 2 and H = 8 always), N in 1..6, the four XOR inputs in
  one case; weights of scale about 1 so that no sigmoid saturates. A per-unit hidden bias gradient
  (shape (H,) instead of ()) or a missing sum over the hidden units fails.
* `loss_fn`: yhat in (0, 1), targets in {0, 1} (and one real-valued target); a loss without the
  1/2, or a mean instead of the sum, fails.

`solves_xor` reads the student's trained `Wi, ba, Wo, bo` and runs the reference forward pass on
the four XOR inputs; thresholded at 0.5 the outputs must be 0 1 1 0. Wrong shapes or kinds give a
failing `Verdict` with a message, never an exception.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.assignments.xor_feedback import FEEDBACK  # noqa: F401 (report notes)
from grader.compare import Verdict, as_array, describe
from grader.probe_runtime import Case, Tensor

SIGMOID_BOUND = 30.0
TAYLOR_BOUND = 1.99                 # |x| < 2, where the three-term polynomial is meant to be used
HIDDEN_RANGE = (2, 8)               # H, both ends included and always probed
BATCH_RANGE = (1, 6)                # N of the random batches
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0.0, 1.0, 1.0, 0.0])
PARAMETERS = ("Wi", "ba", "Wo", "bo")


def _t(array: Any) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64))


# ----------------------------------------------------------------------------- 6.1
def _elementwise_cases(rng: np.random.Generator, bound: float, fixed: tuple[float, ...]) -> list[Case]:
    """Fixed points, a 0-d tensor and random vectors/matrices uniform in [-bound, bound]."""
    return [
        Case((_t(fixed),), label="x = " + ", ".join(f"{v:g}" for v in fixed)),
        Case((_t(rng.uniform(-bound, bound)),), label=f"a 0-d tensor in [-{bound:g}, {bound:g}]"),
        Case((_t(rng.uniform(-bound, bound, size=int(rng.integers(5, 12)))),),
             label=f"a vector uniform in [-{bound:g}, {bound:g}]"),
        Case((_t(rng.uniform(-bound, bound, size=(3, 4))),),
             label=f"a (3, 4) matrix uniform in [-{bound:g}, {bound:g}]"),
        Case((_t(rng.uniform(-min(bound, 4.0), min(bound, 4.0), size=(2, 3, 2))),),
             label=f"a (2, 3, 2) tensor uniform in [-{min(bound, 4.0):g}, {min(bound, 4.0):g}]"),
    ]


def sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    """sigmoid(x) for x in [-30, 30]."""
    return _elementwise_cases(rng, SIGMOID_BOUND, (-30.0, -1.0, 0.0, 1.0, 30.0))


def sigmoid_prime_cases(rng: np.random.Generator) -> list[Case]:
    """sigmoid_prime(x) for x in [-30, 30]."""
    return _elementwise_cases(rng, SIGMOID_BOUND, (-30.0, -1.0, 0.0, 1.0, 30.0))


def sigmoid_taylor_cases(rng: np.random.Generator) -> list[Case]:
    """sigmoid_taylor(x) for |x| < 2."""
    return _elementwise_cases(rng, TAYLOR_BOUND, (-1.5, -0.5, 0.0, 0.5, 1.5))


# ----------------------------------------------------------------------------- 6.2
def _hidden_sizes(rng: np.random.Generator, count: int) -> list[int]:
    """H for `count` cases: the smallest and the largest, then random ones."""
    low, high = HIDDEN_RANGE
    return [low, high] + [int(h) for h in rng.integers(low, high + 1, size=count - 2)]


def _network(rng: np.random.Generator, hidden: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Wi (2, H), ba (), Wo (H,), bo (): pre-activations of order 1, no saturated sigmoid."""
    return (_t(rng.normal(0.0, 1.5, size=(2, hidden))), _t(rng.normal(0.0, 0.5)),
            _t(rng.normal(0.0, 1.5, size=hidden)), _t(rng.normal(0.0, 0.5)))


def _batch(rng: np.random.Generator, index: int) -> tuple[np.ndarray, str]:
    """The XOR inputs for the first case, random inputs in [-2, 2] afterwards."""
    if index == 0:
        return XOR_INPUTS.copy(), "the four XOR inputs"
    n = int(rng.integers(BATCH_RANGE[0], BATCH_RANGE[1] + 1))
    return rng.uniform(-2.0, 2.0, size=(n, 2)), f"N={n} random inputs"


def forward_cases(rng: np.random.Generator) -> list[Case]:
    """forward(X, Wi, ba, Wo, bo) for random H in 2..8 (2 and 8 included)."""
    out = []
    for i, hidden in enumerate(_hidden_sizes(rng, 5)):
        X, what = _batch(rng, i)
        out.append(Case((_t(X), *_network(rng, hidden)), label=f"{what}, H={hidden}"))
    return out


def loss_fn_cases(rng: np.random.Generator) -> list[Case]:
    """loss_fn(yhat, y) for yhat in (0, 1) and 0/1 targets (one case with real targets)."""
    out = []
    for i, n in enumerate((4, 1, int(rng.integers(2, 9)), int(rng.integers(2, 9)))):
        yhat = rng.uniform(0.01, 0.99, size=n)
        y = rng.uniform(0.0, 1.0, size=n) if i == 3 else rng.integers(0, 2, size=n).astype(float)
        label = f"N={n}, " + ("real targets in [0, 1]" if i == 3 else "0/1 targets")
        out.append(Case((_t(yhat), _t(y)), label=label))
    return out


def manual_grads_cases(rng: np.random.Generator) -> list[Case]:
    """manual_grads(X, y, Wi, ba, Wo, bo) for random H in 2..8 (2 and 8 included)."""
    out = []
    for i, hidden in enumerate(_hidden_sizes(rng, 5)):
        X, what = _batch(rng, i)
        y = XOR_TARGETS.copy() if i == 0 else rng.integers(0, 2, size=len(X)).astype(float)
        out.append(Case((_t(X), _t(y), *_network(rng, hidden)), label=f"{what}, H={hidden}"))
    return out


# ----------------------------------------------------------------------------- solves_xor


def _trained_parameters(got: Any) -> dict[str, np.ndarray] | Verdict:
    """The four parameters as float64 arrays of the sheet's layout, or a failing Verdict."""
    if not isinstance(got, dict):
        return Verdict(False, f"expected the variables {', '.join(PARAMETERS)}, got {describe(got)}")
    got = dict(got)
    for name in PARAMETERS:
        value = got.get(name)
        if isinstance(value, (list, tuple)) and as_array(value) is not None:
            value = got[name] = as_array(value)   # trained in numpy, then .tolist(): fine
        if not isinstance(value, np.ndarray):
            return Verdict(False, f"{name} is {describe(value)}; expected a tensor (or array) of numbers")
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


def solves_xor(got: Any, expected: Any) -> Verdict:
    """Pass when the reference forward on the student's Wi, ba, Wo, bo thresholds to 0 1 1 0.

    Args:
        got: {"Wi": (2, H), "ba": () or (1,), "Wo": (H,) or (H, 1), "bo": () or (1,)}, the
            student's trained parameters as plain float64 arrays.
        expected: unused (the check has no reference value).

    Returns:
        A Verdict whose message shows the outputs and the thresholded predictions.
    """
    from reference.xor import forward

    params = _trained_parameters(got)
    if isinstance(params, Verdict):
        return params
    with np.errstate(all="ignore"):
        yhat = np.asarray(forward(XOR_INPUTS, params["Wi"], params["ba"], params["Wo"], params["bo"]),
                          dtype=np.float64)
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
