"""Run one notebook in a fresh, isolated ipykernel driven by nbclient.

The kernel is started through `grader.sandbox` (bubblewrap where it can start, rlimits and a
process-tree kill otherwise). Student cells run with `allow_errors=True`: every failed cell is a
`CellError` (data, not an exception). A cell failed when the kernel's reply says so or an
`error` message arrived for it (`CappedClient.raised`), for the grader's cells too. A cell past
its limit ends the run as "timeout"; a kernel that dies ends it as "crashed"; neither ever hangs
or takes the grader down. Deadlines are ours (nbclient's own timeout is only a second line), and
the kernel's whole process tree is killed in a `finally`, whatever happened.

What the kernel sends is untrusted: outputs are capped per cell and in total, messages above
`MAX_MESSAGE_BYTES` are dropped by ZMQ, and malformed messages are ignored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Coroutine, Sequence, TypeVar

import nbformat
from nbformat import NotebookNode

from grader import cgroup
from grader.cell_error import CellError
from grader.errors import KernelError
from grader.execution import Execution, ExtraCell, ExtraOutcome, Outcome
from grader.kernel_client import (
    MAX_MESSAGE_BYTES,
    STARTUP_TIMEOUT,
    CappedClient,
    prepare_notebook,
    start_kernel,
    stop_kernel,
)
from grader.kernel_manager import SandboxKernelManager
from grader.rubric import Limits
from grader.run_cell import CellEnd, disk_usage_over, run_cell
from grader.sandbox import sandbox_status
from grader.sandbox_spec import SandboxSpec, make_spec
from grader.workdir import hand_over, prepare_workdir

NO_SANDBOX = "WARNING: no OS sandbox: {reason}; the kernel ran with rlimits only"
TIMEOUT_CELL = "cell {cell} ran past the {limit:g} s limit"
TIMEOUT_TOTAL = "the notebook ran past its {limit:g} s total limit"
CRASHED = "the kernel died while running cell {cell} (memory limit, segfault or os._exit)"
OUT_OF_MEMORY = "cell {cell}: memory limit of {mb} MB exceeded (MemoryError)"
OUT_OF_DISK = ("cell {cell}: disk limit of {mb} MB exceeded "
               "(the notebook wrote too much into its folder)")
KERNEL_CORES = 1.0             # CPU quota of a kernel and all it starts (where cgroups work)
PROTOCOL = "the kernel broke the messaging protocol while running cell {cell} ({error})"
PROBE_CRASHED = ("the kernel died while the grader ran {what} (memory limit, segfault or "
                 "os._exit in your code)")
PROBE_DISK = ("the kernel wrote past the disk limit of {mb} MB while the grader ran {what}")
PROBE_TOTAL = ("the notebook and the grader's calls into it ran past the {limit:g} s total limit "
               "(while the grader ran {what})")
INPUTS_NOT_WRITTEN = ("the grader could not write the inputs of {what} into the work dir "
                      "({error}): the notebook changed the folder they go to")
PROBE_STUCK = ("the grader had to stop the kernel: {what} ran past its {limit:g} s limit and "
               "could not be interrupted; the checks after it were not run")

# ----------------------------------------------------------------------------- one run
@dataclass
class _Progress:
    """What the run has found so far (private to one `_run`)."""

    outcome: Outcome = "ok"
    message: str = ""
    started: float = field(default_factory=time.monotonic)   # the student's first cell
    errors: list[CellError] = field(default_factory=list)
    extra: dict[str, ExtraOutcome] = field(default_factory=dict)
    notebook_seconds: float = 0.0
    images: int = 0
    kept_chars: int = 0
    dropped_chars: int = 0
    cell_seconds: list[tuple[int, float]] = field(default_factory=list)
    stopped_cell: int | None = None
    figures: tuple[tuple[str, str], ...] = ()


CellHook = Callable[[int, int], None]
"""`on_cell(cell, count)`: told before student cell `cell` (1-based among all `count` cells,
markdown included, as messages number them) runs; e.g. the live line of `grade check`."""


async def _student_cells(client: CappedClient, count: int, limits: Limits,
                         found: _Progress, on_cell: CellHook | None = None) -> None:
    """Run student cells 1..count; stop at the first timeout, crash or MemoryError."""
    start = found.started = time.monotonic()
    client.count_images = True
    for index in range(1, count + 1):
        if client.nb.cells[index].cell_type != "code":
            continue
        if on_cell is not None:
            on_cell(index, count)
        remaining = limits.total_timeout - (time.monotonic() - start)
        timeout = min(limits.cell_timeout, remaining)
        began = time.monotonic()
        disk = (client.workdir, limits.disk_mb * 1_000_000)
        end, why = await run_cell(client, index, timeout, disk) if timeout > 0 else ("timeout", "")
        if end == "ok" and disk_usage_over(*disk):
            end = "disk"
        seconds = time.monotonic() - began
        found.notebook_seconds += seconds
        found.cell_seconds.append((index, seconds))
        error = client.raised(index) if end == "ok" else None
        if error is not None:
            found.errors.append(error)
            if error.is_memory_error:
                found.message = OUT_OF_MEMORY.format(cell=index, mb=limits.memory_mb)
                end = "crashed"
        if end == "disk":
            end, found.message = "crashed", OUT_OF_DISK.format(cell=index, mb=limits.disk_mb)
        if end == "timeout":
            total = timeout < limits.cell_timeout
            found.message = (TIMEOUT_TOTAL.format(limit=limits.total_timeout) if total
                             else TIMEOUT_CELL.format(cell=index, limit=limits.cell_timeout))
        elif end == "crashed" and not found.message:
            found.message = (PROTOCOL.format(cell=index, error=why) if why
                             else CRASHED.format(cell=index))
        if end != "ok":
            found.outcome, found.stopped_cell = end, index
            break
    client.count_images = False


async def _extra_cells(client: CappedClient, km: SandboxKernelManager,
                       extra: Sequence[tuple[int, ExtraCell]], found: _Progress,
                       limits: Limits) -> None:
    """Run the grader's cells (each with its index in the notebook) within what is left of the
    total limit.

    A kernel that dies (or fills its disk) during a grader cell ends the run as "crashed", and
    running out of the total limit as "timeout" (whatever the zero-error rule). A cell that
    outlives its own limit (the student's code defeated the per-call alarm) is that cell's
    "timeout": the kernel is stopped, the rest are "not-run", the finished checks count.
    """
    for offset, (index, cell) in enumerate(extra):
        unwritten = _prepare_cell(cell)
        if unwritten is not None:
            _report(found, cell, ExtraOutcome("error", 0.0, unwritten))
            continue
        remaining = limits.total_timeout - (time.monotonic() - found.started)
        timeout = min(cell.timeout, remaining)
        disk = (client.workdir, limits.disk_mb * 1_000_000)
        began = time.monotonic()
        end, _ = await run_cell(client, index, timeout, disk) if timeout > 0 \
            else ("timeout", "")
        seconds = time.monotonic() - began
        error = client.raised(index) if end == "ok" else None
        if error is not None:
            outcome = ExtraOutcome("error", seconds, replace(error, cell=0), (seconds,))
        else:
            outcome = ExtraOutcome("crashed" if end == "disk" else end, seconds, None, (seconds,))
        _report(found, cell, outcome)
        if end == "ok":
            continue
        for _, later in extra[offset + 1:]:
            _report(found, later, ExtraOutcome("not-run"))
        found.outcome, found.message = _probe_end(end, cell, timeout, limits)
        await stop_kernel(client, km)
        return


def _prepare_cell(cell: ExtraCell) -> CellError | None:
    """Write what the cell reads just before it runs; None when done, else why it could not
    (the notebook changed the folder the grader writes to: the cell's check errors)."""
    if cell.prepare is None:
        return None
    try:
        cell.prepare()
    except OSError as exc:
        return CellError(0, "InputsNotWritten", INPUTS_NOT_WRITTEN.format(
            what=cell.what, error=f"{type(exc).__name__}: {exc.strerror or exc}"), "")
    return None


def _report(found: _Progress, cell: ExtraCell, outcome: ExtraOutcome) -> None:
    if cell.key is not None:
        before = found.extra.get(cell.key)
        found.extra[cell.key] = outcome if before is None else before.then(outcome)


def _probe_end(end: CellEnd, cell: ExtraCell, timeout: float, limits: Limits,
               ) -> tuple[Outcome, str]:
    """How the run ends when an extra cell did not finish: (outcome, message)."""
    if end == "crashed":
        return "crashed", PROBE_CRASHED.format(what=cell.what)
    if end == "disk":
        return "crashed", PROBE_DISK.format(mb=limits.disk_mb, what=cell.what)
    if timeout < cell.timeout:
        return "timeout", PROBE_TOTAL.format(limit=limits.total_timeout, what=cell.what)
    limit = cell.timeout if cell.stated_limit is None else cell.stated_limit
    return "ok", PROBE_STUCK.format(what=cell.what, limit=limit)


PrepareExtra = Callable[[tuple[CellError, ...]], bool]


async def _run(nb: NotebookNode, spec: SandboxSpec, limits: Limits,
               extra: Sequence[ExtraCell], prepare_extra: PrepareExtra | None,
               seed: int, on_cell: CellHook | None = None) -> _Progress:
    work = prepare_notebook(nb, [e.source for e in extra], seed)
    count = len(work.cells) - 1 - len(extra)
    prepare_workdir(spec)
    group = cgroup.create(KERNEL_CORES, spec.processes)
    km = SandboxKernelManager(spec, MAX_MESSAGE_BYTES, group)
    client = CappedClient(work, km)
    found = _Progress()
    try:
        await start_kernel(client, spec)
        end, why = await run_cell(client, 0, STARTUP_TIMEOUT)
        failed = client.raised(0)
        if end != "ok" or client.replies.get(0, {}).get("status") != "ok" or failed:
            detail = f"{failed.ename}: {failed.evalue}" if failed else f"{end} {why}"
            raise KernelError(f"the kernel could not run the grader's seed cell ({detail})")
        await _student_cells(client, count, limits, found, on_cell)
        runs = found.outcome == "ok" and bool(extra)
        wanted = runs and _prepare(spec, prepare_extra, found.errors)
        chosen = [runs and (wanted or cell.always) for cell in extra]
        await _extra_cells(client, km, [(count + 1 + i, cell) for i, cell in enumerate(extra)
                                        if chosen[i]], found, limits)
        for cell, ran in zip(extra, chosen):
            if not ran:
                _report(found, cell, ExtraOutcome("not-run"))
    finally:
        await stop_kernel(client, km)
        cgroup.destroy(group)
        km.context.destroy(linger=0)
        found.images, found.kept_chars, found.dropped_chars = (client.images, client.kept,
                                                               client.dropped)
        found.figures = tuple(client.figures)
    return found


def _prepare(spec: SandboxSpec, prepare_extra: PrepareExtra | None,
             errors: list[CellError]) -> bool:
    """Call `prepare_extra`; hand what it wrote in the work dir over to the kernel's user."""
    if prepare_extra is None:
        return True
    present = set(os.listdir(spec.workdir))
    wanted = prepare_extra(tuple(errors))
    hand_over(spec, set(os.listdir(spec.workdir)) - present)
    return wanted


T = TypeVar("T")


def _run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run, in a private thread if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def run_notebook(
    nb: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits,
    extra: Sequence[ExtraCell] = (),
    prepare_extra: PrepareExtra | None = None,
    seed: int = 0,
    *,
    sandbox: bool = True,
    on_cell: CellHook | None = None,
) -> Execution:
    """Execute `nb` in a fresh sandboxed kernel whose cwd is `workdir`.

    Args:
        nb: the notebook (not modified; stored outputs, widget state and kernelspec ignored).
        workdir: a fresh, empty-but-for-the-upload directory the caller owns; it is the only
            writable place the kernel sees. Its absolute path is the same inside the sandbox.
        limits: per-cell/total time and memory limits.
        extra: grader cells to run after the student's cells (skipped after a timeout/crash).
        prepare_extra: called in the grader's process after the student's cells (when they
            ended without a timeout or crash) with the cells that raised; it writes what the
            extra cells need into `workdir` (the probe inputs) and returns whether they run at
            all (False: every extra cell but those marked `always` is "not-run").
        seed: seeds random, numpy and torch in the kernel before the first student cell.
        sandbox: False forces the fallback without an OS sandbox (rlimits only).
        on_cell: called before each student code cell (progress only; it must not raise).

    Raises:
        KernelError: no usable kernel could be started (a grader fault, not the student's).
    """
    status = sandbox_status() if sandbox else None
    use_bwrap = status is not None and status.available
    spec = make_spec(workdir, limits.memory_mb, use_bwrap=use_bwrap)
    warnings: tuple[str, ...] = ()
    if not use_bwrap:
        reason = status.reason if status is not None else "disabled by the caller"
        warnings = (NO_SANDBOX.format(reason=reason),)
    began = time.monotonic()
    found = _run_sync(lambda: _run(nb, spec, limits, extra, prepare_extra, seed, on_cell))
    return Execution(
        outcome=found.outcome, message=found.message, cell_errors=tuple(found.errors),
        image_outputs=found.images, extra=dict(found.extra),
        duration=time.monotonic() - began, notebook_seconds=found.notebook_seconds,
        isolation="bubblewrap" if use_bwrap else "none (rlimits only)", warnings=warnings,
        output_chars=found.kept_chars, output_dropped_chars=found.dropped_chars,
        cell_seconds=tuple(found.cell_seconds), stopped_cell=found.stopped_cell,
        figures=found.figures,
    )

