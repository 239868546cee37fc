"""What the reports say about the `xor` checks: value names, pictures, classic mistakes.

The functions get float64 torch tensors (docs/assignments.md#xor); each mistake is trusted code
with the student's signature, wrong in exactly one way, written with the reference's overflow-safe
`sigmoid` so that it works on tensors and arrays alike.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from grader.check_notes import CheckNotes, ErrorMistake, Mistake
from reference.sigmoid import sigmoid

NETWORK = ("Wi", "ba", "Wo", "bo")
WI_TRANSPOSED = "Wi transposed (X @ Wi.T: Wi as (H, 2), the layout of nn.Linear.weight)"
# torch's and numpy's messages for X (N, 2) @ Wi.T (H, 2)
SHAPES = re.compile(r"shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)"
                    r"|shapes \((\d+),(\d+)\) and \((\d+),(\d+)\) not aligned")


def sigmoid_flipped_exponent(x: Any) -> Any:
    """1 / (1 + exp(x)): the sign of the exponent lost, sigma(-x)."""
    return sigmoid(-x)


def sigmoid_tanh(x: Any) -> Any:
    """tanh(x) instead of the sigmoid, computed as 2 sigma(2x) - 1 (tanh's identity)."""
    return 2 * sigmoid(2 * x) - 1


def sigmoid_prime_plus(x: Any) -> Any:
    """sigma + sigma**2 (= sigma (1 + sigma)) instead of sigma - sigma**2."""
    s = sigmoid(x)
    return s + s**2


def sigmoid_prime_product(x: Any) -> Any:
    """sigma * sigma**2: the sheet's lost minus sign read as a product."""
    s = sigmoid(x)
    return s * s**2


def taylor_two_terms(x: Any) -> Any:
    """1/2 + x/4: the terms through x**2 (whose coefficient is 0), not three non-zero terms."""
    return 0.5 + x / 4


def taylor_cubic_sign(x: Any) -> Any:
    """1/2 + x/4 + x**3/48: the cubic term's sign flipped."""
    return 0.5 + x / 4 + x**3 / 48


def taylor_cubic_24(x: Any) -> Any:
    """1/2 + x/4 - x**3/24: the cubic's coefficient taken as -1/24, not -1/48."""
    return 0.5 + x / 4 - x * x * x / 24


def loss_without_half(yhat: Any, y: Any) -> Any:
    """sum (yhat - y)**2 without the 1/2 of Eq. (3)."""
    return ((yhat - y) ** 2).sum()


def loss_mean(yhat: Any, y: Any) -> Any:
    """1/2 mean (yhat - y)**2: a mean instead of the sum."""
    return 0.5 * ((yhat - y) ** 2).mean()


def forward_no_output_sigmoid(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """The output layer's sigmoid left out: sigma(X Wi + ba) Wo + bo."""
    return sigmoid(X @ Wi + ba) @ Wo + bo


def loss_absolute(yhat: Any, y: Any) -> Any:
    """1/2 sum |yhat - y|: absolute instead of squared errors."""
    return 0.5 * abs(yhat - y).sum()


def forward_wi_transposed(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """Wi used as (H, 2), the layout of nn.Linear.weight: sigma(sigma(X Wi^T + ba) Wo + bo).
    Runs only for H = 2; another H raises a shape mismatch (`wi_transposed_error`)."""
    return sigmoid(sigmoid(X @ Wi.T + ba) @ Wo + bo)


def wi_transposed_error(args: tuple[Any, ...], error: str) -> bool:
    """Whether `error` is the shape mismatch X @ Wi.T raises on these inputs: torch's "mat1 and
    mat2 shapes cannot be multiplied (Nx2 and Hx2)" or numpy's "shapes (N,2) and (H,2) not
    aligned", with the case's N (rows of X) and H (columns of Wi), H != 2."""
    found = SHAPES.search(error)
    if found is None:
        return False
    shapes = [int(g) for g in found.groups() if g is not None]
    n, h = np.shape(args[0])[0], np.shape(args[1])[1]
    return bool(h != 2 and shapes == [n, 2, h, 2])


def forward_no_hidden_bias(X: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> Any:
    """The hidden bias ba left out."""
    return sigmoid(sigmoid(X @ Wi) @ Wo + bo)


def _deltas(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any,
            output_slope: bool = True) -> tuple[Any, Any, Any]:
    """(z (N, H), delta_o (N,), delta_a (N, H)) of the sheet's network."""
    z = sigmoid(X @ Wi + ba)
    yhat = sigmoid(z @ Wo + bo)
    delta_o = (yhat - y) * (yhat * (1 - yhat) if output_slope else 1.0)
    return z, delta_o, delta_o.reshape(-1, 1) * Wo.reshape(1, -1) * z * (1 - z)


def grads_per_unit_bias(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    """dL/dba as one value per hidden unit (shape (H,)), as if ba were nn.Linear's bias."""
    z, d_o, d_a = _deltas(X, y, Wi, ba, Wo, bo)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(0), "Wo": z.T @ d_o, "bo": d_o.sum()}


def grads_ba_mean(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    """dL/dba averaged over the hidden units instead of summed."""
    z, d_o, d_a = _deltas(X, y, Wi, ba, Wo, bo)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(0).mean(), "Wo": z.T @ d_o, "bo": d_o.sum()}


def grads_no_output_slope(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    """The output sigmoid's slope yhat (1 - yhat) left out of delta_o."""
    z, d_o, d_a = _deltas(X, y, Wi, ba, Wo, bo, output_slope=False)
    return {"Wi": X.T @ d_a, "ba": d_a.sum(), "Wo": z.T @ d_o, "bo": d_o.sum()}


def _elementwise(name: str, *mistakes: Mistake) -> CheckNotes:
    return CheckNotes(inputs=("x",), outputs=(name,), picture="against_input",
                      mistakes=mistakes)


FEEDBACK: dict[str, CheckNotes] = {
    "sigmoid": _elementwise("sigmoid(x)", Mistake("exp(x) instead of exp(-x)",
                                                  sigmoid_flipped_exponent),
                            Mistake("tanh instead of the sigmoid", sigmoid_tanh)),
    "sigmoid_prime": _elementwise(
        "sigmoid_prime(x)",
        Mistake("sigma * sigma**2 (the sheet's lost minus sign read as a product)",
                sigmoid_prime_product),
        Mistake("sigma + sigma**2 = sigma (1 + sigma) instead of sigma - sigma**2",
                sigmoid_prime_plus)),
    "sigmoid_taylor": _elementwise(
        "sigmoid_taylor(x)",
        Mistake("stopping at the x**2 term (1/2 + x/4: only two non-zero terms)",
                taylor_two_terms),
        Mistake("+x**3/48 instead of -x**3/48", taylor_cubic_sign),
        Mistake("x**3/24 instead of /48 (sigma's third derivative at 0 is -1/8, so the cubic "
                "term is -1/8 / 3! x**3 = -x**3/48)", taylor_cubic_24)),
    "forward": CheckNotes(
        inputs=("X", *NETWORK), outputs=("yhat",),
        mistakes=(Mistake("leaving out the output sigmoid", forward_no_output_sigmoid),
                  Mistake(WI_TRANSPOSED, forward_wi_transposed),
                  Mistake("leaving out the hidden bias ba", forward_no_hidden_bias)),
        error_mistakes=(ErrorMistake(WI_TRANSPOSED, "the shapes in the error are X's (N, 2) and "
                                     "Wi's transpose (H, 2); the sheet's Wi is (2, H), so the "
                                     "hidden layer is X @ Wi", wi_transposed_error),)),
    "loss_fn": CheckNotes(
        inputs=("yhat", "y"), outputs=("loss",),
        mistakes=(Mistake("a loss without the 1/2", loss_without_half),
                  Mistake("a mean instead of the sum", loss_mean),
                  Mistake("absolute instead of squared errors", loss_absolute))),
    "manual_grads": CheckNotes(
        inputs=("X", "y", *NETWORK), outputs=(),
        axes=(("Wi", ("k", "j")),),
        mistakes=(Mistake("a per-unit bias in XOR (one ba per hidden unit; the sheet's ba is "
                          "one scalar shared by all of them, so its gradient sums over them)",
                          grads_per_unit_bias),
                  Mistake("dL/dba averaged over the hidden units instead of summed",
                          grads_ba_mean),
                  Mistake("leaving out the output sigmoid's slope yhat (1 - yhat)",
                          grads_no_output_slope))),
    "solves_xor": CheckNotes(outputs=NETWORK, picture="none"),
}
