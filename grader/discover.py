"""Find the uploads in a submissions folder (nothing is opened beyond hashing).

Rules (docs/contract.md#grading-a-batch): every `*.ipynb` and `*.zip` under the folder and its
subfolders; names starting with "." (files and folders, `.ipynb_checkpoints/` included) and
anything under a `skip` path (the output folder, which may lie inside the submissions folder)
are skipped; other files are ignored. Decisions where the contract is silent:

* The suffix is matched case-insensitively (`SHEET.ZIP` is listed), so a student whose name is
  wrong only in case gets a "file name" rejection from intake instead of silence.
* Symbolic links are never followed. A symlink whose name looks like an upload is still listed,
  with `kind="symlink"` (hashed over the link text), and so is any other non-regular file
  (`kind="other"`, e.g. a FIFO, never opened): intake rejects both, so nothing is dropped
  silently. Symlinked folders are not entered.
* A folder or file that cannot be read is a `GraderError` (a broken batch, not a student's
  mistake).
* A name that is not valid UTF-8 (Linux allows any bytes) cannot go into JSON, CSV, SQLite or a
  terminal as it is: its `rel` shows each undecodable byte as `%XX` (`bad%FF%FEname.ipynb`), and
  `path` keeps the real name for reading. Such an upload is marked `undecodable` when its own
  file name is affected (intake rejects it: "rename it"); an undecodable folder name alone is
  only shown escaped. (`%XX`, not `\\xff`: report paths turn backslashes into folders.) If an
  escaped `rel` equals another upload's, it gets `~2`, `~3`, ... before its suffix, so every
  `rel` stays distinct.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Literal

from grader.errors import GraderError, UsageError

UPLOAD_SUFFIXES = (".ipynb", ".zip")
CHUNK = 1 << 20
# Never follow a link, never block on a FIFO swapped in after lstat.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
UploadFileKind = Literal["file", "symlink", "other"]


@dataclass(frozen=True)
class Upload:
    """One uploaded file, as found on disk.

    Attributes:
        path: absolute path of the file.
        rel: its path relative to the SUBMISSIONS folder, POSIX separators (grades.json "file").
        sha256: hex digest of its bytes (of the link text for a symlink; "" for kind "other").
        size: size in bytes.
        kind: "file" for a regular file; "symlink" and "other" are listed only to be rejected.
        undecodable: its file name is not valid UTF-8 (`rel` shows it escaped); intake rejects it.
    """

    path: Path
    rel: str
    sha256: str
    size: int
    kind: UploadFileKind = "file"
    undecodable: bool = False


def discover(folder: Path, skip: tuple[Path, ...] = ()) -> tuple[Upload, ...]:
    """Every `*.ipynb` and `*.zip` under `folder`, sorted by `rel`.

    Skips names starting with ".", `.ipynb_checkpoints/`, and anything under a path in `skip`
    (the output folder). Symlinks are not followed.

    Raises:
        UsageError: `folder` is not a folder.
        GraderError: a subfolder or file cannot be read.
    """
    root = Path(os.path.abspath(folder))
    if not root.is_dir():
        raise UsageError(f"{folder}: not a folder")
    skipped = {os.path.realpath(p) for p in skip}
    uploads = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=_raise, followlinks=False):
        dirnames[:] = [d for d in dirnames if not _skipped(os.path.join(dirpath, d), d, skipped)]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name.lower().endswith(UPLOAD_SUFFIXES) and not _skipped(path, name, skipped):
                uploads.append(_upload(Path(path), root))
    return tuple(sorted(_distinct(uploads), key=lambda u: u.rel))


def _skipped(path: str, name: str, skipped: set[str]) -> bool:
    """Hidden names, and the skip paths themselves (compared after resolving)."""
    return name.startswith(".") or os.path.realpath(path) in skipped


def _raise(error: OSError) -> None:
    raise GraderError(f"cannot read {error.filename}: {error.strerror or error}") from error


def _upload(path: Path, root: Path) -> Upload:
    rel = safe_name(PurePath(os.path.relpath(path, root)).as_posix())
    bad = not is_utf8(path.name)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        digest = hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
        return Upload(path, rel, digest, info.st_size, "symlink", bad)
    if not stat.S_ISREG(info.st_mode):
        return Upload(path, rel, "", 0, "other", bad)
    digest, size = sha256_file(path)
    return Upload(path, rel, digest, size, undecodable=bad)


def is_utf8(name: str) -> bool:
    """Whether a name from the file system (surrogate-escaped str) is valid UTF-8 text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_name(name: str) -> str:
    """`name` with every byte that is not valid UTF-8 shown as `%XX` (valid names unchanged)."""
    if is_utf8(name):
        return name
    text = os.fsencode(name).decode("utf-8", "surrogateescape")
    return "".join(f"%{ord(c) - 0xDC00:02X}" if "\udc80" <= c <= "\udcff" else c for c in text)


def _distinct(uploads: list[Upload]) -> list[Upload]:
    """Escaped names renamed `stem~N.suffix` where they would equal another upload's `rel`."""
    plain = [u for u in uploads if _raw_rel(u) == u.rel]
    escaped = sorted((u for u in uploads if _raw_rel(u) != u.rel), key=lambda u: os.fsencode(u.path))
    taken = {u.rel for u in plain}
    for upload in escaped:
        rel, counter = upload.rel, 2
        while rel in taken:
            stem, dot, suffix = upload.rel.rpartition(".")
            rel = f"{stem}~{counter}{dot}{suffix}" if dot else f"{upload.rel}~{counter}"
            counter += 1
        taken.add(rel)
        plain.append(dataclasses.replace(upload, rel=rel))
    return plain


def _raw_rel(upload: Upload) -> str:
    """The tail of `upload.path` that `rel` names, as the file system spells it."""
    depth = upload.rel.count("/") + 1
    return "/".join(upload.path.parts[-depth:])


def sha256_file(path: Path) -> tuple[str, int]:
    """Hex sha256 and byte count of a regular file, streamed; symlinks are not followed."""
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        raise GraderError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest, size = hashlib.sha256(), 0
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
