"""A call over its time limit never passes: the grader's own clock decides (grader.timing).

The kernel tests grade uploads of the "demo" rubric (`double` has a 3 s limit per call; the
zero-error rule is off, so only the timing decides the check). Each tampering route defeats the
kernel's own alarm in its own way and makes one call 5% over the limit: the grader's clock must
catch every one of them, while a call comfortably within its limit still passes.
"""

from __future__ import annotations

import nbformat
import pytest
import support_demo
from support_demo import GOOD

from grader.batch import grade_all
from grader.execution import ExtraOutcome
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.rubric import CheckSpec
from grader.runners import LocalPool
from grader.score import Grade
from grader.timing import MARGIN, MAX_COST, NOT_TIMED, call_overrun, probe_cost

TEAM = "# Team\nAda Lovelace, Alan Turing"
LIMIT = 3.0       # the demo rubric's per-call limit of `double`
OVER = 1.05 * LIMIT

# `double` is slow on its second call only; `_wait` uses the real clock, saved before any patch.
STUDENT = """\
import time
import numpy as np
_real = time.monotonic
_calls = []
def _wait(seconds, catch):
    end = _real() + seconds
    while _real() < end:
        try:
            time.sleep(max(0.0, end - _real()))
        except BaseException:
            if not catch:
                raise
def double(x):
    _calls.append(1)
    if len(_calls) == 1:
        FIRST_CALL
    if len(_calls) == 2:
        _wait(SECONDS, CATCH)
    return 2 * np.asarray(x)
"""
# A trace function installed during the first call (after the grader's check of the error
# reporting) that jumps over the line arming the probe's alarm in every later call.
SKIP_ALARM = (
    "import dis, sys\n"
    "        def skip(frame, event, arg):\n"
    "            if frame.f_code.co_name != '_run_entry':\n"
    "                return None\n"
    "            arm = min(i.positions.lineno for i in dis.get_instructions(frame.f_code)\n"
    "                      if i.argval == 'setitimer')\n"
    "            def local(frame, event, arg):\n"
    "                if event == 'line' and frame.f_lineno == arm:\n"
    "                    frame.f_lineno = arm + 1\n"
    "                return local\n"
    "            return local\n"
    "        sys.settrace(skip)")
LIE = ("import time\n_start = time.monotonic()\n"
       "time.monotonic = lambda: _start + (_real() - _start) / 10\n"
       "time.perf_counter = time.monotonic")
# A notebook that could see a later call's inputs could work out that (timed) call's answer in
# advance, in a thread it left running: `double` counts the input arrays in the work dir and is
# right only while it sees no more of them than the calls made so far.
SPY = """\
import glob
import numpy as np
_calls = []
def double(x):
    _calls.append(1)
    seen = len(glob.glob("probe-*/in/**/*.npy", recursive=True))
    return 2 * np.asarray(x) + (seen > len(_calls))
"""
CLOCK = "the call took {:.2f} s by the grader's clock, past its limit of 3 s"


def student(seconds: float, *, first_call: str = "pass", catch: bool = False) -> str:
    return (STUDENT.replace("FIRST_CALL", first_call).replace("SECONDS", repr(seconds))
            .replace("CATCH", repr(catch)))


# route -> (cells before the student's functions, the function cell, status of `double`,
#           a fragment of its message)
ROUTES: dict[str, tuple[list[str], str, str, str]] = {
    "trace_function": ([], student(OVER, first_call=SKIP_ALARM), "error", "by the grader's clock"),
    # A mask holds for one thread: another thread of the kernel takes the signal and Python
    # runs the handler in the main thread all the same, so the alarm itself stops this call.
    "blocked_sigalrm": (["import signal\n"
                         "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})"],
                        student(OVER), "error", "did not return within 3.0 s"),
    "replaced_signal_signal": (["import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                "signal.signal = lambda *args, **kwargs: signal.SIG_IGN"],
                               student(OVER), "error", "by the grader's clock"),
    "lying_clocks": ([], student(OVER, catch=True).replace("_calls = []", "_calls = []\n" + LIE),
                     "error", "by the grader's clock"),
    "caught_alarm": ([], student(OVER, catch=True), "error", "by the grader's clock"),
    "no_tampering_over": ([], student(OVER), "error", "did not return within 3.0 s"),
    "comfortably_within": ([], student(0.6 * LIMIT), "pass", "3 case(s) agree"),
    "inputs_seen_in_advance": ([], SPY, "pass", "3 case(s) agree"),
}
NAMES = {route: f"demo_{i:02d}.ipynb" for i, route in enumerate(ROUTES, start=1)}


def notebook_bytes(*cells: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(TEAM)] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grade]:
    root = tmp_path_factory.mktemp("timing")
    submissions = root / "submissions"
    submissions.mkdir()
    for route, (before, function, *_rest) in ROUTES.items():
        cells = [*before, GOOD[0], function, *GOOD[2:]]
        (submissions / NAMES[route]).write_bytes(notebook_bytes(*cells))
    rubrics = root / "rubrics"
    rubrics.mkdir()
    (rubrics / "demo.toml").write_text(support_demo.rubric_text(zero_error=False))
    result = grade_all(submissions, root / "graded", Options(rubrics_dir=rubrics), LocalPool(2),
                       force=False, progress=PlainProgress())
    assert result.failures == ()
    grades = {g.file: g for g in result.grades}
    return {route: grades[name] for route, name in NAMES.items()}


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("route", list(ROUTES), ids=list(ROUTES))
def test_a_call_over_its_limit_never_passes(routes: dict[str, Grade], route: str) -> None:
    grade = routes[route]
    _, _, status, fragment = ROUTES[route]
    checks = {c.id: c for c in grade.checks}
    assert grade.status == "graded", grade.messages
    assert (checks["double"].status, fragment in checks["double"].message) == (status, True), \
        checks["double"].message
    assert checks["answer"].status == "pass" and checks["figure"].status == "pass"
    if status == "error":
        assert "case 2" in checks["double"].message and checks["double"].points == 0


# ----------------------------------------------------------------------------- without a kernel
CHECK = CheckSpec(id="double", points=2.0, kind="call", symbol="double", timeout=LIMIT)


@pytest.mark.parametrize(("empty", "expected"), [
    (ExtraOutcome("ok", 0.06, None, (0.03, 0.01, 0.02)), 0.01),
    (ExtraOutcome("ok", 2.0, None, (0.8, 0.6, 0.6)), None),
    (ExtraOutcome("ok", 0.02, None, (0.01, 0.01)), None),
    (ExtraOutcome("error", 0.02, None, (0.01, 0.01, 0.01)), None),
    (ExtraOutcome("not-run"), None),
    (None, None),
], ids=["fastest", "too-slow", "missing-one", "raised", "not-run", "absent"])
def test_probe_cost_is_the_fastest_empty_probe(empty: ExtraOutcome | None,
                                               expected: float | None) -> None:
    cost = probe_cost(empty, 3)
    if expected is None:
        assert isinstance(cost, str) and cost.startswith("the grader could not time the calls")
    else:
        assert cost == pytest.approx(expected, abs=1e-12)


def test_probe_cost_says_how_slow_the_empty_probe_was() -> None:
    cost = probe_cost(ExtraOutcome("ok", 2.1, None, (0.7, 0.8, 0.6)), 3)
    assert cost == (f"the grader could not time the calls: an empty probe cell took 0.60 s in this "
                    f"kernel (more than {MAX_COST:g} s), so a call cannot be timed to a fraction "
                    "of a second")


@pytest.mark.parametrize(("cell_seconds", "index", "expected"), [
    ((0.5, LIMIT + 0.02 + MARGIN - 0.001), 1, None),
    ((0.5, LIMIT + 0.02 + MARGIN + 0.001), 1, CLOCK.format(LIMIT + MARGIN + 0.001)),
    ((0.5, 1.05 * LIMIT + 0.02), 1, CLOCK.format(1.05 * LIMIT)),
    ((0.5,), 1, NOT_TIMED),
], ids=["just-within", "just-over", "five-percent-over", "not-timed"])
def test_call_overrun_counts_only_the_call(cell_seconds: tuple[float, ...], index: int,
                                           expected: str | None) -> None:
    found = call_overrun(CHECK, index, ExtraOutcome("ok", sum(cell_seconds), None, cell_seconds),
                         0.02)
    assert (found if found is None else found.split(" (a probe")[0]) == expected


def test_call_overrun_repeats_why_calls_cannot_be_timed() -> None:
    why = "the grader could not time the calls: its empty probes did not all run (error)"
    assert call_overrun(CHECK, 0, ExtraOutcome("ok", 0.1, None, (0.1,)), why) == why
