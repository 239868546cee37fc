"""Which student cells ran, for how long, and how a student finds them in their own notebook.

The contract numbers cells by their position among all cells ("cell 19"); Jupyter shows the
execution count of the student's last run ("In [11]"). `cell_runs` pairs each cell the grader
ran with its seconds and the uploaded notebook's execution count, and keeps the first lines of
the cells a report points at (those that raised, the one a timeout or crash stopped in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.text import printable

CODE_LINES = 6          # lines of a cell's code shown
LINE_CHARS = 160
MAX_CELL_RUNS = 200     # cells listed (the slowest kept, and every cell a report points at)
MAX_CODE_CELLS = 5      # cells whose code is kept


@dataclass(frozen=True)
class CellRun:
    """One student cell the grader ran.

    Attributes:
        cell: 1-based among all cells of the notebook (the contract's "cell 19").
        seconds: how long it ran in the grader's kernel.
        execution_count: its "In [n]" in the uploaded notebook (None: not run before saving).
        code: its first lines, when a report points at it (it raised, or the run stopped in it).
        more_lines: how many lines of code follow those shown.
        stopped: the run ended in this cell (a timeout or a crash).
    """

    cell: int
    seconds: float
    execution_count: int | None = None
    code: tuple[str, ...] = ()
    more_lines: int = 0
    stopped: bool = False


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _count(cell: Mapping[str, Any]) -> int | None:
    count = cell.get("execution_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def cell_runs(notebook: Mapping[str, Any], cell_seconds: tuple[tuple[int, float], ...],
              pointed: frozenset[int], stopped: int | None) -> tuple[CellRun, ...]:
    """Every timed cell (at most MAX_CELL_RUNS: the slowest and the pointed-at ones), in order.

    Args:
        notebook: the uploaded notebook (nbformat v4), as intake read it.
        cell_seconds: (cell, seconds) from the execution, in order.
        pointed: cells whose code the report shows (those that raised).
        stopped: the cell a timeout or crash ended the run in, if any.
    """
    cells = notebook.get("cells", [])
    keep = {c for c, _ in sorted(cell_seconds, key=lambda cs: -cs[1])[:MAX_CELL_RUNS]}
    show = set(sorted(pointed)[:MAX_CODE_CELLS - 1]) | ({stopped} if stopped else set())
    keep |= show
    out = []
    for cell, seconds in cell_seconds:
        if cell not in keep:
            continue
        source = cells[cell - 1] if 0 < cell <= len(cells) else {}
        lines = _source(source).splitlines() if cell in show else []
        code = tuple(_line(line) for line in lines[:CODE_LINES])
        out.append(CellRun(cell, round(seconds, 3), _count(source), code,
                           max(0, len(lines) - CODE_LINES), cell == stopped))
    return tuple(out)


def _line(text: str) -> str:
    shown = printable(text[:4 * LINE_CHARS]).replace("\n", " ")
    return shown if len(shown) <= LINE_CHARS else shown[:LINE_CHARS - 1] + "…"
