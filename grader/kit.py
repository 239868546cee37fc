"""A check kit: what `grade check --kit KIT` grades from, with no reference anywhere near it.

`grade release ASSIGNMENT --out DIR` writes the kit (`grader.kit_release`); this module reads it
and offers the pipeline its "plan" step (`Kit.planner`): the kit's fixed public cases with the
values the reference computed for them at release time. Everything else (intake, the sandboxed
kernel, the probes, the comparison, the score) is the batch's own code. docs/check-kit.md says
what students and tutors may expect from it.

Layout of `<id>-kit/` (plain data only: JSON, and `.npy`/`.npz` read with allow_pickle=False)::

    kit.json          what to check: format, assignment, versions, the intake rules, and per
                      visible check its settings (points, kind, symbol(s), driver, rtol, atol,
                      timeout, the name of a custom comparator, optionally the names of the
                      returned values, `outputs`) and either its public cases
                      (label, expected value as a tree whose arrays live in expected.npz) or
                      `checkable: false` with the reason
    cases/plan.json   the public cases as the probe reads them (grader.probe's plan document)
    cases/*.npy       their input arrays
    expected.npz      the arrays of the expected values

A kit never holds code: a custom comparator is named, and only names in `PUBLIC_COMPARATORS`
(comparators of this package that need nothing but the values) are imported; the others, and
variable checks whose one fixed answer the kit would give away, are "not checkable before
submission" and show as `not-run` with the reason and no points at stake.
"""

from __future__ import annotations

import importlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from grader import probe_runtime as rt
from grader.compare import CheckResult
from grader.errors import UsageError
from grader.probe import PlannedCall, ProbePlan
from grader.rubric import CheckSpec, Limits, Rubric, TeamRule, ZipRule
from grader.verdicts import NOT_CHECKABLE_PREFIX

KIT_FILE = "kit.json"
CASES_DIR = "cases"
PLAN_FILE = "plan.json"
EXPECTED_FILE = "expected.npz"
FORMAT = 1
MARKER = "dlgrade check kit"
# Custom comparators that run from a kit: they ship with the grader (the student distribution
# too) and need nothing but (got, expected); tests/grader/test_kit.py runs each without `reference`.
# Not `xor_compare:solves_xor`: it runs the model forward pass (a working sigmoid and forward),
# so it stays with the tutors and the check is not checkable before submission.
PUBLIC_COMPARATORS = frozenset({
    "grader.assignments.adam_compare:train_compare",
})
NOT_CHECKABLE = NOT_CHECKABLE_PREFIX + ": {reason}"
CHECK_FIELDS = ("id", "points", "kind", "symbol", "symbols", "driver", "compare", "rtol", "atol",
                "timeout", "description", "outputs")


class KitError(UsageError):
    """`--kit` names something that is not a usable check kit (exit 2)."""


@dataclass(frozen=True)
class Unchecked:
    """A public check the kit cannot decide before submission, and why (shown to students)."""

    id: str
    points: float
    reason: str

    def result(self) -> CheckResult:
        """Its row in a verdict: not-run, nothing at stake here, the reason as the message."""
        message = NOT_CHECKABLE.format(reason=self.reason)
        return CheckResult(self.id, "not-run", 0.0, 0.0, message, True)


@dataclass(frozen=True)
class Kit:
    """One assignment's check kit, loaded.

    Attributes:
        path: the kit folder.
        rubric: the intake rules and the checkable public checks (no reference, no generator).
        calls: every public case with its expected value, in plan order.
        unchecked: the public checks that are not checkable before submission.
        reference_version, grader_version: recorded at release (the grade records the first).
        order: every public check's id in the rubric's order (kit.json's).
    """

    path: Path
    rubric: Rubric
    calls: tuple[PlannedCall, ...]
    unchecked: tuple[Unchecked, ...]
    reference_version: str
    grader_version: str
    order: tuple[str, ...] = ()

    def plan(self, rubric: Rubric, seed: int) -> ProbePlan:
        """The pipeline's plan step: the public cases (the seed only seeds the kernel)."""
        return ProbePlan(rubric.id, self.calls, f"probe-{secrets.token_hex(6)}")

    def version(self) -> str:
        return self.reference_version


# ----------------------------------------------------------------------------- plain values
def encode_plain(value: Any, name: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A plain value (None, float64 arrays, lists, tuples, dicts) as a JSON tree; its arrays
    go into `arrays` under names derived from `name` (the same tree `grader.extract` reads)."""
    if value is None:
        return {"none": True}
    if isinstance(value, np.ndarray):
        key = f"{name}_{len(arrays)}"
        arrays[key] = np.array(value, dtype=np.float64, order="C")
        return {"array": key}
    if isinstance(value, (list, tuple)):
        return {"seq": [encode_plain(v, name, arrays) for v in value],
                "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"dict": {str(k): encode_plain(v, name, arrays) for k, v in value.items()}}
    raise TypeError(f"an expected value of type {type(value).__name__} cannot go into a kit")


def decode_plain(tree: Any, arrays: Callable[[str], np.ndarray]) -> Any:
    """The inverse of `encode_plain`."""
    if tree.get("none") is True:
        return None
    if "array" in tree:
        return arrays(str(tree["array"]))
    if "seq" in tree:
        items = [decode_plain(t, arrays) for t in tree["seq"]]
        return tuple(items) if tree.get("tuple") is True else items
    if "dict" in tree:
        return {str(k): decode_plain(v, arrays) for k, v in tree["dict"].items()}
    raise ValueError(f"malformed expected value {str(tree)[:80]}")


def decode_arg(spec: Any, load: Callable[[str], np.ndarray]) -> Any:
    """A probe argument from its plan-document spec, as the input generator made it (the
    inverse of `grader.probe`'s encoding: arrays, Tensor and Fn markers, sequences, values)."""
    kind = spec["kind"]
    if kind == "value":
        return spec["value"]
    if kind == "array":
        return load(spec["file"])
    if kind == "tensor":
        return rt.Tensor(load(spec["file"]), bool(spec.get("requires_grad", False)))
    if kind == "fn":
        if spec["name"] not in rt.CALLABLES:
            raise ValueError(f"unknown callable {spec['name']!r}")
        return rt.Fn(spec["name"], tuple(decode_arg(a, load) for a in spec["args"]))
    if kind == "seq":
        items = [decode_arg(s, load) for s in spec["items"]]
        return tuple(items) if spec.get("tuple") else items
    raise ValueError(f"unknown argument kind {kind!r}")


# ----------------------------------------------------------------------------- loading
def _npy_loader(folder: Path) -> Callable[[str], np.ndarray]:
    def load(name: str) -> np.ndarray:
        if Path(name).name != name or not name.endswith(".npy"):
            raise ValueError(f"bad array file name {name!r}")
        return np.array(np.load(folder / name, allow_pickle=False), dtype=np.float64)

    return load


def _rubric(data: dict[str, Any], checks: tuple[CheckSpec, ...], path: Path) -> Rubric:
    intake = data["intake"]
    team, zip_rule = intake.get("team"), intake.get("zip")
    return Rubric(
        id=str(data["assignment"]), title=str(data["title"]), pattern=str(intake["pattern"]),
        expected=str(intake["expected"]), upload=intake["upload"],
        zero_error=bool(intake["zero_error"]), limits=Limits(**intake["limits"]),
        checks=checks, team=TeamRule(**team) if team is not None else None,
        zip=ZipRule(**zip_rule) if zip_rule is not None else None, path=path,
        sha256=str(data["rubric_sha256"]), example=str(intake["example"]))


def comparator(name: str | None) -> Callable[..., Any] | None:
    """A public comparator by its dotted name (only names in PUBLIC_COMPARATORS are imported)."""
    if name is None:
        return None
    if name not in PUBLIC_COMPARATORS:
        raise ValueError(f"comparator {name!r} is not one a kit may use")
    module, attr = name.split(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return found


def _check(entry: dict[str, Any]) -> CheckSpec:
    settings = {k: entry[k] for k in CHECK_FIELDS if entry.get(k) is not None}
    settings["symbols"] = tuple(settings.get("symbols", ()))
    settings["outputs"] = tuple(str(name) for name in settings.get("outputs", ()))  # optional
    return CheckSpec(**settings, compare_fn=comparator(entry.get("compare")))


def _calls(data: dict[str, Any], folder: Path) -> tuple[PlannedCall, ...]:
    """Every public case: the plan document's arguments and kit.json's labels and values."""
    document = json.loads((folder / CASES_DIR / PLAN_FILE).read_text(encoding="utf-8"))
    load = _npy_loader(folder / CASES_DIR)
    with np.load(folder / EXPECTED_FILE, allow_pickle=False) as npz:
        arrays = {name: np.array(npz[name], dtype=np.float64) for name in npz.files}
    cases = {(c["id"], i): case for c in data["checks"] if c["checkable"]
             for i, case in enumerate(c["cases"])}
    calls = []
    for entry in document["entries"]:
        key = (entry["check"], int(entry["case"]))
        expected = decode_plain(cases[key]["expected"], arrays.__getitem__)
        case = None
        if "variables" not in entry:
            args = tuple(decode_arg(a, load) for a in entry["args"])
            kwargs = {k: decode_arg(v, load) for k, v in entry["kwargs"].items()}
            case = rt.Case(args, kwargs, str(cases[key].get("label", "")))
        calls.append(PlannedCall(key[0], key[1], case, expected))
    if sorted(cases) != sorted((c.check_id, c.index) for c in calls):
        raise ValueError("kit.json and cases/plan.json list different cases")
    for check in (c for c in data["checks"] if c["checkable"] and c["kind"] != "figure"):
        if not check["cases"]:
            raise ValueError(f"check {check['id']!r} has no public case")
    return tuple(calls)


def load_kit(path: Path) -> Kit:
    """Read a kit folder (what `grade release` wrote as `<id>-kit/`).

    Raises:
        KitError: the folder is not a readable kit of a format this grader knows.
    """
    folder = Path(path)
    try:
        data = json.loads((folder / KIT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{folder}: not a check kit (no {KIT_FILE}); pass the folder that "
                       "`grade release` wrote as <assignment>-kit, or its .tar.gz") from None
    except (OSError, ValueError) as exc:
        raise KitError(f"{folder}: cannot read {KIT_FILE}: {exc}") from None
    if not isinstance(data, dict) or data.get("kit") != MARKER:
        raise KitError(f"{folder}: {KIT_FILE} is not a check kit's")
    if data.get("format") != FORMAT:
        raise KitError(f"{folder}: kit format {data.get('format')!r}; this grader reads format "
                       f"{FORMAT}: install the grader version the course names")
    try:
        checks = tuple(_check(c) for c in data["checks"] if c["checkable"])
        unchecked = tuple(Unchecked(str(c["id"]), float(c["points"]), str(c["reason"]))
                          for c in data["checks"] if not c["checkable"])
        rubric = _rubric(data, checks, folder / KIT_FILE)
        calls = _calls(data, folder)
    except (OSError, KeyError, TypeError, ValueError, AttributeError, ImportError) as exc:
        raise KitError(f"{folder}: a broken check kit ({type(exc).__name__}: {exc}); "
                       "ask your tutor for a fresh one") from None
    return Kit(folder, rubric, calls, unchecked, str(data["reference_version"]),
               str(data["grader_version"]), tuple(str(c["id"]) for c in data["checks"]))


def with_unchecked(grade_checks: tuple[CheckResult, ...], kit: Kit) -> tuple[CheckResult, ...]:
    """A grade's checks and the kit's not-checkable ones, in the rubric's order (as a batch
    lists them); a check the kit does not list keeps its place at the end."""
    merged = grade_checks + tuple(u.result() for u in kit.unchecked)
    place = {check_id: i for i, check_id in enumerate(kit.order)}
    return tuple(sorted(merged, key=lambda c: place.get(c.id, len(place))))


def describe(kit: Kit) -> str:
    """One line about a kit ("adam: 21 public cases for 5 checks; not checkable: ...")."""
    line = (f"{kit.rubric.id}: {len(kit.calls)} public case(s) for {len(kit.rubric.checks)} "
            "check(s)")
    if kit.unchecked:
        line += "; not checkable before submission: " + ", ".join(u.id for u in kit.unchecked)
    return line

