"""Read what the probe cells wrote, as untrusted plain data.

The manifest is JSON lines checked against a small schema; arrays are `.npy` files loaded with
`allow_pickle=False`, float64 only, under caps on count and size. Every file is opened relative
to a directory descriptor with O_NOFOLLOW and must be a regular file, so a link or a FIFO the
student planted is refused, never followed. Nothing in here raises for bad student data: a
record that breaks a rule becomes an "invalid" record with a message. Every string taken from
the files (error texts, labels, dict keys, check ids) goes through `printable`, so no escape
sequence or control character the student wrote reaches a terminal, grades.json or a report.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.probe_runtime import Unsupported
from grader.text import printable

MAX_MANIFEST_BYTES = 4 << 20
MAX_RECORDS = 10_000
MAX_ARRAY_BYTES = 64 << 20
MAX_TOTAL_BYTES = 512 << 20
MAX_NDIM = 8
MAX_TREE_NODES = 20_000
ERROR_CHARS = 2000
LABEL_CHARS = 200
STATUSES = {"ok", "error", "timeout", "missing", "not-callable"}
MAX_FINDINGS_BYTES = 64 << 10
MAX_FINDINGS = 25
FINDING_CHARS = 200
FINDINGS_PROTOCOL = 1


@dataclass(frozen=True)
class CallRecord:
    """One probe call as the kernel reported it, with its value decoded.

    Attributes:
        check_id, index: which planned call.
        status: "ok", "error", "timeout", "missing", "not-callable" or "invalid".
        error: the student's error text (clipped) or why the record is invalid.
        value: the plain value for status "ok" (float64 arrays, lists, tuples, dicts, None,
            `Unsupported`).
    """

    check_id: str
    index: int
    status: str
    error: str
    value: Any = None


class _Invalid(Exception):
    pass


class _Reader:
    """Loads leaves from one directory descriptor, enforcing the caps."""

    def __init__(self, dir_fd: int) -> None:
        self.dir_fd = dir_fd
        self.total = 0
        self.nodes = 0

    def read_bytes(self, name: str, cap: int) -> bytes:
        if "/" in name or name in ("", ".", ".."):
            raise _Invalid(f"bad file name {name!r}")
        if "\x00" in name:
            raise _Invalid("bad file name (NUL byte)")
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self.dir_fd)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise _Invalid(f"cannot open {name!r}: {reason}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise _Invalid(f"{name!r} is not a regular file")
            if info.st_size > cap:
                raise _Invalid(f"{name!r} is larger than {cap} bytes")
            self.total += info.st_size
            if self.total > MAX_TOTAL_BYTES:
                raise _Invalid("the results are larger than the grader reads")
            with os.fdopen(os.dup(fd), "rb") as fh:
                return fh.read(cap + 1)[:cap]
        finally:
            os.close(fd)

    def array(self, name: str) -> np.ndarray:
        import io

        data = self.read_bytes(name, MAX_ARRAY_BYTES)
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - malformed student data
            raise _Invalid(f"{name!r} is not a valid .npy file ({exc})") from None
        if not isinstance(arr, np.ndarray) or arr.dtype != np.float64 or arr.ndim > MAX_NDIM:
            raise _Invalid(f"{name!r} is not a float64 array")
        return arr

    def tree(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_TREE_NODES or depth > 10:
            raise _Invalid("the result structure is too large")
        if not isinstance(node, dict) or len(node) == 0:
            raise _Invalid("malformed result")
        if node.get("none") is True:
            return None
        if "unsupported" in node:
            return Unsupported(_label(node["unsupported"]))
        if "array" in node:
            return self.array(str(node["array"]))
        if "seq" in node and isinstance(node["seq"], list):
            items = [self.tree(n, depth + 1) for n in node["seq"]]
            return tuple(items) if node.get("tuple") is True else items
        if "dict" in node and isinstance(node["dict"], dict):
            return {_label(k): self.tree(v, depth + 1) for k, v in node["dict"].items()}
        raise _Invalid("malformed result")


def _record(raw: Any, reader: _Reader) -> CallRecord | None:
    if not isinstance(raw, dict):
        return None
    check_id, index, status = raw.get("check"), raw.get("case"), raw.get("status")
    if not isinstance(check_id, str) or not isinstance(index, int) or status not in STATUSES:
        return None
    check_id = _label(check_id)
    error = printable(str(raw.get("error", ""))[:4 * ERROR_CHARS])[:ERROR_CHARS]
    if status != "ok":
        return CallRecord(check_id, index, status, error)
    try:
        return CallRecord(check_id, index, "ok", "", reader.tree(raw.get("result")))
    except _Invalid as exc:
        return CallRecord(check_id, index, "invalid", printable(str(exc))[:ERROR_CHARS])


def _label(value: Any) -> str:
    """A short one-line string from the files (a type name, a dict key, a check id)."""
    return printable(str(value)[:4 * LABEL_CHARS], multiline=False)[:LABEL_CHARS]


def _open_dir(workdir: Path, parts: tuple[str, ...]) -> int | None:
    """Open workdir/part1/part2/... one component at a time, never following a link."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(workdir, flags)
    except OSError:
        return None
    for part in parts:
        try:
            child = os.open(part, flags, dir_fd=fd)
        except OSError:
            os.close(fd)
            return None
        os.close(fd)
        fd = child
    return fd


def read_findings(workdir: Path, probe_dirname: str, name: str) -> tuple[str, ...] | None:
    """The findings the grader's error-reporting check wrote to `<probe_dirname>/out/<name>`.

    The file is `{"protocol": 1, "findings": [str, ...]}` (`grader.error_hooks_runtime`), read
    under the same rules as the manifest; each finding is made printable, on one line, and
    clipped. None when the file is missing, not a regular file, too large or not of that shape.
    """
    dir_fd = _open_dir(workdir, (probe_dirname, "out"))
    if dir_fd is None:
        return None
    try:
        try:
            text = _Reader(dir_fd).read_bytes(name, MAX_FINDINGS_BYTES).decode("utf-8", "replace")
            data = json.loads(text)
        except (_Invalid, ValueError, RecursionError):
            return None
    finally:
        os.close(dir_fd)
    if not isinstance(data, dict) or data.get("protocol") != FINDINGS_PROTOCOL:
        return None
    found = data.get("findings")
    if not isinstance(found, list) or not all(isinstance(f, str) for f in found):
        return None
    return tuple(printable(f[:4 * FINDING_CHARS], multiline=False)[:FINDING_CHARS]
                 for f in found[:MAX_FINDINGS])


def read_results(workdir: Path, probe_dirname: str) -> dict[tuple[str, int], CallRecord]:
    """Every valid record in `<workdir>/<probe_dirname>/out/manifest.jsonl`.

    Keyed by (check id, case index). A missing directory or manifest gives an empty result (the
    probes never ran). When a key appears twice the first record wins (the probe writes each
    exactly once).
    """
    dir_fd = _open_dir(workdir, (probe_dirname, "out"))
    if dir_fd is None:
        return {}
    try:
        reader = _Reader(dir_fd)
        try:
            raw = reader.read_bytes("manifest.jsonl", MAX_MANIFEST_BYTES)
            text = raw.decode("utf-8", "replace")
        except _Invalid:
            return {}
        results: dict[tuple[str, int], CallRecord] = {}
        for line in text.splitlines()[:MAX_RECORDS]:
            # Each line is the kernel's (so the student's) writing: whatever it holds (deep
            # nesting -> RecursionError, odd names, odd types) it is at worst an invalid line.
            try:
                raw = json.loads(line)
                record = _record(raw, reader)
            except Exception:  # noqa: BLE001
                continue
            if record is not None:
                results.setdefault((record.check_id, record.index), record)
        return results
    finally:
        os.close(dir_fd)
