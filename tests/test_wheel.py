"""A wheel, installed (not editable) into a fresh venv, grades, checks and releases from any folder.

The venv borrows this environment's third-party packages through a .pth file (so no torch is
downloaded) but gets `grader`, `reference` and the bundled rubrics only from the wheel.
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADAM = "adam/adam_regression_classification_solved_group_01.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the project's wheel; returns its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "-w", str(root / "dist"), str(ROOT)], cwd=root)
    assert built.returncode == 0, built.stderr[-2000:]
    run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root).check_returncode()
    target = Path(run([str(root / "venv" / "bin" / "python"), "-c",
                       "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                      cwd=root).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (target / "borrowed-deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    (wheel,) = (root / "dist").glob("dlgrade-*.whl")
    done = run([str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                "--no-index", str(wheel)], cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "venv" / "bin"


def test_the_installed_packages_are_the_wheels(installed: Path, tmp_path: Path) -> None:
    found = run([str(installed / "python"), "-c",
                 "import grader, reference, grader.bundle as b; "
                 "print(grader.__file__); print(reference.__file__); print(b.rubrics_dir())"],
                cwd=tmp_path)
    paths = found.stdout.split()
    assert len(paths) == 3, found.stderr
    assert all(str(installed.parent) in p for p in paths), paths
    assert sorted(p.name for p in Path(paths[2]).glob("*.toml")) == [
        "adam.toml", "conv3d.toml", "gradients.toml", "xor.toml"]


def test_release_check_and_grade_work_from_any_folder(installed: Path, tmp_path: Path) -> None:
    released = run([str(installed / "grade"), "release", "adam", "--out", "handouts"], tmp_path)
    assert released.returncode == 0, released.stderr
    handout = json.loads((tmp_path / "handouts" / "adam.ipynb").read_text())
    assert all(c.get("outputs", []) == [] for c in handout["cells"])

    upload = tmp_path / "subs" / Path(ADAM).name
    upload.parent.mkdir()
    shutil.copy(ROOT / "submissions" / ADAM, upload)
    checked = run([str(installed / "grade"), "check", str(upload)], tmp_path)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "VERDICT: OK" in checked.stdout

    graded = run([str(installed / "grade"), "subs", "--out", "graded", "--workers", "1"], tmp_path)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    (entry,) = json.loads((tmp_path / "graded" / "grades.json").read_text())["submissions"]
    assert (entry["status"], entry["score"], entry["max_score"]) == ("graded", 5.0, 5.0)


def test_the_installed_reference_is_out_of_the_kernels_reach(installed: Path,
                                                             tmp_path: Path) -> None:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "team", "metadata": {}, "source": "# Team\nAda Lovelace"},
        {"cell_type": "code", "id": "snoop", "metadata": {}, "execution_count": None,
         "outputs": [], "source": "import reference.adam"}]}
    upload = tmp_path / "adam_regression_classification_solved_group_02.ipynb"
    upload.write_text(json.dumps(nb))
    checked = run([str(installed / "grade"), "check", str(upload)], tmp_path)
    assert checked.returncode == 1
    assert "cell 2: ImportError: the grader's packages are not available" in checked.stdout
