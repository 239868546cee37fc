"""Per-run overhead of `run_notebook`, with and without the OS sandbox (not a test).

    .venv/bin/python bench/bench_execute.py [--repeats 5]

Overhead = wall time of `run_notebook` minus the notebook's own cell time (kernel start, the
hidden setup cell, bubblewrap, shutdown and the process-tree kill). Two notebooks: a trivial one
and one that imports torch. The four configurations are interleaved round by round so machine
load drifts hit them alike; the table shows medians from this one run and the sandbox/fallback
ratio. Nothing asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.execute import run_notebook  # noqa: E402
from grader.rubric import Limits  # noqa: E402
from grader.sandbox import sandbox_status  # noqa: E402

NOTEBOOKS = {
    "trivial": ["x = 1 + 1", "print(x)"],
    "torch": ["import torch", "x = torch.ones(3) * 2", "print(x.sum().item())"],
}
LIMITS = Limits(cell_timeout=120, total_timeout=300)


def one_run(sources: list[str], sandbox: bool) -> tuple[float, float]:
    """(wall seconds, notebook seconds) of one run in a fresh work dir."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        began = time.monotonic()
        result = run_notebook(nb, workdir, LIMITS, sandbox=sandbox)
        wall = time.monotonic() - began
    if result.outcome != "ok" or result.cell_errors:
        raise SystemExit(f"benchmark notebook failed: {result}")
    return wall, result.notebook_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    status = sandbox_status()
    print(f"sandbox: {status.reason}")
    modes = [True, False] if status.available else [False]
    samples: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    one_run(NOTEBOOKS["trivial"], modes[0])                     # warm the page cache
    for _ in range(args.repeats):
        for name, sources in NOTEBOOKS.items():
            for sandbox in modes:
                samples.setdefault((name, sandbox), []).append(one_run(sources, sandbox))
    print(f"\nmedians of {args.repeats} runs (seconds)")
    print(f"{'notebook':<9} {'isolation':<10} {'wall':>7} {'cells':>7} {'overhead':>9} "
          f"{'ratio':>7}")
    for name in NOTEBOOKS:
        base = None
        for sandbox in [False, True] if status.available else [False]:
            runs = samples[(name, sandbox)]
            wall = statistics.median(w for w, _ in runs)
            cells = statistics.median(c for _, c in runs)
            overhead = statistics.median(w - c for w, c in runs)
            base = overhead if not sandbox else base
            ratio = f"{overhead / base:.2f}x" if sandbox and base else "1.00x"
            label = "bwrap" if sandbox else "fallback"
            print(f"{name:<9} {label:<10} {wall:7.2f} {cells:7.2f} {overhead:9.2f} {ratio:>7}")


if __name__ == "__main__":
    main()
