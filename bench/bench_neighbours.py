"""How much a hostile notebook slows an honest one graded beside it (not a test).

    sudo .venv/bin/python bench/bench_neighbours.py [--seconds 4] [--hog-processes 64]

The honest notebook burns a fixed amount of pure-Python work (about `--seconds` on an idle
core). It runs three ways, each in its own process: alone; beside a hog (a notebook that forks
`--hog-processes` busy processes, each in a new session, and lives 15 x `--seconds`) with the
per-kernel control group off; and beside the same hog with the control group on
(`grader.cgroup`: one core per kernel). The table gives the honest notebook's cell time and its
ratio to the run alone, from this one run. The control group needs root and a writable cgroup
hierarchy; without them the third row equals the second. Nothing asserts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import cgroup  # noqa: E402
from grader.execute import run_notebook  # noqa: E402
from grader.rubric import Limits  # noqa: E402

HONEST = """\
import time
began, n = time.perf_counter(), 0
for i in range({loops}):
    n += i * i % 7
print(time.perf_counter() - began)
"""
HOG = """\
import os, time
for _ in range({processes}):
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
time.sleep({seconds})
"""
LOOPS_PER_SECOND = 6_000_000      # rough, for sizing the honest notebook only


def _run(source: str, limit: float, with_group: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    if not with_group:
        cgroup.create = lambda *a, **k: None     # this process only
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        result = run_notebook(nb, workdir, Limits(cell_timeout=limit, total_timeout=limit + 30))
    out.put((result.outcome, result.notebook_seconds))


def honest_seconds(honest: str, hog: str | None, with_group: bool, limit: float) -> float:
    """The honest notebook's cell time, run alone or with the hog started just before it."""
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    hog_proc, hog_queue = None, ctx.Queue()    # the queue must outlive the child's start
    if hog is not None:
        hog_proc = ctx.Process(target=_run, args=(hog, limit, with_group, hog_queue))
        hog_proc.start()
        time.sleep(6)                           # its kernel starts and forks
    proc = ctx.Process(target=_run, args=(honest, limit, with_group, queue))
    proc.start()
    outcome, seconds = queue.get()
    proc.join()
    if hog_proc is not None:
        hog_proc.join()
    if outcome != "ok":
        raise SystemExit(f"the honest notebook ended {outcome}")
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--hog-processes", type=int, default=64)
    args = parser.parse_args()
    honest = HONEST.format(loops=int(args.seconds * LOOPS_PER_SECOND))
    limit = 40 * args.seconds
    hog = HOG.format(processes=args.hog_processes, seconds=15 * args.seconds)
    trial = cgroup.create()
    available = trial is not None
    cgroup.destroy(trial)
    print(f"control groups available: {available}")
    rows = [("alone", honest_seconds(honest, None, True, limit)),
            ("beside the hog, no control group", honest_seconds(honest, hog, False, limit)),
            ("beside the hog, control groups", honest_seconds(honest, hog, True, limit))]
    alone = rows[0][1]
    print(f"{'honest notebook':36} {'cell s':>8} {'x alone':>8}")
    for name, seconds in rows:
        print(f"{name:36} {seconds:8.1f} {seconds / alone:8.2f}")


if __name__ == "__main__":
    main()
