"""dlgrade against the alternatives on the same uploads, in one interleaved run (not a test).

    .venv/bin/python bench/bench_alternatives.py [--rounds 3] [--copies 1] [--json PATH]
                                                 [--no-nbgrader]

Workload: the four correct bundled uploads (adam and gradients group_01, conv3d_jdoe42, the xor
zip sheet06_1234567_7654321.zip with its members), `--copies N` times over. Contestants, each
starting fresh processes, interleaved round by round (A B C D E, then E D C B A, ...) so drifts
of the machine's load hit them alike:

  python       each upload's code cells joined into one script, run by a plain `python` in a
               fresh folder (bench_check's `notebook_script`: Agg backend, `%`/`!` lines
               commented out, a zip's members beside it); one process per upload.
  nbclient     jupyter's NotebookClient executes each notebook in a fresh folder (one process
               and one ipykernel per upload); no sandbox, no limits, no grading.
  nbgrader     `nbgrader autograde '*' --force` on a course built from our rubrics
               (bench/alternatives_nbgrader.py: one autograder test cell per check, calling the
               student's function on the inputs dlgrade draws for that upload and asserting
               closeness to values computed with reference/ beforehand). One process for all.
  dlgrade w1   `grade <folder> --out <fresh dir> --workers 1 --force` on the same uploads.
  dlgrade w2   the same with `--workers 2`.

The first use creates nbgrader's own venv under bench/.cache/ (see alternatives_nbgrader.py for
exactly what it installs: nbgrader==0.9.6 and its dependencies from PyPI; torch, numpy and
matplotlib are borrowed from this venv through a .pth file, the project venv is not written to).
If nbgrader cannot be installed or run, the reason is printed and the others are still compared.

What each does, so the ratios are read fairly: python and nbclient only run the student's code
(nothing is checked). nbgrader runs the student's code and the tests in one kernel in the
tutor's account: no sandbox, no memory or disk limit, no per-call time limit (only its 120 s
per-cell timeout, set like our rubrics), inputs and reference values fixed beforehand (here
the very cases dlgrade draws for each upload; computing them is not in nbgrader's time, the
script prints how long it took); no figure check. It writes an autograded notebook per upload
and a gradebook. dlgrade adds the intake rules, a bubblewrap sandbox and rlimits (and a
cgroup as root) per kernel, fresh random inputs per upload, the reference computed in the
grader's process, one probe cell per call timed by the grader's clock, the check of how the
kernel reports errors, comparisons outside the kernel, and writes a gradebook, grades.json/csv,
an HTML report per upload and the overview. Numeric libraries run with one thread everywhere
(dlgrade's kernel sets it; the others get OMP/OPENBLAS/MKL/NUMEXPR_NUM_THREADS=1).

Measured per contestant and round: wall seconds (the sum over its processes), the peak summed
RSS of its process tree (polled every 0.05 s from /proc) and the largest single process's max
RSS (GNU `/usr/bin/time -f %M`, when installed); see bench/alternatives_measure.py. The table
shows medians over rounds, ratios to python and to nbgrader, and the per-upload overhead (wall
minus python's, divided by the uploads). `--json PATH` writes every raw number. Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import alternatives_nbgrader as nbg
from alternatives_measure import Run, gnu_time_available, measure
from bench_check import CORRECT, THREADS, notebook_script

from grader.rubric import load_rubrics
from grader.sandbox import sandbox_status

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NBCLIENT = (
    "import sys, nbformat\n"
    "from nbclient import NotebookClient\n"
    "nb = nbformat.read(sys.argv[1], as_version=4)\n"
    "NotebookClient(nb, timeout=120, kernel_name='python3',\n"
    "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
)


@dataclass(frozen=True)
class Sample:
    """One contestant in one round: its processes' runs, summed and maxed."""

    contestant: str
    round: int
    position: int                 # 0-based place in this round's order
    load: float                   # the 1-minute load average when it started
    wall: float
    tree_peak_mb: float
    largest_mb: float
    result: str                   # what it reported (tests passed, scores)
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Setup:
    """Everything the contestants need, prepared before the first round."""

    tmp: Path
    uploads: tuple[Path, ...]     # the workload, copies included
    grade_input: Path             # copy<NN>/<assignment>/<file> for dlgrade
    course: Path | None           # the nbgrader course, None when nbgrader is unavailable
    nbgrader_bin: Path | None
    gnu_time: bool
    reference_seconds: float      # planning + reference values for the nbgrader course


def combine(name: str, rnd: int, position: int, load: float, runs: list[Run],
            result: str) -> Sample:
    return Sample(name, rnd, position, load, sum(r.wall for r in runs),
                  max(r.tree_peak_mb for r in runs), max(r.largest_mb for r in runs), result,
                  tuple(runs))


def failed(what: str, run: Run) -> SystemExit:
    return SystemExit(f"{what} failed (exit {run.returncode}):\n{run.output}")


def thread_env() -> dict[str, str]:
    return {**os.environ, **THREADS}


def run_python(setup: Setup, fresh: Path) -> tuple[list[Run], str]:
    runs = []
    for n, upload in enumerate(setup.uploads):
        folder = fresh / f"python-{n}"
        folder.mkdir()
        script = notebook_script(upload, folder)
        run = measure([sys.executable, str(script)], folder,
                      {**thread_env(), "MPLBACKEND": "Agg"}, setup.gnu_time)
        if run.returncode != 0:
            raise failed(f"python on {upload.name}", run)
        runs.append(run)
    return runs, f"{len(runs)} scripts ran"


def run_nbclient(setup: Setup, fresh: Path) -> tuple[list[Run], str]:
    runs = []
    for n, upload in enumerate(setup.uploads):
        folder = fresh / f"nbclient-{n}"
        folder.mkdir()
        name, raw, members = nbg.read_upload(upload)
        (folder / name).write_bytes(raw)
        for member, data in members.items():
            (folder / member).parent.mkdir(parents=True, exist_ok=True)
            (folder / member).write_bytes(data)
        run = measure([sys.executable, "-c", NBCLIENT, str(folder / name), str(folder)],
                      folder, thread_env(), setup.gnu_time)
        if run.returncode != 0:
            raise failed(f"nbclient on {upload.name}", run)
        runs.append(run)
    return runs, f"{len(runs)} notebooks ran"


def run_nbgrader(setup: Setup, _fresh: Path) -> tuple[list[Run], str]:
    assert setup.course is not None and setup.nbgrader_bin is not None
    run = measure([str(setup.nbgrader_bin / "nbgrader"), "autograde", "*", "--force"],
                  setup.course, nbg.venv_env(setup.nbgrader_bin, thread_env()), setup.gnu_time)
    if run.returncode != 0:
        raise failed("nbgrader autograde", run)
    passed, total, notebooks = nbg.autograde_results(setup.course)
    return [run], f"{notebooks} notebooks, tests {passed}/{total} passed"


def run_dlgrade(workers: int) -> Callable[[Setup, Path], tuple[list[Run], str]]:
    def contestant(setup: Setup, fresh: Path) -> tuple[list[Run], str]:
        out = fresh / f"graded-w{workers}"
        run = measure([str(BIN / "grade"), str(setup.grade_input), "--out", str(out),
                       "--workers", str(workers), "--force"], ROOT, dict(os.environ),
                      setup.gnu_time)
        if run.returncode != 0:
            raise failed(f"grade --workers {workers}", run)
        records = json.loads((out / "grades.json").read_text())["submissions"]
        full = sum(r["status"] == "graded" and r["score"] == r["max_score"] for r in records)
        return [run], f"{len(records)} graded, {full} with full marks"
    return contestant


CONTESTANTS: dict[str, Callable[[Setup, Path], tuple[list[Run], str]]] = {
    "python": run_python,
    "nbclient": run_nbclient,
    "nbgrader": run_nbgrader,
    "dlgrade w1": run_dlgrade(1),
    "dlgrade w2": run_dlgrade(2),
}


def prepare(tmp: Path, copies: int, use_nbgrader: bool) -> Setup:
    """The workload, dlgrade's input folder and (when it can be had) the nbgrader course."""
    originals = {name: ROOT / path for name, path in CORRECT.items()}
    grade_input = tmp / "uploads"
    for k in range(1, copies + 1):
        for name, upload in originals.items():
            (grade_input / f"copy{k:02d}" / name).mkdir(parents=True)
            shutil.copy(upload, grade_input / f"copy{k:02d}" / name / upload.name)
    uploads = tuple(p for _ in range(copies) for p in originals.values())
    course = nbgrader_bin = None
    planning = math.nan
    if use_nbgrader:
        try:
            print(f"nbgrader: venv {nbg.venv_dir()} (created on first use, takes a minute)")
            nbgrader_bin = nbg.ensure_venv()
            rubrics = {r.id: r for r in load_rubrics(ROOT / "rubrics")}
            timeout = max(r.limits.cell_timeout for r in rubrics.values())
            course = tmp / "course"
            planning = nbg.build_course(course, originals, rubrics, copies, timeout)
            nbg.generate_assignments(nbgrader_bin, course, sorted(originals),
                                     nbg.venv_env(nbgrader_bin, thread_env()))
        except Exception:  # noqa: BLE001 - say why and compare the others
            print("nbgrader is left out of this run:\n" + traceback.format_exc(limit=3))
            course = nbgrader_bin = None
    return Setup(tmp, uploads, grade_input, course, nbgrader_bin, gnu_time_available(),
                 planning)


def one_round(setup: Setup, rnd: int, names: list[str]) -> list[Sample]:
    order = names if rnd % 2 == 0 else names[::-1]
    samples = []
    for position, name in enumerate(order):
        fresh = Path(tempfile.mkdtemp(prefix=f"round{rnd}-", dir=setup.tmp))
        load = os.getloadavg()[0]
        runs, result = CONTESTANTS[name](setup, fresh)
        shutil.rmtree(fresh, ignore_errors=True)
        samples.append(combine(name, rnd, position, load, runs, result))
        print(f"  round {rnd + 1} {name:<11} {samples[-1].wall:7.2f} s  {result}", flush=True)
    return samples


def median(samples: list[Sample], name: str, field: str) -> float:
    values = [float(getattr(s, field)) for s in samples if s.contestant == name]
    return statistics.median(values) if values else math.nan


def table(samples: list[Sample], names: list[str], uploads: int) -> list[str]:
    wall = {n: median(samples, n, "wall") for n in names}
    base, ref = wall["python"], wall.get("nbgrader", math.nan)
    lines = [f"{'contestant':<11} {'wall s':>7} {'x python':>8} {'x nbgrader':>10} "
             f"{'overhead s/upload':>17} {'tree MB':>8} {'largest MB':>10}  result"]
    for n in names:
        results = sorted({s.result for s in samples if s.contestant == n})
        lines.append(
            f"{n:<11} {wall[n]:7.2f} {wall[n] / base:7.2f}x {wall[n] / ref:9.2f}x "
            f"{(wall[n] - base) / uploads:17.2f} {median(samples, n, 'tree_peak_mb'):8.0f} "
            f"{median(samples, n, 'largest_mb'):10.0f}  {'; '.join(results)}")
    return lines


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"load average {os.getloadavg()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1, help="copies of each upload")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="write the raw numbers here")
    parser.add_argument("--no-nbgrader", action="store_true", help="leave nbgrader out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-alternatives-") as tmp:
        setup = prepare(Path(tmp), args.copies, not args.no_nbgrader)
        names = [n for n in CONTESTANTS if n != "nbgrader" or setup.course is not None]
        before = uptime()
        print(f"sandbox: {sandbox_status().reason}\nbefore: {before}")
        run_python(setup, Path(tempfile.mkdtemp(dir=tmp)))        # warm the page cache
        samples = [s for r in range(args.rounds) for s in one_round(setup, r, names)]
        after = uptime()
    uploads = len(setup.uploads)
    print(f"\n{uploads} uploads, medians of {args.rounds} interleaved round(s); "
          f"{os.cpu_count()} cores\nafter: {after}")
    print("\n".join(table(samples, names, uploads)))
    print("tree MB: peak summed RSS of the process tree (polled every 0.05 s; pages shared "
          "between processes counted once per process)\nlargest MB: GNU time %M, the largest "
          "process the command reaped (dlgrade's kernels are killed, not reaped by grade, so "
          "its column shows the grader's own processes only)"
          + ("" if setup.gnu_time else "; GNU time is not installed: nan"))
    if setup.course is not None:
        print(f"not in nbgrader's time: its cases and reference values, computed beforehand "
              f"({setup.reference_seconds:.2f} s here; dlgrade computes them per upload)")
    if args.json is not None:
        document: dict[str, Any] = {
            "uploads": [str(p.relative_to(ROOT)) for p in setup.uploads],
            "rounds": args.rounds, "copies": args.copies, "cores": os.cpu_count(),
            "uptime_before": before, "uptime_after": after,
            "sandbox": sandbox_status().reason, "gnu_time": setup.gnu_time,
            "nbgrader": nbg.NBGRADER if setup.course is not None else None,
            "nbgrader_reference_seconds": setup.reference_seconds,
            "samples": [asdict(s) for s in samples]}
        args.json.write_text(json.dumps(document, indent=1, allow_nan=True))
        print(f"raw numbers: {args.json}")


if __name__ == "__main__":
    main()
