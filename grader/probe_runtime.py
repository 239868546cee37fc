"""The probe runtime: how the grader calls a student's functions and how values come back.

This one module is used on both sides of the kernel boundary:

* In the grader's process it is imported normally: input generators build `Case` objects from
  `Tensor`/`Fn` markers, the reference is called through the same `DRIVERS` on the same decoded
  arguments, and `plain()` turns the reference's result into the same plain structure.
* In the student's kernel its *source text* runs inside a private module object (it never lands
  in the student's namespace): `run_probes()` reads the plan and the input `.npy` files the grader
  wrote, calls each student function on fresh copies under a per-call time limit, converts the
  result with `plain()` and writes float64 `.npy` leaves plus one JSON line per call.

Nothing else crosses back: the grader reads those files with `allow_pickle=False` and caps
(`grader.extract`). The module therefore imports only the standard library and numpy (torch
lazily, when a `Tensor` argument or a tensor result needs it).

Plain values (what `plain()` returns): `None`, a float64 `np.ndarray` (0-d for scalars), a
`list`/`tuple` of plain values, or a `dict` with `str` keys of plain values. Anything else
becomes an `Unsupported` marker carrying the type's name.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

PROTOCOL = 1
MAX_DEPTH = 6
MAX_ITEMS = 4096          # elements of one list/tuple/dict in a result
MAX_OBJECT_ITEMS = 1_000_000   # elements of an object array read as numbers
MAX_LEAVES = 4096         # arrays written for one call
MAX_LEAF_BYTES = 64 << 20
ERROR_CHARS = 2000


# ----------------------------------------------------------------------------- argument markers
@dataclass(frozen=True)
class Tensor:
    """An argument passed to the function as a torch tensor of dtype float64.

    Attributes:
        array: the values, any shape.
        requires_grad: whether the tensor is created with requires_grad=True.
    """

    array: np.ndarray
    requires_grad: bool = False


@dataclass(frozen=True)
class Fn:
    """An argument passed as a callable built by `CALLABLES[name](*args)` on each side."""

    name: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Case:
    """One call of a checked function: positional and keyword arguments, and a label for messages.

    Argument values may be float64 arrays, Python scalars, strings, booleans, None, `Tensor`
    or `Fn` markers (and tuples/lists of these).
    """

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Unsupported:
    """A returned value of a type the grader cannot compare (named in the message)."""

    type_name: str


class ProbeTimeout(BaseException):
    """Raised inside the kernel when one call exceeds its time limit."""


# ----------------------------------------------------------------------------- callables
def _quadratic_grad(a: np.ndarray, b: np.ndarray) -> Callable[[Any], np.ndarray]:
    """Gradient of 1/2 theta^T A theta - b^T theta: theta (P,) -> A @ theta - b (P,)."""
    return lambda theta: a @ np.asarray(theta, dtype=np.float64) - b


def _scalar_quadratic_grad(a: float, c: float) -> Callable[[Any], float]:
    """Gradient of a/2 (theta - c)^2 for scalar theta."""
    return lambda theta: float(a) * (float(theta) - float(c))


def _piecewise_slope(breaks: np.ndarray, slopes: np.ndarray) -> Callable[[Any], float]:
    """1-D piecewise-constant gradient: slopes[k] where k = number of breaks <= theta."""
    return lambda theta: float(slopes[int(np.searchsorted(breaks, float(theta), side="right"))])


CALLABLES: dict[str, Callable[..., Callable[..., Any]]] = {
    "quadratic_grad": _quadratic_grad,
    "scalar_quadratic_grad": _scalar_quadratic_grad,
    "piecewise_slope": _piecewise_slope,
}


# ----------------------------------------------------------------------------- drivers
def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the function once."""
    return fn(*args, **kwargs)


def _optimizer_chain(fn: Callable[..., Any], theta0: Any, grad_fn: Callable[[Any], Any],
                     steps: int, *hyper_args: Any, **hyper: Any) -> np.ndarray:
    """Chain `steps` optimiser steps `fn(theta, grad, m, v, t, *hyper_args, **hyper)`.

    Each step returns `(theta, m, v)`.

    m and v start at zero, t runs 1..steps, the gradient is `grad_fn(theta)` at each step.
    Returns the trajectory of theta, shape (steps + 1, *theta0.shape).
    """
    theta = np.array(theta0, dtype=np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    trajectory = [theta.copy()]
    for t in range(1, int(steps) + 1):
        out = fn(theta.copy(), np.asarray(grad_fn(theta), dtype=np.float64), m, v, t,
                 *hyper_args, **hyper)
        theta, m, v = (to_float_array(x) for x in out)
        trajectory.append(theta.copy())
    return np.stack(trajectory)


DRIVERS: dict[str, Callable[..., Any]] = {
    "call": _call,
    "optimizer_chain": _optimizer_chain,
}


# ----------------------------------------------------------------------------- values
def to_float_array(value: Any) -> np.ndarray:
    """Convert a numpy array, torch tensor (any device, with grad) or number to float64."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
        if getattr(value, "is_complex", lambda: False)():
            raise TypeError("complex tensor")
        value = value.double().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind == "O" and arr.size <= MAX_OBJECT_ITEMS and all(
            _is_real(v) for v in arr.flat):
        # np.array(losses_list, dtype=object), a Fraction, a Decimal: real numbers all the same
        return np.array([float(v) for v in arr.flat], dtype=np.float64).reshape(arr.shape)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"array of dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64)


def _is_real(value: Any) -> bool:
    """A real number of a plain numeric type (not a student's own class with __float__)."""
    import decimal
    import fractions

    return type(value) in (int, float, fractions.Fraction, decimal.Decimal) or isinstance(
        value, (np.integer, np.floating))


def plain(value: Any, depth: int = 0) -> Any:
    """Turn a returned value into a plain structure (see the module docstring)."""
    if depth > MAX_DEPTH:
        return Unsupported("structure nested too deeply")
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            return Unsupported(f"{type(value).__name__} of {len(value)} items")
        items = [plain(v, depth + 1) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return Unsupported(f"dict of {len(value)} items")
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    try:
        return to_float_array(value)
    except Exception:  # noqa: BLE001 - any failure means "not a number-like value"
        dtype = getattr(value, "dtype", None) if isinstance(value, np.ndarray) else None
        return Unsupported(f"array of dtype {dtype}" if dtype is not None else type(value).__name__)


def decode_arg(spec: Any, load: Callable[[str], np.ndarray]) -> Any:
    """Rebuild an argument from its JSON spec (arrays come from `load(file)`, fresh copies)."""
    kind = spec["kind"]
    if kind == "value":
        return spec["value"]
    if kind == "array":
        return load(spec["file"])
    if kind == "tensor":
        import torch

        return torch.tensor(load(spec["file"]), dtype=torch.float64,
                            requires_grad=bool(spec.get("requires_grad", False)))
    if kind == "seq":
        items = [decode_arg(s, load) for s in spec["items"]]
        return tuple(items) if spec.get("tuple") else items
    if kind == "fn":
        return CALLABLES[spec["name"]](*[decode_arg(s, load) for s in spec["args"]])
    raise ValueError(f"unknown argument kind {kind!r}")


def decode_case(entry: Mapping[str, Any],
                load: Callable[[str], np.ndarray]) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments of one plan entry."""
    args = [decode_arg(s, load) for s in entry["args"]]
    kwargs = {k: decode_arg(s, load) for k, s in entry["kwargs"].items()}
    return args, kwargs


# ----------------------------------------------------------------------------- kernel side
def _write_plain(value: Any, out_dir: str, prefix: str, counter: list[int]) -> Any:
    """Write the arrays of a plain value as .npy files; return its JSON tree."""
    if value is None:
        return {"none": True}
    if isinstance(value, Unsupported):
        return {"unsupported": value.type_name}
    if isinstance(value, (list, tuple)):
        return {"seq": [_write_plain(v, out_dir, prefix, counter) for v in value],
                "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"dict": {k: _write_plain(v, out_dir, prefix, counter) for k, v in value.items()}}
    if counter[0] >= MAX_LEAVES:
        return {"unsupported": "too many arrays in one result"}
    if value.nbytes > MAX_LEAF_BYTES:
        return {"unsupported": f"array of {value.nbytes} bytes is larger than the grader reads"}
    name = f"{prefix}_{counter[0]}.npy"
    counter[0] += 1
    np.save(os.path.join(out_dir, name), np.array(value, dtype=np.float64, order="C"),
            allow_pickle=False)
    return {"array": name}


def _nothing() -> None:
    """What an "empty" plan entry calls."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise ProbeTimeout()


def _short_error(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()[:ERROR_CHARS]


def run_probes(plan_path: str, out_dir: str, namespace: Mapping[str, Any], check_id: str,
               case: int | None = None) -> None:
    """Run the plan entries of `check_id` (only case `case`, when given) against `namespace`;
    append their results to manifest.jsonl.

    Each manifest line: {"check", "case", "status", "error", "seconds", "result"} where status is
    "ok", "error", "timeout", "missing" or "not-callable". An entry marked "empty" calls a
    function of this module that does nothing, with no arguments: it costs what every probe
    cell costs besides the student's call (the grader times it to know that cost).
    """
    with open(plan_path, encoding="utf-8") as fh:
        plan = json.load(fh)
    in_dir = os.path.join(os.path.dirname(plan_path))
    os.makedirs(out_dir, exist_ok=True)

    def load(name: str) -> np.ndarray:
        return np.load(os.path.join(in_dir, os.path.basename(name)), allow_pickle=False).copy()

    manifest = os.path.join(out_dir, "manifest.jsonl")
    for entry in plan["entries"]:
        if entry["check"] != check_id or (case is not None and entry["case"] != case):
            continue
        record = _run_entry(entry, namespace, load, out_dir)
        with open(manifest, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def _run_entry(entry: Mapping[str, Any], namespace: Mapping[str, Any],
               load: Callable[[str], np.ndarray], out_dir: str) -> dict[str, Any]:
    record: dict[str, Any] = {"check": entry["check"], "case": entry["case"], "status": "ok",
                              "error": "", "seconds": 0.0, "result": None}
    prefix = f"{entry['check']}_{entry['case']}"
    if "variables" in entry:
        values = {}
        for name in entry["variables"]:
            if name not in namespace:
                record.update(status="missing", error=f"name {name!r} is not defined")
                return record
            values[name] = plain(namespace[name])
        record["result"] = _write_plain(values, out_dir, prefix, [0])
        return record
    symbol = entry["symbol"]
    if entry.get("empty"):
        fn: Any = _nothing
    elif symbol not in namespace:
        record.update(status="missing", error=f"name {symbol!r} is not defined")
        return record
    else:
        fn = namespace[symbol]
    if not callable(fn):
        record.update(status="not-callable",
                      error=f"{symbol!r} is a {type(fn).__name__}, not a function")
        return record
    start = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, float(entry["timeout"]))
    try:
        args, kwargs = decode_case(entry, load)
        value = DRIVERS[entry["driver"]](fn, *args, **kwargs)
        converted = plain(value)          # still timed: a returned object's __array__ may hang
        signal.setitimer(signal.ITIMER_REAL, 0)
        record["result"] = _write_plain(converted, out_dir, prefix, [0])
    except ProbeTimeout:
        record.update(status="timeout", error=f"did not return within {entry['timeout']} s")
    except BaseException as exc:  # noqa: BLE001 - the student's error is data
        signal.setitimer(signal.ITIMER_REAL, 0)
        record.update(status="error", error=_short_error(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        record["seconds"] = time.perf_counter() - start
    return record
