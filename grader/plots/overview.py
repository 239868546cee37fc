"""The tutors' overview pictures: a score histogram per assignment and per-check pass rates.

The numbers (`score_stats`, `check_counts`, `histogram_edges`) are pure functions, so the page
can print them in words and tests can check them without drawing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from grader.plots.encode import Picture, encode, margins, new_figure, short, style

MAX_BINS = 20
MIN_BINS = 4
BIN_STEPS = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0)   # times powers of ten
STATUS_ORDER = ("pass", "fail", "error", "not-run")
STATUS_WORDS = {"pass": "passed", "fail": "failed", "error": "errored", "not-run": "not run"}
STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c0392b", "error": "#d68910", "not-run": "#a0a0a0"}
CHAR_WIDTH = 0.075   # inches per character of a 9 pt label (DejaVu Sans, wide average)
MAX_LABEL = 28


@dataclass(frozen=True)
class ScoreStats:
    """Summary of one assignment's scores (quartiles by numpy's linear interpolation)."""

    count: int
    mean: float
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float


def score_stats(scores: ArrayLike) -> ScoreStats:
    """Count, mean, median, quartiles, min and max of `scores` (shape (n,), n >= 1)."""
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("no scores")
    q1, median, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    return ScoreStats(count=int(values.size), mean=float(values.mean()), median=median,
                      q1=q1, q3=q3, minimum=float(values.min()), maximum=float(values.max()))


def _multiple_of(values: np.ndarray, step: float) -> bool:
    ratio = values / step
    return bool(np.all(np.abs(ratio - np.round(ratio)) <= 1e-9 * np.maximum(1.0, np.abs(ratio))))


def histogram_edges(max_score: float, scores: ArrayLike = ()) -> np.ndarray:
    """Bin edges for scores in [0, max_score] (shape (bins + 1,), at most MAX_BINS bins).

    When there are scores, and `max_score` and every score are multiples of a round step (0.5,
    1, 2, ...) that gives between MIN_BINS and MAX_BINS bins, the coarsest such step is the bin
    width and each bin is
    centred on a multiple of it (edges -w/2, w/2, ..., max_score + w/2), so points awarded in
    halves fill neighbouring bins without gaps. Otherwise: the smallest round width that gives
    at most MAX_BINS bins from 0 to `max_score` (the last bin closed, its edge `max_score`).
    """
    if not (np.isfinite(max_score) and max_score > 0):
        raise ValueError(f"max_score must be positive, got {max_score}")
    scale = 10.0 ** np.floor(np.log10(max_score / MAX_BINS))
    steps = [s * scale * 10.0**k for k in range(3) for s in (*BIN_STEPS, 10.0)]
    width = next(w for w in steps if max_score / w <= MAX_BINS)
    values = np.append(np.asarray(scores, dtype=np.float64).reshape(-1), max_score)
    for step in sorted({w for w in steps if width <= w <= max_score / MIN_BINS}, reverse=True):
        if values.size > 1 and _multiple_of(values, step):
            bins = int(round(max_score / step)) + 1
            centred: np.ndarray = (np.arange(bins + 1) - 0.5) * step
            return centred
    bins = int(np.ceil(max_score / width - 1e-9))
    edges: np.ndarray = np.minimum(np.arange(bins + 1) * width, max_score)
    return edges


def score_histogram(scores: ArrayLike, max_score: float, *, title: str = "scores",
                    stats: ScoreStats | None = None) -> Picture:
    """How many uploads scored how much, with the median, mean and quartile range marked.

    Args:
        scores: one score per upload, shape (n,), each in [0, max_score] (n >= 1).
        max_score: the assignment's full marks.
        title: the picture's title (the assignment's title).
        stats: `score_stats(scores)` if already computed.
    """
    stats = stats or score_stats(scores)
    values = np.clip(np.asarray(scores, dtype=np.float64), 0.0, max_score)
    edges = histogram_edges(max_score, values)
    counts, _ = np.histogram(values, bins=edges)
    with style():
        figure = new_figure(5.0, 2.8)
        margins(figure, left=0.55, bottom=0.85, top=0.3)
        ax = figure.add_subplot()
        ax.axvspan(stats.q1, stats.q3, color="#dfe7f3", label="middle half (quartiles)")
        ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#1f4e9c",
               edgecolor="white", linewidth=0.6, label="uploads")
        ax.axvline(stats.median, color="#c0392b", linewidth=1.6,
                   label=f"median {short(stats.median)}")
        ax.axvline(stats.mean, color="#333", linewidth=1.2, linestyle=(0, (3, 2)),
                   label=f"mean {short(stats.mean)}")
        ax.set_xlim(edges[0], edges[-1])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel=f"score (out of {short(max_score)})", ylabel="uploads", title=title)
        figure.legend(loc="lower center", ncols=2, frameon=False, borderaxespad=0.2)
        alt = (f"histogram of {stats.count} scores out of {short(max_score)}: median "
               f"{short(stats.median)}, mean {short(stats.mean)}, quartiles {short(stats.q1)} "
               f"and {short(stats.q3)}")
        return encode(figure, alt, fmt="svg")


@dataclass(frozen=True)
class CheckCounts:
    """How many uploads passed, failed, errored or did not run one check."""

    check_id: str
    passed: int = 0
    failed: int = 0
    errored: int = 0
    not_run: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errored + self.not_run

    def by_status(self) -> tuple[int, int, int, int]:
        """The counts in STATUS_ORDER."""
        return (self.passed, self.failed, self.errored, self.not_run)


def check_counts(results: Iterable[tuple[str, str]]) -> tuple[CheckCounts, ...]:
    """Count (check id, status) pairs per check, checks in order of first appearance.

    Args:
        results: one pair per check of every upload; status is one of STATUS_ORDER.
    """
    table: dict[str, list[int]] = {}
    for check_id, status in results:
        if status not in STATUS_ORDER:
            raise ValueError(f"unknown check status {status!r}")
        table.setdefault(check_id, [0, 0, 0, 0])[STATUS_ORDER.index(status)] += 1
    return tuple(CheckCounts(check_id, *row) for check_id, row in table.items())


def _clip(label: str, n: int = MAX_LABEL) -> str:
    return label if len(label) <= n else label[:n - 1] + "…"


def pass_rates(counts: Sequence[CheckCounts], *, title: str = "checks") -> Picture:
    """One stacked horizontal bar per check: passed, failed, errored, not run (in that order),
    the checks top to bottom in the order given, "passed/total" at the end of each bar."""
    if not counts:
        raise ValueError("pass_rates needs at least one check")
    total = max(c.total for c in counts)
    rows = np.arange(len(counts))
    with style():
        labels = [_clip(c.check_id) for c in counts]
        figure = new_figure(5.0, 1.2 + 0.26 * len(counts))
        margins(figure, left=0.2 + CHAR_WIDTH * max(len(x) for x in labels), right=0.2,
                bottom=0.75, top=0.3)
        ax = figure.add_subplot()
        left = np.zeros(len(counts))
        for k, status in enumerate(STATUS_ORDER):
            widths = np.array([c.by_status()[k] for c in counts], dtype=np.float64)
            ax.barh(rows, widths, left=left, height=0.7, color=STATUS_COLOURS[status],
                    edgecolor="white", linewidth=0.5, label=STATUS_WORDS[status])
            left += widths
        for row, c in zip(rows, counts):
            ax.text(c.total, float(row), f" {c.passed}/{c.total}", va="center", fontsize=8)
        ax.set_yticks(rows, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, total * 1.15 if total else 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="uploads", title=title)
        handles = [Patch(facecolor=STATUS_COLOURS[s], label=STATUS_WORDS[s]) for s in STATUS_ORDER]
        figure.legend(handles=handles, loc="lower center", ncols=4, frameon=False,
                      borderaxespad=0.2)
        alt = f"{title}: " + "; ".join(
            f"{c.check_id} " + ", ".join(f"{n} {STATUS_WORDS[s]}"
                                         for s, n in zip(STATUS_ORDER, c.by_status()) if n)
            for c in counts)
        return encode(figure, alt, fmt="svg")
