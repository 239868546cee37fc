"""Line pictures: a student's loss curves and optimiser trajectories against the reference's.

The student's line is solid red, the reference's dashed blue, on the same axes, so where they
part is where the student's code does something else. Non-finite values of the student's are
left out of the line and counted in the picture's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator
from numpy.typing import ArrayLike

from grader.plots.encode import (
    REFERENCE,
    STUDENT,
    Picture,
    encode,
    margins,
    new_figure,
    style,
)

MAX_RUNS = 6            # loss curves drawn per picture (the first ones)
MAX_COORDINATES = 4     # trajectory coordinates drawn one below the other
DECADES_FOR_LOG = 2.0   # a positive curve spanning at least this many decades gets a log y axis
RUN_COLOURS = ("#c0392b", "#1f4e9c", "#2e7d32", "#8e44ad", "#b9770e", "#17707a")

TrajectoryMode = Literal["auto", "coordinates", "path"]


@dataclass(frozen=True)
class Run:
    """One training run: its label and the per-step losses, student's and reference's.

    Attributes:
        label: e.g. "Adam, 2 variables".
        got: the student's losses, shape (steps,) (any length; non-finite values allowed).
        expected: the reference's losses on the same inputs, shape (steps',).
    """

    label: str
    got: ArrayLike
    expected: ArrayLike


def _curve(values: ArrayLike) -> np.ndarray:
    """`values` as a float64 vector (shape (n,)); a scalar becomes (1,)."""
    return np.atleast_1d(np.asarray(values, dtype=np.float64)).reshape(-1)


def wants_log_scale(*curves: np.ndarray) -> bool:
    """Whether a y axis over these curves reads better in log scale: every finite value is
    positive and together they span at least DECADES_FOR_LOG decades."""
    finite = np.concatenate([c[np.isfinite(c)] for c in curves]) if curves else np.empty(0)
    if finite.size < 2 or finite.min() <= 0:
        return False
    return bool(np.log10(finite.max() / finite.min()) >= DECADES_FOR_LOG)


def _plot_pair(ax: Axes, got: np.ndarray, expected: np.ndarray, colour: str, label: str,
               reference_colour: str | None = None) -> int:
    """Draw the reference dashed (in `reference_colour`, default `colour`) and the student
    solid; return how many student values were not finite (left out)."""
    steps_e, steps_g = np.arange(expected.size), np.arange(got.size)
    ax.plot(steps_e, expected, color=reference_colour or colour, linestyle=(0, (4, 2)),
            linewidth=1.2, alpha=0.85)
    finite = np.isfinite(got)
    shown = np.where(finite, got, np.nan)
    ax.plot(steps_g, shown, color=colour, linewidth=1.6, label=label,
            marker="o" if got.size <= 30 else None, markersize=3)
    return int((~finite).sum())


def _legend(figure: Figure, runs: Sequence[tuple[str, str]] = (), *, yours: str = "#333",
            reference: str = "#333") -> int:
    """One legend along the bottom: the line styles (yours solid, reference dashed, in the
    given colours), then each run's colour and label. Returns its number of rows."""
    handles = [Line2D([], [], color=yours, linewidth=1.6, label="yours"),
               Line2D([], [], color=reference, linewidth=1.2, linestyle=(0, (4, 2)),
                      label="reference")]
    handles += [Line2D([], [], color=colour, linewidth=3, label=_clip(label))
                for label, colour in runs]
    entry = 0.55 + CHAR_WIDTH * max(len(str(h.get_label())) for h in handles)  # inches
    columns = max(1, min(4, int(figure.get_figwidth() // entry)))
    figure.legend(handles=handles, loc="lower center", ncols=columns, frameon=False,
                  borderaxespad=0.2)
    return -(-len(handles) // columns)


def _clip(label: str, n: int = 44) -> str:
    return label if len(label) <= n else label[:n - 1] + "…"


LEGEND_ROW = 0.19   # inches
CHAR_WIDTH = 0.068  # inches per character of an 8 pt legend label (DejaVu Sans, wide average)


def loss_curves(runs: Sequence[Run], *, title: str = "loss per step") -> Picture:
    """The student's loss curve(s) against the reference's on the same inputs.

    Args:
        runs: one `Run` per training run (losses of shape (steps,)); the first MAX_RUNS are drawn.
        title: the picture's title.

    Returns:
        A palette-PNG `Picture`; log y axis when every value is positive and they span
        DECADES_FOR_LOG decades or more.
    """
    if not runs:
        raise ValueError("loss_curves needs at least one run")
    shown = list(runs[:MAX_RUNS])
    pairs = [(_curve(r.got), _curve(r.expected)) for r in shown]
    with style():
        figure = new_figure(6.0, 2.6)
        ax = figure.add_subplot()
        bad = sum(_plot_pair(ax, g, e, RUN_COLOURS[i], r.label)
                  for i, (r, (g, e)) in enumerate(zip(shown, pairs)))
        log = wants_log_scale(*(c for pair in pairs for c in pair))
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(NullLocator())
        ax.set(xlabel="step", ylabel="loss" + (" (log scale)" if log else ""), title=title)
        rows = _legend(figure, [(r.label, RUN_COLOURS[i]) for i, r in enumerate(shown)]
                       if len(shown) > 1 else [])
        figure.set_figheight(2.6 + LEGEND_ROW * rows)
        margins(figure, bottom=0.5 + LEGEND_ROW * rows)
        alt = (f"{title}: your loss curve (solid) against the reference's (dashed) for "
               + "; ".join(r.label for r in shown)
               + (f"; {bad} non-finite values of yours left out" if bad else ""))
        return encode(figure, alt)


def _as_steps(values: ArrayLike) -> np.ndarray:
    """A trajectory as (steps, n): (steps,) -> (steps, 1); (steps, *shape) -> (steps, prod)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError("a trajectory needs a step axis")
    return arr.reshape(arr.shape[0], -1)


def trajectory(got: ArrayLike, expected: ArrayLike, *, name: str = "theta",
               title: str = "trajectory", mode: TrajectoryMode = "auto") -> Picture:
    """An optimiser's iterates, the student's against the reference's.

    Args:
        got: the student's iterates, shape (steps,) for a scalar parameter or
            (steps, *param_shape); flattened to (steps, n).
        expected: the reference's, same layout (the step counts may differ).
        name: the parameter's name for the axis labels ("theta", "w").
        title: the picture's title.
        mode: "coordinates" draws each of the first MAX_COORDINATES coordinates against the
            step, one panel each; "path" draws coordinate 1 against coordinate 0 (needs n >= 2);
            "auto" is "coordinates" for n = 1 and "path" otherwise.

    Returns:
        A `Picture`.
    """
    g, e = _as_steps(got), _as_steps(expected)
    n = min(g.shape[1], e.shape[1])
    if n == 0:
        raise ValueError("empty parameter")
    if mode == "auto":
        mode = "coordinates" if n == 1 else "path"
    if mode == "path" and n < 2:
        raise ValueError("a path needs at least two coordinates")
    with style():
        if mode == "path":
            figure = new_figure(4.2, 3.8)
            _draw_path(figure.add_subplot(), g, e, name)
            margins(figure, left=0.7, bottom=0.5 + 2 * LEGEND_ROW, top=0.35)
            what = f"{name}[1] against {name}[0]" + (f" (first 2 of {n} coordinates)"
                                                      if n > 2 else "")
        else:
            k = min(n, MAX_COORDINATES)
            figure = new_figure(6.0, 0.9 + 2 * LEGEND_ROW + 1.1 * k)
            axes = figure.subplots(k, 1, sharex=True, squeeze=False)[:, 0]
            for i, ax in enumerate(axes):
                _plot_pair(ax, g[:, i], e[:, i], STUDENT, "yours", REFERENCE)
                ax.set_ylabel(f"{name}[{i}]" if n > 1 else name)
            axes[-1].set_xlabel("step")
            _legend(figure, yours=STUDENT, reference=REFERENCE)
            margins(figure, left=0.75, bottom=0.5 + LEGEND_ROW, top=0.35)
            what = f"{name} per step" + (f" (first {k} of {n} coordinates)" if n > k else "")
        figure.suptitle(title, fontsize=10)
        bad = int((~np.isfinite(g)).any(axis=1).sum())
        alt = (f"{title}: {what}, your iterates (solid) against the reference's (dashed)"
               + (f"; {bad} steps of yours not finite, left out" if bad else ""))
        return encode(figure, alt)


def _draw_path(ax: Axes, g: np.ndarray, e: np.ndarray, name: str) -> None:
    """Coordinate 1 against coordinate 0, with the start and both ends marked."""
    ax.plot(e[:, 0], e[:, 1], color=REFERENCE, linestyle=(0, (4, 2)), linewidth=1.2,
            marker=".", markersize=3, label="reference")
    finite = np.isfinite(g[:, :2]).all(axis=1)
    path = np.where(finite[:, None], g[:, :2], np.nan)
    ax.plot(path[:, 0], path[:, 1], color=STUDENT, linewidth=1.4, marker=".", markersize=3,
            label="yours")
    ax.plot(e[0, 0], e[0, 1], "o", color="#333", markersize=5, label="start")
    ax.plot(e[-1, 0], e[-1, 1], "*", color=REFERENCE, markersize=9, label="reference's end")
    if finite.any():
        last = path[finite][-1]
        ax.plot(last[0], last[1], "X", color=STUDENT, markersize=7, label="your end")
    ax.set(xlabel=f"{name}[0]", ylabel=f"{name}[1]")
    ax.figure.legend(loc="lower center", ncols=3, frameon=False, borderaxespad=0.2)
