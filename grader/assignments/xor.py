"""Probe inputs for `xor` (seed 001, Ex 6.1 and 6.2); its comparator is `xor_compare.solves_xor`.

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

`solves_xor` reads the student's trained `Wi, ba, Wo, bo` and runs the sheet's forward pass on
the four XOR inputs; thresholded at 0.5 the outputs must be 0 1 1 0. Wrong shapes or kinds give a
failing `Verdict` with a message, never an exception. The forward pass is `xor_forward` here, the
same numpy operations as `reference.xor.forward` on float64 arrays (bit for bit; the tests hold
them equal), so the comparator needs no reference and runs from a check kit too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.assignments.xor_compare import XOR_INPUTS, XOR_TARGETS
from grader.probe_runtime import Case, Tensor

SIGMOID_BOUND = 30.0
TAYLOR_BOUND = 1.99                 # |x| < 2, where the three-term polynomial is meant to be used
HIDDEN_RANGE = (2, 8)               # H, both ends included and always probed
BATCH_RANGE = (1, 6)                # N of the random batches


def _t(array: Any) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64))


# ----------------------------------------------------------------------------- 6.1
def _elementwise_cases(rng: np.random.Generator, bound: float,
                       fixed: tuple[float, ...]) -> list[Case]:
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
