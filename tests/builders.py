"""Notebook builders named for their scenario (nbformat v4, in memory).

`notebook(*sources)` makes one code cell per source; `md("...")` marks a markdown cell, so cell
numbering (1-based over *all* cells, markdown included) is explicit in each test.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode


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
