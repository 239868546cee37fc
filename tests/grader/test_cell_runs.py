"""Cells as a student finds them: contract number, their own In [n], the first lines of code."""

from __future__ import annotations

import nbformat
from builders import md, notebook

from grader.cell_runs import CODE_LINES, MAX_CELL_RUNS, cell_runs


def _uploaded() -> nbformat.NotebookNode:
    nb = notebook(md("# Team"), "import numpy as np", md("text"),
                  "\n".join(f"x{i} = {i}" for i in range(10)), "y = 1 / 0")
    nb.cells[1].execution_count = 3
    nb.cells[3].execution_count = 11
    return nb


def test_each_timed_cell_with_its_count_and_the_pointed_ones_with_code() -> None:
    runs = cell_runs(_uploaded(), ((2, 0.5), (4, 1.25), (5, 0.01)), frozenset({5}), None)
    assert [(r.cell, r.seconds, r.execution_count) for r in runs] == [
        (2, 0.5, 3), (4, 1.25, 11), (5, 0.01, None)]
    assert runs[2].code == ("y = 1 / 0",) and runs[0].code == ()
    assert not any(r.stopped for r in runs)


def test_the_cell_a_run_stopped_in_shows_its_first_lines() -> None:
    stopped = cell_runs(_uploaded(), ((2, 0.5), (4, 120.0)), frozenset(), 4)[-1]
    assert stopped.stopped and len(stopped.code) == CODE_LINES
    assert stopped.code[0] == "x0 = 0" and stopped.more_lines == 10 - CODE_LINES


def test_a_long_notebook_keeps_the_slowest_cells_and_the_pointed_ones() -> None:
    nb = notebook(*(f"x = {i}" for i in range(MAX_CELL_RUNS + 50)))
    times = tuple((i, float(i)) for i in range(1, MAX_CELL_RUNS + 51))
    runs = cell_runs(nb, times, frozenset({1}), None)
    assert len(runs) == MAX_CELL_RUNS + 1
    assert runs[0].cell == 1 and runs[-1].cell == MAX_CELL_RUNS + 50


def test_hostile_code_is_printable_and_cut() -> None:
    nb = notebook("print('\x1b[2J' + 'x' * 1000)\n")
    (run,) = cell_runs(nb, ((1, 0.1),), frozenset({1}), None)
    assert "\x1b" not in run.code[0] and len(run.code[0]) <= 160
