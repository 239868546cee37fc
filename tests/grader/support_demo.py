"""The trusted side of the small "demo" rubric the pipeline tests grade against.

Importable by module name (pytest puts this folder on sys.path, and spawned pool workers inherit
sys.path), so rubric TOML files written by the tests can name `support_demo:...`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.probe_runtime import Case


def double(x: np.ndarray) -> np.ndarray:
    """The reference: 2 * x, any shape."""
    return 2.0 * x


def broken_double(x: np.ndarray) -> np.ndarray:
    """A reference with a bug: a rubric naming it is a grader fault, not the student's."""
    raise KeyError("a bug in the reference")


def double_cases(rng: np.random.Generator) -> list[Case]:
    """Three fresh inputs of different shapes."""
    return [Case((rng.normal(size=shape),), label=f"shape {shape}") for shape in [(3,), (2, 4), ()]]


def answer() -> float:
    """The expected value of the student's variable `answer`."""
    return 0.410184295


RUBRIC = """\
id = "demo"
title = "Demo assignment"
pattern = '^demo_(?P<group>\\d{{2}})\\.ipynb$'
expected = "demo_NN.ipynb with a two-digit group number NN"
upload = "notebook"
zero_error = {zero_error}

[limits]
cell_timeout = {cell_timeout}
total_timeout = {total_timeout}
memory_mb = {memory_mb}

[team]
cell = 1
placeholder = "YOUR ANSWER HERE"

[[checks]]
id = "double"
points = 2
kind = "call"
symbol = "double"
reference = "support_demo:double"
inputs = "support_demo:double_cases"
timeout = 3

[[checks]]
id = "answer"
points = 1
kind = "variable"
symbol = "answer"
reference = "support_demo:answer"
rtol = 0.0
atol = 1e-3

[[checks]]
id = "figure"
points = 1
kind = "figure"
"""


def rubric_text(zero_error: bool = True, cell_timeout: float = 6, total_timeout: float = 40,
                memory_mb: int = 2048) -> str:
    return RUBRIC.format(zero_error=str(zero_error).lower(), cell_timeout=cell_timeout,
                         total_timeout=total_timeout, memory_mb=memory_mb)


GOOD = [
    "import numpy as np\nimport matplotlib.pyplot as plt",
    "def double(x):\n    return 2 * np.asarray(x)",
    "answer = 0.4102",
    "plt.plot([0, 1], [0, 1])\nplt.show()",
]


def write_demo_notebook(path: Path, *cells: str, team: str = "# Team\nAda Lovelace") -> Path:
    """A notebook upload at `path`: the team cell, then one code cell per source."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(team)] + [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb))
    return path


def demo_rubrics(tmp_path: Path) -> Path:
    """A rubrics folder holding only the demo rubric."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "demo.toml").write_text(rubric_text())
    return folder
