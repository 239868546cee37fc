"""Fixtures shared by the assignment tests: probe a function or a whole notebook as the grader does.

`prober` runs a rubric's checks the way the pipeline does, without the sandbox: cases from the
rubric's generator, sent through the plan document (JSON + float64 arrays) and decoded again with
`grader.probe_runtime.decode_case`, called through `DRIVERS[check.driver]`, and compared with the
reference's plain value by the rubric's comparator (or `compare_values` with the check's
tolerances).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

import nbformat
import numpy as np
import pytest
from tools_loader import tool

from grader import probe_runtime as rt
from grader.compare import Verdict, compare_values
from grader.probe import PlannedCall, ProbePlan, plan_document, reference_value
from grader.rubric import CheckSpec, Rubric, load_rubric

ROOT = Path(__file__).resolve().parents[2]


@cache
def rubric(rubric_id: str) -> Rubric:
    return load_rubric(ROOT / "rubrics" / f"{rubric_id}.toml")


def check_spec(rubric_id: str, check_id: str) -> CheckSpec:
    return next(c for c in rubric(rubric_id).checks if c.id == check_id)


def cases(rubric_id: str, check_id: str, seed: int) -> list[rt.Case]:
    check = check_spec(rubric_id, check_id)
    assert check.inputs_fn is not None
    return list(check.inputs_fn(np.random.default_rng(seed)))


def verdict(check: CheckSpec, got: Any, expected: Any) -> Verdict:
    if check.compare_fn is not None:
        return check.compare_fn(got, expected)
    return compare_values(expected, got, check.rtol, check.atol)


@dataclass(frozen=True)
class Probed:
    """One case of a check run against some implementation."""

    label: str
    verdict: Verdict
    expected: Any


def _plan(rubric_id: str, check_id: str, case_list: list[rt.Case]) -> tuple[ProbePlan, list[Any]]:
    check = check_spec(rubric_id, check_id)
    expected = [reference_value(check, case) for case in case_list]
    calls = tuple(PlannedCall(check_id, i, case, e) for i, (case, e) in enumerate(zip(case_list, expected)))
    return ProbePlan(rubric_id, calls, "probe-test"), expected


def probe_function(rubric_id: str, check_id: str, fn: Callable[..., Any], seed: int) -> list[Probed]:
    """Run `fn` on every case of the check (decoded from the plan document) and compare."""
    check = check_spec(rubric_id, check_id)
    case_list = cases(rubric_id, check_id, seed)
    plan, expected = _plan(rubric_id, check_id, case_list)
    document, files = plan_document(plan, rubric(rubric_id))
    document = json.loads(json.dumps(document))          # only JSON crosses
    out = []
    for entry, case, exp in zip(document["entries"], case_list, expected):
        args, kwargs = rt.decode_case(entry, lambda name: files[name].copy())
        try:
            with np.errstate(all="ignore"):
                got = rt.plain(rt.DRIVERS[check.driver](fn, *args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - a raising implementation fails the case
            out.append(Probed(case.label, Verdict(False, f"raised {type(exc).__name__}: {exc}"), exp))
            continue
        out.append(Probed(case.label, verdict(check, got, exp), exp))
    return out


def explained(rubric_id: str, check_id: str, fn: Callable[..., Any], seed: int) -> Any:
    """`grader.explain.build_detail` of `fn`'s records for the check (a `CheckDetail`)."""
    from probe_records import records_of

    from grader.check_notes import notes_for
    from grader.explain import build_detail

    check, calls, records = records_of(rubric(rubric_id), check_id, fn, seed)
    return build_detail(check, notes_for(check), calls, records)


def caught(rubric_id: str, check_id: str, fn: Callable[..., Any], seed: int) -> bool:
    """True when at least one case of the check tells `fn` apart from the reference."""
    return any(not p.verdict.passed for p in probe_function(rubric_id, check_id, fn, seed))


def valid_argument(value: Any) -> bool:
    """Only what the probe protocol sends: float64 arrays, plain scalars, str, Tensor, Fn."""
    if isinstance(value, np.ndarray):
        return value.dtype == np.float64
    if type(value) in (float, int, bool, str) or value is None:
        return True
    if isinstance(value, rt.Tensor):
        return value.array.dtype == np.float64
    if isinstance(value, rt.Fn):
        return value.name in rt.CALLABLES and all(valid_argument(a) for a in value.args)
    if isinstance(value, (list, tuple)):
        return all(valid_argument(v) for v in value)
    return False


def same_argument(a: Any, b: Any) -> bool:
    """Structural equality of two case arguments (arrays bit for bit)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, rt.Fn):
        return isinstance(b, rt.Fn) and a.name == b.name and same_argument(a.args, b.args)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_argument, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_argument(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_generator_contract(rubric_id: str, check_id: str) -> None:
    """3 to 8 valid, labelled cases; the same seed gives the same cases."""
    for seed in range(5):
        first, again = cases(rubric_id, check_id, seed), cases(rubric_id, check_id, seed)
        assert 3 <= len(first) <= 8, f"{check_id}: {len(first)} cases"
        labels = [c.label for c in first]
        assert all(labels) and len(set(labels)) == len(labels), labels
        for a, b in zip(first, again):
            assert valid_argument(a.args) and valid_argument(tuple(a.kwargs.values())), a.label
            assert all(type(k) is str for k in a.kwargs)
            assert same_argument(a.args, b.args) and same_argument(dict(a.kwargs), dict(b.kwargs))


# ----------------------------------------------------------------------------- notebooks
@dataclass(frozen=True)
class NotebookRun:
    errors: list[str]
    images: int
    results: dict[str, list[Probed]]    # check id -> probed cases


def _read_plain(tree: dict[str, Any], folder: Path) -> Any:
    if "none" in tree:
        return None
    if "unsupported" in tree:
        return rt.Unsupported(tree["unsupported"])
    if "seq" in tree:
        items = [_read_plain(t, folder) for t in tree["seq"]]
        return tuple(items) if tree["tuple"] else items
    if "dict" in tree:
        return {k: _read_plain(t, folder) for k, t in tree["dict"].items()}
    return np.load(folder / tree["array"], allow_pickle=False)


def run_notebook_with_probes(path: Path, rubric_id: str, seed: int, workdir: Path) -> NotebookRun:
    """Execute the notebook (plain nbclient), then probe every check in the same kernel."""
    from nbclient import NotebookClient

    rub = rubric(rubric_id)
    calls: list[PlannedCall] = []
    for check in rub.checks:
        if check.kind == "call":
            case_list = cases(rubric_id, check.id, seed)
            calls += [PlannedCall(check.id, i, c, reference_value(check, c)) for i, c in enumerate(case_list)]
        elif check.kind == "variable":
            calls.append(PlannedCall(check.id, 0, None, reference_value(check, None)))
    plan = ProbePlan(rubric_id, tuple(calls), "probe-test")
    document, files = plan_document(plan, rub)
    in_dir, out_dir = workdir / "probe" / "in", workdir / "probe" / "out"
    in_dir.mkdir(parents=True)
    (in_dir / "plan.json").write_text(json.dumps(document))
    for name, array in files.items():
        np.save(in_dir / name, array, allow_pickle=False)

    nb = nbformat.read(path, as_version=4)
    n_student = len(nb.cells)
    probe_ids = [c.id for c in rub.checks if c.kind in ("call", "variable")]
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import sys as _sys\n_sys.path.insert(0, {str(ROOT)!r})\n"
        "from grader.probe_runtime import run_probes as _run_probes\n"
        f"for _check in {probe_ids!r}:\n"
        f"    _run_probes({str(in_dir / 'plan.json')!r}, {str(out_dir)!r}, globals(), _check)\n"))
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()

    errors, images = [], 0
    for i, cell in enumerate(nb.cells[:n_student], start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors.append(f"cell {i}: {output.ename}: {output.evalue}")
            images += any(k.startswith("image/") for k in output.get("data", {}))
    probe_errors = [o for o in nb.cells[-1].outputs if o.output_type == "error"]
    assert not probe_errors, probe_errors

    records = {}
    for line in (out_dir / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        records[record["check"], record["case"]] = record
    checks = {c.id: c for c in rub.checks}
    results: dict[str, list[Probed]] = {}
    for call in calls:
        check, record = checks[call.check_id], records[call.check_id, call.index]
        label = call.case.label if call.case is not None else check.symbol or ""
        if record["status"] != "ok":
            probed = Probed(label, Verdict(False, f"{record['status']}: {record['error']}"), call.expected)
        else:
            got = _read_plain(record["result"], out_dir)
            if check.kind == "variable" and check.symbol:
                got = got[check.symbol]
            probed = Probed(label, verdict(check, got, call.expected), call.expected)
        results.setdefault(call.check_id, []).append(probed)
    return NotebookRun(errors, images, results)


# ----------------------------------------------------------------------------- builder
def builder() -> Any:
    """The adam/gradients notebook builder script."""
    return tool("build_notebooks_adam_gradients")


@pytest.fixture(scope="session")
def build() -> Any:
    return builder()


# ----------------------------------------------------------------------------- release conventions
CODE_BEGIN, CODE_END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
STUB = "raise NotImplementedError()"


def stub_code(source: str) -> str:
    """The release tool's code transform: each marked block -> a stub at the marker's indent."""
    out: list[str] = []
    indent: str | None = None
    for line in source.split("\n"):
        if line.strip() == CODE_BEGIN:
            assert indent is None, "nested BEGIN SOLUTION"
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + STUB)
        elif line.strip() == CODE_END:
            assert indent is not None and line.startswith(indent) and line.strip() == CODE_END, line
            assert line[: len(line) - len(line.lstrip())] == indent, "END indented unlike BEGIN"
            indent = None
        elif indent is None:
            out.append(line)
    assert indent is None, "BEGIN SOLUTION without END"
    return "\n".join(out)


def assert_release_conventions(path: Path, graded: tuple[str, ...]) -> None:
    """The shared notebook conventions: team cell, paired markers, stubs inside graded functions,
    no outputs, no imports of the grader's packages."""
    import ast
    import re

    nb = nbformat.read(path, as_version=4)
    team = nb.cells[0]
    assert team.cell_type == "markdown" and team.source.startswith("# Group members\n")
    assert MD_BEGIN in team.source and MD_END in team.source
    defined: dict[str, ast.FunctionDef] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert cell.source.count(MD_BEGIN) == cell.source.count(MD_END)
            assert not re.search(re.escape(MD_BEGIN) + r"(?:(?!" + re.escape(MD_END) + r").)*"
                                 + re.escape(MD_BEGIN), cell.source, re.S), "nested region"
            continue
        assert cell.outputs == [] and cell.execution_count is None
        assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", cell.source, re.M)
        ast.parse(cell.source)
        tree = ast.parse(stub_code(cell.source))
        defined.update({n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)})
    for name in graded:
        assert name in defined, f"{name} is not defined by a def in the student version"
        raises = [n for n in ast.walk(defined[name]) if isinstance(n, ast.Raise)
                  and "NotImplementedError" in ast.unparse(n)]
        assert raises, f"{name} has no solution block inside its body"


def assert_stubs_end_in_raise(student: nbformat.NotebookNode, graded: tuple[str, ...]) -> None:
    """In a released notebook every graded function is still a def whose body ends in the stub."""
    import ast

    defined: dict[str, ast.FunctionDef] = {}
    for cell in student.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defined.update({n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)})
    for name in graded:
        body = defined[name].body
        assert isinstance(body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(body[-1]), name


# ----------------------------------------------------------------------------- bundled uploads
#: file name -> (status, score, ids of the checks that must not pass, a fragment of the messages)
Outcomes = dict[str, tuple[str, float, set[str], str]]


def assert_documented_outcomes(bundled_grades: dict[str, Any], folder: str,
                               outcomes: Outcomes) -> dict[str, Any]:
    """Hold every bundled upload under submissions/`folder`/ to its documented outcome.

    Returns the grades.json entries of that folder keyed by file name, for further checks.
    """
    graded = {Path(f).name: s for f, s in bundled_grades.items() if f.startswith(f"{folder}/")}
    assert set(graded) == set(outcomes)
    for name, (status, score, failing, fragment) in outcomes.items():
        entry = graded[name]
        assert (entry["status"], entry["score"]) == (status, score), (name, entry["messages"])
        if status == "graded":
            assert {c["id"] for c in entry["checks"] if c["status"] != "pass"} == failing, name
        assert fragment in " ".join(entry["messages"]), (name, entry["messages"])
    return graded
