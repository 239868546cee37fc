"""Every notebook the tests build, in one module.

* In memory (nbformat v4): `notebook(*sources)` makes one code cell per source; `md("...")` marks a
  markdown cell, so cell numbering (1-based over *all* cells, markdown included) is explicit in
  each test. Scenario builders (`error_notebook()`, ...) are named for what they do.
* Uploads: `team_notebook(*sources, team=...)` (the team cell, then code cells),
  `team_notebook_bytes(...)` and `write_team_notebook(path, ...)`.
* Solved notebooks for `grade release`: `make_code`, `make_markdown` (cells with any field
  overridden) and `make_notebook(*cells)` (with a kernelspec).
* Raw JSON, for the notebook-format rules (malformed on purpose where a test says so):
  `notebook_dict(...)`, `code_cell(...)`, `notebook_bytes(...)`, `v3_notebook_bytes()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

DEMO_TEAM = "# Team\nAda Lovelace"


@dataclass(frozen=True)
class md:  # noqa: N801 - reads as a cell kind in notebook(...) calls
    """A markdown cell's text inside `notebook(...)`."""

    text: str


def notebook(*cells: str | md, markdown_first: bool = False) -> NotebookNode:
    """A notebook with a code cell per string and a markdown cell per `md(...)`.

    Args:
        cells: cell sources in order.
        markdown_first: put a "# Title" markdown cell before them (so code starts at cell 2).
    """
    items: list[str | md] = [md("# Title")] if markdown_first else []
    items += cells
    built = [nbformat.v4.new_markdown_cell(c.text) if isinstance(c, md)
             else nbformat.v4.new_code_cell(c) for c in items]
    return nbformat.v4.new_notebook(cells=built)


def clean_notebook() -> NotebookNode:
    """Markdown, then a few quick cells that all succeed."""
    return notebook("x = 1 + 1", "import math\ny = math.sqrt(16)", "print(x, y)",
                    markdown_first=True)


def error_notebook() -> NotebookNode:
    """Cell 3 (after a markdown cell and a good cell) divides by zero; cell 4 still runs."""
    return notebook("a = 1", "1 / 0", "b = 2", markdown_first=True)


def infinite_loop_notebook() -> NotebookNode:
    """Cell 2 never ends."""
    return notebook("x = 1", "while True:\n    pass", "y = 2", markdown_first=False)


def interrupt_swallowing_notebook() -> NotebookNode:
    """Cell 1 loops forever and ignores KeyboardInterrupt (SIGINT)."""
    return notebook(
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(1)\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n")


def exiting_notebook() -> NotebookNode:
    """Cell 2 kills its own kernel."""
    return notebook("x = 1", "import os\nos._exit(1)", "y = 2")


def huge_allocation_notebook(source: str) -> NotebookNode:
    """Markdown, then one cell allocating far more than any memory limit."""
    return notebook(source, markdown_first=True)


def print_flood_notebook(megabytes: int = 200) -> NotebookNode:
    """Cell 1 prints `megabytes` MB of text; cell 2 prints a marker."""
    return notebook(f"for _ in range({megabytes * 10}):\n    print('x' * 100_000)",
                    "print('after the flood')")


def plot_notebook() -> NotebookNode:
    """One figure shown with plt.show()."""
    return notebook("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()")


def probe_notebook(source: str) -> NotebookNode:
    """A single code cell that runs `source` (a probe of the kernel's surroundings)."""
    return notebook(source)


# ----------------------------------------------------------------------------- uploads
def team_notebook(*sources: str, team: str = DEMO_TEAM) -> NotebookNode:
    """An upload: a markdown team cell `team`, then one code cell per source."""
    return notebook(md(team), *sources)


def team_notebook_bytes(*sources: str, team: str = DEMO_TEAM) -> bytes:
    """`team_notebook(...)` as the bytes of an .ipynb file."""
    return nbformat.writes(team_notebook(*sources, team=team)).encode()


def write_team_notebook(path: Path, *sources: str, team: str = DEMO_TEAM) -> Path:
    """Write `team_notebook(...)` at `path` (folders created); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(team_notebook_bytes(*sources, team=team))
    return path


# ----------------------------------------------------------------------------- solved notebooks
def make_code(source: str, **overrides: Any) -> NotebookNode:
    """A code cell with any field (outputs, execution_count, metadata, id) overridden."""
    cell = nbformat.v4.new_code_cell(source)
    cell.update(overrides)
    return cell


def make_markdown(source: str, **overrides: Any) -> NotebookNode:
    """A markdown cell with any field (metadata, attachments, id) overridden."""
    cell = nbformat.v4.new_markdown_cell(source)
    cell.update(overrides)
    return cell


def make_notebook(*cells: NotebookNode, **metadata: Any) -> NotebookNode:
    """A notebook of these cells with a python3 kernelspec (plus any notebook `metadata`)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}, **metadata}
    for i, cell in enumerate(cells, start=1):
        cell.setdefault("id", f"c{i}")
    nb.cells = list(cells)
    return nb


# ----------------------------------------------------------------------------- raw JSON
def notebook_dict(cells: list[dict[str, Any]] | None = None, first: str | None = "# Team\nAda",
                  nbformat: int = 4, minor: int = 5) -> dict[str, Any]:
    """A v4 notebook as JSON data: a markdown team cell `first` (unless None), then `cells`."""
    body = [] if first is None else [{"cell_type": "markdown", "metadata": {}, "source": first}]
    body += cells if cells is not None else [code_cell("x = 1")]
    if minor >= 5:
        for i, cell in enumerate(body):
            cell.setdefault("id", f"c{i}")
    return {"cells": body, "metadata": {}, "nbformat": nbformat, "nbformat_minor": minor}


def code_cell(source: str | list[str]) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
            "execution_count": None}


def notebook_bytes(**kwargs: Any) -> bytes:
    """`notebook_dict(**kwargs)` as UTF-8 JSON bytes."""
    return json.dumps(notebook_dict(**kwargs), ensure_ascii=False).encode("utf-8")


def v3_notebook_bytes() -> bytes:
    """A notebook in the old v3 format (worksheets): a team cell and one code cell."""
    nb = nbformat.v3.new_notebook()
    sheet = nbformat.v3.new_worksheet()
    sheet.cells.append(nbformat.v3.new_text_cell("markdown", source="# Team\nAda"))
    sheet.cells.append(nbformat.v3.new_code_cell(input="x = 1"))
    nb.worksheets.append(sheet)
    return nbformat.writes(nb, version=3).encode()
