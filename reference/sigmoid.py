"""Seed 001, Ex 6.1: the sigmoid, its derivative, its Taylor series at 0, and the GD descent step.

Every array function here takes either a numpy array (any shape, float32 or float64; integers
are promoted to float64) or a torch tensor (any float dtype) and returns the same kind with the
same shape and dtype: the `xor` assignment passes float64 torch tensors, and the grader calls the
reference with the very arguments it gives the student.

Seed errors (docs/exercises.md#errors-in-the-sheets-worked-solutions):
- 6.1a prints the derivative as "sigma(x) sigma^2(x)"; the minus sign is lost. Right:
  sigma'(x) = sigma(x) - sigma(x)**2.
- 6.1c prints "w_{n+1} = w_n eps g(n)"; the minus sign is lost. Right: w_{n+1} = w_n - eps g(n).
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, TypeGuard, overload

import numpy as np

if TYPE_CHECKING:
    import torch

#: What the array functions accept: numpy arrays and scalars, or torch tensors.
NumpyLike = np.ndarray | np.floating | float


def is_torch_tensor(x: object) -> TypeGuard[torch.Tensor]:
    """True when `x` is a torch tensor (without importing torch when it is not loaded yet)."""
    torch_mod = sys.modules.get("torch")
    return torch_mod is not None and isinstance(x, torch_mod.Tensor)


def _as_float_array(x: Any) -> np.ndarray:
    """`x` as a numpy array, keeping a float dtype and promoting anything else to float64."""
    arr = np.asarray(x)
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


@overload
def sigmoid(x: torch.Tensor) -> torch.Tensor: ...
@overload
def sigmoid(x: NumpyLike) -> np.ndarray: ...
def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(-x)), evaluated without overflow.

    Both branches use e = exp(-|x|) <= 1: sigma = 1/(1+e) for x >= 0 and e/(1+e) for x < 0, so
    x = +-800 gives 1 and 0 (in fact ~1e-348 underflows to 0) with no overflow warning. -|x| is
    formed as where(x < 0, x, -x), so torch autograd gets the right slope 1/4 at x = 0 too.

    Args:
        x: numpy array (any shape, float32/float64) or torch tensor (any shape, float dtype).

    Returns:
        sigma(x), same kind, shape and dtype as `x` (numpy integer input gives float64).
    """
    if is_torch_tensor(x):
        t = x if x.is_floating_point() else x.double()
        e = t.where(t < 0, -t).exp()  # exp(-|t|), differentiable at 0 (abs' would be 0 there)
        return t.new_ones(()).where(t >= 0, e) / (1.0 + e)
    arr = _as_float_array(x)
    ex = np.exp(np.where(arr < 0, arr, -arr))  # exp(-|x|) <= 1
    return np.where(arr >= 0, np.ones_like(ex), ex) / (1.0 + ex)


@overload
def sigmoid_prime(x: torch.Tensor) -> torch.Tensor: ...
@overload
def sigmoid_prime(x: NumpyLike) -> np.ndarray: ...
def sigmoid_prime(x: Any) -> Any:
    """The derivative of the sigmoid in the form proved in Ex 6.1a: sigma(x) - sigma(x)**2.

    Seed error: 6.1a prints "sigma(x) sigma^2(x)" (the minus is lost); the right form is
    sigma - sigma**2 = sigma (1 - sigma). Absolute error <= ~2 ulp of 1 (4.4e-16 in float64); for
    x > ~10 the relative accuracy degrades because sigma**2 cancels against sigma.

    Args:
        x: numpy array or torch tensor, any shape, float32/float64.

    Returns:
        sigma'(x), same kind, shape and dtype as `x`.
    """
    s = sigmoid(x)
    return s - s**2


def _derivative_polys(count: int) -> list[list[Fraction]]:
    """P_0 .. P_{count-1} with sigma^(n)(x) = P_n(sigma(x)), coefficients by power of sigma.

    Uses Ex 6.1a: d/dx P(sigma) = P'(sigma) * (sigma - sigma**2).
    """
    polys = [[Fraction(0), Fraction(1)]]  # P_0(s) = s
    while len(polys) < count:
        p = polys[-1]
        dp = [k * p[k] for k in range(1, len(p))]  # P'(s), coefficients of s^0 .. s^(deg-1)
        nxt = [Fraction(0)] * (len(p) + 1)
        for k, c in enumerate(dp):  # multiply by s - s^2
            nxt[k + 1] += c
            nxt[k + 2] -= c
        polys.append(nxt)
    return polys


def sigmoid_taylor_coeffs(n_nonzero: int = 3) -> list[tuple[int, Fraction]]:
    """The first `n_nonzero` non-zero Taylor coefficients of sigma at 0, exactly (Ex 6.1b).

    sigma^(n)(0) = P_n(1/2) with the polynomials of the hint (derivatives through 6.1a), divided
    by n!. The result starts 1/2 + x/4 - x**3/48 + x**5/480 - 17 x**7/80640: every even power
    beyond the constant vanishes because sigma(x) - 1/2 is odd. The series converges for |x| < pi.

    Args:
        n_nonzero: how many non-zero terms (>= 1).

    Returns:
        [(power, coefficient), ...] in increasing power, e.g. [(0, 1/2), (1, 1/4), (3, -1/48)].
    """
    if n_nonzero < 1:
        raise ValueError(f"n_nonzero must be >= 1, got {n_nonzero}")
    half = Fraction(1, 2)
    terms: list[tuple[int, Fraction]] = []
    n_polys = 2 * n_nonzero  # enough: the non-zero powers are 0, 1, 3, 5, ...
    for n, poly in enumerate(_derivative_polys(n_polys)):
        value = sum((c * half**k for k, c in enumerate(poly)), Fraction(0))
        if value != 0:
            terms.append((n, value / math.factorial(n)))
        if len(terms) == n_nonzero:
            break
    return terms


@overload
def sigmoid_taylor(x: torch.Tensor, n_nonzero: int = 3) -> torch.Tensor: ...
@overload
def sigmoid_taylor(x: NumpyLike, n_nonzero: int = 3) -> np.ndarray: ...
def sigmoid_taylor(x: Any, n_nonzero: int = 3) -> Any:
    """The Taylor polynomial of sigma at 0 with `n_nonzero` non-zero terms (Horner's rule).

    With the default 3 terms: 1/2 + x/4 - x**3/48; |error| is about x**5/480 (6.4e-5 at 0.5).

    Args:
        x: numpy array or torch tensor, any shape, float32/float64.
        n_nonzero: number of non-zero terms of the series.

    Returns:
        The polynomial at `x`, same kind, shape and dtype as `x`.
    """
    terms = sigmoid_taylor_coeffs(n_nonzero)
    dense = [0.0] * (terms[-1][0] + 1)
    for power, coeff in terms:
        dense[power] = float(coeff)
    if is_torch_tensor(x):
        t = x if x.is_floating_point() else x.double()
        result = t.new_full(t.shape, dense[-1])
        for c in reversed(dense[:-1]):
            result = result * t + c
        return result
    arr = _as_float_array(x)
    out = np.full_like(arr, dense[-1])
    for c in reversed(dense[:-1]):
        out = out * arr + c
    return out


def first_order_prediction(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], np.ndarray],
    w: np.ndarray,
    eps: float,
) -> tuple[float, float]:
    """One GD step w' = w - eps * grad f(w): the actual change of f and its first-order prediction.

    Ex 6.1c: f(w') ~= f(w) + <grad f(w), w' - w> = f(w) - eps * ||g||_F**2 <= f(w), with the
    Frobenius inner product because w is a matrix. Seed error: the update is printed
    "w_{n+1} = w_n eps g(n)"; it must read w_n - eps g(n).

    Args:
        f: the objective, array shaped like `w` -> float.
        grad_f: its gradient, array shaped like `w` -> array shaped like `w`.
        w: the current weights, any shape (a matrix in the sheet), float64.
        eps: the step size, > 0.

    Returns:
        (f(w') - f(w), -eps * ||grad f(w)||_F**2), both Python floats.
    """
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(grad_f(w.copy()), dtype=np.float64)
    actual = float(f(w - eps * g)) - float(f(w.copy()))
    predicted = -eps * float(np.sum(g * g))
    return actual, predicted
