"""Benchmark the whole grading pipeline on the bundled correct uploads (rerun it; one run's ratios).

    .venv/bin/python bench/bench_pipeline.py [--copies 5] [--workers 2]

For each assignment, grades `copies` copies of its correct example upload (renamed to distinct
valid names) and reports per upload: wall time, the notebook's own run time, and the grader's
overhead (wall minus notebook), then the batch's throughput with --workers, and the same batch
with the OS sandbox forced off, as ratios measured in this one run. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from grader.batch import grade_all
from grader.discover import Upload
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.rubric import load_rubrics
from grader.runners import LocalPool
from grader.score import Grade

ROOT = Path(__file__).resolve().parent.parent
CORRECT = {
    "adam": "adam/adam_regression_classification_solved_group_01.ipynb",
    "gradients": "gradients/gradient_studies_group_01.ipynb",
    "xor": "xor/sheet06_1234567_7654321.zip",
    "conv3d": "conv3d/conv3d_jdoe42.ipynb",
}


def copy_name(name: str, i: int) -> str:
    """A distinct valid name for copy i (group numbers / ids changed)."""
    if name.startswith("sheet06_"):
        return name  # the xor zip's team cell names its ids: copies go in subfolders instead
    if "group_" in name:
        return re.sub(r"\d{2}(?=\.ipynb$)", f"{10 + i:02d}", name)
    return name.replace(".ipynb", f"{i}.ipynb").replace("jdoe42", f"jdoe{40 + i}")


def build(folder: Path, copies: int) -> None:
    for assignment, rel in CORRECT.items():
        src = ROOT / "submissions" / rel
        for i in range(copies):
            target = folder / assignment / f"copy{i}" / copy_name(src.name, i)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, target)


def run(folder: Path, out: Path, workers: int, sandbox: bool) -> tuple[float, list[Grade]]:
    start = time.monotonic()
    result = grade_all(folder, out, Options(rubrics_dir=ROOT / "rubrics", sandbox=sandbox),
                       LocalPool(workers), force=True, progress=_Quiet())
    return time.monotonic() - start, list(result.grades)


class _Quiet(PlainProgress):
    def advance(self, upload: Upload, grade: Grade | None, note: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    load_rubrics(ROOT / "rubrics")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "subs"
        build(folder, args.copies)
        rows = {}
        for sandbox in (True, False):
            wall, grades = run(folder, Path(tmp) / f"out-{sandbox}", args.workers, sandbox)
            rows[sandbox] = (wall, grades)
        print(f"{len(rows[True][1])} uploads, {args.workers} workers")
        print(f"{'assignment':<10} {'status':<8} {'wall s':>8} {'notebook s':>11} "
              f"{'overhead s':>11} {'overhead/wall':>14}")
        for assignment in CORRECT:
            gs = [g for g in rows[True][1] if g.assignment == assignment]
            wall = statistics.median(g.duration for g in gs)
            nb = statistics.median(g.notebook_seconds for g in gs)
            statuses = ",".join(sorted({f"{g.status}:{g.score:g}/{g.max_score:g}" for g in gs}))
            print(f"{assignment:<10} {statuses:<8} {wall:>8.2f} {nb:>11.2f} {wall - nb:>11.2f} "
                  f"{(wall - nb) / wall:>14.2f}")
        sandboxed, plain = rows[True][0], rows[False][0]
        print(f"batch wall: sandbox {sandboxed:.1f} s, no sandbox {plain:.1f} s, "
              f"ratio {sandboxed / plain:.2f}")
        print(f"throughput: {len(rows[True][1]) / sandboxed * 60:.1f} uploads/minute "
              "with the sandbox")


if __name__ == "__main__":
    main()
