"""The trusted side of the small "demo" rubric the pipeline tests grade against.

Importable by module name (pytest puts this folder on sys.path, and spawned pool workers inherit
sys.path), so rubric TOML files written by the tests can name `support_demo:...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
reference = "{reference}"
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
                memory_mb: int = 2048, reference: str = "support_demo:double") -> str:
    """The demo rubric's TOML with some settings changed."""
    return RUBRIC.format(zero_error=str(zero_error).lower(), cell_timeout=cell_timeout,
                         total_timeout=total_timeout, memory_mb=memory_mb, reference=reference)


GOOD = [
    "import numpy as np\nimport matplotlib.pyplot as plt",
    "def double(x):\n    return 2 * np.asarray(x)",
    "answer = 0.4102",
    "plt.plot([0, 1], [0, 1])\nplt.show()",
]


def demo_rubrics(folder: Path, **settings: Any) -> Path:
    """Write the demo rubric (`rubric_text(**settings)`) as `folder/demo.toml`; return `folder`.

    The `demo_rubrics` fixture (tests/grader/conftest.py) is this folder in the test's tmp_path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.toml").write_text(rubric_text(**settings))
    return folder
