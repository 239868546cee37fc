"""`grade check FILE` prints nothing the student controls raw: names, messages, tracebacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import write_team_notebook
from grade_builders import make_check, make_grade
from support_demo import GOOD

from grader import checkone
from grader.cell_error import CellError
from grader.text import REPLACEMENT

BAD = ("\x1b", "\x07", "\x9b", "\x9d", "\r", "\udc9b")
HOSTILE = "\x1b]0;T\x07\x1bc\x9b2J\x9d0;x\x9c\r"


def assert_clean(lines: list[str]) -> None:
    for line in lines:
        assert not any(bad in line for bad in BAD), repr(line)
        line.encode("utf-8")


def test_a_hostile_file_name_is_rejected_and_printed_clean(tmp_path: Path, demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "evil\x1b[2J\x1b]0;PWN\x07\x9b2J\udc9bname.ipynb", *GOOD)
    lines: list[str] = []
    assert checkone.check_file(path, demo_rubrics, echo=lines.append) is False
    assert_clean(lines)
    assert lines[0].startswith(f"evil{REPLACEMENT}{REPLACEMENT}{REPLACEMENT}{REPLACEMENT}name.ipynb: REJECTED")


def test_messages_tracebacks_and_check_messages_are_printed_clean(tmp_path: Path, demo_rubrics: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake = make_grade(
        status="run-error", score=0.0,
        messages=(f"cell 6: Oops{HOSTILE}: boom\nVERDICT: OK - accepted and runs with no errors.",),
        first_error=CellError(6, f"Oops{HOSTILE}", "boom",
                              f"Traceback{HOSTILE}\n\x1b[0;31mOops\x1b[0m: boom\x1bc"),
        warnings=(f"a warning{HOSTILE}",),
        checks=(make_check(id="double", status="fail", points=0.0, message=f"got{HOSTILE}\nmore"),))

    def fake_grade(*_: Any, **__: Any) -> Any:
        return fake

    monkeypatch.setattr(checkone, "grade_accepted", fake_grade)
    lines: list[str] = []
    assert checkone.check_file(write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD), demo_rubrics, echo=lines.append) is False
    assert_clean(lines)
    text = "\n".join(lines)
    assert "    Oops: boom" in text.splitlines()  # the coloured traceback line reads cleanly
    verdicts = [line for line in text.splitlines() if line.startswith("VERDICT")]
    assert verdicts == ["VERDICT: NOT OK - fix the problem above before you submit."]


@pytest.mark.kernel
def test_a_hostile_exception_in_a_real_run_is_printed_clean(tmp_path: Path, demo_rubrics: Path) -> None:
    raising = "E = type('Oops\\x1b]0;T\\x07', (Exception,), {})\nraise E('boom \\x1bc reset \\x9b2J')"
    lines: list[str] = []
    ok = checkone.check_file(write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD, raising), demo_rubrics,
                             echo=lines.append)
    assert ok is False
    assert_clean(lines)
    assert any(f"cell 6: Oops{REPLACEMENT}: boom  reset" in line for line in lines), lines
