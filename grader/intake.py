"""Intake rules, nothing executed: file name, notebook format, zip safety, team information.

Every failed rule adds one message for the student, prefixed with the rule ("file name:",
"file size:", "notebook format:", "zip:", "team information:"), saying what was found and how to
fix it; independent violations are listed together. Decisions where the contract is silent:

* Two rubrics whose patterns both match a name: the first by rubric id wins (deterministic).
* A notebook needs no code cell: a notebook without the expected functions is graded and its
  checks say what is missing, which tells the student more than a rejection.
* nbformat 3 is upgraded with `nbformat.convert` after validating it as v3; 1, 2 and 5+ are
  rejected. Missing or duplicate cell ids of a v4.5 notebook are repaired (Jupyter does the
  same), other schema errors reject with the first validation message. Validation uses
  nbformat's non-mutating `iter_validate` (what `nbformat.validate` runs after normalising).
* Zips: the safety rules apply to every entry (ignored ones included, nothing unsafe is
  accepted); entries under `__MACOSX/` or with any path part starting with "." are ignored
  (`.ipynb_checkpoints/` inside a zip too). Members are kept relative to the deepest folder
  that holds all of them ("at the top level or all inside one folder"); the notebook and the
  PDFs must sit directly in that folder, other files may be below it. Suffixes match in any
  case. The ratio cap skips members up to `RATIO_FLOOR` bytes (a small file cannot be a bomb);
  `max_bytes` caps the declared total, and reading never returns more than a member declares.
"""

from __future__ import annotations

import codecs
import difflib
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import nbformat
from nbformat.validator import iter_validate

from grader.discover import OPEN_FLAGS, Upload, is_utf8, safe_name
from grader.rubric import Rubric, TeamRule, ZipRule
from grader.text import printable

MB = 1_000_000
RATIO_FLOOR = 1 << 20          # members up to 1 MiB are exempt from the compression-ratio cap
MAX_LISTED = 10                # unsafe zip members named before "and N more"
DETAIL_CHARS = 200             # of a validation or parser message
MAX_JSON_DEPTH = 100           # nesting of a notebook's JSON (real ones stay under 20)
MAX_PART_BYTES = 255           # of one file or folder name in a zip member (UTF-8): NAME_MAX
MAX_MEMBER_BYTES = 1000        # of a whole zip member path (UTF-8)
REUPLOAD = "Rename the file and upload it again."
RESAVE = ("open it in Jupyter, save it (File > Save Notebook) and upload the saved .ipynb file "
          "again")
REZIP = "create the zip again from the folder that holds your files and upload it again"


@dataclass(frozen=True)
class Accepted:
    """An upload that passed intake and will be run.

    Attributes:
        upload: the file.
        rubric: the matched rubric.
        group: the group id as written in the file name ("04", "1234567_7654321", "jdoe42").
        notebook: the parsed notebook, normalised to nbformat v4 (treat as read-only).
        notebook_name: the notebook's file name to use in the sandbox (basename only).
        members: for a zip, every kept member as (safe relative name, bytes), notebook included;
            for a notebook upload, empty. Names are relative to the folder holding the notebook,
            POSIX separators, no "..", sorted.
        listing: human-readable names of the kept zip members (shown in the report).
    """

    upload: Upload
    rubric: Rubric
    group: str
    notebook: nbformat.NotebookNode
    notebook_name: str
    members: tuple[tuple[str, bytes], ...] = ()
    listing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """An upload that failed an intake rule; `messages` say which rule and how to fix it."""

    upload: Upload
    rubric: Rubric | None
    group: str | None
    messages: tuple[str, ...]


@dataclass(frozen=True)
class ZipContents:
    """The kept members of a zip upload and the one notebook among them."""

    members: tuple[tuple[str, bytes], ...]
    notebook_name: str
    notebook_bytes: bytes
    listing: tuple[str, ...]


def intake(upload: Upload, rubrics: tuple[Rubric, ...]) -> Accepted | Rejected:
    """Match `upload` to a rubric by file name and apply that rubric's intake rules."""
    name = PurePosixPath(upload.rel).name
    if upload.undecodable or not is_utf8(name):
        return Rejected(upload, None, None, (undecodable_message(name, rubrics),))
    matched = match_rubric(name, rubrics)
    if matched is None:
        return Rejected(upload, None, None, (name_message(name, rubrics),))
    rubric, group = matched
    data, problems = _read_upload(upload, rubric)
    contents = None
    if data is not None and rubric.upload == "zip":
        contents, problems = read_zip(data, display(name), rubric.zip or ZipRule())
        data = contents.notebook_bytes if contents else None
        name = contents.notebook_name if contents else name
    notebook = None
    if data is not None:
        notebook, problems = read_notebook(data, name)
    if notebook is not None and rubric.team is not None:
        problems = team_problems(notebook, rubric.team, group)
    if notebook is None or problems:
        return Rejected(upload, rubric, group, tuple(problems))
    if contents is None:
        return Accepted(upload, rubric, group, notebook, name)
    return Accepted(upload, rubric, group, notebook, name, contents.members, contents.listing)


# ----------------------------------------------------------------------------- file name
def match_rubric(name: str, rubrics: tuple[Rubric, ...]) -> tuple[Rubric, str] | None:
    """The first rubric (by id) whose pattern full-matches `name`, and the group id."""
    for rubric in sorted(rubrics, key=lambda r: r.id):
        found = re.fullmatch(rubric.pattern, name)
        if found:
            return rubric, found.group("group") or ""
    return None


def name_message(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """The "file name" rejection, naming the expected name closest to `name`."""
    if not rubrics:
        return f"file name: no assignment accepts uploads at the moment; got {display(name)}."
    rubric = max(rubrics, key=lambda r: _similarity(name, r))
    hint = ""
    if re.fullmatch(rubric.pattern, name, flags=re.IGNORECASE):
        hint = " File names are case-sensitive: use the exact lower/upper case shown."
    return f"file name: expected {rubric.expected}; got {display(name)}.{hint} {REUPLOAD}"


def undecodable_message(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """The "file name" rejection of a name that is not valid UTF-8 text."""
    shown = display(safe_name(name))
    problem = (f"the file name {shown} is not valid UTF-8 text (each byte shown as %XX is not "
               "part of a valid character)")
    if not rubrics:
        return f"file name: {problem}; no assignment accepts uploads at the moment."
    rubric = max(rubrics, key=lambda r: _similarity(name, r))
    return (f"file name: {problem}; expected {rubric.expected}. Rename the file to the "
            "expected name and upload it again.")


def _similarity(name: str, rubric: Rubric) -> float:
    example = rubric.example or rubric.expected
    return difflib.SequenceMatcher(None, name.lower(), example.lower()).ratio()


def display(name: str) -> str:
    """A file or member name safe to show on one line: escape sequences, control characters
    (C0, DEL, C1), bidi overrides and undecodable bytes replaced (`grader.text.printable`)."""
    text = printable(name[:4 * DETAIL_CHARS], multiline=False)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


# ----------------------------------------------------------------------------- reading
def _read_upload(upload: Upload, rubric: Rubric) -> tuple[bytes | None, list[str]]:
    """The upload's bytes within the size cap, never through a symbolic link."""
    name = display(PurePosixPath(upload.rel).name)
    if upload.kind == "symlink":
        return None, [f"file type: {name} is a symbolic link; symbolic links are not accepted. "
                      "Upload the file itself."]
    if upload.kind != "file":
        return None, [f"file type: {name} is not a regular file. Upload the file itself."]
    cap = int(rubric.limits.max_upload_mb * MB)
    data = b""
    if upload.size <= cap:
        try:
            with os.fdopen(os.open(upload.path, OPEN_FLAGS), "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            return None, [f"file type: {name} could not be read ({exc.strerror}); symbolic "
                          "links and special files are not accepted. Upload the file itself."]
    if upload.size > cap or len(data) > cap:
        fix = ("remove large files from the zip" if rubric.upload == "zip"
               else "clear large outputs (for example huge printouts) and save it again")
        return None, [f"file size: {name} is {max(upload.size, len(data)) / MB:.1f} MB; the "
                      f"limit is {rubric.limits.max_upload_mb:g} MB. To fix it, {fix}."]
    return data, []


def read_notebook(data: bytes, name: str) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """Parse UTF-8 JSON bytes (BOM tolerated) into a validated nbformat v4 notebook."""
    shown = display(name)
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [f"notebook format: {shown} is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                      f"at position {exc.start}); notebooks are UTF-8 JSON. To fix it, {RESAVE}."]
    except json.JSONDecodeError as exc:
        return None, [f"notebook format: {shown} is not valid JSON (line {exc.lineno}, column "
                      f"{exc.colno}: {exc.msg}). To fix it, {RESAVE}."]
    except (ValueError, RecursionError):
        return None, [f"notebook format: {shown} is not valid JSON (nested too deeply or a "
                      f"number too long). To fix it, {RESAVE}."]
    if _depth_exceeds(raw, MAX_JSON_DEPTH):
        return None, [f"notebook format: {shown} is nested more than {MAX_JSON_DEPTH} levels "
                      f"deep, which no notebook needs. To fix it, {RESAVE}."]
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if version is None:
        return None, [f"notebook format: {shown} is not a Jupyter notebook (the JSON has no "
                      "'nbformat' field). Upload the .ipynb file that Jupyter saves."]
    if version not in (3, 4) or type(version) is not int:
        return None, [f"notebook format: {shown} is in notebook format {display(repr(version))}; "
                      f"the grader reads format 4 (and upgrades 3). To fix it, {RESAVE}."]
    try:
        return _to_v4(raw), []
    except nbformat.ValidationError as exc:
        detail = _validation_detail(exc)
    except Exception as exc:  # noqa: BLE001 - hostile JSON can break nbformat in many ways
        detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    return None, [f"notebook format: {shown} is not a valid nbformat {version} notebook "
                  f"({detail}). To fix it, {RESAVE}."]


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether JSON data nests deeper than `limit` (iterative: hostile depth cannot recurse)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def _to_v4(raw: dict[str, Any]) -> nbformat.NotebookNode:
    """Validate a v3 or v4 notebook dict and return it as a v4 NotebookNode."""
    if raw["nbformat"] == 3:
        _validate(raw)
        upgraded = nbformat.convert(nbformat.v3.to_notebook_json(raw), 4)
        raw = json.loads(nbformat.writes(upgraded, version=4))
    cells = raw.get("cells")
    if _minor(raw) < 5 and isinstance(cells, list) and any(
            isinstance(c, dict) and "id" in c for c in cells):
        # VS Code, jupytext and otter write 4.2-4.4 notebooks whose cells carry ids (Jupyter
        # opens them with a warning): read them as the 4.5 notebooks they are.
        raw["nbformat_minor"] = 5
    _repair_cell_ids(raw)
    _validate(raw)
    return nbformat.v4.to_notebook_json(raw)


def _validate(raw: dict[str, Any]) -> None:
    """nbformat's schema validation without its normalising side effects (and warnings)."""
    for error in iter_validate(raw, version=raw["nbformat"], version_minor=_minor(raw)):
        raise error


def _minor(raw: dict[str, Any]) -> int:
    minor = raw.get("nbformat_minor", 0)
    return minor if type(minor) is int else 0


def _repair_cell_ids(raw: dict[str, Any]) -> None:
    """Give v4.5+ cells that lack an id, or repeat one, a fresh unique id (in place)."""
    cells = raw.get("cells")
    if _minor(raw) < 5 or not isinstance(cells, list):
        return
    seen = {c["id"] for c in cells if isinstance(c, dict) and isinstance(c.get("id"), str)}
    used: set[str] = set()
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        if not isinstance(cell.get("id"), str) or cell["id"] in used:
            new = f"cell-{i}"
            while new in seen:
                new += "x"
            cell["id"] = new
            seen.add(new)
        used.add(cell["id"])


def _validation_detail(exc: Any) -> str:
    """'cell 4: 'source' is a required property' from a jsonschema/nbformat error."""
    path = list(getattr(exc, "absolute_path", ()) or ())
    where = ""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        where = f"cell {path[1] + 1}: "
    elif path:
        where = "/".join(map(str, path)) + ": "
    message = str(getattr(exc, "message", exc)).splitlines()[0]
    return (where + message)[:DETAIL_CHARS]


# ----------------------------------------------------------------------------- team
def team_problems(notebook: nbformat.NotebookNode, team: TeamRule, group: str) -> list[str]:
    """The team-information rule: the cell exists, is filled in, and names every id."""
    where = "the first cell" if team.cell == 1 else f"cell {team.cell}"
    asks = team.instructions
    if len(notebook.cells) < team.cell:
        count = f"only {len(notebook.cells)} cell(s)" if notebook.cells else "no cells"
        return [f"team information: the notebook has {count}; {where} must list {asks}."]
    source = notebook.cells[team.cell - 1].get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    if not text.strip():
        return [f"team information: {where} is empty; write {asks} there."]
    problems = []
    if team.placeholder and team.placeholder.casefold() in text.casefold():
        problems.append(f"team information: {where} still says {team.placeholder!r}; replace "
                        f"it with {asks}.")
    if team.require_group_ids:
        missing = [i for i in group.split("_")
                   if i and not re.search(rf"(?<![0-9A-Za-z]){re.escape(i)}(?![0-9A-Za-z])", text)]
        if missing:
            problems.append(f"team information: {where} does not mention "
                            f"{', '.join(missing)} from the file name; every id in the file "
                            f"name must appear there. List {asks}.")
    return problems


# ----------------------------------------------------------------------------- zip
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
    longest = max(filename.removesuffix("/").split("/"), key=lambda p: len(p.encode("utf-8", "surrogatepass")))
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
