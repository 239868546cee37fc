"""`grade selfcheck` and `grade release` on the project's four assignments."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main

ASSIGNMENTS = ("adam", "conv3d", "gradients", "xor")


@pytest.mark.kernel
@pytest.mark.slow
def test_selfcheck_passes_for_every_assignment() -> None:
    result = CliRunner().invoke(main, ["selfcheck"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert sorted(line.split()[1].rstrip(":") for line in lines) == list(ASSIGNMENTS)
    assert all(line.startswith("ok") for line in lines), result.output


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_writes_a_clean_handout(tmp_path: Path, assignment: str) -> None:
    result = CliRunner().invoke(main, ["release", assignment, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    nb = nbformat.read(tmp_path / f"{assignment}.ipynb", as_version=4)
    nbformat.validate(nb)
    text = "\n".join(c.source for c in nb.cells)
    assert "SOLUTION" not in text and "YOUR ANSWER HERE" in text and "NotImplementedError" in text
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")
