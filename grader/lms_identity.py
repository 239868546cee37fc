"""One person, one identity: the students that several uploads name differently, matched up.

Without a roster an upload knows its students from its group id (xor: student ids only), its
team cell (a name, an id, both) or an LMS download name. So one person may be
`Student(name="Grace Hopper")` for the adam upload and `Student("2345678", "Grace Hopper")` for
the xor upload. `resolve` decides who is who:

* students with the same `student_id` are one person (its other fields from whichever upload
  has them);
* a student known by name only is the person with an id and that name (case and spacing
  aside) when exactly one such person exists;
* otherwise nothing is merged: two people with an id share the name ("ambiguous"), or people
  known by name only and people known by id only (no name anywhere) grade different
  assignments, so they may be the same people ("undecided"). Both are warned about, naming the
  students and suggesting a roster (`grade export --roster CSV`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from grader.roster import Student

IDENTITY_FIELDS = ("student_id", "name", "email", "lms_id", "sis_login_id", "section")
ROSTER_HINT = "list them in a roster (--roster CSV: student_id, name, email, group) to match them"


@dataclass(frozen=True)
class Identities:
    """Each student as an upload names them -> the same student with the person's fields."""

    resolved: Mapping[Student, Student]
    warnings: tuple[str, ...] = ()


def name_key(name: str) -> str:
    """A name as it is compared: case and spacing aside."""
    return " ".join(name.casefold().split())


def identity_key(student: Student) -> tuple[str, str]:
    """What makes a row one person: the student id, else the name, else the LMS id."""
    if student.student_id:
        return ("id", student.student_id)
    if student.name:
        return ("name", name_key(student.name))
    return ("lms", student.lms_id)


def _fill(student: Student, person: Student) -> Student:
    """`student` with its empty identity fields taken from `person` (group, assignment kept)."""
    return replace(student, **{f: getattr(student, f) or getattr(person, f)
                               for f in IDENTITY_FIELDS})


def _people_by_id(students: Sequence[Student]) -> dict[str, Student]:
    people: dict[str, Student] = {}
    for student in students:
        if student.student_id:
            known = people.get(student.student_id)
            people[student.student_id] = student if known is None else _fill(known, student)
    return people


def _names(people: Mapping[str, Student]) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for student_id, person in people.items():
        if person.name:
            names.setdefault(name_key(person.name), set()).add(student_id)
    return names


def resolve(found: Sequence[tuple[str, Student]]) -> Identities:
    """Match the students of (assignment, student) pairs; see the module docstring."""
    students = [s for _, s in found]
    people = _people_by_id(students)
    names = _names(people)
    resolved: dict[Student, Student] = {}
    ambiguous: dict[str, set[str]] = {}
    for student in students:
        if student.student_id:
            resolved[student] = _fill(student, people[student.student_id])
            continue
        ids = names.get(name_key(student.name), set()) if student.name else set()
        if len(ids) == 1:
            resolved[student] = _fill(student, people[next(iter(ids))])
        else:
            resolved[student] = student
            if len(ids) > 1:
                ambiguous[student.name] = ids
    warnings = [f"{name!r} is the name of {len(ids)} students "
                f"({', '.join(sorted(ids))}): kept as a row of its own; {ROSTER_HINT}"
                for name, ids in sorted(ambiguous.items())]
    warnings += _undecided(found, resolved, people)
    return Identities(resolved, tuple(warnings))


def _undecided(found: Sequence[tuple[str, Student]], resolved: Mapping[Student, Student],
               people: Mapping[str, Student]) -> list[str]:
    """One warning when people known by name only and people known by id only could be the
    same: they are graded in different assignments."""
    by_name: dict[str, set[str]] = {}
    by_id: dict[str, set[str]] = {}
    for assignment, student in found:
        person = resolved[student]
        if not person.student_id and person.name:
            by_name.setdefault(person.name, set()).add(assignment)
        elif person.student_id and not people[person.student_id].name:
            by_id.setdefault(person.student_id, set()).add(assignment)
    names = sorted(n for n, where in by_name.items()
                   if any(not where & other for other in by_id.values()))
    ids = sorted(i for i, where in by_id.items()
                 if any(not where & other for other in by_name.values()))
    if not names or not ids:
        return []
    return [f"could not tell whether the students known only by name ({', '.join(names)}) "
            f"are the students known only by id ({', '.join(ids)}): each keeps a row of its "
            f"own; {ROSTER_HINT}"]
