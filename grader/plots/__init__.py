"""Pictures for the reports, drawn in the grader's process and embedded inline.

Each function takes plain arrays (shapes in its docstring) and returns a `Picture`: a small,
deterministic `data:` URI (SVG or palette PNG, well under 25 KB) with its size in CSS pixels,
a text alternative and a caption, ready for `<img>` in a Jinja2 template. matplotlib draws on
its Agg canvas through `matplotlib.figure.Figure`, never through pyplot.

Modules, one per kind of picture: `curves` (loss curves, optimiser trajectories), `heatmap`
(|got - expected| over a slice), `values` (a function against its input, values side by
side), `thumbnail` (the student's own figures, re-encoded) and `overview` (score histogram,
per-check pass rates); `encode` turns a figure into a `Picture`.
"""

from grader.plots.curves import Run, loss_curves, trajectory, wants_log_scale
from grader.plots.encode import Picture
from grader.plots.heatmap import Slice, choose_slice, error_heatmap
from grader.plots.overview import (
    CheckCounts,
    ScoreStats,
    check_counts,
    histogram_edges,
    pass_rates,
    score_histogram,
    score_stats,
)
from grader.plots.thumbnail import ThumbnailRefused, thumbnail
from grader.plots.values import against_input, value_dots

__all__ = [
    "CheckCounts", "Picture", "Run", "ScoreStats", "Slice", "ThumbnailRefused", "against_input",
    "check_counts", "choose_slice", "error_heatmap", "histogram_edges", "loss_curves",
    "pass_rates", "score_histogram", "score_stats", "thumbnail", "trajectory", "value_dots",
    "wants_log_scale",
]
