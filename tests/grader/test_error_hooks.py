"""What a notebook does to the kernel's error reporting is found and, under the zero-error rule,
scores 0 (grader.error_hooks, its kernel side grader.error_hooks_runtime, and the `error`
messages the grader counts itself).

Every upload is graded against the small "demo" rubric (zero-error rule on); the batch runs
once per module and each test reads its own upload's grade.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
import support_demo
from support_demo import GOOD

from grader import error_hooks
from grader.batch import grade_all
from grader.cell_error import CellError
from grader.execution import ExtraOutcome
from grader.extract import read_findings
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.runners import LocalPool
from grader.score import Grade

TEAM = "# Team\nAda Lovelace, Alan Turing"
CHANGED = "the notebook changed how the kernel reports errors: "

# The notebook: the kernel replies "ok" for a cell that raised.
HIDE_RESULT = ("def hide(result):\n    result.error_in_exec = None\n"
               "get_ipython().events.register('post_run_cell', hide)")
HIDE_LAST = ("def hide():\n    get_ipython().last_execution_result.error_in_exec = None\n"
             "get_ipython().events.register('post_execute', hide)")
SWALLOW = ("def swallow(lines):\n"
           "    body = ''.join('    ' + line for line in lines) or '    pass\\n'\n"
           "    return ['try:\\n', body, 'except Exception:\\n', '    pass\\n']\n")
AST_SWALLOW = (
    "import ast\n"
    "class Swallow(ast.NodeTransformer):\n"
    "    def visit_Module(self, node):\n"
    "        handler = ast.ExceptHandler(type=ast.Name('Exception', ast.Load()), name=None,\n"
    "                                    body=[ast.Pass()])\n"
    "        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[],\n"
    "                             finalbody=[])]\n"
    "        return ast.fix_missing_locations(node)\n"
    "get_ipython().ast_transformers.append(Swallow())")

# name -> (cells before the good ones, cells after them, status, score, message fragments)
ROUTES: dict[str, tuple[list[str], list[str], str, float, list[str]]] = {
    "issue": ([HIDE_RESULT], ["1 / 0"], "run-error", 0.0,
              ["cell 7: ZeroDivisionError: division by zero",
               CHANGED + "a post_run_cell callback (__main__.hide)"]),
    "post_run_cell": ([HIDE_RESULT], [], "run-error", 0.0,
                      [CHANGED + "a post_run_cell callback (__main__.hide)"]),
    "post_execute": ([HIDE_LAST], ["1 / 0"], "run-error", 0.0,
                     ["cell 7: ZeroDivisionError",
                      CHANGED + "a post_execute callback (__main__.hide)"]),
    "input_transformer": ([SWALLOW + "get_ipython().input_transformers_cleanup.append(swallow)"],
                          ["1 / 0"], "run-error", 0.0,
                          [CHANGED + "an input transformer (__main__.swallow)"]),
    "input_transformer_post": ([SWALLOW + "get_ipython().input_transformers_post.append(swallow)"],
                               ["1 / 0"], "run-error", 0.0,
                               [CHANGED + "an input transformer (__main__.swallow)"]),
    "ast_transformer": ([AST_SWALLOW], ["1 / 0"], "run-error", 0.0,
                        [CHANGED + "an AST transformer (__main__.Swallow)"]),
    "showtraceback": (["get_ipython().showtraceback = lambda *a, **k: None"], [], "run-error",
                      0.0, [CHANGED + "shell.showtraceback was replaced"]),
    "_showtraceback": (["type(get_ipython())._showtraceback = lambda *a, **k: None"], [],
                       "run-error", 0.0, [CHANGED + "shell._showtraceback was replaced"]),
    "set_custom_exc": (["get_ipython().set_custom_exc((ZeroDivisionError,), lambda *a, **k: None)"],
                       ["1 / 0"], "run-error", 0.0,
                       [CHANGED + "a custom exception handler (set_custom_exc)"]),
    "settrace": (["import sys\ndef tracer(frame, event, arg):\n    return None\n"
                  "sys.settrace(tracer)"],
                 [], "run-error", 0.0,
                 [CHANGED + "a trace function (sys.settrace: __main__.tracer)"]),
    "setprofile": (["import sys\ndef profiler(frame, event, arg):\n    return None\n"
                    "sys.setprofile(profiler)"], [], "run-error", 0.0,
                   [CHANGED + "a profile function (sys.setprofile: __main__.profiler)"]),
    "excepthook": (["def quiet(*args):\n    pass\nget_ipython().excepthook = quiet"], [],
                   "run-error", 0.0, [CHANGED + "sys.excepthook was replaced"]),
    "hides_the_check": (["import sys\ndel sys.modules['_grader_error_hooks']"], [], "run-error",
                        0.0, ["the grader could not check how the kernel reports errors (its "
                              "check raised KeyError)"]),
    # What a notebook may do: none of it is reported.
    "legitimate": (["%load_ext autoreload\n%autoreload 2",
                    "%matplotlib inline\n%config InlineBackend.figure_format = 'retina'",
                    "try:\n    1 / 0\nexcept ZeroDivisionError:\n    handled = True",
                    "%%time\nimport warnings\nwarnings.filterwarnings('ignore')"],
                   ["import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1, 2])\nplt.show()"],
                   "graded", 4.0, []),
}
NAMES = {route: f"demo_{i:02d}.ipynb" for i, route in enumerate(ROUTES, start=1)}


def notebook_bytes(*cells: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(TEAM)] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb).encode()


def grade_folder(root: Path, uploads: dict[str, bytes], **rubric: Any) -> dict[str, Grade]:
    submissions = root / "submissions"
    submissions.mkdir(parents=True)
    for name, data in uploads.items():
        (submissions / name).write_bytes(data)
    rubrics = root / "rubrics"
    rubrics.mkdir()
    (rubrics / "demo.toml").write_text(support_demo.rubric_text(**rubric))
    result = grade_all(submissions, root / "graded", Options(rubrics_dir=rubrics),
                       LocalPool(2), force=False, progress=PlainProgress())
    assert result.failures == ()
    return {g.file: g for g in result.grades}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grade]:
    uploads = {NAMES[route]: notebook_bytes(*before, *GOOD, *after)
               for route, (before, after, *_rest) in ROUTES.items()}
    grades = grade_folder(tmp_path_factory.mktemp("hooks"), uploads)
    return {route: grades[name] for route, name in NAMES.items()}


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("route", list(ROUTES), ids=list(ROUTES))
def test_each_route_is_named_and_scores_as_the_rule_says(routes: dict[str, Grade],
                                                         route: str) -> None:
    grade = routes[route]
    _, _, status, score, fragments = ROUTES[route]
    assert (grade.status, grade.score) == (status, score), grade.messages
    for fragment in fragments:
        assert any(fragment in m for m in grade.messages), grade.messages
    if not fragments:
        assert grade.messages == ()


@pytest.mark.kernel
@pytest.mark.slow
def test_with_the_rule_off_the_change_is_listed_and_the_checks_count(tmp_path: Path) -> None:
    grades = grade_folder(tmp_path, {"demo_01.ipynb": notebook_bytes(HIDE_RESULT, *GOOD, "1 / 0")},
                          zero_error=False)
    grade = grades["demo_01.ipynb"]
    assert (grade.status, grade.score) == ("graded", 4.0)
    assert grade.messages == ("cell 7: ZeroDivisionError: division by zero",
                              CHANGED + "a post_run_cell callback (__main__.hide)")


# ----------------------------------------------------------------------------- without a kernel
@pytest.mark.parametrize(("outcome", "findings", "expected"), [
    (None, None, ()),
    (ExtraOutcome("not-run"), None, ()),
    (ExtraOutcome("ok", 0.1, None, (0.1,)), (), ()),
    (ExtraOutcome("ok", 0.1, None, (0.1,)), ("a", "b"), (CHANGED + "a; b",)),
    (ExtraOutcome("ok", 0.1, None, (0.1,)), None,
     (error_hooks.NOT_CHECKED.format(why="its check wrote no readable result"),)),
    (ExtraOutcome("error", 0.1, CellError(0, "KeyError", "'x'", ""), (0.1,)), None,
     (error_hooks.NOT_CHECKED.format(why="its check raised KeyError"),)),
    (ExtraOutcome("timeout", 30.0, None, (30.0,)), None,
     (error_hooks.NOT_CHECKED.format(why="its check ended as timeout"),)),
], ids=["no-check", "not-run", "nothing-changed", "changed", "no-file", "raised", "timeout"])
def test_messages(outcome: ExtraOutcome | None, findings: tuple[str, ...] | None,
                  expected: tuple[str, ...]) -> None:
    assert error_hooks.messages(outcome, findings) == expected


def _out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "probe-x" / "out"
    out.mkdir(parents=True)
    return out


@pytest.mark.parametrize(("content", "expected"), [
    ('{"protocol": 1, "findings": []}', ()),
    ('{"protocol": 1, "findings": ["a \\u001b[31mred\\u001b[0m callback"]}',
     ("a \ufffdred\ufffd callback",)),
    ('{"protocol": 1, "findings": ["' + "x" * 500 + '"]}', ("x" * 200,)),
    ('{"protocol": 1, "findings": [' + ", ".join(['"f"'] * 40) + "]}", ("f",) * 25),
    ('{"protocol": 2, "findings": []}', None),
    ('{"protocol": 1, "findings": [1]}', None),
    ('["a"]', None),
    ("not json", None),
    ("[" * 100_000, None),
], ids=["empty", "escapes", "long", "many", "protocol", "not-strings", "list", "garbage", "deep"])
def test_read_findings_reads_plain_capped_text(tmp_path: Path, content: str,
                                               expected: tuple[str, ...] | None) -> None:
    (_out_dir(tmp_path) / "hooks.json").write_text(content)
    assert read_findings(tmp_path, "probe-x", "hooks.json") == expected


def test_read_findings_never_follows_a_link_or_opens_a_fifo(tmp_path: Path) -> None:
    out = _out_dir(tmp_path)
    forged = tmp_path / "forged.json"
    forged.write_text('{"protocol": 1, "findings": []}')
    os.symlink(forged, out / "hooks.json")
    os.mkfifo(out / "fifo.json")
    assert read_findings(tmp_path, "probe-x", "hooks.json") is None
    assert read_findings(tmp_path, "probe-x", "fifo.json") is None
    assert read_findings(tmp_path, "probe-missing", "hooks.json") is None
