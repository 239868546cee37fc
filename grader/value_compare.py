"""Compare one plain value with the reference's (`compare_values`), and name its parts.

The probe's values are plain structures (float64 arrays, lists, tuples, dicts); a message names
the part it is about by the check's declared output names (`leaf_name`: "theta", "dL1", "Wi",
"dW[3]"), else by its position ("output [0]"). An array fails on its worst element relative to
its tolerance: the largest |got - expected| / (atol + rtol * |expected|).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.probe_runtime import Unsupported

Path = tuple[int | str, ...]


@dataclass(frozen=True)
class Verdict:
    """What a comparison (built-in or a rubric's custom comparator) concludes for one value.

    A custom comparator named by a rubric's `compare` key has the signature
    `(got, expected) -> Verdict`: `got` is the student's value as a plain structure (float64
    arrays, lists, tuples, dicts; for a variable check a dict {name: value}), `expected` the
    reference's plain value (or None when the check has no reference).
    """

    passed: bool
    message: str


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def describe(value: Any) -> str:
    """A student-readable name for a plain value's kind ("an array of shape (3,)")."""
    if value is None:
        return "None"
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else "a number"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)[:8]}"
    return type(value).__name__


def as_array(value: Any) -> np.ndarray | None:
    """A list/tuple of numbers or equal-shape arrays read as one array (students return lists)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        if not value:
            return np.zeros((0,))
        items = [as_array(v) for v in value]
        if all(item is not None for item in items) and len({item.shape for item in items}) == 1:  # type: ignore[union-attr]
            return np.stack(items)  # type: ignore[arg-type]
    return None


def leaf_name(path: Path, names: Sequence[str]) -> str:
    """What a report calls the value at `path`: the declared name of a tuple's item ("m"),
    a dict's key ("Wi"), a declared name plus an index for a list ("dW[3]"), else "result[0]"."""
    if not path:
        return names[0] if len(names) == 1 else "result"
    head, rest = path[0], path[1:]
    if isinstance(head, str):
        base = head
    elif len(names) > 1 and head < len(names):
        base = names[head]
    elif len(names) == 1:
        base, rest = names[0], path
    else:
        base, rest = "result", path
    return base + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in rest)


def part_prefix(path: Path, names: Sequence[str] = ()) -> str:
    """How a message names the part of the result it is about: "theta: ", "Wi: " by the
    declared names; without names "output [0]['Wi']: " (and nothing for the whole result)."""
    if names or (path and isinstance(path[0], str)):
        return f"{leaf_name(path, names)}: "
    where = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)
    return f"output {where}: " if where else ""


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def worst_element(err: np.ndarray, allowed: np.ndarray, over: np.ndarray) -> tuple[int, ...]:
    """The index of the element furthest out of tolerance: the largest err / allowed among
    those `over` it (an infinite error first)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(over, err / allowed, -1.0)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), err.shape))


def _not_finite(at: str, expected: np.ndarray, got: np.ndarray, bad: np.ndarray,
                reveal: bool) -> Verdict:
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    if not reveal:
        return Verdict(False, f"{at}got {_fmt(float(got[idx]))}{_where(idx)}, which is not "
                              "the answer")
    return Verdict(False, f"{at}got {_fmt(float(got[idx]))}, expected "
                          f"{_fmt(float(expected[idx]))}{_where(idx)}")


def compare_arrays(path: Path, expected: np.ndarray, got: np.ndarray, rtol: float, atol: float,
                   reveal: bool = True, names: Sequence[str] = ()) -> Verdict:
    """Shape, finiteness, then |got - expected| <= atol + rtol * |expected| element-wise.

    With `reveal=False` the message gives the student's value but never the expected one (for
    fixed answers, the same for every upload, which a message must not hand out).
    """
    at = part_prefix(path, names)
    if got.shape != expected.shape:
        return Verdict(False, f"{at}shape {got.shape}, expected {expected.shape}")
    if got.size == 0:
        return Verdict(True, "")
    exp_finite = np.isfinite(expected)
    bad = np.isfinite(got) != exp_finite
    bad |= ~exp_finite & (got != expected) & ~(np.isnan(got) & np.isnan(expected))
    if bad.any():
        return _not_finite(at, expected, got, bad, reveal)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(exp_finite, np.abs(got - np.where(exp_finite, expected, 0.0)), 0.0)
    allowed = atol + rtol * np.abs(np.where(exp_finite, expected, 0.0))
    over = err > allowed
    if not over.any():
        return Verdict(True, "")
    worst, count = worst_element(err, allowed, over), int(over.sum())
    if not reveal:
        return Verdict(False, f"{at}got {_fmt(float(got[worst]))}{_where(worst)}, which is "
                              f"not within the tolerance of the answer (rtol={rtol:g}, "
                              f"atol={atol:g})")
    return Verdict(False, (
        f"{at}got {_fmt(float(got[worst]))}, expected {_fmt(float(expected[worst]))}"
        f"{_where(worst)}, the worst element relative to its tolerance: |got - expected| = "
        f"{_fmt(float(err[worst]))} > allowed {_fmt(float(allowed[worst]))} (rtol={rtol:g}, "
        f"atol={atol:g}); {count} of {err.size} values out of tolerance"))


def compare_values(expected: Any, got: Any, rtol: float, atol: float, path: Path = (),
                   reveal: bool = True, names: Sequence[str] = ()) -> Verdict:
    """Compare two plain structures in a fixed order: presence, kind, shape, finiteness, tolerance.

    Args:
        expected: the reference's plain value.
        got: the student's plain value (decoded from the kernel's files).
        rtol, atol: the check's tolerances.
        path: where this value sits inside the result ((0, "Wi") for result[0]["Wi"]).
        reveal: False keeps expected numbers out of the messages (see `compare_arrays`).
        names: the check's output names, for messages ("theta: got ..."); see `leaf_name`.
    """
    at = part_prefix(path, names)
    if isinstance(got, Unsupported):
        return Verdict(False, f"{at}returned {describe(got)}, which the grader cannot compare")
    if expected is None:
        return Verdict(got is None,
                       "" if got is None else f"{at}returned {describe(got)}, expected None")
    if got is None:
        return Verdict(False, f"{at}returned None, expected {describe(expected)}")
    if isinstance(expected, np.ndarray):
        arr = as_array(got)
        if arr is None:
            return Verdict(False, f"{at}returned {describe(got)}, expected {describe(expected)}")
        return compare_arrays(path, expected, arr, rtol, atol, reveal, names)
    if isinstance(expected, (tuple, list)):
        items: Any = got
        if isinstance(got, np.ndarray) and got.ndim >= 1 and got.shape[0] == len(expected):
            items = [np.asarray(got[i]) for i in range(got.shape[0])]
        if not isinstance(items, (tuple, list)):
            return Verdict(False, f"{at}returned {describe(got)}, expected {describe(expected)}")
        if len(items) != len(expected):
            return Verdict(False, f"{at}returned {len(items)} values, expected {len(expected)}")
        pairs: list[tuple[int | str, Any, Any]] = list(zip(range(len(items)), expected, items))
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            return Verdict(False, f"{at}returned {describe(got)}, expected a dict with keys "
                                  f"{sorted(expected)}")
        missing = [k for k in expected if k not in got]
        if missing:
            return Verdict(False, f"{at}the dict has no key(s) {missing}")
        pairs = [(key, e, got[key]) for key, e in expected.items()]
    else:
        raise TypeError(f"reference value of type {type(expected).__name__} is not plain")
    for key, e, g in pairs:
        verdict = compare_values(e, g, rtol, atol, (*path, key), reveal, names)
        if not verdict.passed:
            return verdict
    return Verdict(True, "")
