"""The `grade` command's exit codes and messages (in-process, with click's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import support_demo
from builders import write_team_notebook
from click.testing import CliRunner
from support_demo import GOOD

from grader.cli import main

@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_missing_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, [str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_unknown_option_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, [str(tmp_path), "--bogus"]).exit_code == 2


def test_broken_rubric_exits_1_naming_file_and_key(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    (demo_rubrics / "demo.toml").write_text(support_demo.rubric_text() + "\nsurprise = 1\n")
    result = runner.invoke(main, [str(tmp_path), "--rubrics", str(demo_rubrics), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "demo.toml" in result.output and "surprise" in result.output


def test_check_rejects_a_misnamed_file(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_1.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert "REJECTED" in result.output and "demo_NN.ipynb" in result.output


def test_check_reports_a_grader_fault_in_one_line(runner: CliRunner, tmp_path: Path, demo_rubrics: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import checkone

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(checkone, "grade_accepted", broken)
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert ("grade: error: the grader failed on this upload (internal error: RecursionError: "
            "maximum recursion depth exceeded); tell your tutor") in result.output
    assert "Traceback" not in result.output


def test_release_unknown_assignment_is_a_usage_error(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    result = runner.invoke(main, ["release", "nope", "--out", str(tmp_path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2
    assert "demo" in result.output


@pytest.mark.kernel
def test_check_accepts_a_clean_upload(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 0, result.output
    assert "VERDICT: OK" in result.output and "double" in result.output
    assert not (tmp_path / "graded").exists()


@pytest.mark.kernel
def test_check_fails_an_upload_with_an_error_cell(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD, "raise ValueError('boom')")
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert "cell 6: ValueError: boom" in result.output


@pytest.mark.kernel
def test_batch_exits_0_when_every_upload_has_a_record(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    subs = tmp_path / "subs"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    write_team_notebook(subs / "demo_02.ipynb", "1/0")
    (subs / "notes.txt").write_text("ignored")
    out = tmp_path / "out"
    result = runner.invoke(main, [str(subs), "--out", str(out), "--rubrics", str(demo_rubrics), "--workers", "2"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "grades.json").read_text())
    assert {s["file"]: s["status"] for s in document["submissions"]} == {
        "demo_01.ipynb": "graded", "demo_02.ipynb": "run-error"}
    assert "[2/2]" in result.output


def test_scheduler_without_dask_is_a_clear_grader_failure(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    try:
        import distributed  # noqa: F401
        pytest.skip("dask.distributed is installed; this covers the missing-extra message")
    except ImportError:
        pass
    subs = tmp_path / "subs"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    result = runner.invoke(main, [str(subs), "--out", str(tmp_path / "out"), "--rubrics", str(demo_rubrics),
                                  "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1
    assert "dask" in result.output
