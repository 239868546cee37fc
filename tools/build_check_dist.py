"""Build the student distribution `dlgrade-check` (a wheel) from this project's `grader` sources.

    python tools/build_check_dist.py [--out dist]

Stages packaging/dlgrade-check/ (its pyproject.toml, with the project's version filled in, and
README.md) and a copy of grader/ in a temporary folder, builds a wheel there with pip (setuptools,
no network: `--no-build-isolation`), and checks the result: no `reference` package, no notebook,
no rubric, no input generator or known mistake of an assignment (only the comparators a kit may
run, `SHIPPED`), and no file that imports the reference. Prints the wheel's path.

Run it with the project's venv (setuptools and pip installed). The tutors host the wheel where
the students' CI can fetch it (a release asset) and name it, pinned, in DLGRADE_PACKAGE.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "packaging" / "dlgrade-check"
NAME = "dlgrade_check"
# The assignments' modules the student distribution holds: those of the comparators a kit may
# run (grader.kit.PUBLIC_COMPARATORS; kept in step by tests/test_check_dist.py). Not
# xor_compare: its forward pass is a working solution of the xor assignment.
SHIPPED = ("adam_compare",)
# A file of the wheel that would hand out or need the model solutions.
FORBIDDEN = re.compile(r"(^|/)(reference|dlgrade_rubrics)/|\.ipynb$|\.toml$"
                       r"|(^|/)assignments/(?!__init__\.py$)"
                       r"(?!(?:" + "|".join(SHIPPED) + r")\.py$)[^/]+\.py$")
# A module-level import (at column 0); tutor-only code may import it lazily, inside a function.
IMPORTS_REFERENCE = re.compile(rb"^(import reference|from reference[ .])", re.MULTILINE)


def project_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def stage(folder: Path) -> None:
    """The build folder: the distribution's config and a copy of grader/ (no caches)."""
    text = (CONFIG / "pyproject.toml").read_text(encoding="utf-8")
    (folder / "pyproject.toml").write_text(text.replace("@VERSION@", project_version()),
                                           encoding="utf-8")
    shutil.copy(CONFIG / "README.md", folder / "README.md")
    shutil.copytree(ROOT / "grader", folder / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for module in (folder / "grader" / "assignments").glob("*.py"):
        if module.name != "__init__.py" and module.stem not in SHIPPED:
            module.unlink()     # input generators, known mistakes, xor's forward: tutors' only


def problems(wheel: Path) -> list[str]:
    """What the wheel must not hold: the reference, notebooks, rubrics, a module importing the
    reference at its top level (lazy imports inside functions of tutor-only code are allowed)."""
    found = []
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if FORBIDDEN.search(name):
                found.append(f"{name}: must not be in the student distribution")
            elif name.endswith(".py") and IMPORTS_REFERENCE.search(zf.read(name)):
                found.append(f"{name}: imports the reference at module level")
    return found


def build(out: Path) -> Path:
    """Build the wheel into `out`; return its path.

    Raises:
        SystemExit: pip failed, or the wheel holds something it must not.
    """
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlgrade-check-build-") as tmp:
        staging = Path(tmp) / "src"
        staging.mkdir()
        stage(staging)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "-q", "-w", str(Path(tmp) / "dist"), str(staging)],
            capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"building {NAME} failed:\n{done.stderr[-3000:]}")
        (built,) = (Path(tmp) / "dist").glob(f"{NAME}-*.whl")
        found = problems(built)
        if found:
            raise SystemExit("the student distribution is not clean:\n" + "\n".join(found))
        target = out / built.name
        shutil.copy(built, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
