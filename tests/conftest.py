"""Shared pytest options and fixtures for the whole test suite."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from probing import Rubrics


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing (review the diff)",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """`golden(path, actual)`: assert `actual` equals the golden file, or rewrite it with
    `--update-goldens`."""
    update = bool(request.config.getoption("--update-goldens"))

    def check(path: Path, actual: str) -> None:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual.encode("utf-8"))
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-goldens and review it")
        expected = path.read_bytes().decode("utf-8")
        assert actual == expected, f"output differs from golden {path} (pytest --update-goldens)"

    return check


def _processes_touching(path: Path) -> list[str]:
    """Live processes whose command line mentions `path` or whose cwd lies inside it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = str((entry / "cwd").readlink()) if (entry / "cwd").exists() else ""
        except OSError:
            continue
        if str(path) in cmdline or cwd == str(path) or cwd.startswith(f"{path}/"):
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


@pytest.fixture
def no_leftover_processes(tmp_path: Path) -> Callable[[], None]:
    """`check()` fails if any process still runs in, or names, this test's tmp_path."""

    def check() -> None:
        left = _processes_touching(tmp_path)
        assert not left, f"processes left behind: {left}"

    return check


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def bundled_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grade the bundled submissions/ once per session with the real `grade` command.

    Returns the output folder (treat it as read-only: copy it to change it).
    """
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("bundled") / "graded"
    done = subprocess.run([sys.executable, "-m", "grader", str(ROOT / "submissions"),
                           "--out", str(out), "--workers", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def bundled_grades(bundled_output: Path) -> dict[str, dict[str, object]]:
    """grades.json's SUBMISSION objects of the bundled batch, keyed by their `file` (relative to
    submissions/)."""
    import json

    document = json.loads((bundled_output / "grades.json").read_text())
    return {s["file"]: s for s in document["submissions"]}


@pytest.fixture(scope="session")
def rubrics() -> Rubrics:
    """The project's rubrics (rubrics/*.toml), loaded once: `rubrics["adam"]`,
    `rubrics.check("adam", "gd_step")`, `rubrics.folder`."""
    return Rubrics()
