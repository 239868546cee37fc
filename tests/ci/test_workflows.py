"""The ready-made CI in ci/ and .pre-commit-hooks.yaml: valid YAML, the expected triggers and
steps, and their run scripts executed by bash in a simulated runner (GITHUB_WORKSPACE, RUNNER_TEMP,
GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY set to temp paths, this venv's `grade` on PATH).

The runner's own parts (checkout, setup-python, apt, AppArmor, caches, artifacts, Classroom's
reporter) are not run: their configuration is asserted instead.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")
xmlschema = pytest.importorskip("xmlschema")

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "ci"
SCHEMA = ROOT / "tests" / "data" / "junit.xsd"
STUDENT = CI / "github" / "check-notebooks.yml"
CLASSROOM = CI / "github" / "classroom.yml"
TUTORS = CI / "github" / "grade-uploads.yml"
GITLAB = CI / "gitlab" / "check-notebooks.gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
ADAM = "adam_regression_classification_solved_group_02.ipynb"   # runs; fails 4 of 6 checks
MISNAMED = "adam_regression_classification_solved_group_7.ipynb"  # rejected at intake
TORCH_CPU = "python -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
BIN = Path(sys.executable).parent


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The `on:` mapping (PyYAML reads an unquoted `on` as True)."""
    value = workflow["on"] if "on" in workflow else workflow[True]
    return value if isinstance(value, dict) else {name: None for name in value}


def steps(path: Path) -> list[dict[str, Any]]:
    [job] = load(path)["jobs"].values()
    return list(job["steps"])


def step(path: Path, name: str) -> dict[str, Any]:
    [found] = [s for s in steps(path) if s.get("name") == name]
    return found


def uses(path: Path) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(path) if "uses" in s]


def action(path: Path, name: str) -> dict[str, Any]:
    """The one step that uses the action `name` (e.g. actions/upload-artifact)."""
    [found] = [s for s in steps(path) if name in s.get("uses", "")]
    return found


# ----------------------------------------------------------------------------- the files
@pytest.mark.parametrize("path", [STUDENT, CLASSROOM, TUTORS, GITLAB, HOOKS], ids=lambda p: p.name)
def test_every_file_is_valid_yaml_and_every_script_parses(path: Path) -> None:
    document = load(path)
    assert document
    scripts = [s["run"] for s in steps(path) if "run" in s] if path.parent.name == "github" else []
    if path == GITLAB:
        job = document["dlgrade-check"]
        scripts = ["\n".join(job["before_script"]), "\n".join(job["script"])]
    for script in scripts:
        assert "${{" not in script, "expressions belong in env:, so the script runs as it is"
        check = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(("path", "expected"), [
    (STUDENT, {"push", "pull_request"}),
    (CLASSROOM, {"push", "repository_dispatch", "workflow_dispatch"}),
    (TUTORS, {"push", "workflow_dispatch"}),
], ids=lambda v: v.name if isinstance(v, Path) else "")
def test_triggers(path: Path, expected: set[str]) -> None:
    assert set(triggers(load(path))) == expected


@pytest.mark.parametrize("path", [STUDENT, CLASSROOM, TUTORS], ids=lambda p: p.name)
def test_the_github_setup_steps(path: Path) -> None:
    workflow = load(path)
    [job] = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-24.04"
    assert workflow["defaults"]["run"]["shell"] == "bash"
    assert {"actions/checkout", "actions/setup-python",
            "actions/upload-artifact"} <= set(uses(path))
    assert action(path, "actions/setup-python")["with"]["python-version"] == "3.11"
    pip_cache = pip_caches(path)[0]
    assert pip_cache["with"]["path"] == "~/.cache/pip"
    key = pip_cache["with"]["key"]
    assert "torch2.13.0" in key and key.endswith("-${{ steps.pip-key.outputs.key }}")
    assert "vars." not in key           # a variable's commas would make actions/cache fail
    install = step(path, "Install torch (CPU build) and the grader")["run"]
    assert TORCH_CPU in install.splitlines() and '"${DLGRADE_PACKAGE:?' in install
    sandbox = step(path, "Install bubblewrap and let it create user namespaces")["run"]
    assert "apt-get install -y -q --no-install-recommends bubblewrap" in sandbox
    assert "kernel.apparmor_restrict_unprivileged_userns" in sandbox
    profile = re.search(r"<<'PROFILE'\n(.*?)\nPROFILE\n", sandbox, re.S)
    assert profile is not None
    assert "profile dlgrade-bwrap /usr/bin/bwrap flags=(unconfined) {\n  userns,\n}" in profile[1]
    assert "apparmor_parser -r /etc/apparmor.d/dlgrade-bwrap" in sandbox
    assert "sysctl -w" not in sandbox  # the profile, not lifting the restriction for all


def pip_caches(path: Path) -> list[dict[str, Any]]:
    return [s for s in steps(path) if s.get("with", {}).get("path") == "~/.cache/pip"]


@pytest.mark.parametrize("path", [STUDENT, CLASSROOM], ids=lambda p: p.name)
def test_the_students_pip_cache_is_saved_even_when_a_check_fails(path: Path) -> None:
    restore, save = pip_caches(path)
    assert restore["uses"] == "actions/cache/restore@v4" and restore["id"] == "pip-cache"
    assert save["uses"] == "actions/cache/save@v4"
    assert save["with"]["key"] == restore["with"]["key"]
    assert save["if"] == "${{ always() && steps.pip-cache.outputs.cache-hit != 'true' }}"
    assert steps(path)[-1] == save        # after the check, whatever it concluded


def test_the_student_workflow_uploads_the_junit_file() -> None:
    artifact = action(STUDENT, "actions/upload-artifact")
    assert artifact["with"]["path"] == "${{ runner.temp }}/dlgrade-junit.xml"
    assert artifact["if"] == "${{ !cancelled() }}"
    check = step(STUDENT, "Check the changed notebooks")["run"]
    assert '--junit-xml "$RUNNER_TEMP/dlgrade-junit.xml"' in check
    assert [s for s in steps(STUDENT) if "uses" in s][0]["with"]["fetch-depth"] == 0


def test_the_classroom_variant_feeds_the_reporter() -> None:
    workflow = load(CLASSROOM)
    assert workflow["name"] == "Autograding Tests"
    assert workflow["permissions"]["checks"] == "write"
    reporter = action(CLASSROOM, "autograding-grading-reporter")
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == "dlgrade"
    assert reporter["env"]["DLGRADE_RESULTS"] == "${{ steps.dlgrade.outputs.result }}"
    assert step(CLASSROOM, "Check the notebooks")["id"] == "dlgrade"


def test_the_tutors_workflow_caches_the_gradebook_between_runs() -> None:
    restore = step(TUTORS, "Restore the gradebook")
    save = step(TUTORS, "Save the gradebook")
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == "graded/gradebook.sqlite"
    assert restore["with"]["key"] == save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    published = step(TUTORS, "Publish the reports and the overview")["with"]["path"].split()
    assert {"graded/index.html", "graded/reports/", "graded/grades.json"} <= set(published)
    assert load(TUTORS)["concurrency"]["cancel-in-progress"] is False


def test_the_gitlab_job_reports_junit() -> None:
    job = load(GITLAB)["dlgrade-check"]
    assert job["artifacts"]["reports"]["junit"] == "dlgrade-junit.xml"
    assert job["artifacts"]["when"] == "always"
    assert TORCH_CPU in job["before_script"]
    assert job["variables"]["GIT_DEPTH"] == "0" and job["cache"]["paths"] == [".cache/pip"]
    assert job["cache"]["when"] == "always"     # saved after a NOT OK upload too


def test_the_pre_commit_hook() -> None:
    [hook] = load(HOOKS)
    assert (hook["id"], hook["entry"], hook["language"]) == ("grade-check", "grade check", "system")
    assert re.search(hook["files"], "a/adam_02.ipynb") and re.search(hook["files"], "x.zip")
    assert not re.search(hook["files"], "notes.md")
    assert re.search(hook["exclude"], "a/.ipynb_checkpoints/x.ipynb")


# ----------------------------------------------------------------------------- simulated runner
class Runner:
    """A temp GITHUB_WORKSPACE (a git repository) and the files a runner gives each step."""

    def __init__(self, tmp: Path) -> None:
        self.workspace = tmp / "workspace"
        self.temp = tmp / "runner_temp"
        self.summary = tmp / "step_summary.md"
        self.env_file = tmp / "github_env"
        self.output = tmp / "github_output"
        for folder in (self.workspace, self.temp):
            folder.mkdir()
        self.summary.write_text("## an earlier step\n", encoding="utf-8")
        for file in (self.env_file, self.output):
            file.write_text("")
        self.git("init", "-q", "-b", "main")
        (self.workspace / "README.md").write_text("# My solutions\n")
        self.base = self.commit("start")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org",
                               *args], cwd=self.workspace, check=True, capture_output=True,
                              text=True)
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def add_upload(self, name: str, folder: str = "notebooks") -> str:
        target = self.workspace / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "submissions" / "adam" / name, target)
        return f"{folder}/{name}"

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        """The job's environment: the runner's variables, then GITHUB_ENV's lines, then `extra`."""
        env = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
               "HOME": os.environ.get("HOME", "/tmp"),
               "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true",
               "GITHUB_WORKSPACE": str(self.workspace), "RUNNER_TEMP": str(self.temp),
               "GITHUB_ENV": str(self.env_file), "GITHUB_OUTPUT": str(self.output),
               "GITHUB_STEP_SUMMARY": str(self.summary), "CI_PROJECT_DIR": str(self.workspace)}
        for line in self.env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        return {**env, **extra}

    def run(self, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """`script` as GitHub runs a `shell: bash` step: bash --noprofile --norc -eo pipefail."""
        path = self.temp / "step.sh"
        path.write_text(script)
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
                              cwd=self.workspace, env=self.env(extra), capture_output=True,
                              text=True, timeout=600)


@pytest.mark.parametrize("path", [STUDENT, CLASSROOM, TUTORS], ids=lambda p: p.name)
def test_the_pip_cache_key_names_the_package_by_a_hash_without_commas(
        path: Path, tmp_path: Path) -> None:
    naming = step(path, "Name the pip cache")
    names = [s.get("name") for s in steps(path)]
    assert naming["id"] == "pip-key" and names.index("Name the pip cache") < min(
        names.index(s.get("name")) for s in pip_caches(path))
    runner = Runner(tmp_path)
    keys = []
    for package in ("dlgrade-check>=0.1,<0.2", "dlgrade-check>=0.1,<0.3", ""):
        runner.output.write_text("")
        done = runner.run(naming["run"], DLGRADE_PACKAGE=package)
        assert done.returncode == 0, done.stderr
        [line] = runner.output.read_text().splitlines()
        name, _, key = line.partition("=")
        assert name == "key" and re.fullmatch(r"[0-9a-f]{16}", key)
        keys.append(key)
    assert len(set(keys)) == 3          # another pin, another cache


def validate_junit(path: Path) -> Any:
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(path))
    import xml.etree.ElementTree as ET
    return ET.parse(path).getroot()


def test_the_changed_uploads_are_found(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    old = runner.add_upload(MISNAMED, "old")
    first = runner.commit("an old upload")
    new = runner.add_upload(ADAM)
    (runner.workspace / "notebooks" / ".ipynb_checkpoints").mkdir()
    (runner.workspace / "notebooks" / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    (runner.workspace / "notes.md").write_text("not an upload")
    runner.commit("a new upload")
    script = step(STUDENT, "Find the changed uploads")["run"]
    for base, expected in [(first, [new]), ("0" * 40, [new, old]), ("", [new, old])]:
        runner.env_file.write_text("")
        done = runner.run(script, BASE_SHA=base)
        assert done.returncode == 0, done.stderr
        listed = Path(runner.env({})["UPLOADS_LIST"]).read_text().split("\0")[:-1]
        assert sorted(listed) == sorted(expected), base


UMLAUT = "Übung 1"      # git quotes such a path ("\303\234bung 1/...") unless told not to


def test_a_changed_upload_under_a_non_ascii_path_with_a_space_is_found_as_it_is(
        tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    new = runner.add_upload(MISNAMED, UMLAUT)
    runner.commit("an upload in a folder with an umlaut and a space")
    find = step(STUDENT, "Find the changed uploads")["run"]
    for base in (runner.base, ""):
        runner.env_file.write_text("")
        done = runner.run(find, BASE_SHA=base)
        assert done.returncode == 0, done.stderr
        assert "uploads to check: 1" in done.stdout
        listed = Path(runner.env({})["UPLOADS_LIST"]).read_bytes()
        assert listed == new.encode() + b"\0"
    check = runner.run(step(STUDENT, "Check the changed notebooks")["run"])
    assert check.returncode == 1, check.stdout + check.stderr   # rejected: misnamed, not exit 2
    assert f"dlgrade: {new}: NOT OK" in check.stdout


def test_the_gitlab_script_checks_a_non_ascii_path_with_a_space_and_finds_the_default_kit(
        tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    upload = runner.add_upload(MISNAMED, UMLAUT)
    (runner.workspace / ".dlgrade" / "kit").mkdir(parents=True)   # not a kit: --kit is passed
    runner.commit("my solution")
    script = "\n".join(load(GITLAB)["dlgrade-check"]["script"])
    done = runner.run(script, CI_COMMIT_BEFORE_SHA=runner.base)
    assert done.returncode == 2 and "kit.json" in done.stderr, done.stdout + done.stderr
    shutil.rmtree(runner.workspace / ".dlgrade")
    for base in (runner.base, ""):
        done = runner.run(script, CI_COMMIT_BEFORE_SHA=base)
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{upload}: REJECTED" in done.stdout


def test_the_kit_is_fetched_from_a_url_or_the_repository(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    script = step(STUDENT, "Fetch the check kit")["run"]
    done = runner.run(script)
    assert done.returncode == 0 and "no check kit" in done.stdout
    assert "KIT=" not in runner.env_file.read_text()
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "kit.json").write_text("{}")
    archive = tmp_path / "kit.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "kit" / "kit.json", arcname="kit.json")
    done = runner.run(script, DLGRADE_KIT_URL=archive.as_uri())
    assert done.returncode == 0, done.stderr
    assert runner.env_file.read_text() == f"KIT={runner.temp}/dlgrade-kit\n"
    assert (runner.temp / "dlgrade-kit" / "kit.json").exists()
    runner.env_file.write_text("")
    (runner.workspace / "course-kit").mkdir()
    assert runner.run(script, DLGRADE_KIT_PATH="course-kit").returncode == 0
    assert runner.env_file.read_text() == f"KIT={runner.workspace}/course-kit\n"


def test_nothing_changed_is_a_green_check(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    (runner.temp / "uploads.txt").write_text("")
    done = runner.run(step(STUDENT, "Check the changed notebooks")["run"],
                      UPLOADS_LIST=str(runner.temp / "uploads.txt"))
    assert done.returncode == 0 and "nothing to check" in done.stdout


@pytest.mark.kernel
@pytest.mark.slow
def test_the_student_workflow_fails_wrong_answers_with_a_min_score(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    upload = runner.add_upload(ADAM)
    runner.commit("my solution")
    find = step(STUDENT, "Find the changed uploads")["run"]
    assert runner.run(find, BASE_SHA=runner.base).returncode == 0
    done = runner.run(step(STUDENT, "Check the changed notebooks")["run"], DLGRADE_MIN_SCORE="100%")
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    prefix = f"::error file={upload},title="
    assert [line[len(prefix):].split("::")[0] for line in errors] == [
        "check adam_step (0/1.5 points)", "check adam_chain (0/0.5 points)",
        "check train_linreg (0/1 points)", "check train_logreg (0/1 points)",
        "below the required score"]
    assert f"::notice file={upload},title=public checks::1 of 5 points, 2 of 6 pass" in done.stdout
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## an earlier step\n## dlgrade check: 0 of 1 upload(s) OK")
    assert "| adam\\_step | FAIL | 0 / 1.5 |" in summary
    assert "| gd\\_step | pass | 0.5 / 0.5 |" in summary
    root = validate_junit(runner.temp / "dlgrade-junit.xml")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "5", "0")


@pytest.mark.kernel
@pytest.mark.slow
def test_the_student_workflow_checks_from_the_kit_in_the_repository(tmp_path: Path) -> None:
    from grader import kit_release
    from grader.rubric import load_rubric

    runner = Runner(tmp_path)
    kit = kit_release.write_kit(load_rubric(ROOT / "rubrics" / "gradients.toml"), tmp_path).folder
    shutil.copytree(kit, runner.workspace / ".dlgrade" / "kit")
    name = "gradient_studies_group_01.ipynb"          # correct: every public check passes
    shutil.copy(ROOT / "submissions" / "gradients" / name, runner.workspace / name)
    runner.commit("my solution and the course's kit")
    assert runner.run(step(STUDENT, "Fetch the check kit")["run"]).returncode == 0
    assert runner.run(step(STUDENT, "Find the changed uploads")["run"],
                      BASE_SHA=runner.base).returncode == 0
    done = runner.run(step(STUDENT, "Check the changed notebooks")["run"],
                      DLGRADE_MIN_SCORE="100%")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (f"::notice file={name},title=public checks::8.5 of 8.5 points, 7 of 7 checkable "
            "pass, 1 decided at grading") in done.stdout
    assert f"::notice file={name},title=check h_max not checked::not checkable before " in (
        done.stdout)


@pytest.mark.kernel
@pytest.mark.slow
def test_the_classroom_variant_reports_the_public_points(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    runner.add_upload(ADAM)
    runner.commit("my solution")
    done = runner.run(step(CLASSROOM, "Check the notebooks")["run"])
    assert done.returncode == 0, done.stdout + done.stderr    # runs cleanly: the contract's OK
    [line] = runner.output.read_text().splitlines()
    key, _, value = line.partition("=")
    results = json.loads(base64.b64decode(value))
    assert key == "result" and results["status"] == "pass" and results["max_score"] == 5.0
    assert sum(t["score"] for t in results["tests"]) == 1.0
    assert [t["status"] for t in results["tests"]].count("fail") == 4
    validate_junit(runner.temp / "dlgrade-junit.xml")


def test_the_classroom_variant_skips_files_not_named_as_uploads_and_says_when_none_is_left(
        tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    (runner.workspace / "adam.ipynb").write_text("{}")          # the template's handout
    runner.add_upload(MISNAMED, UMLAUT)
    runner.commit("the handout and a misnamed upload")
    script = step(CLASSROOM, "Check the notebooks")["run"]
    done = runner.run(script)
    assert done.returncode == 1, done.stdout + done.stderr     # nothing checked: a red job
    assert "ignored adam.ipynb: its name matches no assignment's file-name rule" in done.stderr
    assert f"ignored {UMLAUT}/{MISNAMED}" in done.stderr
    assert "grade: error: nothing to check: no file given is named as an upload of " in (
        done.stderr)
    assert "::error title=nothing checked::" in done.stdout
    assert runner.output.read_text() == ""                    # no silent 0 of 0 for Classroom
    done = runner.run(script, DLGRADE_UPLOADS="*/*.ipynb")    # exactly these: checked
    assert done.returncode == 0, done.stdout + done.stderr    # rejected: exit 1, reported
    [line] = runner.output.read_text().splitlines()
    results = json.loads(base64.b64decode(line.partition("=")[2]))
    assert results["status"] == "fail" and results["tests"][0]["status"] == "fail"
    assert f"{UMLAUT}/{MISNAMED}" in (runner.temp / "dlgrade-junit.xml").read_text()


def test_the_gitlab_script_rejects_a_misnamed_upload(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    upload = runner.add_upload(MISNAMED)
    runner.commit("my solution")
    script = "\n".join(load(GITLAB)["dlgrade-check"]["script"])
    done = runner.run(script, CI_COMMIT_BEFORE_SHA=runner.base, CI_PIPELINE_SOURCE="push")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{upload}: REJECTED" in done.stdout
    root = validate_junit(runner.workspace / "dlgrade-junit.xml")
    assert root.find("testsuite/testcase[@name='intake']/failure") is not None


def test_the_tutors_batch_resumes_from_the_gradebook(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    runner.add_upload(MISNAMED, "uploads")
    runner.commit("an upload")
    script = step(TUTORS, "Grade the uploads")["run"]
    first = runner.run(script)
    assert first.returncode == 0, first.stdout + first.stderr
    graded = runner.workspace / "graded"
    assert {p.name for p in graded.iterdir()} >= {"grades.json", "grades.csv", "index.html",
                                                  "reports", "gradebook.sqlite"}
    assert "| rejected | 1 |" in runner.summary.read_text()
    second = runner.run(script)       # the cached gradebook restored: nothing is graded again
    assert second.returncode == 0 and "unchanged since the last run: kept" in second.stdout
    assert runner.run(script, DLGRADE_UPLOADS_DIR="missing").returncode == 2


def test_the_pre_commit_hook_runs_grade_check(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    upload = runner.add_upload(MISNAMED)
    [hook] = load(HOOKS)
    done = runner.run(f'{hook["entry"]} {upload}')
    assert done.returncode == 1 and f"{upload}: REJECTED" in done.stdout
