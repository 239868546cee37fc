"""Feedback pages and the tutors' index: goldens, escaping, size caps, report paths."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Callable

import pytest
from grade_builders import make_check, make_grade

from grader.cell_error import CellError
from grader.cell_runs import CellRun
from grader.detail import Argument, CaseRow, CheckDetail, Element, OutputView
from grader.discover import NotGraded
from grader.lateness import Deadline, Lateness, SubmissionTime
from grader.ledger_view import Adjusted, HandMark, Ledger, UploadLedger
from grader.marking import Mark, Override
from grader.overview import assignment_overviews
from grader.report import (
    STATUS_EXPLANATIONS,
    STATUSES,
    ReportExtras,
    SameGroup,
    clip,
    index_href,
    same_group,
    summarize,
    write_index,
    write_report,
)
from grader.report_paths import report_paths, report_relpath
from grader.resubmission import Counting
from grader.totals import CheckPoints, merge
from grader.upload_rows import breaks

GOLDENS = Path(__file__).parent / "goldens"
GENERATED_AT = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
MAX_REPORT_BYTES = 200_000
DETAIL = CheckDetail(
    cases=(CaseRow(1, "t=1, shape (3,)", "fail", "0.0314", "got 0.28"),
           CaseRow(2, "t=2, shape (2, 2)", "pass", "1.1e-16"),
           CaseRow(3, "t=7", "error", "", "raised ValueError: nope")),
    case=1, label="t=1, shape (3,)", reason="output [0]: got 0.28489, expected 0.253458",
    inputs=(Argument("theta", "array", (3,), "[0.491, 0.308, 0.2485]",
                     "np.array([0.491, 0.308, 0.2485])"),
            Argument("t", "value", preview="1", literal="1")),
    outputs=(OutputView("theta", "differs", "an array of shape (3,)", "an array of shape (3,)",
                        "0.0314", "3 of 3", (Element("(1,)", "0.28489045", "0.25345834",
                                                     "0.0314"),)),
             OutputView("v", "shape", "an array of shape (2,)", "a number", got_preview="[1, 2]",
                        expected_preview="3")),
    agreeing=("m",), mistake="this is what a missing bias correction gives",
    symbol="adam_step")

SCENARIOS = {
    "graded": make_grade(
        messages=("cell 7: NameError: name 'x' is not defined",),
        checks=(
            make_check(id="adam_step", points=2.0, max_points=2.0),
            make_check(id="adam_converges", status="fail", points=0.0, max_points=1.0,
                       message="got loss 0.9, expected below 0.1", detail=DETAIL),
            make_check(id="adam_hidden", status="pass", points=1.0, max_points=1.0,
                       message="secret detail", visible=False),
        ),
        score=3.0, max_score=4.0,
        warnings=("WARNING: no OS sandbox (bubblewrap unavailable); rlimits only",),
        isolation="none (rlimits only)",
    ),
    "rejected": make_grade(
        file="Adam_group_4.ipynb", assignment=None, group=None, status="rejected",
        score=0.0, max_score=0.0, checks=(), isolation="", duration=0.0, notebook_seconds=0.0,
        messages=("file name 'Adam_group_4.ipynb' matches no assignment; closest expected: "
                  "adam_regression_classification_solved_group_NN.ipynb with a two-digit "
                  "group number NN",),
    ),
    "run-error": make_grade(
        file="mlp/mlp_group_02.zip", assignment="mlp", group="02", status="run-error",
        score=0.0, max_score=2.0,
        messages=("cell 13: ZeroDivisionError: division by zero",),
        checks=(make_check(id="mlp_forward", status="not-run", points=0.0, max_points=2.0,
                           message="not run: the notebook raised an error"),),
        first_error=CellError(13, "ZeroDivisionError", "division by zero",
                              "----> 3 y = 1 / 0\nZeroDivisionError: division by zero"),
        members=("mlp_group_02.ipynb", "report.pdf"),
        cell_runs=(CellRun(2, 0.5, 1), CellRun(13, 0.01, 7, ("x = 1", "y = 1 / 0"))),
    ),
    "timeout": make_grade(
        file="adam/adam_regression_classification_solved_group_05.ipynb", group="05",
        status="timeout", score=0.0, messages=("cell 4 ran past the 120 s limit",),
        checks=(make_check(id="adam_step", status="not-run", points=0.0, max_points=2.0,
                           message="not run"),),
        duration=121.0, notebook_seconds=120.0,
        cell_runs=(CellRun(2, 0.25, None), CellRun(4, 120.0, 11, ("for i in range(10**12):",
                                                                 "    pass"), 3, True)),
    ),
}
TITLES = {"graded": "Adam for regression and classification", "rejected": None,
          "run-error": "A small MLP", "timeout": "Adam for regression and classification"}


class _Tags(HTMLParser):
    """Collects start tags and attributes, and checks the page parses."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_report_golden(tmp_path: Path, golden: Callable[[Path, str], None], scenario: str) -> None:
    grade = SCENARIOS[scenario]
    path = write_report(tmp_path, grade, report_relpath(grade.file), title=TITLES[scenario])
    html = path.read_text(encoding="utf-8")
    golden(GOLDENS / f"report-{scenario}.html", html)
    assert STATUS_EXPLANATIONS[grade.status] in html
    assert ("html", {"lang": "en"}) in _tags(html)


def test_every_status_has_an_explanation() -> None:
    assert set(STATUS_EXPLANATIONS) == set(STATUSES)


def test_report_content(tmp_path: Path) -> None:
    html = write_report(tmp_path, SCENARIOS["graded"], "reports/x.html",
                        title="Adam").read_text()
    assert '<section class="banner"' in html and "WARNING: no OS sandbox" in html
    assert "secret detail" not in html and "hidden check" in html
    assert "3 / 4" in html and "12.5 s" in html and "none (rlimits only)" in html
    assert '<th scope="col">Check</th>' in html
    run_error = write_report(tmp_path, SCENARIOS["run-error"], "reports/y.html",
                             title=None).read_text()
    assert "<pre>----&gt; 3 y = 1 / 0" in run_error and "report.pdf" in run_error
    assert "mlp" in run_error  # falls back to the assignment id


def test_hostile_strings_are_escaped_and_clipped(tmp_path: Path) -> None:
    megabyte = "<&\"'>" * 200_000
    hostile = make_grade(
        file="<script>alert(1)</script>.ipynb", group="<b>" + megabyte,
        messages=("<script>alert(1)</script>", megabyte) + (megabyte[:5000],) * 1000,
        checks=tuple(make_check(id=f"c{i}<i>", message=megabyte) for i in range(30)),
        first_error=CellError(1, "<script>alert(1)</script>", megabyte, megabyte),
        members=(megabyte,) * 1000, warnings=(megabyte,) * 100, isolation=megabyte,
        graded_at=megabyte, reference_version=megabyte, rubric_sha256=megabyte,
    )
    path = write_report(tmp_path, hostile, report_relpath("x.ipynb"), title=megabyte)
    html = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<b>" not in html and "<i>" not in html
    assert path.stat().st_size < MAX_REPORT_BYTES
    assert "more characters cut" in html and "more messages" in html and "more files" in html
    assert {tag for tag, _ in _tags(html)} <= {
        "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "section",
        "ul", "li", "strong", "dl", "dt", "dd", "code", "span", "p", "pre", "table", "caption",
        "thead", "tbody", "tr", "th", "td", "em", "nav", "a", "wbr"}


def test_index_golden_and_links(tmp_path: Path, golden: Callable[[Path, str], None]) -> None:
    grades = [SCENARIOS[s] for s in ("graded", "rejected", "run-error", "timeout")]
    grades.append(make_grade(file="odd name #1?.ipynb", group="<i>x</i>", score=1.0,
                             messages=("<script>x</script>",)))
    paths = report_paths([g.file for g in grades])
    path = write_index(tmp_path, grades, paths, generated_at=GENERATED_AT, grader_version="0.1.0",
                       overviews=assignment_overviews(grades, [], {"adam": "grades-adam.csv"},
                                                      draw=False))
    html = path.read_text(encoding="utf-8")
    golden(GOLDENS / "index.html", html)
    assert path == tmp_path / "index.html"
    hrefs = [attrs["href"] for tag, attrs in _tags(html) if tag == "a"
             and not str(attrs["href"]).startswith("#")]
    assert hrefs[:2] == ["grades-adam.csv",
                         "reports/adam/adam_regression_classification_solved_group_04.html"]
    assert "reports/odd%20name%20%231%3F.html" in hrefs
    assert html.count("<script") == 1 and "<script>x" not in html  # ours: the table tools
    assert "&lt;i&gt;x&lt;/i&gt;" in html.replace("<wbr>", "")   # a file name wraps after /
    assert "2025-01-15T12:00:00+00:00" in html


def test_index_without_a_report_path_has_no_link(tmp_path: Path) -> None:
    html = write_index(tmp_path, [make_grade()], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0").read_text()
    hrefs = [attrs["href"] for tag, attrs in _tags(html) if tag == "a"]
    assert all(h and h.startswith("#") for h in hrefs)
    assert make_grade().file in html.replace("<wbr>", "")


def test_summary_per_assignment() -> None:
    grades = [make_grade(score=3.0), make_grade(score=0.0, status="timeout"),
              make_grade(assignment=None, status="rejected", score=0.0, max_score=0.0)]
    adam, unmatched = summarize(grades)
    assert (adam.assignment, adam.uploads, adam.graded, adam.mean_score, adam.max_score) == (
        "adam", 2, 1, 1.5, 3.0)
    assert unmatched.assignment is None and unmatched.uploads == 1


def test_report_is_written_into_mirrored_subfolders(tmp_path: Path) -> None:
    grade = make_grade(file="adam/g1/a.ipynb")
    path = write_report(tmp_path, grade, report_relpath(grade.file), title=None)
    assert path == tmp_path / "reports" / "adam" / "g1" / "a.html"
    assert [p.name for p in path.parent.iterdir()] == ["a.html"]


def test_clip() -> None:
    assert clip("short", 10) == "short"
    assert clip("x" * 15, 10) == "x" * 10 + "… [5 more characters cut]"


def test_pictures_show_under_visible_checks_only(tmp_path: Path) -> None:
    from grader.plots import Picture

    shown = Picture(src="data:image/png;base64,AAAA", width=320, height=200,
                    alt="loss <curves>", caption="slice b=0; x down, y across & <more>")
    hidden = Picture(src="data:image/png;base64,SECRET", width=10, height=10, alt="secret")
    grade = SCENARIOS["graded"]
    html = write_report(tmp_path, grade, "reports/x.html", title="Adam", pictures={
        "adam_converges": [shown], "adam_hidden": [hidden]}).read_text()
    assert ('<img src="data:image/png;base64,AAAA" width="320" height="200" '
            'alt="loss &lt;curves&gt;">') in html
    assert "<figcaption>slice b=0; x down, y across &amp; &lt;more&gt;</figcaption>" in html
    assert "SECRET" not in html and html.count("<img ") == 1
    index = write_index(tmp_path, [grade], {}, generated_at=GENERATED_AT, grader_version="0.1.0",
                        pictures={"adam": [shown, shown]}).read_text()
    assert index.count('<img src="data:image/png;base64,AAAA"') == 2


# ----------------------------------------------------------------------------- course record
def course_entry(theory: float | None, comment: str = "6.3c: the relation to Newton is missing",
                 reason: str = "shared ba gradient accepted",
                 essay: float | None = None) -> UploadLedger:
    """SCENARIOS["graded"] with a hand mark, an override and a late penalty on an mtime."""
    grade = SCENARIOS["graded"]
    file = grade.file
    marks = {(file, "theory"): Mark(file, "theory", theory, comment, "ana", "2026-12-05"),
             (file, "essay"): Mark(file, "essay", essay)}
    override = Override(file, "adam_converges", 0.5, reason, "ben", "2026-12-06")
    totals = merge(file, [CheckPoints(c.id, c.points, c.max_points) for c in grade.checks],
                   [("theory", 2.0), ("essay", 1.0)], marks,
                   {(file, "adam_converges"): override}, 0.65)
    when = SubmissionTime(datetime(2026, 12, 3, 9, 0, tzinfo=UTC), "mtime", False,
                          "not in submission_times.csv; file modification time (unreliable)")
    hand = tuple(HandMark(m.id, f"{m.id} in the PDF", m.max_points,
                          None if m.mark is None else m.mark.points,
                          "" if m.mark is None else m.mark.comment) for m in totals.manual)
    adjusted = (Adjusted("adam_converges", "fail", 0.0, 1.0, override),)
    deadline = Deadline(due=datetime(2026, 12, 1, 22, 59, tzinfo=UTC), amount=0.1)
    return UploadLedger(file, "adam", "04", totals, hand, adjusted, when,
                        Lateness(when, timedelta(hours=34), 2, 0.65), deadline)


def text_of(html: str) -> str:
    """The page's text with tags removed and white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html.replace("<wbr>", ""))).split())


def test_report_shows_marks_pending_override_and_penalty(tmp_path: Path) -> None:
    html = write_report(tmp_path, SCENARIOS["graded"], "reports/x.html", title="Adam",
                        course=course_entry(1.5)).read_text()
    text = text_of(html)
    assert "theory 1.5 / 2 theory in the PDF 6.3c: the relation to Newton is missing" in text
    assert "essay pending / 1" in text                              # pending, never 0
    assert "adam_converges fail 0 / 1 0.5 / 1 shared ba gradient accepted (ben, 2026-12-06)" \
        in text
    assert "Late penalty -0.65 (2 started days late)" in text
    assert "Submitted 2026-12-03T09:00:00+00:00 (from the file's modification time) " \
        "not in submission_times.csv; file modification time (unreliable)" in text
    assert "Final score pending : 1 hand-marked check still to mark" in text
    top = text[:text.index("Checks")]          # the facts at the top of the page
    assert "Your total pending : 1 hand-marked check still to mark how it adds up " \
        "Automatic checks 3 / 4 as graded, 3.5 / 4 after a tutor's change Marked by hand 1.5 / 3 " \
        "(1 still to mark) Late penalty -0.65" in top
    assert "Score" not in top
    done = text_of(write_report(tmp_path, SCENARIOS["graded"], "reports/z.html", title="Adam",
                                course=course_entry(1.5, essay=1.0)).read_text())
    assert "Your total 5.35 / 7 how it adds up" in done             # 3.5 + 2.5 - 0.65
    marked = text_of(write_report(tmp_path, SCENARIOS["graded"], "reports/y.html", title="Adam",
                                  course=replace(course_entry(1.5), hand_marks=())).read_text())
    assert "Marked by hand" not in marked


def test_report_escapes_and_clips_what_tutors_type(tmp_path: Path) -> None:
    long = "<script>x</script>" * 10_000
    html = write_report(tmp_path, SCENARIOS["graded"], "reports/x.html", title="Adam",
                        course=course_entry(1.0, comment=long, reason=long)).read_text()
    assert "<script" not in html and "&lt;script&gt;" in html
    assert len(html) < MAX_REPORT_BYTES and "more characters cut" in html


def test_report_and_index_without_a_course_record_are_unchanged(tmp_path: Path) -> None:
    grade = SCENARIOS["graded"]
    plain = write_report(tmp_path, grade, "reports/a.html", title="Adam").read_text()
    empty = UploadLedger(grade.file, "adam", "04", merge(grade.file, [], [], {}, {}))
    assert write_report(tmp_path, grade, "reports/b.html", title="Adam",
                        course=empty).read_text() == plain
    index = write_index(tmp_path, [grade], {}, generated_at=GENERATED_AT,
                        grader_version="0.1.0").read_text()
    again = write_index(tmp_path, [grade], {}, generated_at=GENERATED_AT, grader_version="0.1.0",
                        course=Ledger({grade.file: empty}).overview([grade.file])).read_text()
    assert again == index


def test_index_shows_what_is_left_to_mark_penalties_and_duplicates(tmp_path: Path) -> None:
    grade = SCENARIOS["graded"]
    entry = replace(course_entry(None), counting=Counting(grade.file, None, True,
                                                          "2 uploads: a tutor chooses"))
    overview = Ledger({grade.file: entry}, ("marking.csv row 3: points 8 outside [0, 2]",))
    again = replace(grade, file="late/" + grade.file)      # the group's second upload
    html = write_index(tmp_path, [grade, again], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=overview.overview([grade.file])).read_text()
    text = text_of(html)
    assert "marking.csv row 3: points 8 outside [0, 2]" in text
    assert "adam 2 1 0" in text                       # marks pending, uploads waiting, given
    assert f"{grade.file} 2026-12-03T09:00:00+00:00 not in submission_times.csv" in text
    assert "2 days -0.65" in text
    assert f"adam 04 {grade.file} (counts: open" in text
    assert f"2 uploads: a tutor chooses), {again.file}" in text
    assert f"{grade.file} 3.5 / 4 (changed by a tutor) 0 / 3 (2 pending) -0.65 pending" in text
def test_index_orders_uploads_by_final_score_and_links_final_scores(tmp_path: Path) -> None:
    grade = SCENARIOS["graded"]                           # 3 / 4 automatic, 5.35 / 7 final
    top = replace(grade, file="adam/top_group_07.ipynb", score=3.9)   # 3.9 / 4, no record
    unmatched = replace(SCENARIOS["rejected"], file="zz.ipynb")
    grades = [grade, top, unmatched]
    paths = report_paths([g.file for g in grades])
    course = Ledger({grade.file: course_entry(1.5, essay=1.0)}).overview([grade.file])
    html = write_index(tmp_path, grades, paths, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    rows = re.findall(r'<tr id="upload-(\d+)" data-assignment="([^"]*)" data-status="[^"]*" '
                      r'data-score="([^"]*)">\n<th scope="row" class="file path"><a href="([^"]*)"',
                      html)
    assert [(n, a, score, href) for n, a, score, href in rows] == [
        ("1", "adam", "97.5", paths[top.file]), ("2", "adam", "76.43", paths[grade.file]),
        ("3", "-", "0", paths[unmatched.file])]                   # unmatched last
    text = text_of(html)
    assert "Final score (% of max)" in text
    assert "5.35 / 7 automatic 3.5 / 4 (changed by a tutor)" in text
    assert "3.9 / 4 automatic" not in text                         # no record: one score
    final = html[html.index('id="final-scores"'):]
    assert f'<a href="{paths[grade.file]}">' in final[:final.index("</table>")]
    status = html[html.index('id="status-table"'):].replace("<wbr>", "")
    assert '<a href="#upload-3">zz.ipynb</a>' in status[:status.index("</table>")]


def test_a_pending_final_score_is_ordered_by_its_automatic_part(tmp_path: Path) -> None:
    grade = SCENARIOS["graded"]
    course = Ledger({grade.file: course_entry(None)}).overview([grade.file])
    html = write_index(tmp_path, [grade], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    assert 'data-score="87.5"' in html                              # 3.5 / 4 (override)
    assert "pending automatic 3.5 / 4 (changed by a tutor)" in text_of(html)


@pytest.mark.parametrize(("name", "pieces"), [
    ("adam/adam_group-02.ipynb", ["adam/", "adam_", "group-", "02.", "ipynb"]),
    ("plain", ["plain"]), ("", [""]), ("a//b", ["a/", "/", "b"])])
def test_file_names_break_after_slashes_underscores_hyphens_and_dots(name: str,
                                                                pieces: list[str]) -> None:
    assert breaks(name) == pieces


def test_index_lists_what_was_not_graded(tmp_path: Path) -> None:
    not_graded = [NotGraded("adam/a_04.ipynb ", "its name ends in ' ' after .ipynb"),
                  NotGraded(".old/<script>x</script>.ipynb",
                            "it is inside the hidden folder '.old/'")]
    html = write_index(tmp_path, [make_grade()], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0", not_graded=not_graded).read_text()
    items = re.findall(r'<li class="file">(.*?)</li>', html)
    assert items == ["not graded: adam/a_04.ipynb : its name ends in &#39; &#39; after .ipynb",
                     "not graded: .old/&lt;script&gt;x&lt;/script&gt;.ipynb: it is inside the "
                     "hidden folder &#39;.old/&#39;"]
    assert "Not graded: 2 file(s) that look like uploads" in html
    assert "<script>x" not in html     # the page's own script is the only one
    plain = write_index(tmp_path, [make_grade()], {}, generated_at=GENERATED_AT,
                        grader_version="0.1.0").read_text()
    assert "not graded" not in plain.lower()


def test_index_flags_two_uploads_for_one_group(tmp_path: Path) -> None:
    grades = [make_grade(file="adam/a_04.ipynb"), make_grade(file="adam/late/a_04.ipynb"),
              make_grade(file="adam/a_05.ipynb", group="05"),
              make_grade(file="gradients/g_04.ipynb", assignment="gradients"),
              make_grade(file="x.ipynb", assignment=None, group=None, status="rejected"),
              make_grade(file="y.ipynb", assignment=None, group=None, status="rejected")]
    assert same_group(grades) == [SameGroup("adam", "04", ("adam/a_04.ipynb",
                                                           "adam/late/a_04.ipynb"))]
    html = write_index(tmp_path, grades, report_paths([g.file for g in grades]),
                       generated_at=GENERATED_AT, grader_version="0.1.0").read_text()
    assert html.count('<strong class="nowrap">(2 uploads)</strong>') == 2
    section = html[html.index('id="same-group"'):]
    assert ('<a href="reports/adam/a_04.html">adam/a_04.ipynb</a>, '
            '<a href="reports/adam/late/a_04.html">adam/late/a_04.ipynb</a>') in section
    assert "a_05" not in section and "x.ipynb" not in section


def test_a_report_shows_what_each_check_tried(tmp_path: Path) -> None:
    extras = ReportExtras(descriptions={"adam_converges": "trains <until> it converges"},
                          case_files={"adam_converges": "x.adam_converges-case1.npz"},
                          snippets={"adam_converges": "result = adam_step(theta, 1)\n"})
    html = write_report(tmp_path, SCENARIOS["graded"], "reports/x.html", title="Adam",
                        extras=extras).read_text()
    section = html[html.index('id="check-adam_converges"'):html.index('id="check-adam_hidden"')]
    for shown in ("trains &lt;until&gt; it converges", "Known mistake:</strong> this is what a "
                  "missing bias correction gives", "case 3", "raised ValueError: nope",
                  "Case 1: t=1, shape (3,)", "<code>theta</code>", "0.28489045", "0.25345834",
                  "3 of 3 values out of tolerance", "yours is an array of shape (2,), the "
                  "reference's is a number", "<code>m</code>", 'href="x.adam_converges-case1.npz"',
                  "result = adam_step(theta, 1)"):
        assert shown in section, shown
    assert '<a href="#check-adam_converges">' in html


def test_a_hidden_check_shows_nothing_of_its_detail(tmp_path: Path) -> None:
    hidden = make_check(id="secret_check", status="fail", points=0.0, message="secret message",
                        visible=False, detail=DETAIL)
    html = write_report(tmp_path, make_grade(checks=(hidden,)), "reports/x.html", title=None,
                        extras=ReportExtras(snippets={"secret_check": "SNIPPET"},
                                            case_files={"secret_check": "SECRET.npz"})).read_text()
    for secret in ("secret message", "0.28489045", "missing bias correction", "SNIPPET",
                   "SECRET.npz", "t=1, shape"):
        assert secret not in html
    assert "hidden check" in html


def test_where_an_error_or_a_timeout_is_in_the_students_notebook(tmp_path: Path) -> None:
    run_error = write_report(tmp_path, SCENARIOS["run-error"], "reports/y.html",
                             title=None).read_text()
    assert "shows as <strong>In [7]</strong>" in run_error and "y = 1 / 0\n</pre>" in run_error
    timeout = write_report(tmp_path, SCENARIOS["timeout"], "reports/z.html", title=None).read_text()
    assert "The run ended in cell 4 after 120.0 s" in timeout
    assert "for i in range(10**12):" in timeout and "(3 more lines)" in timeout
    assert timeout.index("cell 4 (stopped here)") < timeout.index("cell 2<")   # slowest first
    assert "In [ ]" in timeout


def test_a_misnamed_upload_gets_the_corrected_name_and_every_report_links_back(
        tmp_path: Path) -> None:
    html = write_report(tmp_path, SCENARIOS["rejected"], "reports/a/b/x.html", title=None,
                        extras=ReportExtras(suggestion="adam_..._group_04.ipynb")).read_text()
    assert "Did you mean <code>adam_..._group_04.ipynb</code>?" in html
    assert '<a href="../../../index.html">' in html
    assert index_href("reports/x.html") == "../index.html"


def test_the_overview_per_assignment_and_the_table_tools(tmp_path: Path) -> None:
    grades = [SCENARIOS["graded"], SCENARIOS["timeout"], SCENARIOS["rejected"]]
    overviews = assignment_overviews(grades, [], {"adam": "grades-adam.csv"}, draw=False)
    html = write_index(tmp_path, grades, report_paths([g.file for g in grades]),
                       generated_at=GENERATED_AT, grader_version="0.1.0",
                       overviews=overviews).read_text()
    assert 'id="assignment-adam"' in html and "median <strong>1.5</strong>" in html
    assert "<code class=\"shape\">got loss #, expected below #</code>" in html
    assert '<form id="upload-tools" class="tools" hidden>' in html and "<script>" in html
    assert 'data-assignment="adam" data-status="timeout" data-score="0"' in html
    assert "adam_converges: got loss 0.9, expected below 0.1" in html  # the first failed check


def test_an_upload_that_does_not_count_names_and_links_the_one_that_does(tmp_path: Path) -> None:
    """The note is grades.json's `counts_note`: the page says it plainly, the overview links
    the upload that counts to its report."""
    grade = SCENARIOS["graded"]
    latest = replace(grade, file="late/" + grade.file)
    choice = choose_latest(grade.file, latest.file)
    first = replace(course_entry(1.5), counting=choice[grade.file])
    second = replace(course_entry(1.5), file=latest.file, counting=choice[latest.file])
    note = f"the group's latest upload ({latest.file}) counts"
    assert choice[grade.file].note == note
    report = write_report(tmp_path, grade, "reports/x.html", title="Adam",
                          course=first).read_text().replace("<wbr>", "")
    assert (f"<dt>Does not count</dt><dd>the group&#39;s latest upload (<code>{latest.file}"
            "</code>) counts</dd>") in report
    assert "another upload of your group" not in report
    assert "Counts yes, this upload counts (latest of 2 uploads)" in text_of(write_report(
        tmp_path, latest, "reports/y.html", title="Adam", course=second).read_text())
    course = Ledger({grade.file: first, latest.file: second}).overview([grade.file, latest.file])
    links = {g.file: report_relpath(g.file) for g in (grade, latest)}
    html = write_index(tmp_path, [grade, latest], links, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    page = html.replace("<wbr>", "")
    assert (f'{grade.file}</a> (does not count: the group&#39;s latest upload (<a href="'
            f'{report_relpath(latest.file)}">{latest.file}</a>) counts)') in page
    assert f"{latest.file} (counts: yes, latest of 2 uploads)" in text_of(html)


def choose_latest(first: str, latest: str) -> dict[str, Counting]:
    from grader.resubmission import Candidate, choose

    when = datetime(2026, 12, 1, tzinfo=UTC)
    return choose([Candidate(first, "adam", "04", when, None),
                   Candidate(latest, "adam", "04", when + timedelta(hours=1), None)],
                  {"adam": "latest"})


def test_an_upload_that_does_not_count_says_so_at_the_top_and_in_the_uploads_table(
        tmp_path: Path) -> None:
    """Next to the total, with a link to the report of the upload that counts; and a short
    mark in its row of the uploads table, as in Final scores."""
    grade = SCENARIOS["graded"]
    latest = replace(grade, file="late/" + grade.file)
    choice = choose_latest(grade.file, latest.file)
    first = replace(course_entry(1.5, essay=1.0), counting=choice[grade.file])
    second = replace(course_entry(1.5, essay=1.0), file=latest.file, counting=choice[latest.file])
    links = {g.file: report_relpath(g.file) for g in (grade, latest)}
    report = write_report(tmp_path, grade, links[grade.file], title="Adam", course=first,
                          extras=ReportExtras(counted_report=links[latest.file])).read_text()
    top = report[:report.index('id="checks"')].replace("<wbr>", "")
    assert (f'This upload does not count:</strong> the group&#39;s latest upload (<code><a '
            f'href="../{PurePosixPath(links[latest.file]).relative_to("reports")}">'
            f'{latest.file}</a></code>) counts') in top
    assert "Your total 5.35 / 7 how it adds up This upload does not count: the group's" \
        in text_of(top)
    course = Ledger({grade.file: first, latest.file: second}).overview([grade.file, latest.file])
    html = write_index(tmp_path, [grade, latest], links, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    table = text_of(uploads_table(html))
    assert f"{grade.file} (does not count) adam" in table
    assert f"{latest.file} (does not count)" not in table


def uploads_table(html: str) -> str:
    start = html.index('id="uploads-table"')
    return html[start:html.index("</table>", start)]


def test_an_override_shows_the_same_automatic_score_in_both_tables(tmp_path: Path) -> None:
    grade = SCENARIOS["graded"]
    course = Ledger({grade.file: course_entry(1.5, essay=1.0)}).overview([grade.file])
    html = write_index(tmp_path, [grade], {}, generated_at=GENERATED_AT, grader_version="0.1.0",
                       course=course).read_text()
    uploads = text_of(uploads_table(html))
    final = text_of(html[html.index('id="final-scores"'):])
    assert "5.35 / 7 automatic 3.5 / 4 (changed by a tutor)" in uploads
    assert "3.5 / 4 (changed by a tutor)" in final
    assert "automatic 3 / 4" not in uploads


def capped_entry() -> UploadLedger:
    """course_entry(1.5, essay=1.0), 13 started hours late at 0.5 a hour: 6.5, more than the
    6 points earned."""
    entry = course_entry(1.5, essay=1.0)
    file = entry.file
    totals = merge(file, [CheckPoints(c.id, c.points, c.max_points) for c in entry.totals.checks],
                   [("theory", 2.0), ("essay", 1.0)],
                   {(file, m.id): m.mark for m in entry.totals.manual if m.mark is not None},
                   {(file, c.id): c.override for c in entry.totals.checks
                    if c.override is not None}, 6.5)
    assert entry.submitted is not None and entry.deadline is not None
    return replace(entry, totals=totals,
                   lateness=Lateness(entry.submitted, timedelta(hours=13), 13, 6.5),
                   deadline=replace(entry.deadline, per="hour", unit="points", amount=0.5))


def test_a_capped_penalty_says_it_was_capped(tmp_path: Path) -> None:
    entry = capped_entry()
    assert entry.totals.penalty == 6 and entry.totals.final_score == 0     # scores unchanged
    report = text_of(write_report(tmp_path, SCENARIOS["graded"], "reports/x.html",
                                  title="Adam", course=entry).read_text())
    said = "-6 (13 started hours late: 6.5, capped at the points earned)"
    assert f"Late penalty {said}" in report
    assert report.count(said) == 2                       # at the top and in Your total
    course = Ledger({entry.file: entry}).overview([entry.file])
    html = write_index(tmp_path, [SCENARIOS["graded"]], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    assert text_of(html).count("-6 (6.5, capped at the points earned)") == 2   # late, final
    uncapped = text_of(write_report(tmp_path, SCENARIOS["graded"], "reports/y.html",
                                    title="Adam", course=course_entry(1.5)).read_text())
    assert "capped" not in uncapped


def test_a_penalty_capped_to_nothing_says_so_in_the_overview(tmp_path: Path) -> None:
    """A late upload that earned nothing (a rejected one, say) loses nothing; the overview says
    what the rubric's penalty would have been rather than showing a bare 0."""
    entry = capped_entry()
    nothing = replace(entry, totals=replace(entry.totals, penalty=0.0))
    course = Ledger({entry.file: nothing}).overview([entry.file])
    html = write_index(tmp_path, [SCENARIOS["graded"]], {}, generated_at=GENERATED_AT,
                       grader_version="0.1.0", course=course).read_text()
    assert text_of(html).count("0 (6.5 late, but no points earned to take it from)") == 2
