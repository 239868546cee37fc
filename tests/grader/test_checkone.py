"""`grade check PATH...`: which uploads it checks, and nothing the student controls printed raw."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import support_demo
from builders import write_team_notebook
from grade_builders import make_check, make_grade
from support_demo import GOOD

from grader import checkone, verdict_text
from grader.cell_error import CellError
from grader.errors import UsageError
from grader.liveline import LiveLine
from grader.rubric import load_rubrics
from grader.text import REPLACEMENT

BAD = ("\x1b", "\x07", "\x9b", "\x9d", "\r", "\udc9b")
HOSTILE = "\x1b]0;T\x07\x1bc\x9b2J\x9d0;x\x9c\r"





def quiet() -> LiveLine:
    return LiveLine(io.StringIO(), redraw=False)


def check_text(paths: list[Path], demo_rubrics: Path) -> list[str]:
    run = checkone.check_paths(paths, demo_rubrics, None, quiet())
    return verdict_text.to_text(run).splitlines()


def assert_clean(lines: list[str]) -> None:
    for line in lines:
        assert not any(bad in line for bad in BAD), repr(line)
        line.encode("utf-8")


# ----------------------------------------------------------------------------- which uploads
def test_files_keep_the_path_as_given_and_folders_are_searched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_team_notebook(tmp_path / "one" / "demo_01.ipynb", *GOOD)
    write_team_notebook(tmp_path / "many" / "a" / "demo_02.ipynb", *GOOD)
    (tmp_path / "many" / "b.zip").write_bytes(b"PK")
    (tmp_path / "many" / ".hidden.ipynb").write_text("{}")
    (tmp_path / "many" / "notes.txt").write_text("ignored")
    uploads = checkone.uploads_for([Path("one/demo_01.ipynb"), Path("many")])
    assert [u.rel for u in uploads] == ["one/demo_01.ipynb", "many/a/demo_02.ipynb", "many/b.zip"]
    assert uploads[0].path == (tmp_path / "one" / "demo_01.ipynb").resolve()


def test_a_folder_without_uploads_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no uploads here")
    with pytest.raises(UsageError, match="no uploads in this folder") as caught:
        checkone.uploads_for([tmp_path / "empty"])
    assert caught.value.exit_code == 2


def test_only_visible_checks_are_kept(demo_rubrics: Path) -> None:
    text = support_demo.rubric_text().replace('id = "answer"', 'id = "answer"\nvisible = false')
    (demo_rubrics / "demo.toml").write_text(text)
    [demo] = checkone.visible_rubrics(load_rubrics(demo_rubrics))
    assert [c.id for c in demo.checks] == ["double", "figure"]


def test_a_rejected_upload_lists_only_public_checks(tmp_path: Path, demo_rubrics: Path) -> None:
    text = support_demo.rubric_text().replace('id = "answer"', 'id = "answer"\nvisible = false')
    (demo_rubrics / "demo.toml").write_text(text)
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD, team="# Team\nYOUR ANSWER HERE")
    [grade] = checkone.check_paths([path], demo_rubrics, None, quiet()).grades
    assert grade.status == "rejected"
    assert [c.id for c in grade.checks] == ["double", "figure"] and grade.max_score == 3.0


# ----------------------------------------------------------------------------- printed clean
def test_a_hostile_file_name_is_rejected_and_printed_clean(tmp_path: Path,
                                                           demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "evil\x1b[2J\x1b]0;PWN\x07\x9b2J\udc9bname.ipynb", *GOOD)
    lines = check_text([path], demo_rubrics)
    assert_clean(lines)
    assert lines[0].endswith(f"evil{REPLACEMENT * 3}%9Bname.ipynb: REJECTED - this upload would "
                             "not be graded (nothing was run).")


def test_messages_tracebacks_and_check_messages_are_printed_clean(
        tmp_path: Path, demo_rubrics: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = make_grade(
        status="run-error", score=0.0,
        messages=(f"cell 6: Oops{HOSTILE}: boom\nVERDICT: OK - accepted and runs with no errors.",),
        first_error=CellError(6, "Oops", "boom",
                              f"Traceback{HOSTILE}\n\x1b[0;31mOops\x1b[0m: boom\x1bc"),
        warnings=(f"a warning{HOSTILE}",),
        checks=(make_check(id="double", status="fail", points=0.0, message=f"got{HOSTILE}\nmore"),))

    def fake_grade(*_: Any, **__: Any) -> Any:
        return fake

    monkeypatch.setattr(checkone, "grade_upload", fake_grade)
    lines = check_text([write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)], demo_rubrics)
    assert_clean(lines)
    assert "      Oops: boom" in lines  # the coloured traceback line reads cleanly
    verdict_lines = [line for line in lines if line.startswith("VERDICT")]
    assert verdict_lines == [verdict_text.VERDICT_NOT_OK]


@pytest.mark.kernel
def test_a_hostile_exception_in_a_real_run_is_printed_clean(tmp_path: Path,
                                                            demo_rubrics: Path) -> None:
    raising = ("E = type('Oops\\x1b]0;T\\x07', (Exception,), {})\n"
               "raise E('boom \\x1bc reset \\x9b2J')")
    lines = check_text([write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD, raising)],
                       demo_rubrics)
    assert lines[-1] == verdict_text.VERDICT_NOT_OK
    assert_clean(lines)
    assert any(f"cell 6: Oops{REPLACEMENT}: boom  reset" in line for line in lines), lines
