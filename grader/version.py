"""Versions recorded with every grade: the grader's, and a digest of all a grade depends on."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import grader

# The distributions that install `grader`: the whole project, and the student distribution
# (tools/build_check_dist.py), which holds no reference. One of them is installed.
DISTRIBUTIONS = ("dlgrade", "dlgrade-check")


def grader_version() -> str:
    """The installed package's version, whichever distribution installed `grader` ("0+unknown"
    when neither is installed, e.g. a source checkout on the path)."""
    for name in DISTRIBUTIONS:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "0+unknown"


@lru_cache(maxsize=1)
def reference_version() -> str:
    """A digest of the reference package, the input generators and the code the grader runs in
    the kernel (the probe runtime and the check of the kernel's error reporting).

    A grade recorded under another digest is stale: the rerun regrades it. `reference` is
    imported here, not at module load: `grade check --kit` runs where it is not installed.
    """
    import reference

    digest = hashlib.sha256()
    roots = [Path(reference.__file__).parent, Path(grader.__file__).parent / "assignments"]
    files = [p for root in roots for p in sorted(root.rglob("*.py"))]
    files += [Path(grader.__file__).parent / name
              for name in ("probe_runtime.py", "error_hooks_runtime.py")]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
