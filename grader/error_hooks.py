"""Whether a notebook changed how the kernel reports errors (trusted side).

The zero-error rule needs to know whether a cell raised. The grader counts a cell as raising
when the kernel's reply says so or an `error` message arrives for it (`grader.execute`); a
notebook can still make the kernel say neither, e.g. with a `post_run_cell` callback that clears
`result.error_in_exec` and a replaced `showtraceback`. So the kernel's setup cell records how
it reports errors (`grader.error_hooks_runtime.record_baseline`), and the grader's first cell
after the student's cells compares (`check`) and writes what changed into the probe folder,
where `grader.extract.read_findings` reads it back as plain data. `messages` turns what was
found into the upload's message; `grader.score` applies the zero-error rule to it.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from grader import error_hooks_runtime

if TYPE_CHECKING:
    from grader.execution import ExtraOutcome

RUNTIME_MODULE = "_grader_error_hooks"
FINDINGS_FILE = "hooks.json"
CHANGED = "the notebook changed how the kernel reports errors: {found}"
NOT_CHECKED = ("the grader could not check how the kernel reports errors ({why}); the notebook "
               "must leave the kernel's error reporting as it is")


def baseline_source() -> str:
    """Code for the hidden setup cell: load the runtime privately, record the baseline."""
    return (
        "def __grader_hooks():\n"
        "    import sys, types\n"
        f"    module = types.ModuleType({RUNTIME_MODULE!r})\n"
        f"    sys.modules[{RUNTIME_MODULE!r}] = module\n"
        f"    exec(compile({inspect.getsource(error_hooks_runtime)!r}, "
        "'<grader error hooks>', 'exec'), module.__dict__)\n"
        "    module.record_baseline()\n"
        "__grader_hooks()\n"
        "del __grader_hooks\n"
    )


def check_source(findings_path: str) -> str:
    """The grader's cell that compares the kernel with the baseline and writes the findings."""
    return (f"__import__('sys').modules[{RUNTIME_MODULE!r}].check({findings_path!r})\n")


def messages(outcome: ExtraOutcome | None, findings: tuple[str, ...] | None) -> tuple[str, ...]:
    """The upload's messages about its error reporting (empty: nothing changed, or not checked
    because the grader's cells did not run at all).

    Args:
        outcome: how the check cell ended (None: there was no check cell).
        findings: what the check wrote, read back (None: nothing readable).
    """
    if outcome is None or outcome.status == "not-run":
        return ()
    if outcome.status != "ok":
        why = (f"its check raised {outcome.error.ename}" if outcome.error is not None
               else f"its check ended as {outcome.status}")
        return (NOT_CHECKED.format(why=why),)
    if findings is None:
        return (NOT_CHECKED.format(why="its check wrote no readable result"),)
    return (CHANGED.format(found="; ".join(findings)),) if findings else ()
