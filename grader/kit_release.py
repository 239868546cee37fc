"""Write an assignment's check kit (`grade release`): the trusted side, where the reference runs.

The kit (layout: `grader.kit`) holds the intake rules, the visible checks' settings, a fixed set
of public cases per visible check and the values the reference computes for them *now*, as
plain data. The cases come from the rubric's own input generator with a fixed public seed
(`public_seed`: the same kit every release, never a seed an upload is graded with), so they are
like the grading cases but not the same: at grading time each upload gets fresh ones and the
hidden checks count too. Nothing of the reference, the generators, the hidden checks or the
rubric file goes into the kit.

Next to the folder, `<id>-kit.tar.gz` holds the same files at the archive's top level (what
the ci/ templates unpack from a release URL), byte-for-byte reproducible.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.check_notes import notes_for
from grader.errors import UsageError
from grader.kit import (
    CASES_DIR,
    EXPECTED_FILE,
    FORMAT,
    KIT_FILE,
    MARKER,
    PLAN_FILE,
    PUBLIC_COMPARATORS,
    encode_plain,
)
from grader.probe import ProbePlan, build_plan, plan_document, upload_seed
from grader.rubric import CheckSpec, Rubric
from grader.version import grader_version, reference_version

PUBLIC_SEED_KEY = "public cases"     # hashed with the rubric id: an upload's seed never equals it
FIXED_ANSWER = ("its answer is one fixed value, the same for everyone, which a kit would give "
                "away; it is checked when your upload is graded")
TUTOR_CODE = ("it is decided by the course's own code, which is not part of the kit; it is "
              "checked when your upload is graded")


@dataclass(frozen=True)
class KitFiles:
    """What a release wrote: the kit folder, its archive, and a one-line description."""

    folder: Path
    archive: Path
    cases: int
    unchecked: tuple[str, ...]


def public_seed(rubric_id: str) -> int:
    """The seed of an assignment's public cases (fixed, so a kit is reproducible)."""
    return upload_seed(PUBLIC_SEED_KEY, rubric_id)


def not_checkable(check: CheckSpec) -> str:
    """Why a visible check cannot be decided from a kit ("" when it can)."""
    if check.kind == "variable" and check.reference is not None:
        return FIXED_ANSWER
    if check.compare is not None and check.compare not in PUBLIC_COMPARATORS:
        return TUTOR_CODE
    return ""


def kit_description(check: CheckSpec) -> str:
    """What the kit says a check tests: the rubric's `kit_description`, else a neutral line that
    names the function and what is compared, never the rubric's `description` (which may state
    the answer, e.g. a formula)."""
    if check.kit_description:
        return check.kit_description
    if check.kind == "figure":
        return "the notebook shows at least one figure"
    if check.kind == "variable":
        names = ", ".join(check.symbols or (check.symbol or "",))
        return f"{names} after the notebook ran, checked as the assignment asks"
    return f"{check.symbol}(...) on the public cases, compared with the model solution's values"


def kit_document(rubric: Rubric, plan: ProbePlan, reasons: dict[str, str],
                 arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """kit.json: versions, the intake rules, every visible check with its cases or its reason."""
    checks = []
    for check in (c for c in rubric.checks if c.visible):
        entry: dict[str, Any] = {
            "id": check.id, "points": check.points, "kind": check.kind, "symbol": check.symbol,
            "symbols": list(check.symbols), "driver": check.driver, "compare": check.compare,
            "rtol": check.rtol, "atol": check.atol, "timeout": check.timeout,
            "description": kit_description(check), "checkable": not reasons[check.id]}
        if notes_for(check).outputs:   # how messages name the values ("theta: ...")
            entry["outputs"] = list(notes_for(check).outputs)
        if reasons[check.id]:   # no settings, no description (it may state the answer)
            entry = {k: entry[k] for k in ("id", "points", "kind", "checkable")}
            entry["reason"] = reasons[check.id]
        else:
            entry["cases"] = [
                {"label": call.case.label if call.case is not None else "",
                 "expected": encode_plain(call.expected, f"{check.id}_{call.index}", arrays)}
                for call in plan.for_check(check.id)]
        checks.append(entry)
    intake = {"pattern": rubric.pattern, "expected": rubric.expected, "example": rubric.example,
              "upload": rubric.upload, "zero_error": rubric.zero_error,
              "limits": dataclasses.asdict(rubric.limits),
              "team": dataclasses.asdict(rubric.team) if rubric.team else None,
              "zip": dataclasses.asdict(rubric.zip) if rubric.zip else None}
    return {"kit": MARKER, "format": FORMAT, "assignment": rubric.id, "title": rubric.title,
            "grader_version": grader_version(), "reference_version": reference_version(),
            "rubric_sha256": rubric.sha256, "public_seed": public_seed(rubric.id),
            "intake": intake, "checks": checks}


def _write_folder(rubric: Rubric, folder: Path) -> tuple[int, tuple[str, ...]]:
    """Compute the public cases and write every file of the kit into `folder` (new, empty)."""
    visible = [c for c in rubric.checks if c.visible]
    reasons = {c.id: not_checkable(c) for c in visible}
    public = dataclasses.replace(rubric, checks=tuple(c for c in visible if not reasons[c.id]))
    plan = build_plan(public, public_seed(rubric.id))
    document, files = plan_document(plan, public)
    arrays: dict[str, np.ndarray] = {}
    kit = kit_document(rubric, plan, reasons, arrays)
    (folder / CASES_DIR).mkdir()
    (folder / CASES_DIR / PLAN_FILE).write_text(json.dumps(document, indent=1) + "\n",
                                                encoding="utf-8")
    for name, array in sorted(files.items()):
        np.save(folder / CASES_DIR / name, array, allow_pickle=False)
    _save_npz(folder / EXPECTED_FILE, arrays)
    (folder / KIT_FILE).write_text(json.dumps(kit, indent=1, allow_nan=False) + "\n",
                                   encoding="utf-8")
    return len(plan.calls), tuple(c for c, why in reasons.items() if why)


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A compressed .npz with fixed member times (np.savez stamps the current time)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.save(buffer, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue())


def write_archive(folder: Path, archive: Path) -> None:
    """The kit's files at the top level of a reproducible .tar.gz (sorted, no owners, no times)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(folder.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(folder).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_dir():
                tar.addfile(info)
            else:
                with open(path, "rb") as fh:
                    tar.addfile(info, fh)
    with open(archive, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                   filename="") as gz:
        gz.write(buffer.getvalue())


def write_kit(rubric: Rubric, out: Path) -> KitFiles:
    """Write `<out>/<id>-kit/` and `<out>/<id>-kit.tar.gz`, replacing an earlier kit of it.

    Raises:
        UsageError: `<out>/<id>-kit` exists and is not a kit (it is never overwritten then).
        ReferenceFault: the reference or an input generator failed (a grader fault).
    """
    out.mkdir(parents=True, exist_ok=True)
    folder, archive = out / f"{rubric.id}-kit", out / f"{rubric.id}-kit.tar.gz"
    if folder.exists() and not (folder / KIT_FILE).is_file():
        raise UsageError(f"{folder} exists and is not a check kit; move it away first")
    staging = Path(tempfile.mkdtemp(prefix=f".{rubric.id}-kit-", dir=out))
    try:
        cases, unchecked = _write_folder(rubric, staging)
        os.chmod(staging, 0o755)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    write_archive(folder, archive)
    return KitFiles(folder, archive, cases, unchecked)
