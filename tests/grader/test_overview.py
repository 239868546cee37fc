"""The overview per assignment: score statistics, pass rates per check, grouped failures."""

from __future__ import annotations

import pytest
from grade_builders import make_check, make_grade
from rubric_builders import make_check as make_spec
from rubric_builders import make_rubric

from grader.overview import assignment_overviews
from grader.score import Grade

RUBRIC = make_rubric(checks=(make_spec(id="adam_step", points=2.0),
                             make_spec(id="adam_converges", points=1.0)))


def _graded(file: str, step: str, converges: str, score: float) -> Grade:
    return make_grade(file=file, score=score, checks=(
        make_check(id="adam_step", status=step, points=2.0 if step == "pass" else 0.0,
                   max_points=2.0, message="ok" if step == "pass" else f"got {score}, expected 1"),
        make_check(id="adam_converges", status=converges, max_points=1.0,
                   points=1.0 if converges == "pass" else 0.0, message="m")))


GRADES = [_graded("a", "pass", "pass", 3.0), _graded("b", "fail", "pass", 1.0),
          _graded("c", "fail", "error", 0.0),
          make_grade(file="d", status="timeout", score=0.0, checks=(
              make_check(id="adam_step", status="not-run", points=0.0, max_points=2.0),
              make_check(id="adam_converges", status="not-run", points=0.0))),
          make_grade(file="z", assignment=None, status="rejected", score=0.0, checks=())]


def test_statistics_counts_and_groups_without_drawing() -> None:
    (adam,) = assignment_overviews(GRADES, [RUBRIC], {"adam": "grades-adam.csv"}, draw=False)
    assert (adam.id, adam.uploads, adam.graded, adam.max_score, adam.csv) == (
        "adam", 4, 3, 3.0, "grades-adam.csv")
    assert (adam.stats.median, adam.stats.mean, adam.stats.q1, adam.stats.q3) == pytest.approx(
        (0.5, 1.0, 0.0, 1.5), abs=1e-12)
    step, converges = adam.checks
    assert (step.counts.passed, step.counts.failed, step.counts.errored,
            step.counts.not_run) == (1, 2, 0, 1)
    assert [(g.shape, g.uploads) for g in step.groups] == [("got #, expected #", ("b", "c"))]
    assert (converges.counts.errored, converges.max_points) == (1, 1.0)
    assert adam.pictures == ()


def test_drawing_adds_the_histogram_and_the_pass_rates() -> None:
    (adam,) = assignment_overviews(GRADES, [RUBRIC], draw=True)
    histogram, rates = adam.pictures
    assert "histogram of 4 scores out of 3" in histogram.alt
    assert "adam_step 1 passed, 2 failed, 1 not run" in rates.alt
