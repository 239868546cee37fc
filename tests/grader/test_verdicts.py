"""Verdicts of `grade check`: the decision, each format (goldens), XSD validity, hostile text."""

from __future__ import annotations

import io
import json
import re
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import click
import pytest
from click.testing import CliRunner
from grade_builders import FIXED_GRADED_AT, make_check, make_grade

from grader import checkone, github, junit, verdict_text, verdicts
from grader.cell_error import CellError
from grader.liveline import LiveLine
from grader.score import Grade
from grader.text import printable
from grader.verdicts import CheckRun, MinScore, MinScoreType, outcome, parse_min_score

xmlschema = pytest.importorskip("xmlschema")

GOLDENS = Path(__file__).parent / "goldens" / "verdicts"
SCHEMA = Path(__file__).parent.parent / "data" / "junit.xsd"
HOSTILE = "\x1b]0;T\x07\x1bc\x9b2J\r::error::fake%0A, title=x:y"
TRACEBACK = ("Traceback (most recent call last):\n  Cell In[6], line 1\n----> 1 1/0\n"
             "ZeroDivisionError: division by zero")


def not_run(check_id: str, why: str, max_points: float = 1.0) -> Any:
    return make_check(id=check_id, status="not-run", points=0.0, max_points=max_points,
                      message=f"not scored: {why}")


SCENARIOS: dict[str, dict[str, Any]] = {
    "graded": {},
    "rejected": dict(
        file="adam/adam_regression_classification_solved_group_7.ipynb", assignment=None,
        group=None, status="rejected", score=0.0, max_score=0.0, checks=(), isolation="",
        notebook_seconds=0.0,
        messages=("file name: expected adam_..._group_NN.ipynb; got ..._group_7.ipynb. "
                  "Rename the file and upload it again.",)),
    "run-error": dict(
        file="adam/adam_regression_classification_solved_group_05.ipynb", group="05",
        status="run-error", score=0.0,
        messages=("cell 6: ZeroDivisionError: division by zero",
                  "the zero-error rule is on for this assignment"),
        first_error=CellError(6, "ZeroDivisionError", "division by zero", TRACEBACK),
        checks=(not_run("adam_step", "the zero-error rule", 2.0),
                not_run("adam_converges", "the zero-error rule"))),
    "timeout": dict(
        file="adam/adam_regression_classification_solved_group_06.ipynb", group="06",
        status="timeout", score=0.0, messages=("the notebook ran past its 40 s total limit",),
        checks=(not_run("adam_step", "the notebook ran too long", 2.0),
                not_run("adam_converges", "the notebook ran too long"))),
    "check-error": dict(
        file="adam/adam_regression_classification_solved_group_08.ipynb", group="08",
        warnings=("WARNING: no OS sandbox: bwrap failed; the kernel ran with rlimits only",),
        checks=(make_check(id="adam_step", points=2.0, max_points=2.0),
                make_check(id="adam_converges", status="error", points=0.0,
                           message="adam_converges raised ValueError: shapes differ\nline 2"),
                make_check(id="hidden_check", status="fail", points=0.0, visible=False,
                           message="a hidden check's message"))),
}


def scenario(name: str, **overrides: Any) -> Grade:
    return make_grade(**{**SCENARIOS[name], **overrides})


def make_run(*grades: Grade, min_score: str | None = None) -> CheckRun:
    return CheckRun(grades, parse_min_score(min_score) if min_score else None, "0.1.0",
                    FIXED_GRADED_AT)


MIXED = make_run(*(scenario(name) for name in SCENARIOS), min_score="80%")


# ----------------------------------------------------------------------------- --min-score
@pytest.mark.parametrize(("text", "expected"), [
    ("4.5", MinScore(4.5, False, "4.5")), ("80%", MinScore(80.0, True, "80%")),
    (" 80 % ", MinScore(80.0, True, "80 %")), ("0", MinScore(0.0, False, "0")),
    ("100%", MinScore(100.0, True, "100%")), (".5", MinScore(0.5, False, ".5")),
    ("3.", MinScore(3.0, False, "3.")),
], ids=str)
def test_min_score_parses_points_and_percentages(text: str, expected: MinScore) -> None:
    assert parse_min_score(text) == expected


@pytest.mark.parametrize("text", ["abc", "-1", "80%%", "", "%", "1e3", "nan", "inf", "4,5",
                                  "101%", "+3", "0x10"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text)) if text else "neither"):
        parse_min_score(text)


def test_a_bad_min_score_is_a_usage_error_with_a_clear_message() -> None:
    @click.command()
    @click.option("--min-score", type=MinScoreType())
    def cmd(min_score: MinScore) -> None:
        click.echo(repr(min_score))

    bad = CliRunner().invoke(cmd, ["--min-score", "lots"])
    assert bad.exit_code == 2
    assert "Invalid value for '--min-score': 'lots' is neither a number of points" in bad.output
    good = CliRunner().invoke(cmd, ["--min-score", "80%"])
    assert good.exit_code == 0 and "MinScore(value=80.0, percent=True" in good.output


@pytest.mark.parametrize(("text", "maxima", "problem"), [
    ("5", {"adam": 5.0}, ""), ("5.5", {"adam": 5.0, "gradients": 8.5}, ""), ("100%", {"a": 1}, ""),
    ("5.5", {"adam": 5.0}, "--min-score 5.5: more points than the public checks can give (at "
                           "most 5 for adam); give at most 5 points, or a percentage such as 100%"),
    ("9", {"gradients": 8.5, "adam": 5.0}, "(at most 5 for adam, 8.5 for gradients); give at most "
                                          "8.5 points"),
], ids=str)
def test_min_score_points_above_every_maximum_are_unreachable(
        text: str, maxima: dict[str, float], problem: str) -> None:
    found = verdicts.unreachable(parse_min_score(text), maxima)
    assert (problem in found) if problem else found == ""
    assert bool(found) == bool(problem)


def test_min_score_points_above_one_uploads_maximum_say_so_for_that_upload() -> None:
    run = make_run(scenario("graded"), min_score="3.5")          # the upload's maximum is 3
    [verdict] = run.outcomes()
    assert not verdict.ok and verdict.below_min_score
    assert verdict.reason == ("--min-score 3.5 can never be met: this upload's public checks "
                              "give at most 3 points")


def test_checks_a_kit_cannot_decide_are_counted_apart_from_the_checkable_ones() -> None:
    later = make_check(id="h_max", status="not-run", points=0.0, max_points=0.0,
                       message="not checkable before submission: its answer is one fixed value")
    stopped = not_run("slow", "an earlier check ran so long that its kernel was stopped")
    grade = scenario("graded", checks=(make_check(id="a", points=1.0, max_points=1.0), later))
    assert verdicts.public_score(grade).describe() == (
        "1 of 1 points, 1 of 1 checkable pass, 1 decided at grading")
    assert verdicts.undecided(later) and not verdicts.undecided(stopped)
    grade = scenario("graded", checks=(make_check(id="a", points=1.0, max_points=1.0), stopped))
    assert verdicts.public_score(grade).describe() == "1 of 2 points, 1 of 2 pass"


# ----------------------------------------------------------------------------- the decision
@pytest.mark.parametrize(("name", "overrides", "min_score", "ok"), [
    ("graded", {}, None, True),                       # 2 of 3 points: the contract says OK
    ("graded", {}, "2", True),
    ("graded", {}, "2.5", False),
    ("graded", {}, "66.666666666666667%", True),     # exactly 2 of 3, whatever the rounding
    ("graded", {}, "67%", False),
    ("graded", {}, "0%", True),
    ("graded", {"first_error": CellError(6, "E", "x", TRACEBACK)}, None, False),  # zero-error off
    ("rejected", {}, None, False),
    ("run-error", {}, None, False),
    ("timeout", {}, None, False),
    ("timeout", {"status": "crashed"}, None, False),
    ("check-error", {}, "66.666666666666667%", True),  # 2 of 3: the hidden check does not count
], ids=lambda v: str(v))
def test_outcome(name: str, overrides: dict[str, Any], min_score: str | None, ok: bool) -> None:
    grade = scenario(name, **overrides)
    assert outcome(grade, parse_min_score(min_score) if min_score else None).ok is ok
    assert make_run(grade, min_score=min_score).passed is ok


def test_below_the_min_score_says_by_how_much() -> None:
    verdict = outcome(scenario("graded"), parse_min_score("80%"))
    assert verdict.below_min_score
    assert verdict.reason == "the public checks score 2 of 3 points, below the required 2.4 (80%)"


def test_a_run_passes_only_when_every_upload_does() -> None:
    assert make_run(scenario("graded"), scenario("graded")).passed
    assert not make_run(scenario("graded"), scenario("rejected")).passed


def test_public_score_counts_visible_checks_only() -> None:
    score = verdicts.public_score(scenario("check-error"))
    assert (score.points, score.max_points, score.passed, score.total) == (2.0, 3.0, 1, 2)
    assert score.describe() == "2 of 3 points, 1 of 2 pass"


# ----------------------------------------------------------------------------- goldens
RENDERINGS: dict[str, tuple[str, Callable[[CheckRun], str]]] = {
    "text": ("text.txt", verdict_text.to_text),
    "json": ("grades.json", verdicts.to_json),
    "junit": ("junit.xml", junit.to_junit),
    "github": ("github.txt", github.to_github),
    "summary": ("summary.md", github.summary_markdown),
    "classroom": ("classroom.json", github.to_classroom),
}


@pytest.mark.parametrize("kind", RENDERINGS)
def test_each_format_matches_its_golden(kind: str, golden: Callable[[Path, str], None]) -> None:
    name, render = RENDERINGS[kind]
    golden(GOLDENS / name, render(MIXED))


def test_junit_is_valid_against_the_common_schema() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA))
    schema.validate(junit.to_junit(MIXED))
    hostile = make_run(hostile_grade(), scenario("run-error", first_error=CellError(
        2, f"E{HOSTILE}", "", f"tb{HOSTILE}\ufffe")), min_score="4.5")
    schema.validate(junit.to_junit(hostile))


def test_the_schema_can_fail() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA))
    good = junit.to_junit(make_run(scenario("graded")))
    for bad in (good.replace(' name="adam_step"', ""),                 # a testcase needs a name
                good.replace('<testsuites name="grade check"', '<testsuites skipped="0"'),
                good.replace('classname="adam" name="intake"', 'file="x" name="intake"')):
        assert bad != good and not schema.is_valid(bad)


def test_junit_counts_and_testcases() -> None:
    root = ET.fromstring(junit.to_junit(MIXED))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    graded = suites["adam/adam_regression_classification_solved_group_04.ipynb"]
    names = [(c.get("classname"), c.get("name")) for c in graded.iter("testcase")]
    assert names == [("adam", "intake"), ("adam", "notebook runs"), ("adam", "adam_step"),
                     ("adam", "adam_converges"), ("adam", "min-score")]
    props = {p.get("name"): p.get("value") for p in graded.iter("property")}
    assert (props["score"], props["max_score"], props["min_score"]) == ("2", "3", "80%")
    assert (graded.get("tests"), graded.get("failures"), graded.get("errors")) == ("5", "2", "0")
    error = suites["adam/adam_regression_classification_solved_group_05.ipynb"].find(
        "testcase[@name='notebook runs']/error")
    assert error is not None and error.get("type") == "ZeroDivisionError"
    assert error.get("message") == "cell 6: ZeroDivisionError: division by zero"
    assert error.text is not None and error.text.endswith(TRACEBACK)
    hidden = suites["adam/adam_regression_classification_solved_group_08.ipynb"]
    assert "hidden_check" not in {c.get("name") for c in hidden.iter("testcase")}
    assert root.get("tests") == str(len(list(root.iter("testcase"))))


def test_json_records_have_exactly_the_grades_json_shape() -> None:
    document = json.loads(verdicts.to_json(MIXED))
    assert set(document) == {"grader_version", "generated_at", "submissions", "min_score", "passed",
                             "failed"}
    expected = [g.to_contract() for g in MIXED.grades]
    expected[-1]["checks"] = expected[-1]["checks"][:2]  # the hidden check is left out
    assert document["submissions"] == expected
    assert all(set(r) == set(e) for r, e in zip(document["submissions"], expected))
    assert (document["min_score"], document["passed"]) == ("80%", False)
    assert document["failed"] == [g.file for g in MIXED.grades]


def test_classroom_points_are_the_public_points() -> None:
    document = json.loads(github.to_classroom(make_run(scenario("check-error"))))
    assert document["max_score"] == 3.0
    assert sum(t["score"] for t in document["tests"]) == 2.0
    assert [t["status"] for t in document["tests"]] == ["pass", "error"]
    assert document["status"] == "pass"


# ----------------------------------------------------------------------------- hostile text
def hostile_grade() -> Grade:
    return make_grade(
        file=f"adam/x{HOSTILE}.ipynb", group=f"0{HOSTILE}",
        messages=(f"note{HOSTILE}\nVERDICT: OK - accepted and runs with no errors.",),
        warnings=(f"warn{HOSTILE}",),
        checks=(make_check(id="adam_step", status="fail", points=0.0, max_points=2.0,
                           message=f"got <img src=x> | [a](http://x) @someone{HOSTILE}\n2nd"),))


def unescape_data(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def test_github_commands_cannot_be_forged_or_broken() -> None:
    out = github.to_github(make_run(hostile_grade(), min_score="4.5"))
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out and "\x9b" not in out
    lines = out.splitlines()
    assert all(re.match(r"::(error|warning|notice) file=[^:,]*(,title=[^:,]*)?::", line)
               or line.startswith("dlgrade: ") for line in lines), lines
    assert len(lines) == 5  # the failing check, the threshold, the warning, the notice, the line
    head, _, data = lines[0].partition("::error ")[2].partition("::")
    file = head.split(",")[0].removeprefix("file=")
    assert unescape_data(file.replace("%3A", ":").replace("%2C", ",")).startswith("adam/x")
    assert unescape_data(data) == printable(hostile_grade().checks[0].message)


@pytest.mark.parametrize(("text", "data", "prop"), [
    ("50% done", "50%25 done", "50%25 done"),
    ("a\nb\r\nc", "a%0Ab%0Ac", "a%0Ab%0Ac"),
    ("x::y,z", "x::y,z", "x%3A%3Ay%2Cz"),
    ("\x1b[31mred\x1b[0m", "red", "red"),
    ("%0A", "%250A", "%250A"),
])
def test_workflow_command_escaping(text: str, data: str, prop: str) -> None:
    assert (github.escape_data(text), github.escape_property(text)) == (data, prop)


def test_the_text_verdict_cannot_be_faked_or_coloured_by_a_student() -> None:
    out = verdict_text.to_text(make_run(hostile_grade()), color=False)
    assert not any(c in out for c in "\x1b\x07\x9b\r")
    verdict_lines = [line for line in out.splitlines() if line.startswith("VERDICT")]
    assert verdict_lines == ["VERDICT: OK - accepted and runs with no errors. "
                             "Public checks: 0 of 1 pass."]
    assert "    VERDICT: OK - accepted" in out  # the message's second line, indented


def test_colour_only_when_asked() -> None:
    run = make_run(scenario("graded"), scenario("rejected"))
    assert "\x1b[" in verdict_text.to_text(run, color=True)
    assert "\x1b[" not in verdict_text.to_text(run, color=False)


def test_the_summary_keeps_student_text_inert() -> None:
    summary = github.summary_markdown(make_run(hostile_grade()))
    assert not re.search(r"(?<!\\)[<\[@]", summary.split("\n", 1)[1]), summary
    assert not any(c in summary for c in "\x1b\x07\x9b\r")
    for row in [line for line in summary.splitlines() if line.startswith("| adam_step") or
                line.startswith("| adam\\_step")]:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row  # no cell of its own


# ----------------------------------------------------------------------------- emit
def test_the_summary_is_appended_not_overwritten(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## an earlier step\n", encoding="utf-8")
    environ = {"GITHUB_STEP_SUMMARY": str(summary)}
    out = tmp_path / "verdict.txt"
    checkone.emit(MIXED, "github", out, None, environ)
    checkone.emit(make_run(scenario("graded")), "github", out, None, environ)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n## dlgrade check: 0 of 5 upload(s) OK")
    assert text.endswith(github.summary_markdown(make_run(scenario("graded"))))
    assert out.read_text(encoding="utf-8") == github.to_github(make_run(scenario("graded")))


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "classroom"])
def test_only_the_github_format_writes_a_summary(tmp_path: Path, fmt: str) -> None:
    summary = tmp_path / "step_summary.md"
    checkone.emit(MIXED, fmt, tmp_path / "out", tmp_path / "junit.xml",
                  {"GITHUB_STEP_SUMMARY": str(summary)})
    assert not summary.exists()
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8") == junit.to_junit(MIXED)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "coloured"), [
    ({}, True), ({"NO_COLOR": ""}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": "0"}, False)])
def test_the_text_verdict_is_coloured_on_a_terminal_unless_no_color_is_set(
        environ: dict[str, str], coloured: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    assert checkone.wants_color(None, environ, Terminal()) is coloured
    assert not checkone.wants_color(None, {}, io.StringIO())
    assert not checkone.wants_color(Path("verdict.txt"), {}, Terminal())
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    checkone.emit(MIXED, "text", None, None, environ)
    assert ("\x1b[" in terminal.getvalue()) is coloured
    assert click.unstyle(terminal.getvalue()) == verdict_text.to_text(MIXED)


# ----------------------------------------------------------------------------- live line
class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_live_line_off_a_terminal_is_two_plain_lines() -> None:
    stream, clock = io.StringIO(), FakeClock()
    with LiveLine(stream, redraw=False, clock=clock).running("adam/x\x1b[2J.ipynb"):
        clock.now += 12.34
    assert stream.getvalue() == ("checking adam/x\ufffd.ipynb ...\n"
                                 "checked adam/x\ufffd.ipynb in 12.3 s\n")


def test_the_live_line_on_a_terminal_is_redrawn_in_place() -> None:
    stream, clock = io.StringIO(), FakeClock()
    line = LiveLine(stream, redraw=True, interval=0.01, clock=clock)
    with line.running("a.ipynb"):
        clock.now += 7.0
        for _ in range(500):  # wait (at most 5 s) for the ticker's first redraw
            if "... 7 s" in stream.getvalue():
                break
            time.sleep(0.01)
    text = stream.getvalue()
    assert text.startswith("\r\x1b[2Kchecking a.ipynb ...")
    assert "\r\x1b[2Kchecking a.ipynb ... 7 s" in text
    assert text.endswith("\r\x1b[2Kchecked a.ipynb in 7.0 s\n")


def columns_of(text: str) -> int:
    """Display columns, counted independently of grader.liveline: wide 2, combining 0."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def redraws_at_80_columns(name: str) -> tuple[list[str], str]:
    """The redrawn lines (at least two, the cell and the timer shown) and the last line."""
    stream, clock = io.StringIO(), FakeClock()
    line = LiveLine(stream, redraw=True, interval=0.01, clock=clock, columns=lambda: 80)
    with line.running(name) as on_cell:
        on_cell(7, 23)
        clock.now += 12.0
        for _ in range(500):  # wait (at most 5 s) for a redraw that shows the cell
            if stream.getvalue().count("\r") >= 3:
                break
            time.sleep(0.01)
    *drawn, done = stream.getvalue().split("\r\x1b[2K")[1:]
    assert len(drawn) >= 2
    return drawn, done


def test_a_long_latin_path_is_shortened_in_the_middle_keeping_file_name_and_timer() -> None:
    base = "adam_regression_classification_solved_group_07.ipynb"
    name = "uploads/" + "x" * 90 + "/" + base
    drawn, done = redraws_at_80_columns(name)
    assert all(columns_of(d) <= 79 for d in drawn)
    assert drawn[0].startswith("checking uploads/x") and drawn[0].endswith(f"\u2026/{base} ...")
    assert drawn[-1].endswith("_solved_group_07.ipynb ... running cell 7 of 23, 12 s")
    assert done == f"checked {name} in 12.0 s\n"      # the last line stays whole: never redrawn


def test_a_cjk_path_fits_80_columns_by_display_width() -> None:
    base = "adam_regression_classification_solved_group_01.ipynb"
    name = "深度学习作业第一周的提交文件夹名字很长很长很长很长很长很长很长很长很长很长很长/" + base
    drawn, _ = redraws_at_80_columns(name)
    assert all(columns_of(d) <= 79 for d in drawn)
    assert drawn[0].startswith("checking 深度") and f"\u2026/{base} ..." in drawn[0]
    assert "\u2026" in drawn[-1]       # the file name's end, the group, stays next to the timer
    assert drawn[-1].endswith("_solved_group_01.ipynb ... running cell 7 of 23, 12 s")


def test_combining_marks_take_no_column() -> None:
    name = "U\u0308bung/" + "e\u0301" * 50 + ".ipynb"      # 62 columns, 113 characters
    drawn, _ = redraws_at_80_columns(name)
    assert drawn[0] == f"checking {name} ..."              # fits: whole


def test_the_live_line_names_the_cell_the_executor_is_running() -> None:
    stream, clock = io.StringIO(), FakeClock()
    line = LiveLine(stream, redraw=True, interval=0.01, clock=clock)
    with line.running("a.ipynb") as on_cell:
        on_cell(7, 23)
        clock.now += 12.0
        for _ in range(500):  # wait (at most 5 s) for a redraw that shows the cell
            if "running cell 7 of 23" in stream.getvalue():
                break
            time.sleep(0.01)
    assert "\r\x1b[2Kchecking a.ipynb ... running cell 7 of 23, 12 s" in stream.getvalue()

