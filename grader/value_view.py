"""Plain values (the probe's float64 arrays, lists, tuples, dicts) as the report shows them.

`pairs` walks a reference value and the student's value side by side, the way
`grader.compare.compare_values` does (a list of numbers read as an array, an array unpacked into
a tuple's items), and yields each leaf pair with its path; `output_view` turns one pair into an
`OutputView` (named, the elements furthest out of tolerance first); `argument` turns a case's
input into an `Argument`. Every number is formatted here, so the detail holds text only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import probe_runtime as rt
from grader.case_file import INLINE_VALUES, array_literal
from grader.detail import Argument, Element, OutputVerdict, OutputView
from grader.text import printable
from grader.value_compare import as_array, describe
from grader.value_compare import leaf_name as leaf_name

if TYPE_CHECKING:
    from grader.extract import CallRecord
    from grader.rubric import CheckSpec

MAX_ELEMENTS = 5          # elements furthest out of tolerance listed per output
PREVIEW_VALUES = 6        # values shown in a preview
LABEL_CHARS = 160
NOT_REVEALED = "the expected value is the same for everyone and is not shown"

Path = tuple[int | str, ...]


def number(x: float, digits: int = 6) -> str:
    """A number for a report: `digits` significant digits; nan, inf as themselves."""
    return f"{float(x):.{digits}g}"


def preview(array: np.ndarray, n: int = PREVIEW_VALUES) -> str:
    """The first `n` values of `array` (flattened) in brackets, "…" when there are more."""
    flat = np.asarray(array, dtype=np.float64).reshape(-1)
    shown = ", ".join(number(v, 4) for v in flat[:n])
    if flat.size == 1 and np.asarray(array).ndim == 0:
        return shown
    return f"[{shown}{', …' if flat.size > n else ''}]"


def clip_text(text: str, n: int = LABEL_CHARS) -> str:
    """`text` printable, on one line, at most `n` characters."""
    shown = printable(text[:4 * n], multiline=False)
    return shown if len(shown) <= n else shown[:n - 1] + "…"


def pairs(expected: Any, got: Any, path: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """(path, expected leaf, student's leaf) for every leaf of `expected`, in order.

    A leaf is an array (or None) of `expected`; the student's counterpart is an array when it
    can be read as one, else what the student returned there (None when absent).
    """
    if isinstance(expected, np.ndarray) or expected is None:
        yield path, expected, (as_array(got) if as_array(got) is not None else got)
        return
    if isinstance(expected, (tuple, list)):
        items: Any = got
        if isinstance(got, np.ndarray) and got.ndim >= 1 and got.shape[0] == len(expected):
            items = [np.asarray(got[i]) for i in range(got.shape[0])]
        if not isinstance(items, (tuple, list)) or len(items) != len(expected):
            yield path, expected, got
            return
        for i, (e, g) in enumerate(zip(expected, items)):
            yield from pairs(e, g, (*path, i))
        return
    if isinstance(expected, dict):
        for key, e in expected.items():
            yield from pairs(e, got.get(key) if isinstance(got, dict) else None, (*path, key))
        return
    yield path, expected, got


def errors(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    """|got - expected| element-wise; inf where exactly one side is not finite (or they differ
    in a non-finite value), 0 where both are the same non-finite value."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - expected)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    diff = np.where(same, 0.0, diff)
    return np.where(np.isnan(diff), np.inf, diff)


def largest_error(expected: Any, got: Any) -> float | None:
    """max |got - expected| over every leaf; None when some leaf cannot be paired element by
    element (a shape or kind differs, a value is missing)."""
    worst = 0.0
    for _, e, g in pairs(expected, got):
        if e is None:
            continue
        if not isinstance(g, np.ndarray) or g.shape != e.shape:
            return None
        if e.size:
            worst = max(worst, float(errors(e, g).max()))
    return worst


def index_text(idx: tuple[int, ...], axes: Sequence[str] | None = None) -> str:
    """An element's index: "(0, 2)", or with a name per axis "b=0, x=2"; "" for a scalar."""
    if not idx:
        return ""
    if axes is not None and len(axes) == len(idx):
        return ", ".join(f"{a}={i}" for a, i in zip(axes, idx))
    return "(" + ", ".join(map(str, idx)) + ("," if len(idx) == 1 else "") + ")"


def output_view(name: str, expected: Any, got: Any, rtol: float, atol: float,
                reveal: bool = True, axes: Sequence[str] | None = None) -> OutputView:
    """One leaf pair as the report shows it; with `reveal=False` only the student's side.

    Args:
        axes: a name per axis of the value, for the elements' indices ("b=0, x=2, ...").
    """
    got_arr = got if isinstance(got, np.ndarray) else None
    if not reveal or expected is None:
        return OutputView(name, "shown", describe(got), NOT_REVEALED if expected is not None
                          else "", got_preview=preview(got_arr) if got_arr is not None else "")
    if got is None or isinstance(got, rt.Unsupported) or got_arr is None:
        verdict: OutputVerdict = "missing" if got is None else "kind"
        return OutputView(name, verdict, describe(got), describe(expected),
                          expected_preview=preview(expected))
    if got_arr.shape != expected.shape:
        return OutputView(name, "shape", describe(got_arr), describe(expected),
                          got_preview=preview(got_arr), expected_preview=preview(expected))
    err = errors(expected, got_arr)
    allowed = atol + rtol * np.abs(np.where(np.isfinite(expected), expected, 0.0))
    over = err > allowed
    if not over.any():
        return OutputView(name, "agrees", describe(got_arr), describe(expected),
                          largest_error=number(err.max(), 2) if err.size else "")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(over, err / allowed, -1.0)     # furthest out of tolerance first
    order = np.argsort(-np.where(np.isnan(ratio), np.inf, ratio), axis=None,
                       kind="stable")[:MAX_ELEMENTS]
    elements = []
    for flat in order:
        idx = tuple(int(i) for i in np.unravel_index(int(flat), err.shape))
        if not over[idx]:
            break
        elements.append(Element(index_text(idx, axes), number(got_arr[idx], 8),
                                number(expected[idx], 8), number(err[idx], 3),
                                number(allowed[idx], 3)))
    return OutputView(name, "differs", describe(got_arr), describe(expected),
                      largest_error=number(err.max(), 3),
                      out_of_tolerance=f"{int(over.sum())} of {err.size}",
                      elements=tuple(elements))


def argument(name: str, value: Any) -> Argument:
    """One input of a case as the report names and previews it."""
    if isinstance(value, (rt.Tensor, np.ndarray)):
        array = value.array if isinstance(value, rt.Tensor) else value
        literal = array_literal(array) if array.size <= INLINE_VALUES else ""
        return Argument(name, "tensor" if isinstance(value, rt.Tensor) else "array",
                        tuple(array.shape), preview(array), literal)
    if isinstance(value, rt.Fn):
        parts = tuple(argument(f"{name}_{i}", a) for i, a in enumerate(value.args))
        return Argument(name, "fn", preview=f"{value.name}({', '.join(p.name for p in parts)})",
                        fn=value.name, parts=parts)
    if isinstance(value, (list, tuple)):
        parts = tuple(argument(f"{name}_{i}", a) for i, a in enumerate(value))
        return Argument(name, "list", (len(parts),), f"a list of {len(parts)} items",
                        parts=parts)
    if isinstance(value, np.generic):
        value = value.item()
    literal = repr(value) if isinstance(value, (bool, int, float, str)) or value is None \
        else clip_text(repr(value), 60)
    return Argument(name, "value", preview=clip_text(literal, 60), literal=clip_text(literal, 200))


def student_value(check: CheckSpec, record: CallRecord) -> Any:
    """The value a check compares for this record (a single variable is compared as itself)."""
    value = record.value
    if check.kind == "variable" and check.symbol and isinstance(value, dict):
        value = value.get(check.symbol)
    return value


def argument_name(names: Sequence[str], i: int) -> str:
    """The declared name of parameter i, else "arg1", "arg2", ..."""
    return names[i] if i < len(names) else f"arg{i + 1}"
