"""`grade check --kit` accepts a kit as its folder, its `kit.json`, or the `<id>-kit.tar.gz` that
`grade release` writes (and tutors hand out).

An archive is untrusted input: it is unpacked into a fresh temporary folder that lives as long
as the check, and refused whole, before anything is written, when a member is not a plain file
or folder (a link, a device, a FIFO), has an absolute path or a `..` component, or when the
files add up to more than `MAX_BYTES`. Where Python has it (3.11.4+), extraction also goes
through tarfile's `data` filter, which refuses the same and more.
"""

from __future__ import annotations

import tarfile
import tempfile
import zlib
from contextlib import ExitStack
from pathlib import Path, PurePosixPath

from grader.kit import KIT_FILE, KitError

MAX_BYTES = 256 * 1024 * 1024      # a kit is a few MB at most
MAX_MEMBERS = 10_000


def kit_folder(path: Path, stack: ExitStack) -> Path:
    """The kit folder `path` names: itself, the folder of a `kit.json`, or an archive unpacked
    into a temporary folder that `stack` removes when it closes.

    Raises:
        KitError: an archive that cannot be read or that is refused (see the module's doc).
    """
    if path.is_dir():
        return path
    if path.name == KIT_FILE:
        return path.parent
    if not tarfile.is_tarfile(path):
        raise KitError(f"{path}: not a check kit: pass the kit's folder, its {KIT_FILE} or the "
                       "<assignment>-kit.tar.gz that `grade release` wrote")
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dlgrade-kit-")))
    folder = scratch / archive_stem(path.name)
    folder.mkdir()
    unpack(path, folder)
    inner = [p for p in folder.iterdir() if p.is_dir() and (p / KIT_FILE).is_file()]
    if not (folder / KIT_FILE).exists() and len(inner) == 1:
        return inner[0]                    # the files inside one top folder: accepted too
    return folder


def archive_stem(name: str) -> str:
    """`adam-kit.tar.gz` -> `adam-kit` (what messages then name the kit by)."""
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return "kit"


def refusal(member: tarfile.TarInfo) -> str:
    """Why `member` may not be unpacked ("" when it may)."""
    parts = PurePosixPath(member.name).parts
    if member.name.startswith(("/", "\\")) or PurePosixPath(member.name).is_absolute():
        return "an absolute path"
    if ".." in parts:
        return "a path that leaves the kit's folder"
    if not (member.isfile() or member.isdir()):
        return "a link or special file, which a kit never holds"
    return ""


def unpack(archive: Path, folder: Path) -> None:
    """Unpack `archive` into `folder` after checking every member (nothing is written when one
    is refused).

    Raises:
        KitError: the archive is unreadable, too large, or holds a refused member.
    """
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS or sum(m.size for m in members) > MAX_BYTES:
                raise KitError(f"{archive}: refused: too large for a check kit")
            for member in members:
                why = refusal(member)
                if why:
                    raise KitError(f"{archive}: refused: the member {member.name!r} has {why}; "
                                   "ask your tutor for the kit `grade release` wrote")
            if hasattr(tarfile, "data_filter"):
                tar.extractall(folder, members=members, filter="data")
            else:  # pragma: no cover - Python before 3.11.4; the members are checked above
                tar.extractall(folder, members=members)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise KitError(f"{archive}: cannot unpack the check kit ({type(exc).__name__}: "
                       f"{exc})") from None
