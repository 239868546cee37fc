"""reference/notebooks/*.ipynb are committed executed and normalised (read here, no kernel started).

They are the source a tutor edits in Jupyter; `tools/run_reference_notebooks.py` runs them and
writes them back. That they grade full marks (and their handouts zero) is `grade selfcheck`'s job
(tests/grader/test_selfcheck.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from probing import Rubrics
from tools_loader import tool

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "reference" / "notebooks").glob("*.ipynb"))
#: figures each notebook shows at least (the rubric's figure check needs one; xor plots two)
MIN_IMAGES = {"adam": 1, "conv3d": 0, "gradients": 1, "xor": 2}


def image_outputs(nb: nbformat.NotebookNode) -> int:
    return sum(any(k.startswith("image/") for k in output.get("data", {}))
               for cell in nb.cells for output in cell.get("outputs", []))


def test_every_project_rubric_has_its_reference_notebook(rubrics: Rubrics) -> None:
    assert {p.stem for p in NOTEBOOKS} == set(rubrics.by_id) == set(MIN_IMAGES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_normalised(path: Path) -> None:
    """Running the tool's normaliser again changes nothing: fixed ids, no volatile metadata."""
    assert tool("run_reference_notebooks").is_normalised(path), \
        f"run tools/run_reference_notebooks.py {path.stem}"
    nb = nbformat.read(path, as_version=4)
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)
    assert all("execution" not in cell.metadata and "ExecuteTime" not in cell.metadata
               for cell in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_was_run_top_to_bottom_without_errors(path: Path, rubrics: Rubrics) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, [f"{o.ename}: {o.evalue}" for o in errors]
    has_figure_check = any(c.kind == "figure" for c in rubrics[path.stem].checks)
    assert image_outputs(nb) >= max(MIN_IMAGES[path.stem], int(has_figure_check))
