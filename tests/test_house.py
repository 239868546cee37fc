"""The house keeps its shape: no module of grader/ over 350 lines, no function over 60.

The limits of issue 7, held by a test: a change that grows a module or a function past them
fails here, naming it. Split along a real seam (as grader/rubric_keys.py, grader/gradebook_schema.py
or grader/workdir.py were split out) rather than raising a limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULE_LINES = 350
FUNCTION_LINES = 60
MODULES = sorted((ROOT / "grader").rglob("*.py"))
CODE = sorted([*MODULES, *(ROOT / "reference").rglob("*.py")])


def long_functions(source: str, limit: int) -> list[tuple[str, int]]:
    """(name, lines) of every function in `source` (methods and nested ones too) over `limit`.

    A function's lines run from its `def` to its last line, docstring included, decorators not.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found.append((node.name, lines))
    return found


def _body(lines: int) -> str:
    return "".join(f"    x{i} = {i}\n" for i in range(lines))


@pytest.mark.parametrize(("source", "expected"), [
    ("def short():\n" + _body(3), []),
    ("def at_the_limit():\n" + _body(4), []),
    ("def over():\n" + _body(5), [("over", 6)]),
    ("@decorated\ndef over():\n" + _body(4), []),
    ("class A:\n    async def method(self):\n" + _body(5).replace("    ", "        "),
     [("method", 6)]),
    ("def outer():\n    def inner():\n" + _body(5).replace("    ", "        ") + "    return 1\n",
     [("outer", 8), ("inner", 6)]),
], ids=["short", "at-the-limit", "over", "decorator-not-counted", "async-method", "nested"])
def test_the_measure_counts_from_def_to_the_last_line(source: str,
                                                      expected: list[tuple[str, int]]) -> None:
    assert long_functions(source, 5) == expected


def test_no_module_of_the_grader_is_over_350_lines() -> None:
    assert len(MODULES) > 50
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in MODULES}
    over = {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > MODULE_LINES}
    assert not over, f"modules over {MODULE_LINES} lines: {over}"


def test_no_function_of_the_grader_or_the_reference_is_over_60_lines() -> None:
    assert len(CODE) > len(MODULES)
    over = {f"{path.relative_to(ROOT)}:{name}": lines for path in CODE
            for name, lines in long_functions(path.read_text(encoding="utf-8"), FUNCTION_LINES)}
    assert not over, f"functions over {FUNCTION_LINES} lines: {over}"
