"""nbgrader's side of bench_alternatives: its own venv, and a course built from our rubrics.

`ensure_venv` creates `bench/.cache/nbgrader-py<major><minor>/` once: `python -m venv`, then
`pip install nbgrader==0.9.6` (with its dependencies from PyPI: jupyterlab, notebook,
jupyter_server, nbconvert, nbclient, ipykernel, sqlalchemy, alembic and their own; about 100
packages, no torch), then a file `borrowed-deps.pth` naming this project venv's site-packages, so
the kernels nbgrader starts import torch, numpy and matplotlib from the project venv (nothing is
downloaded twice; the venv's own packages come first on sys.path). The project venv is never
written to. Delete the folder to start over.

`build_course` lays out an nbgrader course in a folder, for the uploads being benchmarked:

* `source/<assignment>/<notebook>.ipynb`: the upload's notebook with nbgrader metadata. Code
  cells that define a name the rubric checks become autograded-answer cells (their code between
  `### BEGIN SOLUTION` and `### END SOLUTION`), every other cell stays a plain cell; then one
  autograder test cell per call/variable check of our rubric (its points, locked), which runs
  `nbgrader_checks.check(<check id>, globals())`: the student's function on the cases dlgrade
  would draw for that very upload, asserted close to reference values computed here with
  `reference/` (see bench/nbgrader_checks.py). Figure checks have no test cell (nbgrader cannot
  see a figure a cell showed), hand-marked checks neither.
* beside it `bench_cases/` (the grader's plan document and input arrays, the expected values),
  `nbgrader_checks.py` and `_probe_runtime.py` (a copy of grader/probe_runtime.py); nbgrader
  copies these next to every submission it autogrades.
* `submitted/s<NN>/<assignment>/`: copy NN of the upload as a student who filled in the release
  would hand it in (the same cells and metadata, the answers without the solution markers, the
  zip's other members beside the notebook).

`nbgrader generate_assignment` then registers each assignment in the course's gradebook (not
timed); the timed command is `nbgrader autograde '*' --force` in the course folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import probe_runtime  # noqa: E402
from grader.probe import build_plan, plan_document, upload_seed  # noqa: E402
from grader.rubric import CheckSpec, Rubric  # noqa: E402

NBGRADER = "nbgrader==0.9.6"
CACHE = Path(__file__).resolve().parent / ".cache"
CASES = "bench_cases"
COMPARES = {None: "allclose", "grader.assignments.adam_compare:train_compare": "allclose",
            "grader.assignments.xor_compare:solves_xor": "solves_xor"}
CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.Execute.timeout = {timeout}
"""
NBGRADER_META = {"schema_version": 3, "task": False}


def venv_dir() -> Path:
    """Where nbgrader's venv lives (one per Python minor version: it borrows our packages)."""
    return CACHE / f"nbgrader-py{sys.version_info.major}{sys.version_info.minor}"


def ensure_venv() -> Path:
    """Create nbgrader's venv on first use (see the module docstring); return its bin folder.

    Raises:
        RuntimeError: with pip's output when the install fails.
    """
    root = venv_dir()
    ready = root / ".bench-ready"
    if ready.exists():
        return root / "bin"
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    steps = [[sys.executable, "-m", "venv", str(root)],
             [str(root / "bin" / "python"), "-m", "pip", "install", "-q", NBGRADER]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed:\n{done.stdout[-2000:]}"
                               f"{done.stderr[-2000:]}")
    target = subprocess.run([str(root / "bin" / "python"), "-c",
                             "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (Path(target) / "borrowed-deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    ready.write_text(NBGRADER + "\n")
    return root / "bin"


def read_upload(upload: Path) -> tuple[str, bytes, dict[str, bytes]]:
    """(notebook name, notebook bytes, the zip's other members by path) of one upload."""
    if upload.suffix != ".zip":
        return upload.name, upload.read_bytes(), {}
    with zipfile.ZipFile(upload) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        [notebook] = [n for n in names if n.endswith(".ipynb")]
        members = {n: zf.read(n) for n in names if n != notebook}
        return Path(notebook).name, zf.read(notebook), members


def _checked_names(rubric: Rubric) -> list[str]:
    return [name for c in rubric.checks for name in (c.symbols or (c.symbol,)) if name]


def _meta(grade_id: str, *, solution: bool, points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {**NBGRADER_META, "grade_id": grade_id, "solution": solution,
                            "grade": points is not None, "locked": points is not None}
    if points is not None:
        meta["points"] = points
    return meta


def test_cell(check: CheckSpec, cases: int) -> nbformat.NotebookNode:
    """The autograder test cell of one check."""
    source = (f"# autograder test: {check.id} ({cases} case(s), {check.points:g} points)\n"
              f"import nbgrader_checks\n"
              f"nbgrader_checks.check({check.id!r}, globals())\n")
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = _meta(f"test_{check.id}", solution=False, points=check.points)
    return cell


def course_notebook(raw: bytes, rubric: Rubric, counts: dict[str, int],
                    markers: bool) -> nbformat.NotebookNode:
    """The upload as an nbgrader notebook: answer cells marked, test cells appended.

    Args:
        raw: the upload's notebook bytes.
        rubric: its rubric (which names are answers, which checks get a test cell).
        counts: planned cases per check id (checks without any get no test cell).
        markers: wrap answers in BEGIN/END SOLUTION (the source version) or not (a submission).
    """
    nb: nbformat.NotebookNode = nbformat.reads(raw.decode("utf-8"), as_version=4)
    answer = re.compile(r"^(?:def\s+(?:{0})\b|(?:{0})\s*[=,])".format(
        "|".join(map(re.escape, _checked_names(rubric)))), re.MULTILINE)
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and answer.search(cell.source):
            cell.metadata["nbgrader"] = _meta(f"answer_{n}", solution=True)
            if markers:
                cell.source = f"### BEGIN SOLUTION\n{cell.source}\n### END SOLUTION"
    nb.cells += [test_cell(c, counts[c.id]) for c in rubric.checks if counts.get(c.id)]
    return nb


def _tree(value: Any, stem: str, files: dict[str, np.ndarray]) -> dict[str, Any]:
    """A plain value as a JSON tree; its arrays go into `files` (see nbgrader_checks)."""
    if value is None:
        return {"none": True}
    if isinstance(value, (list, tuple)):
        return {"seq": [_tree(v, f"{stem}_{i}", files) for i, v in enumerate(value)],
                "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"dict": {k: _tree(v, f"{stem}_{k}", files) for k, v in value.items()}}
    files[f"{stem}.npy"] = np.asarray(value, dtype=np.float64)
    return {"array": f"{stem}.npy"}


def write_cases(folder: Path, rubric: Rubric, upload_bytes: bytes) -> dict[str, int]:
    """Plan the upload's probes as dlgrade would, write them and the expected values to `folder`.

    Returns:
        The number of planned cases per check id.
    """
    seed = upload_seed(hashlib.sha256(upload_bytes).hexdigest(), rubric.id)
    plan = build_plan(rubric, seed)
    document, files = plan_document(plan, rubric)
    tests: dict[str, Any] = {}
    for check in rubric.checks:
        calls = plan.for_check(check.id)
        if not calls:
            continue
        tests[check.id] = {
            "compare": COMPARES[check.compare], "rtol": check.rtol, "atol": check.atol,
            "expected": [_tree(c.expected, f"expected_{check.id}_{c.index}", files)
                         for c in calls]}
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(json.dumps(document))
    (folder / "tests.json").write_text(json.dumps({"checks": tests}))
    for name, array in files.items():
        np.save(folder / name, array, allow_pickle=False)
    return {check_id: len(spec["expected"]) for check_id, spec in tests.items()}


def build_course(course: Path, uploads: dict[str, Path], rubrics: dict[str, Rubric],
                 copies: int, timeout: float) -> float:
    """Lay out the course (see the module docstring) for `copies` copies of every upload.

    Returns:
        The seconds spent planning the cases and computing the reference values (nbgrader's
        tutor does this once, beforehand; dlgrade does it per upload, inside its own time).
    """
    planning = 0.0
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course),
                                                             timeout=int(timeout)))
    for assignment, upload in uploads.items():
        rubric = rubrics[assignment]
        name, raw, members = read_upload(upload)
        source = course / "source" / assignment
        began = time.perf_counter()
        counts = write_cases(source / CASES, rubric, upload.read_bytes())
        planning += time.perf_counter() - began
        shutil.copy(Path(__file__).with_name("nbgrader_checks.py"), source)
        shutil.copy(Path(probe_runtime.__file__), source / "_probe_runtime.py")
        nbformat.write(course_notebook(raw, rubric, counts, markers=True), source / name)
        submitted = course_notebook(raw, rubric, counts, markers=False)
        for k in range(1, copies + 1):
            folder = course / "submitted" / f"s{k:02d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(submitted, folder / name)
            for member, data in members.items():
                (folder / member).parent.mkdir(parents=True, exist_ok=True)
                (folder / member).write_bytes(data)
    return planning


def venv_env(nbgrader_bin: Path, env: dict[str, str]) -> dict[str, str]:
    """`env` as an activated nbgrader venv sees it (nbgrader runs `alembic` from PATH)."""
    return {**env, "PATH": f"{nbgrader_bin}{os.pathsep}{env.get('PATH', '')}",
            "VIRTUAL_ENV": str(nbgrader_bin.parent)}


def generate_assignments(nbgrader_bin: Path, course: Path, assignments: list[str],
                         env: dict[str, str]) -> None:
    """Register each assignment in the course's gradebook (`nbgrader generate_assignment`)."""
    for assignment in assignments:
        done = subprocess.run([str(nbgrader_bin / "nbgrader"), "generate_assignment",
                               assignment, "--force"], cwd=course, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def autograde_results(course: Path) -> tuple[int, int, int]:
    """(test cells passed, test cells, notebooks) over every autograded notebook."""
    passed = total = notebooks = 0
    for path in sorted((course / "autograded").glob("*/*/*.ipynb")):
        notebooks += 1
        nb = json.load(io.StringIO(path.read_text(encoding="utf-8")))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                total += 1
                passed += not any(o.get("output_type") == "error" for o in cell["outputs"])
    return passed, total, notebooks
