"""Where the bundled course lives: its rubrics and its solved notebooks, installed or checked out.

In a checkout (or an editable install) the rubrics are the project's `rubrics/` folder; in a
wheel they are installed as the package-data package `dlgrade_rubrics` (pyproject.toml maps it to
`rubrics/`). The solved notebooks are package data of `reference` either way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

RUBRICS_PACKAGE = "dlgrade_rubrics"
CHECKOUT_RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"


def rubrics_dir() -> Path:
    """The bundled rubrics folder (`rubrics/` of the project)."""
    if CHECKOUT_RUBRICS.is_dir():
        return CHECKOUT_RUBRICS
    spec = importlib.util.find_spec(RUBRICS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return CHECKOUT_RUBRICS         # missing: load_rubrics names it in its error


def notebooks_dir() -> Path:
    """The solved reference notebooks (`reference/notebooks/<assignment id>.ipynb`).

    `reference` is imported here, not at module load: the student distribution has none.
    """
    import reference

    return Path(reference.__file__).resolve().parent / "notebooks"
