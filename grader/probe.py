"""Plan the probes of one upload (trusted side): inputs, reference values, and the probe cells.

For every `call` check the rubric's input generator makes fresh cases from an rng seeded for this
upload; the reference runs on them here, in the grader's process, before the student's notebook
starts (a broken reference is a grader fault and stops before any student code runs). After the
student's cells, `write_inputs` makes a fresh directory in the upload's work dir; each call's
cell, just before it runs, gets its plan entry and input arrays written there (`write_call`),
and calls the student's function through `grader.probe_runtime` inside the kernel. The cells,
in order (`probe_cells`):

1. the check of the kernel's error reporting (`grader.error_hooks`), before anything else;
2. the runtime's setup;
3. EMPTY_PROBES empty probes, which call nothing: what they take is what every probe cell
   costs in this kernel besides the call (`grader.timing`);
4. one cell per planned call, so the grader's own clock times every call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from grader import error_hooks
from grader import probe_runtime as rt
from grader.errors import ReferenceFault
from grader.execution import ExtraCell
from grader.rubric import CheckSpec, Rubric

RUNTIME_MODULE = "_grader_probe_runtime"
CALL_GRACE = 2.0   # seconds a call's cell may run past the call's limit before it is stopped
EMPTY_PROBE = "(empty probe)"      # Execution.extra key of the empty probes (no check id has "(")
EMPTY_PROBES = 3
EMPTY_PROBE_TIMEOUT = 10.0
HOOKS_CHECK = "(error reporting)"  # Execution.extra key of the error-reporting check
HOOKS_TIMEOUT = 30.0
PLAN_FILE = "plan.json"


@dataclass(frozen=True)
class PlannedCall:
    """One call of a student function (or one read of student variables)."""

    check_id: str
    index: int
    case: rt.Case | None          # None for a variable check
    expected: Any                 # the reference's plain value (None when there is no reference)


@dataclass(frozen=True)
class ProbePlan:
    """Every probe of one upload, with the reference values already computed."""

    rubric_id: str
    calls: tuple[PlannedCall, ...]
    dirname: str                  # name of the probe directory inside the work dir

    def for_check(self, check_id: str) -> tuple[PlannedCall, ...]:
        return tuple(c for c in self.calls if c.check_id == check_id)


def upload_seed(sha256: str, rubric_id: str) -> int:
    """A seed that is fresh per upload (its content) and reproducible on a regrade."""
    digest = hashlib.sha256(f"{rubric_id}:{sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _materialise(value: Any) -> Any:
    """Turn Tensor/Fn markers into what a function receives (arrays are copied)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, rt.Tensor):
        import torch

        return torch.tensor(value.array, dtype=torch.float64, requires_grad=value.requires_grad)
    if isinstance(value, rt.Fn):
        return rt.CALLABLES[value.name](*[_materialise(a) for a in value.args])
    if isinstance(value, tuple):
        return tuple(_materialise(v) for v in value)
    if isinstance(value, list):
        return [_materialise(v) for v in value]
    return value


def reference_value(check: CheckSpec, case: rt.Case | None) -> Any:
    """Run the check's reference on the case, in this process; return its plain value."""
    if check.reference_fn is None:
        return None
    try:
        if case is None:
            value = check.reference_fn()
        else:
            args = [_materialise(a) for a in case.args]
            kwargs = {k: _materialise(v) for k, v in case.kwargs.items()}
            value = rt.DRIVERS[check.driver](check.reference_fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of trusted code is a grader fault
        raise ReferenceFault(check.id, f"{type(exc).__name__}: {exc}") from exc
    return rt.plain(value)


def build_plan(rubric: Rubric, seed: int) -> ProbePlan:
    """Generate every case of every call/variable check and compute the reference values."""
    calls: list[PlannedCall] = []
    for n, check in enumerate(rubric.checks):
        if check.kind == "call":
            assert check.inputs_fn is not None
            rng = np.random.default_rng([seed, n])
            try:
                cases = list(check.inputs_fn(rng))
            except Exception as exc:  # noqa: BLE001
                raise ReferenceFault(check.id, f"input generator failed: {exc}") from exc
            for i, case in enumerate(cases):
                calls.append(PlannedCall(check.id, i, case, reference_value(check, case)))
        elif check.kind == "variable":
            calls.append(PlannedCall(check.id, 0, None, reference_value(check, None)))
    return ProbePlan(rubric.id, tuple(calls), f"probe-{secrets.token_hex(6)}")


# ----------------------------------------------------------------------------- writing inputs
def _spec(value: Any, name: str, files: dict[str, np.ndarray]) -> dict[str, Any]:
    """JSON spec of one argument; arrays are collected into `files`."""
    if isinstance(value, np.ndarray):
        fname = f"{name}.npy"
        files[fname] = np.array(value, dtype=np.float64, order="C")
        return {"kind": "array", "file": fname}
    if isinstance(value, rt.Tensor):
        fname = f"{name}.npy"
        files[fname] = np.array(value.array, dtype=np.float64, order="C")
        return {"kind": "tensor", "file": fname, "requires_grad": value.requires_grad}
    if isinstance(value, rt.Fn):
        return {"kind": "fn", "name": value.name,
                "args": [_spec(a, f"{name}_{i}", files) for i, a in enumerate(value.args)]}
    if isinstance(value, (tuple, list)):
        return {"kind": "seq", "tuple": isinstance(value, tuple),
                "items": [_spec(a, f"{name}_{i}", files) for i, a in enumerate(value)]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "value", "value": value}
    if isinstance(value, np.generic):
        return {"kind": "value", "value": value.item()}
    raise TypeError(f"a probe argument of type {type(value).__name__} cannot be sent")


def plan_document(plan: ProbePlan, rubric: Rubric) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The plan.json document and the arrays it references."""
    checks = {c.id: c for c in rubric.checks}
    files: dict[str, np.ndarray] = {}
    entries = []
    for call in plan.calls:
        check = checks[call.check_id]
        stem = f"{call.check_id}_{call.index}"
        if call.case is None:
            names = list(check.symbols) or [check.symbol or ""]
            entries.append({"check": call.check_id, "case": call.index, "variables": names})
            continue
        entries.append({
            "check": call.check_id, "case": call.index, "symbol": check.symbol,
            "driver": check.driver, "timeout": check.timeout,
            "args": [_spec(a, f"{stem}_a{i}", files) for i, a in enumerate(call.case.args)],
            "kwargs": {k: _spec(v, f"{stem}_k{k}", files) for k, v in call.case.kwargs.items()},
        })
    return {"protocol": rt.PROTOCOL, "entries": entries}, files


def empty_entries() -> list[dict[str, Any]]:
    """The plan entries of the empty probes: they call nothing, so what they take is what every
    probe cell costs in this kernel besides its call (`grader.timing`)."""
    return [{"check": EMPTY_PROBE, "case": i, "symbol": "", "driver": "call", "empty": True,
             "timeout": EMPTY_PROBE_TIMEOUT, "args": [], "kwargs": {}}
            for i in range(EMPTY_PROBES)]


def write_inputs(plan: ProbePlan, workdir: Path) -> None:
    """Create `<workdir>/<plan.dirname>/in` and `/out`, and write the empty probes' plan.json.

    The calls' inputs are not written here: each call's cell writes its own just before it runs
    (`CallInputs`, `write_call`), so code the notebook left running (a thread, a child process)
    never sees a call's inputs before that call starts and cannot work out a timed call's answer
    in advance. Runs while the student's kernel is alive, so it never follows a link the
    student may have planted: every path is opened relative to a directory descriptor with
    O_NOFOLLOW and files are created with O_EXCL.
    """
    with _directory(workdir) as work_fd:
        os.mkdir(plan.dirname, mode=0o755, dir_fd=work_fd)
        with _directory(plan.dirname, work_fd) as probe_fd:
            os.mkdir("in", mode=0o755, dir_fd=probe_fd)
            os.mkdir("out", mode=0o777, dir_fd=probe_fd)
            with _directory("in", probe_fd) as in_fd:
                document = {"protocol": rt.PROTOCOL, "entries": empty_entries()}
                _write_file(in_fd, PLAN_FILE, json.dumps(document).encode())


@dataclass(frozen=True)
class CallInputs:
    """What one call's cell reads: its plan entry and arrays, in `in/<folder>/` of the probe
    directory; `folder` is random, so nothing in the kernel can claim it in advance."""

    folder: str
    document: dict[str, Any] = field(hash=False)
    files: dict[str, np.ndarray] = field(hash=False)


def call_inputs(plan: ProbePlan, rubric: Rubric, call: PlannedCall) -> CallInputs:
    """The plan document of `call` alone (its entry, its arrays)."""
    document, files = plan_document(ProbePlan(plan.rubric_id, (call,), plan.dirname), rubric)
    return CallInputs(secrets.token_hex(8), document, files)


def write_call(workdir: Path, dirname: str, inputs: CallInputs) -> None:
    """Write one call's inputs into `<workdir>/<dirname>/in/<inputs.folder>/`, as
    `write_inputs` writes (no link followed, nothing overwritten). Raises OSError when the
    notebook changed the probe directory so that this is not possible."""
    with _directory(workdir) as work_fd, _directory(dirname, work_fd) as probe_fd, \
            _directory("in", probe_fd) as in_fd:
        os.mkdir(inputs.folder, mode=0o755, dir_fd=in_fd)
        with _directory(inputs.folder, in_fd) as call_fd:
            _write_file(call_fd, PLAN_FILE, json.dumps(inputs.document).encode())
            for name, array in inputs.files.items():
                _write_file(call_fd, name, _npy_bytes(array))


@contextlib.contextmanager
def _directory(path: str | Path, dir_fd: int | None = None) -> Iterator[int]:
    """A descriptor of the directory `path` (relative to `dir_fd`), never through a link."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _write_file(dir_fd: int, name: str, data: bytes) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


# ----------------------------------------------------------------------------- probe cells
def _runtime_source() -> str:
    return inspect.getsource(rt)


def probe_cells(plan: ProbePlan, rubric: Rubric, workdir: Path) -> tuple[ExtraCell, ...]:
    """The grader's cells, in the order of the module docstring.

    Every call's cell reports under its check's id (`Execution.extra[check.id]`, one entry of
    `cell_seconds` per call, in plan order); the empty probes under EMPTY_PROBE, the check of
    the error reporting under HOOKS_CHECK (its findings go to `<probe dir>/out/hooks.json`).
    """
    probe_dir = workdir / plan.dirname
    out_dir = str(probe_dir / "out")
    hooks = ExtraCell(HOOKS_CHECK, "its check of how the kernel reports errors",
                      error_hooks.check_source(str(probe_dir / "out" / error_hooks.FINDINGS_FILE)),
                      HOOKS_TIMEOUT, always=True)
    setup = (
        "def __grader_setup():\n"
        "    import sys, types\n"
        f"    module = types.ModuleType({RUNTIME_MODULE!r})\n"
        f"    sys.modules[{RUNTIME_MODULE!r}] = module\n"
        f"    exec(compile({_runtime_source()!r}, '<grader probe runtime>', 'exec'), "
        "module.__dict__)\n"
        "__grader_setup()\n"
        "del __grader_setup\n"
    )
    cells = [hooks, ExtraCell(None, "its probe setup", setup, 60.0)]
    plan_path = str(probe_dir / "in" / PLAN_FILE)

    def call_cell(key: str, what: str, case: int, timeout: float, limit: float,
                  path: str = plan_path) -> ExtraCell:
        source = (
            "import sys as __grader_sys\n"
            f"__grader_sys.modules[{RUNTIME_MODULE!r}].run_probes("
            f"{path!r}, {out_dir!r}, globals(), {key!r}, {case})\n"
            "del __grader_sys\n"
        )
        return ExtraCell(key, what, source, timeout, limit)

    cells += [call_cell(EMPTY_PROBE, "its empty probe", i, EMPTY_PROBE_TIMEOUT, EMPTY_PROBE_TIMEOUT)
              for i in range(EMPTY_PROBES)]
    for check in rubric.checks:
        for call in plan.for_check(check.id):
            inputs = call_inputs(plan, rubric, call)
            cell = call_cell(check.id, f"check {check.id}", call.index,
                             check.timeout + CALL_GRACE, check.timeout,
                             str(probe_dir / "in" / inputs.folder / PLAN_FILE))
            cells.append(dataclasses.replace(
                cell, prepare=functools.partial(write_call, workdir, plan.dirname, inputs)))
    return tuple(cells)
