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


@pytest.mark.parametrize("layout", ["empty", "no uploads", "only hidden"])
def test_a_batch_over_a_folder_without_uploads_is_a_usage_error(
        runner: CliRunner, tmp_path: Path, demo_rubrics: Path, layout: str) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    if layout == "no uploads":
        (subs / "notes.txt").write_text("x")
    if layout == "only hidden":
        write_team_notebook(subs / ".ipynb_checkpoints" / "demo_01.ipynb", *GOOD)
    out = tmp_path / "out"
    result = runner.invoke(main, [str(subs), "--out", str(out), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2, result.output
    assert "no uploads found" in result.output
    assert not out.exists()


def test_only_that_selects_nothing_is_a_usage_error_and_writes_nothing(
        runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    result = runner.invoke(main, [str(subs), "--out", str(out), "--rubrics", str(demo_rubrics),
                                  "--only", "01", "--only", "adam/*"])
    assert result.exit_code == 2, result.output
    assert "--only 'adam/*' matches no upload under SUBMISSIONS" in result.output
    assert not out.exists()


def test_submission_times_must_exist(runner: CliRunner, tmp_path: Path, demo_rubrics: Path) -> None:
    result = runner.invoke(main, [str(tmp_path), "--submission-times", str(tmp_path / "no.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_batch_over_a_mistyped_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, [str(tmp_path / "submisions")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_broken_rubric_exits_1_naming_file_and_key(runner: CliRunner, tmp_path: Path,
                                                   demo_rubrics: Path) -> None:
    (demo_rubrics / "demo.toml").write_text(support_demo.rubric_text() + "\nsurprise = 1\n")
    result = runner.invoke(main, [str(tmp_path), "--rubrics", str(demo_rubrics),
                                  "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "demo.toml" in result.output and "surprise" in result.output


def test_check_rejects_a_misnamed_file(runner: CliRunner, tmp_path: Path,
                                       demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_1.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert "REJECTED" in result.output and "demo_NN.ipynb" in result.output


def test_check_reports_a_grader_fault_in_one_line(runner: CliRunner, tmp_path: Path,
                                                  demo_rubrics: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import checkone

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(checkone, "grade_upload", broken)
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert ("grade: error: the grader failed on this upload (internal error: RecursionError: "
            "maximum recursion depth exceeded); tell your tutor") in result.output
    assert "Traceback" not in result.output


def test_release_unknown_assignment_is_a_usage_error(runner: CliRunner, tmp_path: Path,
                                                     demo_rubrics: Path) -> None:
    result = runner.invoke(main, ["release", "nope", "--out", str(tmp_path),
                                  "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2
    assert "demo" in result.output


@pytest.mark.kernel
def test_check_accepts_a_clean_upload(runner: CliRunner, tmp_path: Path,
                                      demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 0, result.output
    assert "VERDICT: OK" in result.output and "double" in result.output
    assert not (tmp_path / "graded").exists()


@pytest.mark.kernel
def test_check_fails_an_upload_with_an_error_cell(runner: CliRunner, tmp_path: Path,
                                                  demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD, "raise ValueError('boom')")
    result = runner.invoke(main, ["check", str(path), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1
    assert "cell 6: ValueError: boom" in result.output


@pytest.mark.kernel
def test_batch_exits_0_when_every_upload_has_a_record(runner: CliRunner, tmp_path: Path,
                                                      demo_rubrics: Path) -> None:
    subs = tmp_path / "subs"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    write_team_notebook(subs / "demo_02.ipynb", "1/0")
    (subs / "notes.txt").write_text("ignored")
    out = tmp_path / "out"
    result = runner.invoke(main, [str(subs), "--out", str(out), "--rubrics", str(demo_rubrics),
                                  "--workers", "2"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "grades.json").read_text())
    assert {s["file"]: s["status"] for s in document["submissions"]} == {
        "demo_01.ipynb": "graded", "demo_02.ipynb": "run-error"}
    assert "[2/2]" in result.output


def test_scheduler_without_dask_is_a_clear_grader_failure(runner: CliRunner, tmp_path: Path,
                                                          demo_rubrics: Path) -> None:
    try:
        import distributed  # noqa: F401
        pytest.skip("dask.distributed is installed; this covers the missing-extra message")
    except ImportError:
        pass
    subs = tmp_path / "subs"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    result = runner.invoke(main, [str(subs), "--out", str(tmp_path / "out"),
                                  "--rubrics", str(demo_rubrics),
                                  "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1
    assert "dask" in result.output


# ----------------------------------------------------------------------------- export
EXPORTED = {"grader_version": "0.1.0", "generated_at": "2026-12-06T10:00:00+00:00",
            "submissions": [{"file": "xor/sheet06_1234567.zip", "sha256": "a" * 64,
                             "assignment": "xor", "group": "1234567", "status": "graded",
                             "score": 1.0, "max_score": 2.0, "messages": [],
                             "checks": [{"id": "sigmoid", "status": "pass", "points": 1.0,
                                         "max_points": 2.0, "message": "ok"}]}]}


def test_export_writes_the_file_and_warns_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "grades.json").write_text(json.dumps(EXPORTED), encoding="utf-8")
    out = tmp_path / "moodle.csv"
    result = runner.invoke(main, ["export", "--format", "moodle", "--out", str(out),
                                  str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("Identifier,Full name,Email address,")
    assert f"wrote {out}" in result.stdout
    assert "no Moodle participant number" in result.stderr


@pytest.mark.parametrize("args", [
    ["--format", "csv", "--out", "{tmp}/x.csv", "{tmp}/nowhere"],
    ["--format", "xls", "--out", "{tmp}/x.csv", "{tmp}"],
    ["--format", "canvas", "--out", "{tmp}/x.csv", "--canvas-column", "xor", "{tmp}"],
    ["--format", "csv", "{tmp}"],
], ids=["no-grades-json", "unknown-format", "bad-canvas-column", "no-out"])
def test_export_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "grades.json").write_text(json.dumps(EXPORTED), encoding="utf-8")
    result = runner.invoke(main, ["export", *(a.format(tmp=tmp_path) for a in args)])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "x.csv").exists()


def test_export_canvas_columns(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "grades.json").write_text(json.dumps(EXPORTED), encoding="utf-8")
    out = tmp_path / "canvas.csv"
    result = runner.invoke(main, ["export", "--format", "canvas", "--out", str(out),
                                  "--canvas-column", "xor=Sheet 6 (4711)", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[0] == \
        "Student,ID,SIS User ID,SIS Login ID,Section,Sheet 6 (4711)"


def test_check_of_a_folder_without_uploads_is_a_usage_error(runner: CliRunner, tmp_path: Path,
                                                            demo_rubrics: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["check", str(tmp_path / "empty"), "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2
    assert "no uploads in this folder" in result.output


@pytest.mark.parametrize("value", ["lots", "101%", "-1"])
def test_check_with_a_bad_min_score_is_a_usage_error(runner: CliRunner, tmp_path: Path,
                                                     demo_rubrics: Path, value: str) -> None:
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--min-score", value,
                                  "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2
    assert "Invalid value for '--min-score'" in result.output


def test_check_gives_each_upload_its_verdict(runner: CliRunner, tmp_path: Path,
                                             demo_rubrics: Path) -> None:
    """Two misnamed uploads in a folder and one file: rejected without running anything."""
    write_team_notebook(tmp_path / "subs" / "demo_1.ipynb", *GOOD)
    write_team_notebook(tmp_path / "subs" / "deep" / "demo.ipynb", *GOOD)
    single = write_team_notebook(tmp_path / "demo_7.ipynb", *GOOD)
    out, junit_xml = tmp_path / "verdict.json", tmp_path / "junit.xml"
    result = runner.invoke(main, ["check", str(tmp_path / "subs"), str(single), "--format", "json",
                                  "--output", str(out), "--junit-xml", str(junit_xml),
                                  "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 1, result.output
    document = json.loads(out.read_text())
    files = [s["file"] for s in document["submissions"]]
    assert files == [f"{tmp_path}/subs/deep/demo.ipynb", f"{tmp_path}/subs/demo_1.ipynb",
                     f"{tmp_path}/demo_7.ipynb"]
    assert {s["status"] for s in document["submissions"]} == {"rejected"}
    assert document["failed"] == files and document["passed"] is False
    assert junit_xml.read_text().count("<testsuite ") == 3


@pytest.mark.kernel
def test_check_fails_wrong_answers_only_with_a_min_score(runner: CliRunner, tmp_path: Path,
                                                         demo_rubrics: Path) -> None:
    good = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    wrong = write_team_notebook(tmp_path / "demo_06.ipynb", *GOOD[:2], "answer = 0.5", GOOD[3])
    args = ["check", str(good), str(wrong), "--rubrics", str(demo_rubrics), "--format", "json"]
    strict = runner.invoke(main, [*args, "--min-score", "100%"])
    assert strict.exit_code == 1, strict.output
    document = json.loads(strict.stdout)
    assert document["failed"] == [str(wrong)]
    assert [s["score"] for s in document["submissions"]] == [4.0, 3.0]
    assert runner.invoke(main, [*args, "--min-score", "3"]).exit_code == 0


def test_help_shows_the_batch_as_users_call_it(runner: CliRunner, tmp_path: Path) -> None:
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0 and "`grade SUBMISSIONS --help` lists its options" in top.output
    batch = runner.invoke(main, [str(tmp_path), "--help"])
    assert batch.exit_code == 0
    assert batch.output.startswith("Usage: grade SUBMISSIONS [OPTIONS]")
    assert "--only PATTERN" in batch.output and "grade batch" not in batch.output


@pytest.mark.parametrize("installed", ["dlgrade", "dlgrade-check"])
def test_the_version_is_the_installed_distributions_whichever_it_is(
        installed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from grader import version

    def only(name: str) -> str:
        if name != installed:
            raise metadata.PackageNotFoundError(name)
        return "9.8.7"

    monkeypatch.setattr(version.metadata, "version", only)
    assert version.grader_version() == "9.8.7"


def test_grade_version_prints_the_version(runner: CliRunner) -> None:
    from grader.version import grader_version

    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"grade, version {grader_version()}\n"


@pytest.mark.parametrize("option", ["--output", "--junit-xml"])
@pytest.mark.parametrize("where", ["missing folder", "read-only file system"])
def test_an_unwritable_output_is_a_usage_error_before_any_notebook_runs(
        runner: CliRunner, tmp_path: Path, demo_rubrics: Path, monkeypatch: pytest.MonkeyPatch,
        option: str, where: str) -> None:
    from grader import checkone

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a notebook ran")

    monkeypatch.setattr(checkone, "grade_upload", must_not_run)
    target = {"missing folder": tmp_path / "nope" / "out.xml",     # (a folder: click's error)
              "read-only file system": Path("/proc/version")}[where]
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), option, str(target),
                                  "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"grade: error: {option} {target}: ")
    assert "Traceback" not in result.output and not (tmp_path / "nope").exists()


def test_a_writable_new_output_is_not_left_behind_by_the_check(tmp_path: Path) -> None:
    from grader import checkone

    checkone.ensure_writable(tmp_path / "verdict.json", "--output")
    assert list(tmp_path.iterdir()) == []


def test_check_with_a_min_score_above_the_maximum_is_a_usage_error_naming_it(
        runner: CliRunner, tmp_path: Path, demo_rubrics: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import checkone

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a notebook ran")

    monkeypatch.setattr(checkone, "grade_upload", must_not_run)
    path = write_team_notebook(tmp_path / "demo_05.ipynb", *GOOD)
    result = runner.invoke(main, ["check", str(path), "--min-score", "4.5",
                                  "--rubrics", str(demo_rubrics)])
    assert result.exit_code == 2, result.output
    assert result.output == ("grade: error: --min-score 4.5: more points than the public checks "
                             "can give (at most 4 for demo); give at most 4 points, or a "
                             "percentage such as 100%\n")


STUDENT_HELP = """
import sys
from pathlib import Path
from grader import bundle
bundle.rubrics_dir = lambda: Path("/nonexistent/rubrics")   # the student distribution: none
from grader.cli import main
main(["check", "--help"], prog_name="grade")
"""


def test_the_student_distributions_help_says_rubrics_are_for_tutors() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", STUDENT_HELP], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "--rubrics DIRECTORY Tutors: a folder of rubric TOML files" in text
    assert "students use --kit" in text and "the project's rubrics/" not in text


def test_the_projects_help_names_its_rubrics_as_the_default(runner: CliRunner) -> None:
    text = " ".join(runner.invoke(main, ["check", "--help"]).output.split())
    assert "Folder of rubric TOML files. [default: (the project's rubrics/)]" in text
