"""Who is behind an upload: team cells, group ids, LMS download names and the roster."""

from __future__ import annotations

import pytest

from grader.roster import (
    DownloadName,
    Member,
    Student,
    download_identity,
    ids_from_group,
    members_from_team_cell,
    read_roster,
    students_for,
)

# The team cells of the bundled uploads (submissions/xor/*.zip, submissions/adam/*.ipynb).
XOR_CELL = ("# Team\n| name | student id | Teams user name |\n|---|---|---|\n"
            "| Ada Lovelace | 1234567 | ada.lovelace |\n| Alan Turing | 7654321 | alan.turing |")
ADAM_CELL = "# Group members\n- Katherine Johnson\n- Dorothy Vaughan\n- Mary Jackson"

TEAM_CASES: list[tuple[str, str, tuple[Member, ...]]] = [
    ("xor-table", XOR_CELL, (Member("Ada Lovelace", "1234567", "ada.lovelace"),
                             Member("Alan Turing", "7654321", "alan.turing"))),
    ("adam-bullets", ADAM_CELL, (Member("Katherine Johnson"), Member("Dorothy Vaughan"),
                                 Member("Mary Jackson"))),
    ("comma-lines", "# Team\nAda Lovelace, 1234567, ada.l\nAlan Turing, 7654321, alan.t",
     (Member("Ada Lovelace", "1234567", "ada.l"), Member("Alan Turing", "7654321", "alan.t"))),
    ("parentheses", "Team: \n1. Grace Hopper (2345678)\n2. Edsger Dijkstra (3456789)",
     (Member("Grace Hopper", "2345678"), Member("Edsger Dijkstra", "3456789"))),
    ("email-and-dash", "* Emmy Noether - 3456789 - emmy@uni-saarland.de",
     (Member("Emmy Noether", "3456789", "emmy@uni-saarland.de"),)),
    ("table-in-other-order", "| Matrikelnummer | Name |\n|:--|:--|\n| 4567890 | Claude Shannon |",
     (Member("Claude Shannon", "4567890"),)),
    ("duplicates-once", "- Ada Lovelace\n- Ada Lovelace", (Member("Ada Lovelace"),)),
    ("nothing", "# Team\n\nYOUR ANSWER HERE?", (Member("YOUR ANSWER HERE?"),)),
    ("empty", "", ()),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in TEAM_CASES],
                         ids=[c[0] for c in TEAM_CASES])
def test_members_from_team_cell(text: str, expected: tuple[Member, ...]) -> None:
    assert members_from_team_cell(text) == expected


@pytest.mark.parametrize(("group", "expected"), [
    ("1234567_7654321", ("1234567", "7654321")), ("2345678", ("2345678",)), ("02", ()),
    ("jdoe42", ()), ("", ()), ("1234567_02", ())])
def test_ids_from_group(group: str, expected: tuple[str, ...]) -> None:
    assert ids_from_group(group) == expected


@pytest.mark.parametrize(("rel", "expected"), [
    ("xor/Ada Lovelace_123456_assignsubmission_file_/sheet06_1234567.zip",
     DownloadName("moodle", "123456", "Ada Lovelace")),
    ("xor/Team 3-Ada Lovelace_77_assignsubmission_file_/sheet06_1234567.zip",
     DownloadName("moodle", "77", "Team 3-Ada Lovelace")),
    ("xor/Ada Lovelace_123456_assignsubmission_file_sheet06_1234567.zip",
     DownloadName("moodle", "123456", "Ada Lovelace")),
    ("xor/lovelaceada_late_5501_990077_sheet06_1234567.zip",
     DownloadName("canvas", "5501", "lovelaceada", late=True)),
    ("xor/lovelaceada_5501_990077_sheet06_1234567.zip",
     DownloadName("canvas", "5501", "lovelaceada")),
    ("xor/sheet06_1234567.zip", None),
    ("adam/adam_regression_classification_solved_group_02.ipynb", None),
], ids=["moodle-folder", "moodle-team", "moodle-file", "canvas-late", "canvas", "plain",
        "adam"])
def test_download_identity(rel: str, expected: DownloadName | None) -> None:
    assert download_identity(rel) == expected


ROSTER = ("\ufeffstudent_id,name,email,group,assignment,lms_id,section,extra\n"
          "1234567,Ada Lovelace,ada@uni.example,02,adam,11,A,x\n"
          "7654321,Alan Turing,alan@uni.example,02,adam,12,A,\n"
          "2345678,Grace Hopper,grace@uni.example,,,13,B,\n")


def test_read_roster() -> None:
    students, errors = read_roster(ROSTER)
    assert errors == ()
    assert students[0] == Student("1234567", "Ada Lovelace", "ada@uni.example", "02", "adam",
                                  "11", "", "A")
    assert [s.student_id for s in students] == ["1234567", "7654321", "2345678"]


@pytest.mark.parametrize(("text", "error"), [
    ("student_id,name\n1,a\n", "roster: the header lacks email, group"),
    ("student_id,name,email,group\n,Ada,a@x,02\n", "roster row 2: student_id is empty"),
    ("student_id,name,email,group\n1,Ada,a@x,02\n\n1,Ada,a@x,03\n",
     "roster row 4: student 1 again (also row 2)"),
], ids=["missing-columns", "empty-id", "twice"])
def test_read_roster_errors(text: str, error: str) -> None:
    assert any(error in found for found in read_roster(text)[1])


def test_a_roster_saved_by_a_spreadsheet_is_read() -> None:
    text = "\ufeffstudent_id;name;email;group\r\n1234567;Ada;a@x\r\n7654321;Alan;b@x;02;x\r\n"
    students, errors = read_roster(text.encode("utf-8"))
    assert students == (Student("1234567", "Ada", "a@x"),)          # the short row: group empty
    assert errors == ("roster row 3: 5 cells where the header has 4: a decimal comma in an "
                      "unquoted number (0,5) splits a cell; write it as 0.5 or \"0,5\" in "
                      "quotes, or save with ';' as separator",)


STUDENTS, _ = read_roster(ROSTER)


def test_students_by_roster_group_for_that_assignment_only() -> None:
    adam = students_for("adam/a_02.ipynb", "adam", "02", (), STUDENTS)
    assert [s.name for s in adam] == ["Ada Lovelace", "Alan Turing"]
    other = students_for("gradients/g_02.ipynb", "gradients", "02", (), STUDENTS)
    assert other == ()


def test_students_by_ids_in_the_group_completed_from_roster_or_team() -> None:
    team = members_from_team_cell(XOR_CELL)
    found = students_for("xor/sheet06_2345678_7654321.zip", "xor", "2345678_7654321", team,
                         STUDENTS)
    assert found == (STUDENTS[2], Student("7654321", "Alan Turing", group="2345678_7654321"))


def test_students_from_team_names_matched_to_the_roster() -> None:
    team = (Member("grace hopper"), Member("Barbara Liskov"))
    found = students_for("adam/a_05.ipynb", "adam", "05", team, STUDENTS)
    assert found == (STUDENTS[2], Student(name="Barbara Liskov", group="05"))


def test_moodle_folder_gives_the_participant_number() -> None:
    rel = "xor/Grace Hopper_4242_assignsubmission_file_/sheet06_2345678.zip"
    roster = (Student("2345678", "Grace Hopper", "grace@uni.example"),)
    assert students_for(rel, "xor", "2345678", (), roster) == (
        Student("2345678", "Grace Hopper", "grace@uni.example", lms_id="4242"),)
    assert students_for(rel, "xor", "x", (), ()) == (
        Student(name="Grace Hopper", group="x", lms_id="4242"),)
