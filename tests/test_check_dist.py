"""The student distribution `dlgrade-check`, installed into a fresh venv, checks from a kit and
holds no model solution: `import reference` fails there, and the verdicts are right anyway.

Built by tools/build_check_dist.py from this checkout's grader/; the venv borrows this
environment's third-party packages through a .pth file (no torch download) and gets `grader`
only from the wheel. The kit is released here, on the tutors' side, as `grade release` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from tools_loader import tool

from grader import kit_release
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "submissions" / "adam" / "adam_regression_classification_solved_group_01.ipynb"
WRONG = ROOT / "submissions" / "adam" / "adam_regression_classification_solved_group_02.ipynb"
FAILING = ["adam_step", "adam_chain", "train_linreg", "train_logreg"]   # no bias correction
REASON = "the public checks score 1 of 5 points, below the required 5 (100%)"

pytestmark = [pytest.mark.slow]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built: Path = tool("build_check_dist").build(tmp_path_factory.mktemp("dist"))
    return built


@pytest.fixture(scope="module")
def student(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the student wheel (deps borrowed); returns its bin folder."""
    root = tmp_path_factory.mktemp("student")
    run([sys.executable, "-m", "venv", str(root / "venv")], root).check_returncode()
    python = root / "venv" / "bin" / "python"
    target = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                       "['purelib'])"], root).stdout.strip())
    (target / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                str(wheel)], root)
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "venv" / "bin"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release")
    return kit_release.write_kit(load_rubric(ROOT / "rubrics" / "adam.toml"), out).folder


def test_the_wheel_holds_the_grader_and_no_solution(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith("dlgrade_check-")
    assert "grader/checkone.py" in names and "grader/kit.py" in names
    assert not [n for n in names if n.startswith(("reference/", "dlgrade_rubrics/"))]
    assert not [n for n in names if n.endswith((".ipynb", ".toml"))]
    assert tool("build_check_dist").problems(wheel) == []
    shipped = {n for n in names if n.startswith("grader/assignments/")}
    assert shipped == {"grader/assignments/__init__.py", "grader/assignments/adam_compare.py"}


def test_the_shipped_comparator_modules_are_the_public_comparators_ones() -> None:
    from grader.kit import PUBLIC_COMPARATORS

    modules = {name.split(":")[0].rsplit(".", 1)[1] for name in PUBLIC_COMPARATORS}
    assert modules == set(tool("build_check_dist").SHIPPED)
    assert tool("build_check_dist").FORBIDDEN.search("grader/assignments/xor_compare.py")


def test_its_dependencies_are_the_projects_own_pins() -> None:
    import tomllib

    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    config = ROOT / "packaging" / "dlgrade-check" / "pyproject.toml"
    theirs = tomllib.loads(config.read_text())["project"]["dependencies"]
    assert set(theirs) <= set(ours) and "torch==2.13.0" in theirs


def test_reference_cannot_be_imported_and_without_a_kit_it_says_so(
        student: Path, tmp_path: Path) -> None:
    found = run([str(student / "python"), "-c", "import reference"], tmp_path)
    assert found.returncode == 1 and "No module named 'reference'" in found.stderr
    bare = run([str(student / "grade"), "check", str(CORRECT)], tmp_path)
    assert bare.returncode == 2 and "pass --kit KIT" in bare.stderr


def test_grade_version_works_in_the_student_distribution(student: Path, tmp_path: Path) -> None:
    done = run([str(student / "grade"), "--version"], tmp_path)     # the CI templates run it
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"grade, version {wheel_version(student)}\n"
    assert wheel_version(student)


@pytest.mark.kernel
def test_the_correct_upload_passes_from_the_kit(student: Path, kit: Path, tmp_path: Path) -> None:
    done = run([str(student / "grade"), "check", "--kit", str(kit), "--min-score", "100%",
                str(CORRECT)], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "public checks: 5 of 5 points, 6 of 6 pass" in done.stdout
    assert "VERDICT: OK" in done.stdout


@pytest.mark.kernel
def test_the_wrong_upload_fails_with_the_reason_in_json_and_junit(
        student: Path, kit: Path, tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    done = run([str(student / "grade"), "check", "--kit", str(kit), "--min-score", "100%",
                "--format", "json", "--junit-xml", str(xml), str(WRONG)], tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    document = json.loads(done.stdout)
    assert document["passed"] is False and document["failed"] == [str(WRONG)]
    [record] = document["submissions"]
    assert record["status"] == "graded" and record["score"] == 1.0
    assert [c["id"] for c in record["checks"] if c["status"] == "fail"] == FAILING
    [adam_step] = [c["message"] for c in record["checks"] if c["id"] == "adam_step"]
    assert adam_step.startswith("adam_step (case 1")
    assert "): theta: got " in adam_step          # named as the batch names it, not "output [0]"
    assert document["grader_version"] == wheel_version(student)
    text = xml.read_text()
    assert 'name="min-score"' in text and REASON in text
    assert all(f'name="{check}"' in text for check in FAILING)


@pytest.mark.kernel
def test_the_wrong_upload_fails_with_the_reason_in_github_commands(
        student: Path, kit: Path, tmp_path: Path) -> None:
    done = run([str(student / "grade"), "check", "--kit", str(kit), "--min-score", "100%",
                "--format", "github", str(WRONG)], tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    titles = [line.split("title=")[1].split("::")[0] for line in done.stdout.splitlines()
              if line.startswith("::error ")]
    assert titles == [f"check {c} (0/{p} points)" for c, p in
                      zip(FAILING, ("1.5", "0.5", "1", "1"))] + ["below the required score"]
    assert REASON.replace(",", "%2C") in done.stdout or REASON in done.stdout


def wheel_version(student: Path) -> str:
    found = run([str(student / "python"), "-c", "from importlib import metadata; "
                 "print(metadata.version('dlgrade-check'))"], student)
    return found.stdout.strip()
