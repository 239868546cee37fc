"""`grade check` on each assignment's correct bundled upload against plain `python` (not a test).

    .venv/bin/python bench/bench_check.py [--kit] [--only adam]

For every assignment, one interleaved run: `grade check FILE` as a student or CI runs it (a
fresh process: interpreter start, imports, intake, planning, the sandboxed kernel, the probes,
the verdict), then the notebook's own code cells joined into one script run by a plain `python`
in a fresh folder (a zip's members beside it, matplotlib's Agg backend, lines starting with `%`
or `!` commented out, one thread per numeric library as in the kernel). With `--kit` the check
runs from a kit that `grade release` writes first (the student's path: no reference computed at
check time).

Columns: wall seconds of `grade check` and of `python`, and their ratio. On a shared machine
wall time drifts with the load (printed): `--rounds N` repeats the interleaved run and shows
medians. (CPU time would be steadier, but the sandboxed kernel is killed, never reaped by the
`grade` process, so its CPU time cannot be read from the outside.)
`--baseline DIR` adds, in the same interleaved run, `grade check` of another tree of the project
(DIR holding its grader/, reference/ and rubrics/, e.g. from `git archive`) on PYTHONPATH: the
before/after of a change under the same load. Nothing asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CORRECT = {
    "adam": "submissions/adam/adam_regression_classification_solved_group_01.ipynb",
    "conv3d": "submissions/conv3d/conv3d_jdoe42.ipynb",
    "gradients": "submissions/gradients/gradient_studies_group_01.ipynb",
    "xor": "submissions/xor/sheet06_1234567_7654321.zip",
}
PLAIN_PRELUDE = "import matplotlib\nmatplotlib.use('Agg')\n"
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMEXPR_NUM_THREADS")}   # as grader.sandbox.kernel_env


def timed(args: list[str], cwd: Path | str,
          env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """(wall seconds, the finished process)."""
    began = time.monotonic()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.monotonic() - began, done


def notebook_script(upload: Path, folder: Path) -> Path:
    """The upload's code cells as one script in `folder` (a zip's members written beside it)."""
    if upload.suffix == ".zip":
        with zipfile.ZipFile(upload) as zf:
            zf.extractall(folder)
            [name] = [n for n in zf.namelist() if n.endswith(".ipynb")]
        raw = (folder / name).read_bytes()
    else:
        raw = upload.read_bytes()
    nb = json.load(io.BytesIO(raw))
    lines = [PLAIN_PRELUDE]
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines += [("# " + line) if line.lstrip().startswith(("%", "!")) else line
                  for line in source.splitlines()]
        lines.append("")
    script = folder / "notebook_code.py"
    script.write_text("\n".join(lines), encoding="utf-8")
    return script


def time_plain(upload: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-plain-") as tmp:
        script = notebook_script(upload, Path(tmp))
        env = {**os.environ, "MPLBACKEND": "Agg", **THREADS}
        wall, done = timed([sys.executable, str(script)], cwd=tmp, env=env)
    if done.returncode != 0:
        raise SystemExit(f"plain python failed on {upload}:\n{done.stderr[-2000:]}")
    return wall


def time_check(upload: Path, kit: Path | None,
               tree: Path | None = None) -> tuple[float, dict[str, object]]:
    args = [str(BIN / "grade"), "check", "--format", "json", str(upload)]
    if kit is not None:
        args[2:2] = ["--kit", str(kit)]
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree is not None else None
    wall, done = timed(args, cwd=tree or ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit(f"grade check failed on {upload}:\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}")
    [record] = json.loads(done.stdout)["submissions"]
    return wall, record


def release_kits(names: list[str], out: Path) -> dict[str, Path]:
    kits = {}
    for name in names:
        done = subprocess.run([str(BIN / "grade"), "release", name, "--out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"grade release {name} failed:\n{done.stderr[-2000:]}")
        kits[name] = out / f"{name}-kit"
    return kits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", action="store_true", help="check from a released kit")
    parser.add_argument("--only", action="append", choices=sorted(CORRECT), default=None)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    names = args.only or sorted(CORRECT)
    samples: dict[str, list[tuple[float, ...]]] = {n: [] for n in names}
    records: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-kits-") as tmp:
        kits = release_kits(names, Path(tmp)) if args.kit else {}
        time_plain(ROOT / CORRECT[names[0]])                   # warm the page cache
        for _ in range(args.rounds):
            for name in names:
                upload = ROOT / CORRECT[name]
                before: tuple[float, ...] = ()
                if args.baseline is not None:
                    before = (time_check(upload, None, args.baseline.resolve())[0],)
                check, records[name] = time_check(upload, kits.get(name))
                samples[name].append((check, time_plain(upload), *before))
    mode = "grade check --kit" if args.kit else "grade check"
    rounds = "one interleaved run" if args.rounds == 1 else f"medians of {args.rounds} rounds"
    print(f"{rounds}; {mode} vs plain python (seconds; load {os.getloadavg()[0]:.1f})")
    heading = f"  {'before':>7} {'ratio':>6}" if args.baseline is not None else ""
    print(f"{'assignment':<11} {'check':>7} {'python':>7} {'ratio':>6}{heading}  score")
    for name in names:
        med = [statistics.median(s[i] for s in samples[name]) for i in range(len(samples[name][0]))]
        record = records[name]
        line = f"{name:<11} {med[0]:7.2f} {med[1]:7.2f} {med[0] / med[1]:5.2f}x"
        if len(med) == 3:
            line += f"  {med[2]:7.2f} {med[2] / med[1]:5.2f}x"
        print(f"{line}  {record['score']:g}/{record['max_score']:g} {record['status']}")


if __name__ == "__main__":
    main()
