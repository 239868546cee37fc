"""Which pictures a check gets, drawn in the grading worker from its calls and records.

* a figure check: thumbnails of the first real images the notebook showed;
* a check that did not pass, by its notes' `picture` (`grader.check_notes`):
  "loss_curves" (every case's losses against the reference's), "trajectory" (the first failing
  case's iterates), "against_input" (an elementwise f against x over every case), or "auto":
  a heat map of |got - expected| for an output of at least HEATMAP_MIN_VALUES values, the
  values case by case for a check with one number per case, else the values side by side.

matplotlib is imported only here, and only when something is drawn. A hidden check is never
drawn (the caller, `grader.explain`, does not ask).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import probe_runtime as rt
from grader.check_notes import CheckNotes
from grader.compare import as_array, judge
from grader.extract import CallRecord
from grader.picture import Picture
from grader.probe import PlannedCall
from grader.rubric import CheckSpec
from grader.value_view import errors, leaf_name, pairs, student_value

HEATMAP_MIN_VALUES = 16     # an output with this many values gets a heat map
HANDFUL = 4                 # more values than this are worth a picture
MAX_HEATMAPS = 2            # per check (the first differing outputs)
MAX_THUMBNAILS = 3


@dataclass(frozen=True)
class Compared:
    """One case whose call returned a value: its plan, the student's value, and the verdict."""

    call: PlannedCall
    got: Any
    passed: bool


def draw(check: CheckSpec, notes: CheckNotes, calls: tuple[PlannedCall, ...],
         records: Mapping[tuple[str, int], CallRecord], status: str,
         figures: tuple[tuple[str, str], ...] = ()) -> tuple[Picture, ...]:
    """The pictures for one visible check (none for a passing call or variable check)."""
    if check.kind == "figure":
        return thumbnails(figures)
    if status == "pass" or check.kind not in ("call", "variable") or notes.picture == "none":
        return ()
    compared = []
    for call in calls:
        record = records.get((check.id, call.index))
        if record is not None and record.status == "ok" and call.expected is not None:
            got = student_value(check, record)
            compared.append(Compared(call, got, judge(check, got, call.expected).passed))
    if not compared or all(c.passed for c in compared):
        return ()
    kind = notes.picture
    if kind == "loss_curves":
        return _loss_curves(check, notes, compared)
    if kind == "trajectory":
        return _trajectory(check, notes, next(c for c in compared if not c.passed))
    if kind == "against_input":
        return _against_input(check, notes, compared)
    return _auto(check, notes, compared)


def thumbnails(figures: tuple[tuple[str, str], ...]) -> tuple[Picture, ...]:
    """Re-encoded thumbnails of the first MAX_THUMBNAILS figures that decode."""
    from grader.plots import ThumbnailRefused, thumbnail

    out: list[Picture] = []
    for mime, data in figures:
        try:
            out.append(thumbnail(mime, data))
        except ThumbnailRefused:
            continue
        if len(out) == MAX_THUMBNAILS:
            break
    return tuple(out)


def _case(c: Compared) -> str:
    return f"case {c.call.index + 1}"


def _loss_curves(check: CheckSpec, notes: CheckNotes,
                 compared: list[Compared]) -> tuple[Picture, ...]:
    from grader.plots import Run, loss_curves

    at = notes.outputs.index("losses") if "losses" in notes.outputs else -1
    runs = []
    for c in compared:
        got = c.got[at] if isinstance(c.got, (list, tuple)) and len(c.got) > at else None
        losses = as_array(got) if got is not None else None
        if losses is not None and losses.ndim == 1 and at >= 0:
            label = c.call.case.label if c.call.case is not None else ""
            runs.append(Run(f"{_case(c)}: {label}", losses, c.call.expected[at]))
    if not runs:
        return ()
    return (loss_curves(runs, title=f"{check.id}: your losses and the reference's"),)


def _trajectory(check: CheckSpec, notes: CheckNotes, c: Compared) -> tuple[Picture, ...]:
    from grader.plots import trajectory

    got, expected = as_array(c.got), c.call.expected
    if got is None or not isinstance(expected, np.ndarray) or got.ndim == 0 or expected.ndim == 0:
        return ()
    if got.shape[1:] != expected.shape[1:]:
        return ()
    name = notes.outputs[0] if notes.outputs else "theta"
    return (trajectory(got, expected, name=name, title=f"{check.id}, {_case(c)}"),)


def _first_argument(call: PlannedCall) -> np.ndarray | None:
    if call.case is None or not call.case.args:
        return None
    x = call.case.args[0]
    return x.array if isinstance(x, rt.Tensor) else x if isinstance(x, np.ndarray) else None


def _against_input(check: CheckSpec, notes: CheckNotes,
                   compared: list[Compared]) -> tuple[Picture, ...]:
    from grader.plots import against_input

    xs, gs, es = [], [], []
    for c in compared:
        x, got = _first_argument(c.call), as_array(c.got)
        if x is not None and got is not None and got.shape == x.shape == c.call.expected.shape:
            xs.append(x.reshape(-1))
            gs.append(got.reshape(-1))
            es.append(c.call.expected.reshape(-1))
    if not xs:
        return ()
    name = notes.outputs[0] if notes.outputs else f"{check.symbol}(x)"
    xname = notes.inputs[0] if notes.inputs else "x"
    return (against_input(np.concatenate(xs), np.concatenate(gs), np.concatenate(es),
                          xname=xname, yname=name,
                          title=f"{check.id}: yours and the reference's, every case"),)


def _differing(check: CheckSpec, c: Compared) -> list[tuple[tuple[Any, ...], np.ndarray, Any]]:
    """The leaves of a failing case whose values differ, or whose shape or kind does."""
    out = []
    for path, e, g in pairs(c.call.expected, c.got):
        if not isinstance(e, np.ndarray):
            continue
        if isinstance(g, np.ndarray) and g.shape == e.shape:
            allowed = check.atol + check.rtol * np.abs(np.where(np.isfinite(e), e, 0.0))
            if not (errors(e, g) > allowed).any():
                continue
        out.append((path, e, g))
    return out


def _paired(e: np.ndarray, g: Any) -> bool:
    return isinstance(g, np.ndarray) and g.shape == e.shape


def _values(leaf: tuple[Any, np.ndarray, Any]) -> int:
    got = as_array(leaf[2]) if leaf[2] is not None else None
    return leaf[1].size + (got.size if got is not None else 0)


def _auto(check: CheckSpec, notes: CheckNotes, compared: list[Compared]) -> tuple[Picture, ...]:
    from grader.plots import error_heatmap, value_dots

    failing = [(c, leaves) for c in compared if not c.passed
               for leaves in [_differing(check, c)] if leaves]
    if not failing:
        return ()
    for c, leaves in failing:   # the first failing case with an output of many values
        big = [(p, e, g) for p, e, g in leaves if _paired(e, g) and e.size >= HEATMAP_MIN_VALUES]
        if big:
            return tuple(_heatmap(error_heatmap, notes, c, leaf) for leaf in big[:MAX_HEATMAPS])
    path = failing[0][1][0][0]
    name = leaf_name(path, notes.outputs)
    scalars = _per_case(compared, path)
    if scalars is not None and len(scalars[0]) > 2:
        labels, got, expected = scalars
        return (value_dots(got, expected, labels=labels, name=name,
                           title=f"{check.id}: {name}, case by case"),)
    c, (path, e, g) = max(((c, ls[0]) for c, ls in failing), key=lambda item: _values(item[1]))
    g_arr = as_array(g) if g is not None and not isinstance(g, rt.Unsupported) else None
    if g_arr is None or g_arr.size + e.size <= HANDFUL:
        return ()
    name = leaf_name(path, notes.outputs)
    return (value_dots(g_arr, e, name=name,
                       title=f"{name}, {_case(c)}: yours {g_arr.shape}, reference {e.shape}"),)


def _heatmap(error_heatmap: Any, notes: CheckNotes, c: Compared,
             leaf: tuple[tuple[Any, ...], np.ndarray, np.ndarray]) -> Picture:
    path, e, g = leaf
    name = leaf_name(path, notes.outputs)
    axes = notes.axis_names(name)
    picture: Picture = error_heatmap(g, e, axis_names=axes if axes and len(axes) == e.ndim
                                     else None, title=f"{name}, {_case(c)}")
    return picture


def _per_case(compared: list[Compared],
              path: tuple[Any, ...]) -> tuple[list[str], list[float], list[float]] | None:
    """(labels, the student's value, the reference's) of one scalar output in every case, or
    None when that output is not one number in every case."""
    labels, got, expected = [], [], []
    for c in compared:
        leaf = next(((e, g) for p, e, g in pairs(c.call.expected, c.got) if p == path), None)
        if leaf is None or not isinstance(leaf[0], np.ndarray) or leaf[0].size != 1:
            return None
        g = leaf[1]
        if not isinstance(g, np.ndarray) or g.size != 1:
            return None
        labels.append(str(c.call.index + 1))
        got.append(float(g.reshape(-1)[0]))
        expected.append(float(leaf[0].reshape(-1)[0]))
    return labels, got, expected
