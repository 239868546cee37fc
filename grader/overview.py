"""What the tutors' overview shows per assignment: scores, pass rates, grouped failures.

Computed in the batch's own process once every grade is known (a handful of pictures per
assignment, never per upload): `assignment_overviews` gives, per assignment, the score
statistics and histogram, each check's pass/fail/error/not-run counts as bars, and its most
common failure messages grouped by shape (`grader.failures`), each group with the uploads that
show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.failures import MessageGroup, failure_groups
from grader.picture import Picture
from grader.plots.overview import CheckCounts, ScoreStats, check_counts, score_stats
from grader.rubric import Rubric
from grader.score import Grade


@dataclass(frozen=True)
class CheckSummary:
    """One check over every upload of an assignment."""

    id: str
    max_points: float
    counts: CheckCounts
    visible: bool
    groups: tuple[MessageGroup, ...]


@dataclass(frozen=True)
class AssignmentOverview:
    """One assignment's part of the overview.

    Attributes:
        id, title: the rubric's.
        uploads: how many uploads matched it; graded: how many of them were graded.
        max_score: its full marks.
        stats: of the scores of every matched upload (rejected ones count 0).
        checks: per check, in the rubric's order.
        csv: the file name of its `grades-<id>.csv` ("" when none was written).
        pictures: the score histogram and the pass-rate bars (none when drawing is off).
    """

    id: str
    title: str
    uploads: int
    graded: int
    max_score: float
    stats: ScoreStats
    checks: tuple[CheckSummary, ...]
    csv: str = ""
    pictures: tuple[Picture, ...] = ()


def _checks(grades: Sequence[Grade], rubric: Rubric | None) -> tuple[CheckSummary, ...]:
    """Per check (the rubric's in its order, then any other a grade holds): counts, groups."""
    counts = {c.check_id: c for c in check_counts(
        (check.id, check.status) for grade in grades for check in grade.checks)}
    info = {c.id: (float(c.points), c.visible) for c in rubric.checks} if rubric else {}
    for grade in grades:
        for check in grade.checks:
            info.setdefault(check.id, (check.max_points, check.visible))
    return tuple(CheckSummary(cid, points, counts.get(cid, CheckCounts(cid)), visible,
                              failure_groups(grades, cid))
                 for cid, (points, visible) in info.items())


def assignment_overviews(grades: Sequence[Grade], rubrics: Sequence[Rubric],
                         csv_names: Mapping[str, str] | None = None, *,
                         draw: bool = True) -> tuple[AssignmentOverview, ...]:
    """Per assignment with at least one upload (sorted by id): statistics, check summaries and,
    with `draw`, the score histogram and pass-rate bars.

    Args:
        grades: every upload of the batch.
        rubrics: the batch's rubrics (titles, check order and maxima).
        csv_names: assignment id -> its `grades-<id>.csv` name.
        draw: False leaves out the pictures (nothing is drawn).
    """
    by_id = {r.id: r for r in rubrics}
    out = []
    for assignment in sorted({g.assignment for g in grades if g.assignment is not None}):
        rows = [g for g in grades if g.assignment == assignment]
        rubric = by_id.get(assignment)
        max_score = rubric.max_score if rubric else max(g.max_score for g in rows)
        stats = score_stats([g.score for g in rows])
        checks = _checks(rows, rubric)
        title = rubric.title if rubric else assignment
        pictures: tuple[Picture, ...] = ()
        if draw:
            pictures = _pictures(assignment, rows, max_score, stats, checks)
        out.append(AssignmentOverview(
            assignment, title, len(rows), sum(g.status == "graded" for g in rows), max_score,
            stats, checks, (csv_names or {}).get(assignment, ""), pictures))
    return tuple(out)


def _pictures(assignment: str, rows: Sequence[Grade], max_score: float,
              stats: ScoreStats, checks: tuple[CheckSummary, ...]) -> tuple[Picture, ...]:
    """The histogram (when the assignment has points) and the pass-rate bars (when it has
    checks); a picture that cannot be drawn is left out."""
    from grader.plots import pass_rates, score_histogram

    pictures = []
    try:
        if max_score > 0:
            pictures.append(score_histogram([g.score for g in rows], max_score,
                                            title=f"{assignment}: scores", stats=stats))
        if checks:
            pictures.append(pass_rates([c.counts for c in checks],
                                       title=f"{assignment}: checks"))
    except Exception:  # noqa: BLE001 - a picture must never cost the overview
        pass
    return tuple(pictures)
