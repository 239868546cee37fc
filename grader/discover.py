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

What looks like an upload but is not one is returned as data too (`NotGraded`, by `find`), so
the batch lists it ("not graded: <file>: <reason>") and no student's work disappears silently:
a name that ends in spaces or dots after `.ipynb`/`.zip` (`a.ipynb `, `a.zip.`), an upload-like
name starting with "." and one inside a hidden folder (except Jupyter's own
`.ipynb_checkpoints/` and `.git/`, which are skipped silently; a hidden folder that cannot be
read is skipped too), and a symbolic link to a folder (never entered).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable, Literal

from grader.errors import GraderError, UsageError

UPLOAD_SUFFIXES = (".ipynb", ".zip")
QUIET_FOLDERS = (".ipynb_checkpoints", ".git")   # hidden folders never looked into
TRAILING = re.compile(r"[\s.]+$")
TRAILING_NAME = ("its name ends in {tail!r} after {suffix}, so it is not read as an upload; "
                 "rename it to end in {suffix}")
HIDDEN_NAME = ("its name starts with '.', so it is hidden and skipped; rename it without the "
               "leading dot")
HIDDEN_FOLDER = "it is inside the hidden folder {folder!r}, which is skipped; move it out"
LINKED_FOLDER = ("a symbolic link to a folder; links are not followed, so nothing in it is "
                 "graded")
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


@dataclass(frozen=True)
class NotGraded:
    """A file (or linked folder) that looks like an upload but is not graded, and why.

    Attributes:
        rel: its path relative to the SUBMISSIONS folder (escaped like `Upload.rel`; a folder
            ends in "/").
        reason: why it is not graded and what to do, for the summary and the overview.
    """

    rel: str
    reason: str


@dataclass(frozen=True)
class Found:
    """What `find` found: the uploads, and what looks like one but is not graded."""

    uploads: tuple[Upload, ...]
    not_graded: tuple[NotGraded, ...]


def discover(folder: Path, skip: tuple[Path, ...] = ()) -> tuple[Upload, ...]:
    """Every `*.ipynb` and `*.zip` under `folder`, sorted by `rel` (see `find`)."""
    return find(folder, skip).uploads


def find(folder: Path, skip: tuple[Path, ...] = ()) -> Found:
    """Every `*.ipynb` and `*.zip` under `folder`, sorted by `rel`, and what looks like an
    upload but is not graded (the module docstring lists which), sorted by `rel`.

    Skips names starting with ".", `.ipynb_checkpoints/`, and anything under a path in `skip`
    (the output folder). Symlinks are not followed.

    Raises:
        UsageError: `folder` is not a folder.
        GraderError: a subfolder or file cannot be read (outside hidden folders).
    """
    root = Path(os.path.abspath(folder))
    if not root.is_dir():
        raise UsageError(f"{folder}: not a folder")
    skipped = {os.path.realpath(p) for p in skip}
    uploads, others = [], []
    for dirpath, dirnames, filenames in os.walk(root, onerror=_on_error(root), followlinks=False):
        hidden = _hidden_folder(root, dirpath)
        kept = []
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if name in QUIET_FOLDERS or os.path.realpath(path) in skipped:
                continue
            if os.path.islink(path):
                if hidden is None and not name.startswith("."):
                    others.append(NotGraded(_rel(path, root) + "/", LINKED_FOLDER))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.realpath(path) in skipped:
                continue
            why = _not_graded(name, hidden)
            if why is None and name.lower().endswith(UPLOAD_SUFFIXES):
                uploads.append(_upload(Path(path), root))
            elif why:
                others.append(NotGraded(_rel(path, root), why))
    return Found(tuple(sorted(_distinct(uploads), key=lambda u: u.rel)),
                 tuple(sorted(others, key=lambda n: n.rel)))


def _hidden_folder(root: Path, dirpath: str) -> str | None:
    """The outermost hidden folder `dirpath` lies in (relative to `root`), or None."""
    parts = PurePath(os.path.relpath(dirpath, root)).parts
    for i, part in enumerate(parts):
        if part.startswith(".") and part != ".":
            return safe_name("/".join(parts[:i + 1]))
    return None


def _not_graded(name: str, hidden: str | None) -> str | None:
    """Why an upload-like file is not graded; None when it is an upload (or not upload-like)."""
    base = TRAILING.sub("", name)
    looks = base.lower().endswith(UPLOAD_SUFFIXES)
    if not looks:
        return None
    if hidden is not None:
        return HIDDEN_FOLDER.format(folder=hidden + "/")
    if name.startswith("."):
        return HIDDEN_NAME
    if base != name:
        suffix = "." + base.rsplit(".", 1)[-1]
        return TRAILING_NAME.format(tail=name[len(base):], suffix=suffix)
    return None


def _rel(path: str, root: Path) -> str:
    return safe_name(PurePath(os.path.relpath(path, root)).as_posix())


def _on_error(root: Path) -> Callable[[OSError], None]:
    """A folder that cannot be read is a grader fault, unless it lies in a hidden folder."""
    def handle(error: OSError) -> None:
        if error.filename is not None and _hidden_folder(root, str(error.filename)):
            return
        raise GraderError(f"cannot read {error.filename}: {error.strerror or error}") from error

    return handle


def _upload(path: Path, root: Path) -> Upload:
    return upload_of(path, _rel(str(path), root))


def upload_of(path: Path, rel: str | None = None) -> Upload:
    """The `Upload` of one file, as discovery sees it: never through a symbolic link (a link is
    listed as one, hashed over its text), a special file never opened, the bytes streamed.

    Args:
        path: the file.
        rel: the name its grade carries (`file`); default the path as given, non-UTF-8 bytes
            shown as `%XX`.
    """
    rel = rel if rel is not None else safe_name(PurePath(path).as_posix())
    bad = not is_utf8(path.name)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        digest = hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
        return Upload(Path(os.path.abspath(path)), rel, digest, info.st_size, "symlink", bad)
    if not stat.S_ISREG(info.st_mode):
        return Upload(Path(os.path.abspath(path)), rel, "", 0, "other", bad)
    digest, size = sha256_file(path)
    return Upload(Path(os.path.abspath(path)), rel, digest, size, undecodable=bad)


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
    escaped = sorted((u for u in uploads if _raw_rel(u) != u.rel),
                     key=lambda u: os.fsencode(u.path))
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
