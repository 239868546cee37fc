"""The team-information rule: the cell that must name the group's members.

The rule reads the rubric's `[team]` cell; it must exist, be filled in (not the handout's
placeholder), and, where the rubric asks, name every id of the file name's group.
"""

from __future__ import annotations

import re

import nbformat

from grader.rubric import TeamRule


def team_problems(notebook: nbformat.NotebookNode, team: TeamRule, group: str) -> list[str]:
    """The team-information rule: the cell exists, is filled in, and names every id."""
    where = "the first cell" if team.cell == 1 else f"cell {team.cell}"
    asks = team.instructions
    if len(notebook.cells) < team.cell:
        count = f"only {len(notebook.cells)} cell(s)" if notebook.cells else "no cells"
        return [f"team information: the notebook has {count}; {where} must list {asks}."]
    source = notebook.cells[team.cell - 1].get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    if not text.strip():
        return [f"team information: {where} is empty; write {asks} there."]
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
