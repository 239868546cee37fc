"""A heat map of |got - expected| over the 2-D slice of an N-D array where the error is largest.

A shifted result shows as a band along one edge, a transposed one as a pattern mirrored across
the diagonal, a wrong sign as the whole slice lit up; a single wrong element as one cell. The
slice is named in words ("b=0, t=3, c=1; x down, y across") so a student can find it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from grader.plots.encode import Picture, encode, margins, new_figure, short, style

DEFAULT_AXIS_NAMES = ("i", "j", "k", "l", "m", "n")
MAX_TICKS = 16          # an axis at most this long gets a tick per index
MAX_CELLS = 48          # a longer side is drawn as a window of this many cells around the worst
NON_FINITE_COLOUR = "#00a6d6"
COLOUR_MAP = "magma_r"  # white for no error, dark for the largest
SIDE, MIN_SIDE = 3.6, 0.8   # inches: the longer side of the slice, and the least of either
LEVELS = 12             # discrete colours: exact in a palette PNG, and easier to read

Axis = int | str


@dataclass(frozen=True)
class Slice:
    """Where a 2-D picture of an N-D array is cut.

    Attributes:
        down: the axis drawn top to bottom (None for a 1-D array: one row).
        across: the axis drawn left to right.
        fixed: (axis, index) for every other axis, in axis order.
        worst: the index of the largest error in the whole array (it lies in the slice).
        text: the slice in words, e.g. "b=0, t=3, c=1; x down, y across".
    """

    down: int | None
    across: int
    fixed: tuple[tuple[int, int], ...]
    worst: tuple[int, ...]
    text: str

    def take(self, array: np.ndarray) -> np.ndarray:
        """The slice of `array` (same shape as the errors), shape (rows, cols); (1, n) for 1-D."""
        index: list[int | slice] = [slice(None)] * array.ndim
        for axis, i in self.fixed:
            index[axis] = i
        plane = array[tuple(index)]
        if self.down is None:
            return plane.reshape(1, -1)
        return plane if self.down < self.across else plane.T


def axis_labels(ndim: int, axis_names: Sequence[str] | None) -> tuple[str, ...]:
    """`axis_names` checked against `ndim`, or i, j, k, ... (d6, d7, ... beyond six)."""
    if axis_names is not None:
        if len(axis_names) != ndim:
            raise ValueError(f"{len(axis_names)} axis names for {ndim} axes")
        return tuple(axis_names)
    return tuple(DEFAULT_AXIS_NAMES[k] if k < len(DEFAULT_AXIS_NAMES) else f"d{k}"
                 for k in range(ndim))


def worst_index(errors: np.ndarray) -> tuple[int, ...]:
    """Index of the largest entry of `errors` (shape (...)); NaN and inf count as largest."""
    ranked = np.where(np.isfinite(errors), errors, np.inf)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(ranked)), errors.shape))


def choose_slice(errors: np.ndarray, axis_names: Sequence[str] | None = None,
                 plane: tuple[Axis, Axis] | None = None) -> Slice:
    """The 2-D slice through the largest error, and its description.

    Args:
        errors: |got - expected|, any shape with at least one element and one axis.
        axis_names: a name per axis, e.g. ("b", "x", "y", "t", "c") for conv3d's (B, X, Y, T, C).
        plane: the two axes to draw (by index or name; the first goes down). Default: the two
            longest axes, the earlier one down (ties go to the earlier axes).
    """
    if errors.ndim == 0 or errors.size == 0:
        raise ValueError("a heat map needs a non-empty array with at least one axis")
    names = axis_labels(errors.ndim, axis_names)
    worst = worst_index(errors)
    if errors.ndim == 1:
        return Slice(None, 0, (), worst, f"{names[0]} across")
    if plane is None:
        by_length = sorted(range(errors.ndim), key=lambda k: (-errors.shape[k], k))
        down, across = sorted(by_length[:2])
    else:
        down, across = (names.index(a) if isinstance(a, str) else int(a) for a in plane)
        if down == across or not (0 <= down < errors.ndim and 0 <= across < errors.ndim):
            raise ValueError(f"bad plane {plane!r} for {errors.ndim} axes")
    fixed = tuple((k, worst[k]) for k in range(errors.ndim) if k not in (down, across))
    where = ", ".join(f"{names[k]}={i}" for k, i in fixed)
    text = (f"{where}; " if where else "") + f"{names[down]} down, {names[across]} across"
    return Slice(down, across, fixed, worst, text)


def window(length: int, centre: int, cells: int = MAX_CELLS) -> tuple[int, int]:
    """[start, stop) of at most `cells` indices of an axis of `length`, around `centre`."""
    if length <= cells:
        return 0, length
    start = min(max(centre - cells // 2, 0), length - cells)
    return start, start + cells


def error_heatmap(got: ArrayLike, expected: ArrayLike, *, axis_names: Sequence[str] | None = None,
                  plane: tuple[Axis, Axis] | None = None, title: str = "|got - expected|"
                  ) -> Picture:
    """|got - expected| over the 2-D slice through the largest error, as a palette PNG.

    Args:
        got: the student's array, any shape (...) with at least one element; NaN/inf allowed.
        expected: the reference's array, the same shape.
        axis_names, plane: see `choose_slice`.
        title: the picture's title (the check's output name, e.g. "dL1").

    Returns:
        A `Picture` whose `caption` names the slice ("b=0, t=3, c=1; x down, y across"), the
        window drawn when a side is longer than MAX_CELLS, the largest error and, if any, how
        many values are not finite (drawn in cyan).
    """
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        raise ValueError(f"shapes differ: got {g.shape}, expected {e.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        errors = np.abs(g - e)
    cut = choose_slice(errors, axis_names, plane)
    names = axis_labels(errors.ndim, axis_names)
    image = cut.take(errors)
    worst = (cut.worst[cut.down] if cut.down is not None else 0, cut.worst[cut.across])
    (r0, r1), (c0, c1) = (window(n, w) for n, w in zip(image.shape, worst))
    largest = float(errors[cut.worst])
    bad = int((~np.isfinite(errors)).sum())
    where = ", ".join(f"{names[k]}={i}" for k, i in enumerate(cut.worst))
    cropped = [f"{names[axis]} {a}..{b - 1} of {n}" for axis, (a, b), n in
               ((cut.down, (r0, r1), image.shape[0]), (cut.across, (c0, c1), image.shape[1]))
               if axis is not None and b - a < n]
    caption = (f"slice {cut.text}" + (f" ({', '.join(cropped)})" if cropped else "")
               + f"; largest error {short(largest)} at {where}"
               + (f"; {bad} values not finite (cyan)" if bad else ""))
    with style():
        figure = _draw(image[r0:r1, c0:c1], (r0, c0), worst, cut, names, title)
        return encode(figure, f"heat map of {title} over the slice {cut.text}", caption=caption)


def _draw(image: np.ndarray, origin: tuple[int, int], worst: tuple[int, int], cut: Slice,
          names: Sequence[str], title: str) -> Figure:
    """The figure: `image` (rows, cols) from index `origin` on, as cells, with a colour bar
    and the worst cell (row, col) outlined."""
    rows, cols = image.shape
    ratio = rows / cols  # the axes get the slice's proportions, within [MIN_SIDE, SIDE] inches
    height = float(np.clip(SIDE * ratio, MIN_SIDE, SIDE))
    width = float(np.clip(SIDE / ratio, MIN_SIDE, SIDE))
    figure = new_figure(width + 1.6, height + 0.9)
    margins(figure, left=0.6, right=1.0, bottom=0.5, top=0.4)
    ax = figure.add_subplot()
    finite = image[np.isfinite(image)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    (r0, c0), (r, c) = origin, worst
    shown = ax.imshow(np.ma.masked_invalid(image), cmap=_colour_map(), vmin=0.0, vmax=top,
                      aspect="auto", interpolation="nearest",
                      extent=(c0 - 0.5, c0 + cols - 0.5, r0 + rows - 0.5, r0 - 0.5))
    bar = figure.colorbar(shown, ax=ax, fraction=0.08, pad=0.04)
    bar.set_label("|got − expected|")
    ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=NON_FINITE_COLOUR,
                           linewidth=1.5))
    ax.set_xlabel(names[cut.across])
    ax.set_ylabel(names[cut.down] if cut.down is not None else "")
    for axis, start, n in ((ax.xaxis, c0, cols), (ax.yaxis, r0, rows)):
        if n <= MAX_TICKS:
            axis.set_ticks(range(start, start + n))
        else:
            axis.set_major_locator(MaxNLocator(integer=True))
    if cut.down is None:
        ax.set_yticks([])
    ax.set_title(title)
    return figure


def _colour_map() -> Colormap:
    return matplotlib.colormaps[COLOUR_MAP].resampled(LEVELS).with_extremes(bad=NON_FINITE_COLOUR)
