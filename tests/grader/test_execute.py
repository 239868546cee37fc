"""run_notebook end to end through real kernels: outcomes, limits, caps, extras and cleanup."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from builders import (
    clean_notebook,
    error_notebook,
    exiting_notebook,
    huge_allocation_notebook,
    infinite_loop_notebook,
    interrupt_swallowing_notebook,
    md,
    notebook,
    plot_notebook,
    print_flood_notebook,
    probe_notebook,
)

from grader.errors import KernelError
from grader.execute import run_notebook
from grader.execution import Execution, ExtraCell
from grader.kernel_client import TOTAL_OUTPUT_CHARS, is_real_image
from grader.rubric import Limits
from grader.sandbox import sandbox_status

pytestmark = pytest.mark.kernel

LIMITS = Limits(cell_timeout=3.0, total_timeout=20.0, memory_mb=4096)
MARGIN = 10.0               # kill, cleanup and kernel start on a busy 2-core machine
needs_sandbox = pytest.mark.skipif(not sandbox_status().available,
                                   reason=f"no sandbox: {sandbox_status().reason}")


def statuses(result: Execution, cells: list[ExtraCell]) -> tuple[str, ...]:
    """How each extra cell ended, in order ("error: NameError: ..." for one that raised)."""
    ends = []
    for cell in cells:
        outcome = result.extra[cell.key or ""]
        error = outcome.error
        ends.append(f"error: {error.ename}: {error.evalue}" if error else outcome.status)
    return tuple(ends)


@pytest.fixture
def run(tmp_path: Path, no_leftover_processes: Callable[[], None]):  # type: ignore[no-untyped-def]
    """`run(nb, **kwargs)` in tmp_path/work; afterwards no process of the run may be left."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def go(nb: nbformat.NotebookNode, **kwargs: object) -> Execution:
        kwargs.setdefault("limits", LIMITS)
        return run_notebook(nb, workdir, **kwargs)  # type: ignore[arg-type]

    yield go
    no_leftover_processes()


# ----------------------------------------------------------------------------- student cells
def test_clean_notebook_is_ok(run) -> None:  # type: ignore[no-untyped-def]
    result = run(clean_notebook())
    assert (result.outcome, result.message, result.cell_errors) == ("ok", "", ())
    assert result.notebook_seconds > 0 and result.duration >= result.notebook_seconds
    assert [cell for cell, _ in result.cell_seconds] == [2, 3, 4]     # the code cells, in order
    assert sum(s for _, s in result.cell_seconds) == pytest.approx(result.notebook_seconds)
    assert result.isolation == ("bubblewrap" if sandbox_status().available
                                else "none (rlimits only)")


def test_error_cell_is_numbered_among_all_cells(run) -> None:  # type: ignore[no-untyped-def]
    later = [ExtraCell("later cells ran", "its later cells ran", "assert a == 1 and b == 2", 5)]
    result = run(error_notebook(), extra=later)
    assert result.outcome == "ok"
    assert [e.summary() for e in result.cell_errors] == [
        "cell 3: ZeroDivisionError: division by zero"]
    traceback = result.cell_errors[0].traceback
    assert "1 / 0" in traceback and "\x1b[" not in traceback
    assert statuses(result, later) == ("ok",)


def test_caller_notebook_is_not_modified_and_its_kernelspec_ignored(run) -> None:  # type: ignore[no-untyped-def]
    nb = notebook(md("# t"), "1 / 0")
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "x"}
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale")]
    nb.cells[1].metadata["tags"] = ["skip-execution"]
    before = nbformat.writes(nb)
    result = run(nb)
    assert nbformat.writes(nb) == before
    assert [e.cell for e in result.cell_errors] == [2]


def test_seeds_random_numpy_and_torch_before_the_first_cell(run) -> None:  # type: ignore[no-untyped-def]
    nb = notebook(
        "import random\nimport numpy as np\nimport torch\n"
        "a = (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist())",
        "random.seed(7); np.random.seed(7); torch.manual_seed(7)\n"
        "assert a == (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()), a")
    # importing torch takes seconds on a busy machine: this test is about seeds, not limits
    result = run(nb, seed=7, limits=Limits(cell_timeout=60.0, total_timeout=90.0, memory_mb=4096))
    assert (result.outcome, result.cell_errors) == ("ok", ())


@pytest.mark.parametrize("nb, cell", [(infinite_loop_notebook(), 2),
                                      (interrupt_swallowing_notebook(), 1)],
                         ids=["infinite-loop", "swallows-keyboard-interrupt"])
def test_a_cell_past_its_limit_times_out_on_time(run, nb, cell) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    probe = [ExtraCell("probe", "its probe", "pass", 5)]
    result = run(nb, extra=probe)
    assert time.monotonic() - began < LIMITS.cell_timeout + MARGIN
    assert (result.outcome, result.message) == ("timeout", f"cell {cell} ran past the 3 s limit")
    assert statuses(result, probe) == ("not-run",)
    assert result.stopped_cell == cell and result.cell_seconds[-1][0] == cell
    assert result.cell_seconds[-1][1] >= LIMITS.cell_timeout - 0.5


def test_the_total_limit_names_the_notebook(run) -> None:  # type: ignore[no-untyped-def]
    nb = notebook("import time\ntime.sleep(2)", "time.sleep(2)", "time.sleep(2)")
    result = run(nb, limits=Limits(cell_timeout=3.0, total_timeout=3.0))
    assert (result.outcome, result.message) == ("timeout",
                                                "the notebook ran past its 3 s total limit")


def test_a_kernel_that_exits_is_a_crash(run) -> None:  # type: ignore[no-untyped-def]
    result = run(exiting_notebook())
    assert result.outcome == "crashed"
    assert result.message == ("the kernel died while running cell 2 "
                              "(memory limit, segfault or os._exit)")


@pytest.mark.parametrize("source", ["x = bytearray(50 * 10**9)",
                                    "import numpy as np\nx = np.ones(50 * 10**9 // 8)"],
                         ids=["bytearray", "numpy"])
def test_allocating_50_gb_is_a_memory_crash(run, source) -> None:  # type: ignore[no-untyped-def]
    result = run(huge_allocation_notebook(source))
    assert (result.outcome, result.message) == (
        "crashed", "cell 2: memory limit of 4096 MB exceeded (MemoryError)")


def test_printing_200_mb_keeps_the_captured_output_small(run) -> None:  # type: ignore[no-untyped-def]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(print_flood_notebook(200), limits=Limits(cell_timeout=30, total_timeout=60))
    assert (result.outcome, result.cell_errors) == ("ok", ())
    assert 0 < result.output_chars <= TOTAL_OUTPUT_CHARS and result.output_dropped_chars > 0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_a_shown_figure_is_counted(run) -> None:  # type: ignore[no-untyped-def]
    result = run(plot_notebook(), limits=Limits(cell_timeout=30, total_timeout=60))
    assert (result.outcome, result.cell_errors, result.image_outputs) == ("ok", (), 1)
    ((mime, data),) = result.figures
    assert mime == "image/png" and is_real_image(mime, data)
    assert result.stopped_cell is None and result.cell_seconds


# ----------------------------------------------------------------------------- what the kernel sees
def test_the_grader_packages_cannot_be_imported(run) -> None:  # type: ignore[no-untyped-def]
    result = run(notebook("import reference", "import grader"))
    assert [(e.cell, e.ename) for e in result.cell_errors] == [
        (1, "ModuleNotFoundError"), (2, "ModuleNotFoundError")]


SURROUNDINGS = """\
import json, os, socket, uuid
seen = {"parent": sorted(os.listdir("..")), "root": sorted(os.listdir("/")),
        "home": os.path.exists("/home"),
        "project": sorted(os.listdir(PROJECT)) if os.path.isdir(PROJECT) else [],
        "root_home": sorted(os.listdir("/root")) if os.path.isdir("/root") else []}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    seen["network"] = "connected"
except OSError as exc:
    seen["network"] = type(exc).__name__
seen["written"] = []
for place in ("/tmp", "/usr", "/etc", os.path.dirname(os.getcwd()), PROJECT):
    name = os.path.join(place, "escape-" + MARK)
    try:
        with open(name, "w") as fh:
            fh.write("x")
        seen["written"].append(place)
    except OSError:
        pass
with open("seen.json", "w") as fh:
    json.dump(seen, fh)
"""


@needs_sandbox
def test_the_kernel_sees_only_its_work_dir(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = Path(__file__).resolve().parents[2]
    mark = tmp_path.name
    source = SURROUNDINGS.replace("PROJECT", repr(str(project))).replace("MARK", repr(mark))
    result = run(probe_notebook(source))
    assert (result.outcome, result.cell_errors) == ("ok", ())
    seen = json.loads((tmp_path / "work" / "seen.json").read_text())
    assert seen["parent"] == ["work"]
    # The system dirs, plus the top-level dirs on the way to the mounted venv, Python and work dir
    # (a CI clone may live under any top-level dir, e.g. /check or /home/ci): nothing else.
    on_the_way = {Path(p).resolve().parts[1]
                  for p in (project, sys.prefix, sys.base_prefix, tmp_path)}
    system = {"bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr"}
    assert set(seen["root"]) <= system | on_the_way
    assert seen["home"] == ("home" in on_the_way)
    assert set(seen["project"]) <= {".venv"}, "the project dir holds at most the mounted venv"
    assert set(seen["root_home"]) <= {".pyenv"}, "only a Python installed under /root is visible"
    assert seen["network"] != "connected"
    assert seen["written"] in ([], ["/tmp"])          # a private tmpfs at most
    assert not list(Path("/tmp").glob(f"escape-{mark}")) and not list(project.glob("escape-*"))
    assert not list(tmp_path.glob("escape-*"))


# ----------------------------------------------------------------------------- extra cells
def test_extra_cells_run_after_prepare_extra_and_see_the_students_names(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def prepare_extra(errors: tuple[object, ...]) -> bool:
        calls.append(f"prepare after {len(errors)} error(s)")
        (tmp_path / "work" / "inputs.txt").write_text("41")
        return True

    extra = [ExtraCell("reads", "its reads",
                       "answer = student_value + int(open('inputs.txt').read())", 5),
             ExtraCell("writes", "its writes", "open('out.txt', 'w').write(str(answer))", 5),
             ExtraCell("fails", "its fails", "undefined_name", 5)]
    result = run(notebook("student_value = 1"), extra=extra, prepare_extra=prepare_extra)
    assert calls == ["prepare after 0 error(s)"]
    assert statuses(result, extra) == ("ok", "ok",
                                       "error: NameError: name 'undefined_name' is not defined")
    assert all(o.seconds > 0 for o in result.extra.values())
    assert (tmp_path / "work" / "out.txt").read_text() == "42"
    assert result.outcome == "ok"


def test_a_cell_is_prepared_just_before_it_runs_and_an_unwritable_input_is_its_error(
        run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"

    def write(text: str) -> Callable[[], None]:
        return lambda: (work / "inputs.txt").write_text(text)

    def blocked() -> None:
        raise PermissionError(13, "Permission denied")

    extra = [ExtraCell("first", "its first", "first = open('inputs.txt').read()", 5,
                       prepare=write("1")),
             ExtraCell("blocked", "check blocked", "blocked_ran = True", 5, prepare=blocked),
             ExtraCell("second", "its second",
                       "assert (first, open('inputs.txt').read()) == ('1', '2')\n"
                       "assert 'blocked_ran' not in globals()", 5, prepare=write("2"))]
    result = run(notebook("x = 1"), extra=extra)
    assert statuses(result, extra) == (
        "ok", "error: InputsNotWritten: the grader could not write the inputs of check blocked "
              "into the work dir (PermissionError: Permission denied): the notebook changed the "
              "folder they go to", "ok")
    assert result.extra["blocked"].seconds == 0.0 and result.outcome == "ok"


def test_a_hanging_extra_cell_times_out_and_later_ones_do_not_run(run) -> None:  # type: ignore[no-untyped-def]
    extra = [ExtraCell("ok", "its ok", "pass", 5),
             ExtraCell("hangs", "its hangs", "while True: pass", 2),
             ExtraCell("later", "its later", "pass", 5)]
    began = time.monotonic()
    result = run(notebook("x = 1"), extra=extra)
    assert time.monotonic() - began < 2 + MARGIN
    assert statuses(result, extra) == ("ok", "timeout", "not-run")
    assert result.outcome == "ok"      # the finished checks still count
    assert result.message == ("the grader had to stop the kernel: its hangs ran past its 2 s limit "
                              "and could not be interrupted; the checks after it were not run")


def test_a_kernel_dying_in_a_grader_cell_is_a_crash(run) -> None:  # type: ignore[no-untyped-def]
    extra = [ExtraCell("check first", "check first", "pass", 5),
             ExtraCell("check dies", "check dies", "import os; os._exit(3)", 5),
             ExtraCell("check later", "check later", "pass", 5)]
    result = run(notebook("x = 1"), extra=extra)
    assert statuses(result, extra) == ("ok", "crashed", "not-run")
    assert (result.outcome, result.message) == (
        "crashed", "the kernel died while the grader ran check dies (memory limit, segfault or "
                   "os._exit in your code)")


def test_grader_cells_share_the_notebooks_total_limit(run) -> None:  # type: ignore[no-untyped-def]
    extra = [ExtraCell("check slow", "check slow", "import time; time.sleep(30)", 20)]
    began = time.monotonic()
    result = run(notebook("import time; time.sleep(1)"), extra=extra,
                 limits=Limits(cell_timeout=5, total_timeout=4))
    assert time.monotonic() - began < 4 + MARGIN
    assert statuses(result, extra) == ("timeout",)
    assert (result.outcome, result.message) == (
        "timeout", "the notebook and the grader's calls into it ran past the 4 s total limit "
                   "(while the grader ran check slow)")


def test_extra_cells_do_not_run_after_a_student_timeout(run) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    extra = [ExtraCell("a", "its a", "pass", 5)]
    result = run(infinite_loop_notebook(), extra=extra,
                 prepare_extra=lambda errors: bool(calls.append("called")) or True)
    assert (result.outcome, statuses(result, extra), calls) == ("timeout", ("not-run",), [])


@pytest.mark.parametrize(("wanted", "expected"), [(True, ("ok",)), (False, ("not-run",))],
                         ids=["probe-anyway", "declined"])
def test_extra_cells_run_only_when_prepare_extra_says_so(run, wanted, expected) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, ...]] = []

    def prepare_extra(errors: tuple[object, ...]) -> bool:
        seen.append(tuple(e.summary() for e in errors))  # type: ignore[attr-defined]
        return bool(wanted)

    extra = [ExtraCell("a", "its a", "pass", 5)]
    result = run(notebook("1 / 0", "x = 1"), extra=extra, prepare_extra=prepare_extra)
    assert result.outcome == "ok" and len(result.cell_errors) == 1
    assert seen == [("cell 1: ZeroDivisionError: division by zero",)]
    assert statuses(result, extra) == expected


# ----------------------------------------------------------------------------- fallback, faults
@pytest.mark.parametrize("nb, outcome", [(infinite_loop_notebook(), "timeout"),
                                         (exiting_notebook(), "crashed"),
                                         (huge_allocation_notebook("x = bytearray(50 * 10**9)"),
                                          "crashed")],
                         ids=["timeout", "exit", "memory"])
def test_the_forced_fallback_still_enforces_limits_and_warns(run, nb, outcome) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    result = run(nb, sandbox=False)
    assert time.monotonic() - began < LIMITS.cell_timeout + MARGIN
    assert result.outcome == outcome
    assert result.isolation == "none (rlimits only)"
    assert len(result.warnings) == 1 and result.warnings[0].startswith("WARNING: no OS sandbox: ")


def test_a_kernel_that_cannot_start_is_a_grader_fault(run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KernelError, match="could not start a Python kernel"):
        run(clean_notebook(), limits=Limits(memory_mb=16))


def test_writing_past_the_disk_limit_is_a_crash(run) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(cell_timeout=20, total_timeout=40, memory_mb=2048, disk_mb=20)
    nb = notebook("x = 1", "import os\nos.makedirs('junk', exist_ok=True)\n"
                  "for i in range(10**6):\n    open(f'junk/{i}', 'wb').write(b'0' * 100_000)")
    started = time.monotonic()
    result = run(nb, limits=limits)
    assert result.outcome == "crashed"
    assert result.message.startswith("cell 2: disk limit of 20 MB exceeded")
    assert time.monotonic() - started < 20


def test_a_quiet_notebook_stays_under_the_disk_limit(run) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(cell_timeout=20, total_timeout=40, memory_mb=2048, disk_mb=20)
    result = run(notebook("open('small.bin', 'wb').write(b'0' * 1_000_000)"), limits=limits)
    assert result.outcome == "ok" and result.message == ""


@pytest.mark.kernel
def test_the_executor_tells_the_hook_each_code_cell_before_it_runs(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("text"), nbformat.v4.new_code_cell("1 / 0"),
        nbformat.v4.new_code_cell("y = 2")])
    seen: list[tuple[int, int]] = []
    work = tmp_path / "work"
    work.mkdir()
    run_notebook(nb, work, Limits(cell_timeout=30, total_timeout=60),
                 on_cell=lambda cell, count: seen.append((cell, count)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


@pytest.mark.kernel
def test_the_kernel_starts_without_a_debugger_and_debugpy_stays_importable(
        run) -> None:  # type: ignore[no-untyped-def]
    check = ("import ipykernel.debugger, sys\n"
             "assert not ipykernel.debugger._is_debugpy_available\n"
             "assert 'debugpy' not in sys.modules or sys.modules['debugpy'] is not None\n"
             "import debugpy")
    result = run(notebook(check), limits=Limits(cell_timeout=30, total_timeout=60))
    assert (result.outcome, result.cell_errors) == ("ok", ())
