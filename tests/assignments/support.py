"""What every assignment's tests check the same way: the input generators' contract and the
reference notebook's release conventions (through `grader.release.release_notebook`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from probing import cases

from grader import probe_runtime as rt
from grader.release import MARKDOWN_STUB, release_notebook
from grader.rubric import CheckSpec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "reference" / "notebooks"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
GRADER_IMPORT = re.compile(r"^\s*(from|import)\s+(reference|grader)\b", re.M)


# ----------------------------------------------------------------------------- generators
def valid_argument(value: Any) -> bool:
    """Only what the probe protocol sends: float64 arrays, plain scalars, str, Tensor, Fn."""
    if isinstance(value, np.ndarray):
        return value.dtype == np.float64
    if type(value) in (float, int, bool, str) or value is None:
        return True
    if isinstance(value, rt.Tensor):
        return value.array.dtype == np.float64
    if isinstance(value, rt.Fn):
        return value.name in rt.CALLABLES and all(valid_argument(a) for a in value.args)
    if isinstance(value, (list, tuple)):
        return all(valid_argument(v) for v in value)
    return False


def same_argument(a: Any, b: Any) -> bool:
    """Structural equality of two case arguments (arrays bit for bit)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, rt.Tensor):
        return (isinstance(b, rt.Tensor) and a.requires_grad == b.requires_grad
                and same_argument(a.array, b.array))
    if isinstance(a, rt.Fn):
        return isinstance(b, rt.Fn) and a.name == b.name and same_argument(a.args, b.args)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_argument, a, b))
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same_argument(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


def assert_generator_contract(check: CheckSpec, seeds: range = range(5)) -> None:
    """3 to 8 valid, labelled cases; the same seed gives the same cases."""
    for seed in seeds:
        first, again = cases(check, seed), cases(check, seed)
        assert 3 <= len(first) <= 8, f"{check.id}: {len(first)} cases"
        labels = [c.label for c in first]
        assert all(labels) and len(set(labels)) == len(labels), labels
        for a, b in zip(first, again):
            assert valid_argument(a.args) and valid_argument(tuple(a.kwargs.values())), a.label
            assert all(type(k) is str for k in a.kwargs)
            assert same_argument(a.args, b.args) and same_argument(dict(a.kwargs), dict(b.kwargs))


# ----------------------------------------------------------------------------- notebooks
def reference_notebook(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{assignment}.ipynb", as_version=4)


def definitions(nb: nbformat.NotebookNode) -> dict[str, ast.FunctionDef]:
    """The top-level functions the notebook's code cells define, by name."""
    found: dict[str, ast.FunctionDef] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            found.update({n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)})
    return found


def assert_release_conventions(assignment: str, team_title: str, graded: tuple[str, ...]) -> None:
    """The shared conventions of a reference notebook: a team cell whose answer is a solution
    region, no import of the grader's packages, and a handout (`release_notebook`) in which every
    graded function is still a `def` whose body ends in the stub."""
    nb = reference_notebook(assignment)
    team = nb.cells[0]
    assert team.cell_type == "markdown" and team.source.startswith(team_title)
    assert MD_BEGIN in team.source and MD_END in team.source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not GRADER_IMPORT.search(cell.source), cell.source[:80]
    student = release_notebook(nb)          # raises on unbalanced or nested markers
    assert student.cells[0].source == f"{team_title}{MARKDOWN_STUB}"
    assert_stubs_end_in_raise(student, graded)


def assert_stubs_end_in_raise(student: nbformat.NotebookNode, graded: tuple[str, ...]) -> None:
    """In a released notebook every graded function is still a def whose body ends in the stub."""
    defined = definitions(student)
    for name in graded:
        assert name in defined, f"{name} is not defined by a def in the student version"
        last = defined[name].body[-1]
        assert isinstance(last, ast.Raise) and "NotImplementedError" in ast.unparse(last), name
