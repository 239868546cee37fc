"""The first failing case, reproducible at home: its inputs as a small `.npz` and a snippet.

`case_npz` (in the grading worker) writes a case's arrays into an `.npz` (float64, keys named
after the parameters: `theta`, a list's items `Ws_0`, `Ws_1`, ..., a callable's arguments
`grad_0`, `grad_1`), or returns None past MAX_NPZ_BYTES. `snippet` (when the report is written)
gives the Python that loads it and calls the student's function the way the grader did, through
the same driver; arrays of at most INLINE_VALUES values are written into the snippet itself.
"""

from __future__ import annotations

import io
import keyword
from collections.abc import Iterator
from typing import Any

import numpy as np

from grader import probe_runtime as rt
from grader.detail import Argument, CheckDetail

MAX_NPZ_BYTES = 48_000      # of array data: about 6000 float64 values
INLINE_VALUES = 8           # an array this small is written into the snippet

# How the snippet rebuilds each callable of grader.probe_runtime.CALLABLES ({0}, {1}: its args).
CALLABLE_CODE = {
    "quadratic_grad": "lambda theta: {0} @ theta - {1}",
    "scalar_quadratic_grad": "lambda theta: {0} * (theta - {1})",
    "piecewise_slope": "lambda theta: float({1}[np.searchsorted({0}, theta, side='right')])",
}
CHAIN_CODE = """\
theta = {theta0}
m, v = np.zeros_like(theta), np.zeros_like(theta)
trajectory = [theta]
for t in range(1, {steps} + 1):
    theta, m, v = {symbol}(theta, {grad}(theta), m, v, t{rest})
    trajectory.append(theta)
result = np.stack(trajectory)   # row t: theta after t steps, as the grader compares it
"""


def _arrays(name: str, value: object) -> Iterator[tuple[str, np.ndarray]]:
    if isinstance(value, rt.Tensor):
        yield name, value.array
    elif isinstance(value, np.ndarray):
        yield name, value
    elif isinstance(value, rt.Fn):
        for i, a in enumerate(value.args):
            yield from _arrays(f"{name}_{i}", a)
    elif isinstance(value, (list, tuple)):
        for i, a in enumerate(value):
            yield from _arrays(f"{name}_{i}", a)


def case_npz(case: rt.Case, names: tuple[str, ...]) -> bytes | None:
    """The case's arrays as `.npz` bytes, keyed by parameter name; None when it has no array
    or they hold more than MAX_NPZ_BYTES.

    Args:
        case: the planned call's case (trusted, made by the input generator).
        names: `Argument.name` of each positional argument, in order.
    """
    arrays = dict(a for i, value in enumerate(case.args) for a in _arrays(names[i], value))
    arrays.update(a for key, value in case.kwargs.items() for a in _arrays(key, value))
    if not arrays or sum(a.nbytes for a in arrays.values()) > MAX_NPZ_BYTES:
        return None
    buffer = io.BytesIO()
    save: Any = np.savez        # keyword arrays (numpy's stubs only know positional ones)
    save(buffer, **{k: np.asarray(a, dtype=np.float64) for k, a in arrays.items()})
    return buffer.getvalue()


def array_literal(array: np.ndarray) -> str:
    """Exact Python for a small float64 array: `np.array([0.5, -1.25]).reshape(2, 1)`."""
    flat = ", ".join(repr(float(v)) for v in np.asarray(array, dtype=np.float64).reshape(-1))
    if array.ndim == 0:
        return f"np.array({flat})"
    shaped = "" if array.ndim == 1 else f".reshape{tuple(array.shape)}"
    return f"np.array([{flat}]){shaped}"


def _value(arg: Argument, source: str, uses: set[str]) -> str:
    """Python for one argument: from the npz (`case[...]`), inline, or random of its shape."""
    if arg.kind in ("array", "tensor"):
        if arg.literal:
            code = arg.literal
        elif source:
            code = f'{source}["{arg.name}"]'
        else:
            uses.add("rng")
            code = f"rng.standard_normal({arg.shape!r})"
        if arg.kind == "tensor":
            uses.add("torch")
            return f"torch.tensor({code}, dtype=torch.float64)"
        return code
    if arg.kind == "fn":
        parts = [_value(p, source, uses) for p in arg.parts]
        return CALLABLE_CODE.get(arg.fn, f"<{arg.fn}>").format(*parts)
    if arg.kind == "list":
        return "[" + ", ".join(_value(p, source, uses) for p in arg.parts) + "]"
    return arg.literal


def _loaded(arg: Argument) -> bool:
    if arg.kind in ("array", "tensor"):
        return not arg.literal
    return any(_loaded(part) for part in arg.parts)


def needs_file(detail: CheckDetail) -> bool:
    """Whether the snippet reads the case's `.npz` (some array is too large to write inline)."""
    return bool(detail.npz) and any(_loaded(arg) for arg in detail.inputs)


def snippet(detail: CheckDetail, npz_name: str) -> str:
    """Python that calls the student's function on the first failing case, as the grader did.

    Each array, tensor, list or callable input gets a line of its own, named as the parameter;
    plain values are written into the call.

    Args:
        detail: the check's detail (inputs, symbol, driver).
        npz_name: the file name of the case's `.npz` next to the report ("" when there is none).
    """
    uses: set[str] = set()
    source = "case" if npz_name and needs_file(detail) else ""
    assigned: list[str] = []
    values = []
    for arg in detail.inputs:
        code = _value(arg, source, uses)
        if arg.kind != "value" and arg.name.isidentifier() and not keyword.iskeyword(arg.name):
            assigned.append(f"{arg.name} = {code}")
            code = arg.name
        values.append(code)
    lines = ["import numpy as np"]
    if "torch" in uses:
        lines.append("import torch")
    if source:
        lines += [f'with np.load("{npz_name}") as npz:   # the inputs, saved next to this report',
                  "    case = dict(npz)"]
    if "rng" in uses:
        lines.append("rng = np.random.default_rng(0)   # the inputs were too large to attach: "
                     "random values of their shapes")
    lines.append(f"# run your notebook's definition of {detail.symbol} first, then:")
    lines += assigned
    if detail.driver == "optimizer_chain" and len(values) >= 3:
        theta0, grad, steps, *rest = values
        lines.append(CHAIN_CODE.format(theta0=theta0, grad=grad, steps=steps,
                                       symbol=detail.symbol,
                                       rest="".join(f", {r}" for r in rest)).rstrip("\n"))
    elif detail.timed_out:
        lines += ["import time", "began = time.perf_counter()",
                  f"result = {detail.symbol}({', '.join(values)})",
                  "print(f\"{time.perf_counter() - began:.1f} s\")   # the grader's limit: "
                  "see the check's description"]
    else:
        lines.append(f"result = {detail.symbol}({', '.join(values)})")
    return "\n".join(lines) + "\n"
