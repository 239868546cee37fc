"""Whether each call of a check kept to its time limit, by the grader's own clock.

The kernel interrupts a call at its limit with an alarm, but the kernel is the student's: a
trace function, a blocked or ignored SIGALRM, a replaced `signal.signal`, a student's own
`except BaseException`, or clocks patched to lie defeat it. So every call runs in a grader cell
of its own (`grader.probe.probe_cells`), and the grader times that cell from sending it to its
reply (`ExtraOutcome.cell_seconds`). Besides the call, such a cell costs a fixed amount in that
kernel (the messages, loading the plan and the inputs, writing the result). Before the calls the
grader runs empty probes that call nothing, in the same kernel, and takes the fastest as that
cost: a call passes the clock when its cell took at most `limit + cost + MARGIN`.

Measured (bench/bench_probe_cells.py, a 2-core machine): an empty probe costs about 10-25 ms,
a cell's round trip jitters by about 10 ms; a call cell costs about the same as an empty probe
besides the call. MARGIN is therefore a tenth of a second. An empty probe slower than MAX_COST
means the kernel's cells cost too much (or too unevenly) to time a call to a fraction of a
second: the call checks then fail and say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.execution import ExtraOutcome
    from grader.rubric import CheckSpec

MARGIN = 0.1      # s a call's cell may take beyond its limit plus the measured cost
MAX_COST = 0.5    # s: a slower empty probe means calls cannot be timed reliably

NOT_MEASURED = ("the grader could not time the calls: its empty probes did not all run in this "
                "kernel ({why})")
TOO_SLOW = ("the grader could not time the calls: an empty probe cell took {cost:.2f} s in this "
            "kernel (more than {max:g} s), so a call cannot be timed to a fraction of a second")
NOT_TIMED = "the grader could not time this call (its cell did not report a time)"
OVER = ("the call took {took:.2f} s by the grader's clock, past its limit of {limit:g} s "
        "(a probe cell's own cost in this kernel, {cost:.3f} s, is not counted)")


def probe_cost(empty: ExtraOutcome | None, expected: int) -> float | str:
    """The fixed cost of a probe cell in this kernel, or why it is unknown.

    Args:
        empty: the merged outcome of the empty probes (`grader.probe.EMPTY_PROBE`).
        expected: how many empty probes were planned.

    Returns:
        seconds (the fastest empty probe), or a message saying why the calls cannot be timed.
    """
    if empty is None or empty.status != "ok" or len(empty.cell_seconds) != expected:
        why = "none ran" if empty is None else empty.status
        return NOT_MEASURED.format(why=why)
    cost = min(empty.cell_seconds)
    if cost > MAX_COST:
        return TOO_SLOW.format(cost=cost, max=MAX_COST)
    return cost


def call_overrun(check: CheckSpec, index: int, outcome: ExtraOutcome | None,
                 cost: float | str) -> str | None:
    """Why the check's call number `index` (0-based, plan order) fails the grader's clock, or
    None when it kept to its limit.

    Args:
        check: a `call` check.
        index: which of its calls.
        outcome: the merged outcome of the check's call cells.
        cost: `probe_cost(...)`: seconds, or why calls cannot be timed.
    """
    if isinstance(cost, str):
        return cost
    if outcome is None or index >= len(outcome.cell_seconds):
        return NOT_TIMED
    took = outcome.cell_seconds[index] - cost
    if took > check.timeout + MARGIN:
        return OVER.format(took=took, limit=check.timeout, cost=cost)
    return None
