"""What a probe cell costs besides the call, and how evenly (not a test).

    .venv/bin/python bench/bench_probe_cells.py [--runs 3] [--calls 20] [--sleep 0.3] [--busy]

Grades a one-check rubric whose student function sleeps `--sleep` seconds, through the real
probe cells (one cell per call, `grader.probe.probe_cells`) in a sandboxed kernel. For each run
it prints the empty probes' times (the fixed cost, `grader.timing.probe_cost` takes the fastest)
and, over the call cells, `cell seconds - sleep - cost`: what the grader's clock adds to a call
beyond the measured cost. `--busy` keeps both cores busy with two spinning processes meanwhile.
The numbers are from this one run on this machine; nothing asserts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.execute import run_notebook  # noqa: E402
from grader.probe import EMPTY_PROBE, build_plan, probe_cells, write_inputs  # noqa: E402
from grader.probe_runtime import Case  # noqa: E402
from grader.rubric import CheckSpec, Limits, Rubric  # noqa: E402

LIMITS = Limits(cell_timeout=60, total_timeout=600)


def _double(x: np.ndarray) -> np.ndarray:
    return 2.0 * x


def _rubric(calls: int) -> Rubric:
    def cases(rng: np.random.Generator) -> list[Case]:
        return [Case((rng.normal(size=(50, 50)),)) for _ in range(calls)]

    check = CheckSpec(id="double", points=1.0, kind="call", symbol="double", reference="x:y",
                      inputs="x:y", reference_fn=_double, inputs_fn=cases, timeout=3.0)
    return Rubric(id="bench", title="bench", pattern=r"(?P<group>x)", expected="x",
                  upload="notebook", zero_error=True, limits=LIMITS, checks=(check,))


def one_run(calls: int, sleep: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(empty probe seconds, call cell seconds) of one graded run."""
    rubric = _rubric(calls)
    plan = build_plan(rubric, 1)
    source = f"import time\ndef double(x):\n    time.sleep({sleep})\n    return 2 * x"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()

        def prepare(_errors: object) -> bool:
            write_inputs(plan, workdir)
            return True

        execution = run_notebook(nb, workdir, LIMITS, probe_cells(plan, rubric, workdir),
                                 prepare)
    return execution.extra[EMPTY_PROBE].cell_seconds, execution.extra["double"].cell_seconds


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--sleep", type=float, default=0.3)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()
    hogs = []
    if args.busy:
        stop_at = time.monotonic() + 3600
        hogs = [multiprocessing.Process(target=_spin, args=(stop_at,), daemon=True)
                for _ in range(2)]
        for hog in hogs:
            hog.start()
    extra: list[float] = []
    try:
        for run in range(args.runs):
            empties, cells = one_run(args.calls, args.sleep)
            cost = min(empties)
            residual = [c - args.sleep - cost for c in cells]
            extra += residual
            print(f"run {run + 1}: empty probes {', '.join(f'{e * 1000:.1f}' for e in empties)} ms"
                  f" (cost {cost * 1000:.1f} ms); call cell - sleep - cost: min "
                  f"{min(residual) * 1000:.1f}, median {statistics.median(residual) * 1000:.1f}, "
                  f"max {max(residual) * 1000:.1f} ms")
    finally:
        for hog in hogs:
            hog.kill()
    print(f"all {len(extra)} calls: min {min(extra) * 1000:.1f}, median "
          f"{statistics.median(extra) * 1000:.1f}, max {max(extra) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
