"""A roster that disagrees with an upload about who is in its group.

With `grade export --roster`, a group's students are the roster's (grader.roster,
`students_for`), whatever the upload's team cell says. When both name the group's students and
the names do not match (no overlap at all, or only partly) the export warns, naming the group,
the roster's students and the upload's names, and says that it followed the roster: students
only the upload names get no grade from it, students only the roster names get the group's.
"""

from __future__ import annotations

from typing import Sequence

from grader.lms_identity import name_key
from grader.roster import Member, Student, ids_from_group

DISAGREES = ("{assignment} group {group}: the roster puts {roster} in it, the upload {file} "
             "names {named}; the export follows the roster{left}: correct the roster's group "
             "column (or the team cell) and export again")
LEFT = " ({names} {get} no grade for it)"


def _same(member: Member, student: Student) -> bool:
    if member.student_id and student.student_id:
        return member.student_id == student.student_id
    return bool(member.name) and name_key(member.name) == name_key(student.name)


def _shown(name: str, student_id: str) -> str:
    return f"{name} ({student_id})" if name and student_id else name or student_id


def roster_disagrees(file: str, assignment: str, group: str, team: Sequence[Member],
                     roster: Sequence[Student]) -> str:
    """The export's warning when the roster's students of `group` are not the ones the upload
    names (its team cell, the ids in its group); "" when they agree or either names nobody."""
    listed = [s for s in roster if group and s.group == group and s.assignment in ("", assignment)]
    named = [m for m in team if m.name or m.student_id]
    named += [Member(student_id=i) for i in ids_from_group(group)
              if not any(m.student_id == i for m in named)]
    if not listed or not named:
        return ""
    only_upload = [m for m in named if not any(_same(m, s) for s in listed)]
    only_roster = [s for s in listed if not any(_same(m, s) for m in named)]
    if not only_upload and not only_roster:
        return ""
    left = ", ".join(_shown(m.name, m.student_id) for m in only_upload)
    return DISAGREES.format(
        assignment=assignment, group=group, file=file,
        roster=", ".join(_shown(s.name, s.student_id) for s in listed),
        named=", ".join(_shown(m.name, m.student_id) for m in named),
        left=LEFT.format(names=left, get="gets" if len(only_upload) == 1 else "get")
        if left else "")
