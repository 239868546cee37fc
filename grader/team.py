"""The team-information rule: the cell that must name the group's members.

The rule reads the rubric's `[team]` cell: the `team.cell`-th cell that is not empty, counting
markdown and code cells alike and skipping cells that hold nothing or only whitespace, as a
person reading the notebook would (an export from Colab starts with an empty code cell). It
must exist, be filled in (not the handout's placeholder), and, where the rubric asks, name
every id of the file name's group (docs/assignments.md#team-information-from-02).
"""

from __future__ import annotations

import re

import nbformat

from grader.rubric import TeamRule


def cell_text(cell: nbformat.NotebookNode) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(str(s) for s in source) if isinstance(source, list) else str(source)


def team_cell(notebook: nbformat.NotebookNode, nth: int) -> tuple[int, str] | None:
    """The `nth` (1-based) cell that is not empty: (its 1-based position among all cells, its
    text); None when the notebook has fewer such cells."""
    filled = [(i, text) for i, text in enumerate(map(cell_text, notebook.cells), start=1)
              if text.strip()]
    return filled[nth - 1] if len(filled) >= nth else None


def _where(position: int, nth: int) -> str:
    """How a message names the team cell: "the first cell", "cell 3 (the first cell that is
    not empty)"."""
    if position == nth:
        return "the first cell" if position == 1 else f"cell {position}"
    which = "the first cell" if nth == 1 else f"cell {nth}"
    return f"cell {position} ({which} that is not empty)"


def _missing(notebook: nbformat.NotebookNode, team: TeamRule) -> str:
    asks = team.instructions
    if not notebook.cells:
        return f"team information: the notebook has no cells; the first cell must list {asks}."
    if team.cell == 1:
        return (f"team information: every cell of the notebook is empty; write {asks} in the "
                "first cell.")
    count = sum(1 for cell in notebook.cells if cell_text(cell).strip())
    return (f"team information: the notebook has only {count} cell(s) that are not empty; "
            f"cell {team.cell} of those must list {asks}.")


def team_problems(notebook: nbformat.NotebookNode, team: TeamRule, group: str) -> list[str]:
    """The team-information rule: the cell exists, is filled in, and names every id."""
    found = team_cell(notebook, team.cell)
    if found is None:
        return [_missing(notebook, team)]
    position, text = found
    where, asks = _where(position, team.cell), team.instructions
    problems = []
    if team.placeholder and team.placeholder.casefold() in text.casefold():
        problems.append(f"team information: {where} still says {team.placeholder!r}; replace "
                        f"it with {asks}.")
    if team.require_group_ids:
        missing = [i for i in group.split("_")
                   if i and not re.search(rf"(?<![0-9A-Za-z]){re.escape(i)}(?![0-9A-Za-z])", text)]
        if missing:
            problems.append(f"team information: {where} does not mention "
                            f"{', '.join(missing)} from the file name; every id in the file "
                            f"name must appear there. List {asks}.")
    return problems
