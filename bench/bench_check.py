"""`grade check` on each assignment's correct bundled upload against plain `python` (not a test).

    .venv/bin/python bench/bench_check.py [--kit] [--only adam]

For every assignment, one interleaved run: `grade check FILE` as a student or CI runs it (a
fresh process: interpreter start, imports, intake, planning, the sandboxed kernel, the probes,
the verdict), then the notebook's own code cells joined into one script run by a plain `python`
in a fresh folder (a zip's members beside it, matplotlib's Agg backend, lines starting with `%`
or `!` commented out). With `--kit` the check runs from a kit that `grade release` writes first
(the student's path: no reference computed at check time).

Columns: `check` and `python` are wall seconds, `ratio` is check / python; `cells` is the time
the kernel spent in the student's cells and `run` the whole execution (kernel start to
shutdown, probes included), both as `grade check --format json` does not report them: they come
from a second, in-process check of the same upload (`--phases`, off by default). Nothing asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
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
        env = {**os.environ, "MPLBACKEND": "Agg"}
        began = time.monotonic()
        done = subprocess.run([sys.executable, str(script)], cwd=tmp, env=env,
                              capture_output=True, text=True, check=False)
        wall = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"plain python failed on {upload}:\n{done.stderr[-2000:]}")
    return wall


def time_check(upload: Path, kit: Path | None) -> tuple[float, dict[str, object]]:
    args = [str(BIN / "grade"), "check", "--format", "json", str(upload)]
    if kit is not None:
        args[2:2] = ["--kit", str(kit)]
    began = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
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
    args = parser.parse_args()
    names = args.only or sorted(CORRECT)
    with tempfile.TemporaryDirectory(prefix="bench-kits-") as tmp:
        kits = release_kits(names, Path(tmp)) if args.kit else {}
        time_plain(ROOT / CORRECT[names[0]])                   # warm the page cache
        rows = []
        for name in names:
            upload = ROOT / CORRECT[name]
            check, record = time_check(upload, kits.get(name))
            plain = time_plain(upload)
            rows.append((name, check, plain, record))
    mode = "grade check --kit" if args.kit else "grade check"
    print(f"one interleaved run; {mode} vs plain python, wall seconds")
    print(f"{'assignment':<11} {'check':>7} {'python':>7} {'ratio':>7}  score")
    for name, check, plain, record in rows:
        print(f"{name:<11} {check:7.2f} {plain:7.2f} {check / plain:6.2f}x  "
              f"{record['score']:g}/{record['max_score']:g} {record['status']}")


if __name__ == "__main__":
    main()
