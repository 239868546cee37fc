"""The nbgrader test cells' helper: runs inside the student's kernel (for bench_alternatives).

bench_alternatives copies this file, `grader/probe_runtime.py` (as `_probe_runtime.py`) and a
folder `bench_cases/` into each nbgrader assignment's source folder; nbgrader copies them beside
every submission it autogrades. Each autograder test cell then runs

    import nbgrader_checks
    nbgrader_checks.check("adam_step", globals())

which calls the student's function on every case the grader would use for that upload (the same
inputs, decoded and driven by the grader's own probe runtime), converts each result with the
runtime's `plain`, and asserts closeness to the reference values bench_alternatives computed with
`reference/` beforehand: |got - expected| <= atol + rtol * |expected| elementwise, shapes equal.
This is the work of dlgrade's probes and comparison, done the nbgrader way: inside the kernel.

bench_cases/plan.json is the grader's plan document (`grader.probe.plan_document`) with the
input .npy files; bench_cases/tests.json holds per check {"compare", "rtol", "atol",
"expected": [tree per case]}, a tree being {"none": true}, {"array": FILE}, {"seq": [...],
"tuple": bool} or {"dict": {...}}.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

CASES = "bench_cases"
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0, 1, 1, 0])


def _load(name: str) -> np.ndarray:
    path = os.path.join(CASES, os.path.basename(name))
    return np.array(np.load(path, allow_pickle=False))


def _decode(tree: Mapping[str, Any]) -> Any:
    """A plain value from its JSON tree (see the module docstring)."""
    if "none" in tree:
        return None
    if "array" in tree:
        return _load(tree["array"])
    if "seq" in tree:
        items = [_decode(t) for t in tree["seq"]]
        return tuple(items) if tree["tuple"] else items
    return {k: _decode(t) for k, t in tree["dict"].items()}


def allclose(got: Any, expected: Any, rtol: float, atol: float) -> str:
    """Why `got` is not close to `expected` ("" when it is), walking both plain structures."""
    if expected is None:
        return "" if got is None else f"got {type(got).__name__}, expected None"
    if isinstance(expected, dict):
        if not isinstance(got, dict) or not set(expected) <= set(got):
            return f"got {type(got).__name__}, expected a dict with keys {sorted(expected)}"
        return next((p for k in expected if (p := allclose(got[k], expected[k], rtol, atol))), "")
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return f"got {type(got).__name__}, expected {len(expected)} values"
        problems = (allclose(g, e, rtol, atol) for g, e in zip(got, expected, strict=True))
        return next((p for p in problems if p), "")
    if not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return f"got {getattr(got, 'shape', type(got).__name__)}, expected shape {expected.shape}"
    if not np.all(np.isfinite(got)):
        return "got inf or nan"
    worst = float(np.max(np.abs(got - expected) - rtol * np.abs(expected), initial=0.0))
    return "" if worst <= atol else f"off by {worst:.3g} beyond rtol={rtol:g}"


def solves_xor(got: Any, _expected: Any, _rtol: float, _atol: float) -> str:
    """Why the student's Wi, ba, Wo, bo do not solve XOR ("" when they do)."""
    wi, ba, wo, bo = (np.asarray(got[k], dtype=np.float64) for k in ("Wi", "ba", "Wo", "bo"))
    hidden = 1.0 / (1.0 + np.exp(-(XOR_INPUTS @ wi + ba.reshape(()))))
    yhat = 1.0 / (1.0 + np.exp(-(hidden @ wo.reshape(-1) + bo.reshape(()))))
    predicted = (yhat > 0.5).astype(int)
    return "" if np.array_equal(predicted, XOR_TARGETS) else f"predicts {predicted}"


COMPARES: dict[str, Callable[[Any, Any, float, float], str]] = {
    "allclose": allclose,
    "solves_xor": solves_xor,
}


def _result(entry: Mapping[str, Any], namespace: Mapping[str, Any], rt: Any) -> Any:
    """The plain value of one plan entry: the student's variables, or the function's result."""
    if "variables" in entry:
        names = entry["variables"]
        if len(names) == 1:
            return rt.plain(namespace[names[0]])
        return {name: rt.plain(namespace[name]) for name in names}
    args, kwargs = rt.decode_case(entry, _load)
    began = time.perf_counter()
    value = rt.plain(rt.DRIVERS[entry["driver"]](namespace[entry["symbol"]], *args, **kwargs))
    seconds = time.perf_counter() - began
    assert seconds <= entry["timeout"], f"took {seconds:.1f} s, limit {entry['timeout']} s"
    return value


def check(check_id: str, namespace: Mapping[str, Any]) -> None:
    """Assert every case of one check (an nbgrader test cell fails on the first bad case)."""
    rt = importlib.import_module("_probe_runtime")
    with open(os.path.join(CASES, "plan.json"), encoding="utf-8") as fh:
        entries = [e for e in json.load(fh)["entries"] if e["check"] == check_id]
    with open(os.path.join(CASES, "tests.json"), encoding="utf-8") as fh:
        spec = json.load(fh)["checks"][check_id]
    compare = COMPARES[spec["compare"]]
    for entry, tree in zip(entries, spec["expected"], strict=True):
        problem = compare(_result(entry, namespace, rt), _decode(tree), spec["rtol"], spec["atol"])
        assert not problem, f"{check_id} case {entry['case']}: {problem}"
