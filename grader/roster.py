"""Who is behind an upload: team cells, group ids, LMS download names and the course roster.

An LMS grades students, the grader grades uploads. `students_for` maps one upload to its
students, from the first of these that knows them:

1. the roster (`grade export --roster CSV`), rows whose `group` is the upload's group (and
   whose `assignment`, when given, is the upload's);
2. the student ids in the group itself (xor: `sheet06_1234567_7654321.zip` names 1234567 and
   7654321), completed from the roster or the team cell by id;
3. the team cell the upload was accepted with (`members_from_team_cell`), matched to the roster
   by id, else by name.

The roster CSV (decided here; docs/course.md): a header row, then one row per student.
Required columns: `student_id` (the university's id, Canvas's "SIS User ID"), `name`, `email`,
`group` (the group id as the upload's file name writes it, e.g. `02`; empty for none).
Optional: `assignment` (the group holds for this rubric id only; empty: for all),
`lms_id` (Moodle's participant number, Canvas's user ID), `sis_login_id`, `section`.
Other columns are ignored (a roster exported from an LMS may carry more).

LMS download names (`download_identity`), as the LMSs' code writes them: Moodle's "Download all
submissions" puts each upload in `<Full name>_<participant id>_assignsubmission_file_/`
(mod/assign/locallib.php, download_submissions; a team submission prefixes "<group>-"), Canvas
names each file `<sortable name, lowercased, non-word characters removed>[_late]_<user id>_
<attachment id>_<original name>` (app/models/content_zipper.rb, get_filename).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Iterable, Literal, Sequence

from grader.sheet_reader import read_table

ROSTER_REQUIRED = ("student_id", "name", "email", "group")
ROSTER_OPTIONAL = ("assignment", "lms_id", "sis_login_id", "section")
STUDENT_ID = r"\d{7}"                 # the course's student ids (the xor file names use them)
_MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assign(?:submission|feedback)_[a-z]+_")
_CANVAS = re.compile(r"^(?P<name>\w+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")
_USERNAME = re.compile(r"^[\w.+-]+@[\w.-]+$|^[a-z][\w-]*[._][\w.-]+$|^[a-z]+\d+$")


@dataclass(frozen=True)
class Member:
    """A team member as a team cell lists them (any field may be empty)."""

    name: str = ""
    student_id: str = ""
    username: str = ""


@dataclass(frozen=True)
class Student:
    """A student as the exports need them (roster fields; empty when unknown)."""

    student_id: str = ""
    name: str = ""
    email: str = ""
    group: str = ""
    assignment: str = ""
    lms_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass(frozen=True)
class DownloadName:
    """What an LMS's download name says about an upload."""

    lms: Literal["moodle", "canvas"]
    lms_id: str
    name: str
    late: bool = False


# ----------------------------------------------------------------------------- team cell
def members_from_team_cell(text: str, id_pattern: str = STUDENT_ID) -> tuple[Member, ...]:
    """The members a team cell lists: a markdown table, a bulleted list, or one per line.

    A table's columns are told apart by their header ("name", "id"/"matrikel", "user"/
    "teams"/"email"); elsewhere a line's parts (split at , ; | tab, parentheses or " - ") are
    an id (`id_pattern`), a user name (an email, or lowercase with . or _ or digits) or the
    name. Headings (# ...) and lines without a name or an id are skipped.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    table = [line for line in lines if line.strip().startswith("|")]
    if len(table) >= 2:
        return _dedupe(_table_members(table, id_pattern))
    found = []
    for line in lines:
        if line.lstrip().startswith("#") or line.rstrip().endswith(":"):
            continue                                  # a heading or a label ("Team:")
        member = _line_member(_BULLET.sub("", line), id_pattern)
        if member.name or member.student_id:
            found.append(member)
    return _dedupe(found)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_members(lines: Sequence[str], id_pattern: str) -> list[Member]:
    header = [c.casefold() for c in _cells(lines[0])]
    column = {"name": -1, "id": -1, "user": -1}
    for i, title in enumerate(header):
        if any(w in title for w in ("user", "teams", "email", "login")):
            column["user"] = i
        elif any(w in title for w in ("id", "matrikel", "number", "nummer")):
            column["id"] = i
        elif "name" in title:
            column["name"] = i
    members = []
    for line in lines[1:]:
        cells = _cells(line)
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        if column["name"] < 0 and column["id"] < 0:
            members.append(_line_member(" | ".join(cells), id_pattern))
            continue
        get = {k: (cells[i] if 0 <= i < len(cells) else "") for k, i in column.items()}
        members.append(Member(get["name"], get["id"], get["user"]))
    return members


def _line_member(line: str, id_pattern: str) -> Member:
    parts = [p.strip() for p in re.split(r"[,;|\t()]|\s+-\s+", line) if p.strip()]
    name, student_id, username = [], "", ""
    for part in parts:
        found = re.search(rf"(?<!\d){id_pattern}(?!\d)", part)
        if found and not student_id:
            student_id = found.group()
            part = (part[:found.start()] + part[found.end():]).strip(" :")
        if not part:
            continue
        if _USERNAME.match(part) and not username:
            username = part
        elif any(ch.isalpha() for ch in part):
            name.append(part)
    return Member(" ".join(name), student_id, username)


def _dedupe(members: Iterable[Member]) -> tuple[Member, ...]:
    seen: dict[Member, None] = {}
    for member in members:
        if member.name or member.student_id:
            seen.setdefault(member, None)
    return tuple(seen)


def ids_from_group(group: str, id_pattern: str = STUDENT_ID) -> tuple[str, ...]:
    """The student ids a group id is made of (`1234567_7654321`), or () for a group number."""
    parts = group.split("_")
    return tuple(parts) if group and all(re.fullmatch(id_pattern, p) for p in parts) else ()


# ----------------------------------------------------------------------------- downloads
def download_identity(rel: str) -> DownloadName | None:
    """The LMS identity in an upload's path (Moodle folder or Canvas file name), or None."""
    path = PurePosixPath(rel)
    for part in path.parts[:-1]:
        moodle = _MOODLE.match(part)
        if moodle:
            return DownloadName("moodle", moodle.group("id"), moodle.group("name"))
    moodle = _MOODLE.match(path.name)
    if moodle:
        return DownloadName("moodle", moodle.group("id"), moodle.group("name"))
    canvas = _CANVAS.match(path.name)
    if canvas:
        return DownloadName("canvas", canvas.group("uid"), canvas.group("name"),
                            bool(canvas.group("late")))
    return None


# ----------------------------------------------------------------------------- roster
def read_roster(text: str | bytes) -> tuple[tuple[Student, ...], tuple[str, ...]]:
    """The roster's students and one message per problem ("roster row N: ...", header = row 1)."""
    table = read_table(text, "roster")
    if table.errors and table.errors[0].row == 0:          # not UTF-8
        return (), (str(table.errors[0]),)
    missing = table.missing(ROSTER_REQUIRED)
    if missing:
        return (), (f"roster: the header lacks {', '.join(missing)} (columns: "
                    f"{', '.join(ROSTER_REQUIRED + ROSTER_OPTIONAL)})",)
    students: list[Student] = []
    errors = [str(e) for e in table.errors]
    seen: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:
        student = Student(**{k: cells.get(k, "") for k in ROSTER_REQUIRED + ROSTER_OPTIONAL})
        key = (student.student_id, student.assignment)
        if not student.student_id:
            errors.append(f"roster row {number}: student_id is empty")
        elif key in seen:
            errors.append(f"roster row {number}: student {student.student_id} again "
                          f"(also row {seen[key]})")
        else:
            seen[key] = number
            students.append(student)
    return tuple(students), tuple(errors)


def students_for(rel: str, assignment: str, group: str, team: Sequence[Member],
                 roster: Sequence[Student]) -> tuple[Student, ...]:
    """The students behind one upload (see the module docstring for the order of sources)."""
    in_group = [s for s in roster if group and s.group == group
                and s.assignment in ("", assignment)]
    if in_group:
        found = in_group
    else:
        by_id = {s.student_id: s for s in roster if s.assignment in ("", assignment)}
        ids = ids_from_group(group) or tuple(m.student_id for m in team if m.student_id)
        named = {m.student_id: m for m in team if m.student_id}
        found = [by_id.get(i) or Student(i, named[i].name if i in named else "", group=group)
                 for i in ids]
        if not found:
            by_name = {s.name.casefold(): s for s in roster}
            found = [by_name.get(m.name.casefold()) or Student(name=m.name, group=group)
                     for m in team if m.name]
    identity = download_identity(rel)
    if identity is not None and len(found) <= 1:
        base = found[0] if found else Student(name=identity.name, group=group)
        found = [replace(base, lms_id=base.lms_id or identity.lms_id)]
    return tuple(found)
