"""Pictures of a few values: an elementwise function against its input, and values side by side.

`against_input` draws the student's f(x) and the reference's over every x the check tried (a
sign error or a lost term shows as two different curves); `value_dots` puts the student's values
beside the reference's, one column per value or per case (a factor of two, a swapped pair or an
extra axis shows at a glance). Student in red, reference in blue, as in `curves`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator
from numpy.typing import ArrayLike

from grader.plots.curves import LEGEND_ROW, _legend, wants_log_scale
from grader.plots.encode import REFERENCE, STUDENT, Picture, encode, margins, new_figure, style

MAX_POINTS = 400        # of a curve (the first ones by x)
MAX_DOTS = 60           # values side by side
MAX_TICK_LABELS = 12


def _vector(values: ArrayLike) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64)).reshape(-1)


def against_input(x: ArrayLike, got: ArrayLike, expected: ArrayLike, *, xname: str = "x",
                  yname: str = "f(x)", title: str = "") -> Picture:
    """The student's f(x) (red dots and line) and the reference's (blue dashed) against x.

    Args:
        x: the inputs, shape (n,) (any order; drawn sorted).
        got, expected: f at each x, shape (n,) each; non-finite values of the student's are
            left out and counted in the text.
        xname, yname: axis labels; title: the picture's title.
    """
    xs, g, e = _vector(x), _vector(got), _vector(expected)
    if not (xs.size == g.size == e.size) or xs.size == 0:
        raise ValueError(f"x, got and expected need the same length > 0 ({xs.size}, {g.size}, "
                         f"{e.size})")
    order = np.argsort(xs, kind="stable")[:MAX_POINTS]
    xs, g, e = xs[order], g[order], e[order]
    bad = int((~np.isfinite(g)).sum())
    with style():
        figure = new_figure(5.6, 2.9 + LEGEND_ROW)
        ax = figure.add_subplot()
        ax.plot(xs, e, color=REFERENCE, linestyle=(0, (4, 2)), linewidth=1.3)
        ax.plot(xs, np.where(np.isfinite(g), g, np.nan), color=STUDENT, linewidth=1.2,
                marker="o", markersize=3)
        ax.set(xlabel=xname, ylabel=yname, title=title)
        _legend(figure, yours=STUDENT, reference=REFERENCE)
        margins(figure, left=0.75, bottom=0.55 + LEGEND_ROW, top=0.35)
        alt = (f"{title or yname}: your {yname} (solid, dots) against the reference's (dashed) "
               f"over {xs.size} values of {xname} from {xs[0]:.3g} to {xs[-1]:.3g}"
               + (f"; {bad} non-finite values of yours left out" if bad else ""))
        return encode(figure, alt)


def value_dots(got: ArrayLike, expected: ArrayLike, *, labels: Sequence[str] = (),
               name: str = "value", title: str = "") -> Picture:
    """The student's values (red dots) beside the reference's (blue rings), one column each; a
    single reference value against several of the student's is also drawn as a dashed line.

    Args:
        got: the student's values, shape (k,) (flattened; the first MAX_DOTS are drawn).
        expected: the reference's, shape (m,); m may differ from k (a shape mismatch).
        labels: a tick label per column ("case 1", ...); default the index.
        name: the values' name (y axis); title: the picture's title.
    """
    g, e = _vector(got)[:MAX_DOTS], _vector(expected)[:MAX_DOTS]
    if g.size == 0 and e.size == 0:
        raise ValueError("nothing to draw")
    log = wants_log_scale(g, e)
    columns = max(g.size, e.size)
    with style():
        figure = new_figure(min(6.0, 2.6 + 0.16 * columns), 2.8 + LEGEND_ROW)
        ax = figure.add_subplot()
        if e.size == 1 and g.size > 1:     # one reference value against several of yours
            ax.axhline(float(e[0]), color=REFERENCE, linestyle=(0, (4, 2)), linewidth=1.2)
        ax.plot(np.arange(e.size), e, linestyle="none", marker="o", markersize=8,
                markerfacecolor="none", markeredgecolor=REFERENCE, markeredgewidth=1.4)
        ax.plot(np.arange(g.size), np.where(np.isfinite(g), g, np.nan), linestyle="none",
                marker="o", markersize=4, color=STUDENT)
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(NullLocator())
        if labels and len(labels) >= columns and columns <= MAX_TICK_LABELS:
            ax.set_xticks(range(columns), list(labels[:columns]), rotation=0)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
            ax.set_xlabel("index (flattened)")
        ax.set_xlim(-0.6, columns - 0.4)
        ax.set(ylabel=name + (" (log scale)" if log else ""), title=title)
        handles = [Line2D([], [], linestyle="none", marker="o", markersize=4, color=STUDENT,
                          label="yours"),
                   Line2D([], [], linestyle="none", marker="o", markersize=8,
                          markerfacecolor="none", markeredgecolor=REFERENCE, label="reference")]
        figure.legend(handles=handles, loc="lower center", ncols=2, frameon=False,
                      borderaxespad=0.2)
        margins(figure, left=0.8, bottom=0.6 + LEGEND_ROW, top=0.35)
        alt = (f"{title or name}: your {g.size} value(s) (dots) beside the reference's "
               f"{e.size} (rings)")
        return encode(figure, alt, fmt="svg")
