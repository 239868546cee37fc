"""Batch progress lines: a hostile file name or note cannot reach the terminal raw."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from grade_builders import make_grade

from grader import progress
from grader.discover import NotGraded, Upload
from grader.progress import PlainProgress, RichProgress
from grader.text import REPLACEMENT

EVIL = "evil\x1b[2J\x1b]0;PWN\x07\x9b2J\x1bc\rname\udc9b.ipynb"
BAD = ("\x1b", "\x07", "\x9b", "\r", "\udc9b")


def upload(rel: str) -> Upload:
    return Upload(Path("/nowhere") / "x.ipynb", rel, "0" * 64, 1)


def assert_clean(text: str) -> None:
    assert not any(bad in text for bad in BAD), repr(text)
    text.encode("utf-8")


def test_plain_lines_show_a_hostile_name_and_note_on_one_clean_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    bar = PlainProgress()
    bar.start(2)
    bar.advance(upload(EVIL), make_grade(file=EVIL, status="rejected", score=0.0), "")
    bar.advance(upload(EVIL), None, "crash\x1b]0;T\x07\nfake: graded 10/10")
    out = capsys.readouterr().out
    assert_clean(out)
    lines = out.splitlines()
    assert lines == [
        "grading 2 upload(s)",
        f"[1/2] evil{REPLACEMENT * 5}name{REPLACEMENT}.ipynb: rejected 0/3",
        f"[2/2] evil{REPLACEMENT * 5}name{REPLACEMENT}.ipynb: NO GRADE "
        f"(crash{REPLACEMENT}{REPLACEMENT}fake: graded 10/10)",
    ]


def test_ordinary_names_are_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    bar = PlainProgress()
    bar.start(1)
    bar.advance(upload("adam/Zoë_中文_group_04.ipynb"), make_grade(), "2.0 s")
    assert capsys.readouterr().out.splitlines()[-1] == (
        "[1/1] adam/Zoë_中文_group_04.ipynb: graded 2/3 (2.0 s)")


def test_the_rich_bar_prints_clean_lines(capsys: pytest.CaptureFixture[str]) -> None:
    bar = RichProgress()
    bar.start(1)
    bar.advance(upload(EVIL), None, "note\x1bc")
    bar.finish()
    out = capsys.readouterr().out
    assert f"evil{REPLACEMENT * 5}name{REPLACEMENT}.ipynb: NO GRADE" in out
    assert "\x07" not in out and "\x9b" not in out and "\x1bc" not in out and "]0;PWN" not in out


def test_summary_prints_failures_and_warnings_clean(capsys: pytest.CaptureFixture[str]) -> None:
    result = SimpleNamespace(
        grades=[make_grade(warnings=["warned about\x1b]0;T\x07 evil\x1bc"])], graded=1, skipped=0,
        failures=[f"{EVIL}: its report could not be written (disk full)"], out=Path("/tmp/out"),
        notes=[f"marking.csv row 2: no upload {EVIL!r} in this batch"],
        not_graded=[NotGraded(f"{EVIL} ", "its name ends in ' ' after .ipynb\x1b[2J")])
    progress.summary(result)
    captured = capsys.readouterr()
    assert_clean(captured.out + captured.err)
    assert f"GRADER FAULT: evil{REPLACEMENT * 5}name{REPLACEMENT}.ipynb: its report" in captured.err
    assert (f"not graded: evil{REPLACEMENT * 5}name{REPLACEMENT}.ipynb : its name ends in ' ' "
            f"after .ipynb{REPLACEMENT}") in captured.out.splitlines()
    assert "warned about evil" in captured.err
    assert "grade: marking.csv row 2: no upload 'evil" in captured.err
