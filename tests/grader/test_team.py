"""The team rule as the bundled rubrics apply it, on notebooks exported from Colab, VS Code and
JupyterLab (grader.team, rubrics/*.toml, docs/assignments.md#team-information-from-02).

The exports are made from the solved reference notebooks (the .ipynb files are the source) by
the edits in EXPORTS: each editor's notebook metadata, cell ids and nbformat version, and the
empty cell it leaves at the top. `adam` and `xor` read the team cell after that empty cell;
`conv3d` has no team rule, so its exports drop the team cell altogether.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader import bundle
from grader.batch import grade_all
from grader.discover import Upload, upload_of
from grader.intake import Accepted, Rejected, intake
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.rubric import Rubric, TeamRule, load_rubrics
from grader.runners import LocalPool
from grader.team import team_cell, team_problems

RUBRICS = {r.id: r for r in load_rubrics(bundle.rubrics_dir())}
PDF = b"%PDF-1.4\n% theory answers\n%%EOF\n"


@dataclass(frozen=True)
class Export:
    """How an editor saves a notebook.

    Attributes:
        minor: nbformat_minor written.
        metadata: the notebook metadata written (kernelspec, language_info, the editor's own).
        ids: where cell ids go: "field" (nbformat 4.5 `id`), "metadata" (Colab's `metadata.id`).
        lead: the empty cell the editor leaves at the top.
    """

    minor: int
    metadata: dict[str, Any]
    ids: str
    lead: dict[str, Any] = field(default_factory=dict)


EXPORTS = {
    "colab": Export(0, {"colab": {"provenance": [], "toc_visible": True},
                        "kernelspec": {"name": "python3", "display_name": "Python 3"},
                        "language_info": {"name": "python"}, "accelerator": "GPU"},
                    "metadata", {"cell_type": "code", "execution_count": None, "metadata": {},
                                 "outputs": [], "source": []}),
    "vscode": Export(2, {"kernelspec": {"display_name": ".venv", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python", "version": "3.11.7",
                                           "mimetype": "text/x-python"},
                         "vscode": {"interpreter": {"hash": "0" * 64}}},
                     "field", {"cell_type": "markdown", "metadata": {}, "source": [""]}),
    "jupyterlab": Export(5, {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                            "language": "python", "name": "python3"},
                             "language_info": {"codemirror_mode": {"name": "ipython",
                                                                   "version": 3},
                                               "name": "python", "version": "3.11.7"}},
                         "field", {"cell_type": "code", "execution_count": None, "metadata": {},
                                   "outputs": [], "source": ["   \n", "\t\n"]}),
}
ASSIGNMENTS = ("adam", "xor", "conv3d")
CASES = [(a, e) for a in ASSIGNMENTS for e in EXPORTS]
IDS = [f"{a}-{e}" for a, e in CASES]


def exported(assignment: str, editor: str, team: str | None = None) -> dict[str, Any]:
    """The solved reference notebook as `editor` would save it; `team` replaces the team
    cell's text (conv3d: the team cell is left out)."""
    source = json.loads((bundle.notebooks_dir() / f"{assignment}.ipynb").read_text())
    export = EXPORTS[editor]
    cells = [dict(c) for c in source["cells"]]
    if RUBRICS[assignment].team is None:
        cells = cells[1:]
    elif team is not None:
        cells[0]["source"] = team
    cells = [dict(export.lead)] + cells
    for i, cell in enumerate(cells):
        cell.pop("id", None)
        cell["metadata"] = dict(cell.get("metadata", {}))
        if export.ids == "field":
            cell["id"] = f"{editor}-{i:04d}"
        else:
            cell["metadata"]["id"] = f"Xy{i:010d}"
        if isinstance(cell["source"], str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    return {"cells": cells, "metadata": export.metadata, "nbformat": 4,
            "nbformat_minor": export.minor}


def upload_bytes(rubric: Rubric, notebook: dict[str, Any]) -> bytes:
    raw = json.dumps(notebook, indent=1).encode()
    if rubric.upload != "zip":
        return raw
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sheet06/sheet06.ipynb", raw)
        archive.writestr("sheet06/theory.pdf", PDF)
    return buffer.getvalue()


def as_upload(folder: Path, assignment: str, notebook: dict[str, Any]) -> Upload:
    rubric = RUBRICS[assignment]
    data = upload_bytes(rubric, notebook)
    path = folder / rubric.example
    path.write_bytes(data)
    return upload_of(path, rubric.example)


def test_the_bundled_rubrics_ask_for_team_information_as_the_assignments_do() -> None:
    assert {r.id: r.team is not None for r in RUBRICS.values()} == {
        "adam": True, "xor": True, "conv3d": False, "gradients": False}
    assert all(r.team is None or r.team.cell == 1 for r in RUBRICS.values())


@pytest.mark.parametrize(("assignment", "editor"), CASES, ids=IDS)
def test_an_export_of_correct_work_is_accepted(tmp_path: Path, assignment: str,
                                               editor: str) -> None:
    verdict = intake(as_upload(tmp_path, assignment, exported(assignment, editor)),
                     tuple(RUBRICS.values()))
    assert isinstance(verdict, Accepted), getattr(verdict, "messages", "")
    assert verdict.rubric.id == assignment


@pytest.mark.parametrize(("assignment", "editor"), [c for c in CASES if c[0] != "conv3d"],
                         ids=[i for i in IDS if not i.startswith("conv3d")])
def test_after_the_empty_cell_the_team_rule_still_holds(tmp_path: Path, assignment: str,
                                                        editor: str) -> None:
    notebook = exported(assignment, editor, team="# Team\nYOUR ANSWER HERE")
    verdict = intake(as_upload(tmp_path, assignment, notebook), tuple(RUBRICS.values()))
    assert isinstance(verdict, Rejected)
    assert verdict.messages[0].startswith("team information: cell 2 (the first cell that is not "
                                          "empty) still says 'YOUR ANSWER HERE'")


@pytest.mark.parametrize(("sources", "nth", "expected"), [
    (["", "  \n", "# Team\nAda"], 1, (3, "# Team\nAda")),
    ([["", "\t"], ["# Team\n", "Ada"]], 1, (2, "# Team\nAda")),
    (["a", "", "b"], 2, (3, "b")),
    (["", " "], 1, None),
    ([], 1, None),
], ids=["skips-empty-and-blank", "lists-of-lines", "second", "only-blank", "no-cells"])
def test_team_cell_is_the_nth_cell_with_text(sources: list[Any], nth: int,
                                             expected: tuple[int, str] | None) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])
    assert team_cell(nb, nth) == expected


def test_a_code_cell_can_hold_the_team_information() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(""),
                                         nbformat.v4.new_code_cell("# Ada Lovelace, 1234567")])
    rule = TeamRule(require_group_ids=True, placeholder="YOUR ANSWER HERE")
    assert team_problems(nb, rule, "1234567") == []
    assert team_problems(nb, rule, "1234567_7654321") == [
        "team information: cell 2 (the first cell that is not empty) does not mention 7654321 "
        "from the file name; every id in the file name must appear there. List the name of "
        "every group member."]


@pytest.mark.kernel
@pytest.mark.slow
def test_every_export_of_correct_work_gets_full_marks(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    for assignment, editor in CASES:
        folder = submissions / editor
        folder.mkdir(parents=True, exist_ok=True)
        as_upload(folder, assignment, exported(assignment, editor))
    result = grade_all(submissions, tmp_path / "graded", Options(rubrics_dir=bundle.rubrics_dir()),
                       LocalPool(2), force=False, progress=PlainProgress())
    assert result.failures == ()
    short = {g.file: (g.status, g.score, g.max_score, g.messages) for g in result.grades
             if (g.status, g.score) != ("graded", g.max_score)}
    assert len(result.grades) == len(CASES) and not short, short
