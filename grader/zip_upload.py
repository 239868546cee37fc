"""The zip rules: open a zip upload safely and pick its members; nothing is written to disk.

The safety rules apply to every entry (ignored ones included: nothing unsafe is accepted);
entries under `__MACOSX/` or with any path part starting with "." are ignored
(`.ipynb_checkpoints/` inside a zip too). Members are kept relative to the deepest folder that
holds all of them ("at the top level or all inside one folder"); the notebook and the PDFs must
sit directly in that folder, other files may be below it. Suffixes match in any case. The ratio
cap skips members up to `RATIO_FLOOR` bytes (a small file cannot be a bomb); `max_bytes` caps
the declared total, and reading never returns more than a member declares. Zips written on
Windows (`create_system == 0`) use `\\` as the separator.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass

from grader.filenames import DETAIL_CHARS, display
from grader.rubric import ZipRule

MB = 1_000_000
RATIO_FLOOR = 1 << 20          # members up to 1 MiB are exempt from the compression-ratio cap
MAX_LISTED = 10                # unsafe zip members named before "and N more"
MAX_PART_BYTES = 255           # of one file or folder name in a zip member (UTF-8): NAME_MAX
MAX_MEMBER_BYTES = 1000        # of a whole zip member path (UTF-8)
REZIP = "create the zip again from the folder that holds your files and upload it again"


@dataclass(frozen=True)
class ZipContents:
    """The kept members of a zip upload and the one notebook among them."""

    members: tuple[tuple[str, bytes], ...]
    notebook_name: str
    notebook_bytes: bytes
    listing: tuple[str, ...]


def read_zip(data: bytes, name: str, rule: ZipRule) -> tuple[ZipContents | None, list[str]]:
    """Open a zip upload safely and pick its members; nothing is written to disk."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # noqa: BLE001 - a hostile archive can fail in many ways
        return None, [f"zip: {name} is not a valid zip archive ({str(exc)[:DETAIL_CHARS]}); "
                      f"{REZIP}."]
    if len(infos) > rule.max_members:
        return None, [f"zip: {name} has {len(infos)} entries; at most {rule.max_members} are "
                      f"allowed. Zip only the notebook and the PDF."]
    for info in infos:
        if info.create_system == 0:
            # Windows' own zippers (PowerShell 5.1 Compress-Archive) write "folder\\file":
            # read the backslash as the separator it means; the safety checks see the result.
            # (zipfile opens a member by its header offset; orig_filename stays as stored.)
            info.filename = info.filename.replace("\\", "/")
    problems = _entry_problems(infos, rule)
    if problems:
        return None, problems
    kept = [i for i in infos if not i.is_dir() and not _ignored(i.filename)]
    root, problems = _layout(kept, rule)
    if problems:
        return None, problems
    members, problems = _read_members(archive, kept, root)
    if problems:
        return None, problems
    return _contents(members)


def _ignored(filename: str) -> bool:
    parts = filename.rstrip("/").split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _unsafe(filename: str) -> str | None:
    """Why a member name could escape the extraction folder, or None when it is safe."""
    if re.search(r"[\x00-\x1f\x7f]", filename):
        return "contains a control character"
    if "\\" in filename:
        return "contains a backslash"
    if filename.startswith("/"):
        return "is an absolute path"
    if re.match(r"[A-Za-z]:", filename):
        return "starts with a drive letter"
    parts = filename.removesuffix("/").split("/")
    if ".." in parts:
        return "contains '..'"
    if "" in parts or "." in parts:
        return "has an empty or '.' path part"
    return None


def _too_long(filename: str) -> str | None:
    """Why a member name cannot be written on a file system, or None when its length is fine."""
    size = len(filename.encode("utf-8", "surrogatepass"))
    if size > MAX_MEMBER_BYTES:
        return f"has a path of {size} bytes (at most {MAX_MEMBER_BYTES} are allowed)"
    longest = max(filename.removesuffix("/").split("/"),
                  key=lambda p: len(p.encode("utf-8", "surrogatepass")))
    part_size = len(longest.encode("utf-8", "surrogatepass"))
    if part_size > MAX_PART_BYTES:
        return (f"has a file or folder name of {part_size} bytes (at most {MAX_PART_BYTES} are "
                "allowed)")
    return None


def _file_folder_clashes(infos: list[zipfile.ZipInfo]) -> list[str]:
    """Members that are files while another member uses the same name as a folder (any case)."""
    folders: dict[str, str] = {}       # casefolded folder path -> the first member that needs it
    for info in infos:
        parts = info.filename.removesuffix("/").split("/")
        depth = len(parts) if info.is_dir() else len(parts) - 1
        for i in range(1, depth + 1):
            folders.setdefault("/".join(parts[:i]).casefold(), info.filename)
    problems = []
    for info in infos:
        other = folders.get(info.filename.casefold()) if not info.is_dir() else None
        if other is not None:
            problems.append(f"zip: member {display(info.filename)!r} is a file, but "
                            f"{display(other)!r} uses the same name as a folder (names are "
                            "compared ignoring case); a name cannot be both a file and a "
                            "folder, rename one of them")
    return problems


def _entry_problems(infos: list[zipfile.ZipInfo], rule: ZipRule) -> list[str]:
    """Unsafe names, links, encryption, duplicates, bombs: every entry, ignored ones too."""
    problems = []
    seen: set[str] = set()
    for info in infos:
        shown = display(info.filename)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
        if (reason := _unsafe(info.filename)) is not None:
            problems.append(f"zip: member {shown!r} {reason}; unsafe names are not accepted")
        elif (reason := _too_long(info.filename)) is not None:
            problems.append(f"zip: member {shown!r} {reason}; use shorter file and folder names")
        elif stat.S_ISLNK(mode):
            problems.append(f"zip: member {shown!r} is a symbolic link; put the file itself "
                            "in the zip")
        elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            problems.append(f"zip: member {shown!r} is not a regular file")
        elif info.flag_bits & 0x1:
            problems.append(f"zip: member {shown!r} is encrypted; zip it without a password")
        elif not info.is_dir() and info.filename.casefold() in seen:
            problems.append(f"zip: member {shown!r} appears more than once (names must be "
                            "unique, ignoring case)")
        elif info.file_size > RATIO_FLOOR and ratio > rule.max_ratio:
            problems.append(f"zip: member {shown!r} expands {ratio:.0f} times (the limit is "
                            f"{rule.max_ratio:g}); compressed this much, it looks like a zip "
                            "bomb")
        seen.add(info.filename.casefold())
    problems += _file_folder_clashes(infos)
    total = sum(i.file_size for i in infos)
    if total > rule.max_bytes:
        problems.append(f"zip: the members add up to {total / MB:.1f} MB unpacked; the limit is "
                        f"{rule.max_bytes / MB:g} MB. Zip only the notebook and the PDF")
    if len(problems) > MAX_LISTED:
        problems[MAX_LISTED:] = [f"zip: and {len(problems) - MAX_LISTED} more problems"]
    return [f"{p}. To fix it, {REZIP}." for p in problems]


def _layout(kept: list[zipfile.ZipInfo], rule: ZipRule) -> tuple[str, list[str]]:
    """The folder that holds every kept member, and the required-member rules."""
    folders = [i.filename.split("/")[:-1] for i in kept]
    common = os.path.commonprefix(folders) if folders else []
    root = "".join(part + "/" for part in common)
    names = [i.filename[len(root):] for i in kept]
    problems = []
    for suffix, label, wanted in ((".ipynb", "notebook", rule.notebooks),
                                  (".pdf", "PDF", rule.pdfs)):
        found = sorted(n for n in names if n.lower().endswith(suffix))
        if len(found) != wanted:
            listed = ": " + ", ".join(map(display, found)) if found else ""
            problems.append(f"zip: expected exactly {wanted} {label} file(s) ({suffix}) in the "
                            f"zip; found {len(found)}{listed}")
        elif any("/" in n for n in found):
            listed = ", ".join(map(display, found))
            problems.append("zip: the notebook and the PDF must be at the top level of the zip "
                            f"or together inside one folder; found {listed}")
    if problems:
        problems.append("zip: it should hold the completed notebook (.ipynb) and the PDF with "
                        "the theory answers, nothing else is needed")
    return root, problems


def _read_members(archive: zipfile.ZipFile, kept: list[zipfile.ZipInfo], root: str,
                  ) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Read each kept member fully (CRC checked), never more than it declares."""
    members, problems = [], []
    for info in kept:
        rel, shown = info.filename[len(root):], display(info.filename)
        try:
            with archive.open(info) as fh:
                content = fh.read(info.file_size + 1)
        except Exception as exc:  # noqa: BLE001 - corrupt data fails in many ways
            problems.append(f"zip: member {shown!r} cannot be read ({str(exc)[:DETAIL_CHARS]}); "
                            f"{REZIP}.")
            continue
        if rel.lower().endswith(".pdf") and not content.startswith(b"%PDF-"):
            problems.append(f"zip: member {shown!r} is not a PDF (it does not start with "
                            "'%PDF-'); export or print the theory answers as a PDF file.")
        members.append((rel, content))
    return sorted(members), problems


def _contents(members: list[tuple[str, bytes]]) -> tuple[ZipContents, list[str]]:
    notebook_rel, notebook_bytes = next(m for m in members if m[0].lower().endswith(".ipynb"))
    listing = tuple(f"{display(rel)} ({_size(len(content))})" for rel, content in members)
    return ZipContents(tuple(members), notebook_rel, notebook_bytes, listing), []


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < MB else f"{n / MB:.1f} MB"
