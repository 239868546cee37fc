"""What the reports' pictures cost, and how large pages get (rerun it; one run's numbers).

    .venv/bin/python bench/bench_report.py [--rounds 2] [--workers 2] [--copies 300]
                                           [--with-timeouts]

1. The batch of bundled uploads (submissions/, without the one that runs into the 120 s cell
   limit unless --with-timeouts) graded with and without pictures (`Options.pictures`, the switch
   that disables drawing), interleaved in ABBA order (on, off, off, on, ...) in one run; the
   wall times and their ratio. On a shared machine this ratio is noisy: read it with part 2.
2. Where the drawing happens and what it costs there: the uploads with a failing check graded in
   this process (the `InProcess` runner) after a warm-up, the explain step
   (`grader.explain.explain_checks`, run by `grader.pipeline` in the grading worker) timed apart
   from the rest of each upload.
3. Page sizes in a batch of --copies uploads: the grades of run 1 copied under new names until
   there are that many, every report and the overview written as the batch writes them; the
   largest report and the overview against the ~300 KB budget.
Not a test: nothing asserts; sizes over the budget are flagged.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from grader import explain, pipeline, publish
from grader.batch import grade_all
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.report_paths import report_paths
from grader.rubric import load_rubrics
from grader.runners import InProcess, LocalPool
from grader.score import Grade

ROOT = Path(__file__).resolve().parent.parent
SLOW = ("conv3d/conv3d_slowq2.ipynb",)            # runs into the 120 s cell limit on purpose
FAILING = ("adam/adam_regression_classification_solved_group_02.ipynb",
           "gradients/gradient_studies_group_02.ipynb", "xor/sheet06_2345678.zip",
           "xor/sheet06_3456789.zip", "conv3d/conv3d_rroe7.ipynb", "conv3d/conv3d_slowp1.ipynb")
PAGE_BUDGET = 300_000
STEP = "explain_checks"      # the explain step as grader.pipeline calls it


class _Quiet(PlainProgress):
    def advance(self, *args: object) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def finish(self) -> None:
        pass


def copy_uploads(folder: Path, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> int:
    """Copy the bundled uploads (all, or `only`) except `skip` into `folder`; return how many."""
    count = 0
    for path in sorted((ROOT / "submissions").rglob("*")):
        rel = path.relative_to(ROOT / "submissions").as_posix()
        if path.suffix in (".ipynb", ".zip") and rel not in skip and (not only or rel in only):
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            count += 1
    return count


def batch(folder: Path, out: Path, workers: int, pictures: bool) -> tuple[float, list[Grade]]:
    options = Options(rubrics_dir=ROOT / "rubrics", pictures=pictures)
    began = time.monotonic()
    result = grade_all(folder, out, options, LocalPool(workers), force=True, progress=_Quiet())
    return time.monotonic() - began, list(result.grades)


def interleaved(folder: Path, tmp: Path, rounds: int, workers: int) -> list[Grade]:
    """Part 1, in ABBA order (on, off, off, on, ...) so a drift of the machine's load cancels;
    returns the grades of the first run with pictures."""
    walls: dict[bool, list[float]] = {True: [], False: []}
    kept: list[Grade] = []
    for k in range(rounds):
        for pictures in ((True, False) if k % 2 == 0 else (False, True)):
            wall, grades = batch(folder, tmp / f"out-{k}-{pictures}", workers, pictures)
            walls[pictures].append(wall)
            kept = kept or (grades if pictures else [])
            print(f"  round {k + 1}, pictures {'on ' if pictures else 'off'}: {wall:6.1f} s")
    on, off = statistics.median(walls[True]), statistics.median(walls[False])
    print(f"  median with pictures {on:.1f} s, without {off:.1f} s: ratio {on / off:.3f} "
          f"(per round: {', '.join(f'{a / b:.3f}' for a, b in zip(walls[True], walls[False]))})")
    return kept


def drawing_in_the_worker(tmp: Path, rounds: int) -> None:
    """Part 2: the explain step timed inside the grading process (in-process runner), after an
    untimed warm-up run (imports, first kernel start), pictures on and off alternated."""
    folder = tmp / "failing"
    copy_uploads(folder, only=FAILING)
    spent: list[float] = []
    original = getattr(pipeline, STEP)

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - began)

    def run(pictures: bool, label: str) -> tuple[float, float]:
        spent.clear()
        options = Options(rubrics_dir=ROOT / "rubrics", pictures=pictures)
        began = time.monotonic()
        grade_all(folder, tmp / f"inproc-{label}", options, InProcess(), force=True,
                  progress=_Quiet())
        return time.monotonic() - began, sum(spent)

    setattr(pipeline, STEP, timed)    # a bench's stopwatch, not a code path of the grader
    try:
        run(True, "warm-up")
        totals: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for k in range(rounds):
            for pictures in ((True, False) if k % 2 == 0 else (False, True)):
                totals[pictures].append(run(pictures, f"{k}-{pictures}"))
    finally:
        setattr(pipeline, STEP, original)
    assert explain.explain_checks is original
    for pictures in (True, False):
        wall = statistics.median(w for w, _ in totals[pictures])
        step = statistics.median(s for _, s in totals[pictures])
        print(f"  pictures {'on ' if pictures else 'off'}: {len(FAILING)} uploads in {wall:.1f} s, "
              f"of which the explain step {step:.2f} s")
    on = statistics.median(s for _, s in totals[True])
    off_step = statistics.median(s for _, s in totals[False])
    off_wall = statistics.median(w for w, _ in totals[False])
    print(f"  drawing costs {on - off_step:.2f} s per {len(FAILING)} failing uploads "
          f"({(on - off_step) / len(FAILING):.2f} s each): {100 * (on - off_step) / off_wall:.1f}% "
          f"of their grading time")


def page_sizes(grades: list[Grade], tmp: Path, copies: int) -> None:
    """Part 3: every report and the overview of a batch of `copies` uploads."""
    rubrics = load_rubrics(ROOT / "rubrics")
    many = [dataclasses.replace(g, file=f"copy{i // len(grades):03d}/{g.file}")
            for i, g in enumerate(grades * (copies // len(grades) + 1))][:copies]
    out = tmp / "sizes"
    paths = report_paths([g.file for g in many])
    began = time.monotonic()
    for grade in many:
        publish.write_upload_report(out, grade, paths[grade.file], rubrics)
    reports_s = time.monotonic() - began
    began = time.monotonic()
    publish.write_overview(out, many, paths, rubrics, generated_at="2026-01-01T00:00:00+00:00",
                         grader_version="bench")
    index_s = time.monotonic() - began
    sizes = sorted(((out / paths[g.file]).stat().st_size, g.file) for g in many)
    largest, name = sizes[-1]
    html = (out / "index.html").read_text(encoding="utf-8")
    index = len(html.encode("utf-8"))
    pictures = sum(len(src) for src in re.findall(r'src="data:[^"]*"', html))
    start = html.index('id="uploads-table"')
    table = html.index("</table>", start) - start
    print(f"  {len(many)} uploads: reports written in {reports_s:.1f} s "
          f"({1000 * reports_s / len(many):.1f} ms each, in the batch's own process), "
          f"overview in {index_s:.1f} s")
    print(f"  largest report {largest / 1000:.0f} KB ({name}){flag(largest)}; median "
          f"{sizes[len(sizes) // 2][0] / 1000:.0f} KB")
    print(f"  overview {index / 1000:.0f} KB: pictures {pictures / 1000:.0f} KB (two per "
          f"assignment, whatever the batch), the uploads table {table / 1000:.0f} KB "
          f"({table / len(many):.0f} bytes per upload)")


def flag(size: int) -> str:
    return "" if size <= PAGE_BUDGET else "  OVER THE BUDGET"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument("--with-timeouts", action="store_true",
                        help=f"also grade {', '.join(SLOW)} (adds its 120 s to every run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        count = copy_uploads(tmp / "subs", skip=() if args.with_timeouts else SLOW)
        print(f"1. {count} bundled uploads, {args.workers} workers, pictures on/off interleaved")
        grades = interleaved(tmp / "subs", tmp, args.rounds, args.workers)
        print("2. the explain step (detail and pictures) inside the grading process")
        drawing_in_the_worker(tmp, args.rounds)
        print(f"3. page sizes in a batch of {args.copies}")
        page_sizes(grades, tmp, args.copies)


if __name__ == "__main__":
    main()
