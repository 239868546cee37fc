"""Where each upload's feedback page goes: `reports/<upload path without extension>.html`.

Subfolders mirror the uploads' folders. Every path is distinct, never takes a path that some
upload's folder needs, and every part fits in NAME_MAX bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Iterator, Sequence

NAME_MAX = 255      # bytes in one file or folder name (Linux, macOS)


def report_relpath(rel: str) -> str:
    """`reports/<rel without its extension>.html`, subfolders mirrored, POSIX separators.

    Raises ValueError for an absolute `rel` or one with `..` (it would escape the output folder).
    """
    path = safe_rel(rel)
    return f"reports/{path.with_suffix('').as_posix()}.html"


def report_paths(rels: Sequence[str]) -> dict[str, str]:
    """A distinct report path for every upload in `rels`.

    Uploads are taken in sorted order; each gets `report_relpath(rel)` unless an earlier one
    holds it, in which case it keeps its extension (`a.ipynb` -> `reports/a.html`, then
    `a.zip` -> `reports/a.zip.html`), then a counter (`reports/a.zip-2.html`). Paths are compared
    exactly (as docs/contract.md#reports names them): `A.ipynb` and `a.ipynb` keep `A.html` and
    `a.html`.
    Folders mirror the uploads' folders and never move, so a report never takes a path that
    some upload's folder needs (`x.ipynb` beside a folder `x.html/` gets `reports/x.ipynb.html`).
    Parts too long for the file system are shortened (`fit_report_paths`).
    """
    unique = sorted(set(rels))
    folders = {str(parent) for rel in unique
               for parent in PurePosixPath(report_relpath(rel)).parents}
    taken: set[str] = set(folders)
    out: dict[str, str] = {}
    for rel in unique:
        for candidate in _candidates(rel):
            if candidate not in taken:
                break
        taken.add(candidate)
        out[rel] = candidate
    return fit_report_paths(out)


def _candidates(rel: str) -> Iterator[str]:
    yield report_relpath(rel)
    full = f"reports/{safe_rel(rel).as_posix()}"
    yield f"{full}.html"
    counter = 2
    while True:
        yield f"{full}-{counter}.html"
        counter += 1


def safe_rel(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"not a safe relative upload path: {rel!r}")
    return path


def fit_report_paths(paths: dict[str, str]) -> dict[str, str]:
    """Report paths whose every part fits in NAME_MAX bytes.

    A part that is too long (an upload named near the limit gains bytes as `.html`, or as the
    `%XX` of a name that is not UTF-8) keeps its first bytes, then `~` and a digest of the whole
    part, so distinct paths stay distinct.
    """
    return {rel: "/".join(map(_fit_part, path.split("/"))) for rel, path in paths.items()}


def _fit_part(part: str) -> str:
    raw = part.encode("utf-8")
    if len(raw) <= NAME_MAX:
        return part
    suffix = ".html" if part.endswith(".html") else ""
    head = raw[:NAME_MAX - 40].decode("utf-8", "ignore")
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:16]}{suffix}"
