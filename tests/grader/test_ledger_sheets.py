"""The tutors' sheets in a batch: columns of their own, uploads moved between runs.

Uses test_ledger's batch on disk (`course`): no kernel runs, the grades are made up.
"""

from __future__ import annotations

from dataclasses import replace

import test_ledger
from grade_builders import make_grade
from test_ledger import SECOND, XOR, Course, xor_zip

from grader.discover import Upload, sha256_file
from grader.marking import Slot
from grader.overrides import OVERRIDES_CSV
from grader.sheet_moves import find_moves

course = test_ledger.course                     # the fixture: a batch on disk

NOTE = "marking.csv: column 'tutor_note' is not ours; kept as it is"


def test_a_column_of_the_tutors_own_is_kept_ignored_and_named_once(course: Course) -> None:
    course.run()
    lines = course.sheet().splitlines()
    lines = [lines[0] + ",tutor_note"] + [line + f",n{i}" for i, line in enumerate(lines[1:])]
    course.write("\n".join(lines).replace(f"{XOR},1234567_7654321,newton,1,,,,,n1",
                                          f"{XOR},1234567_7654321,newton,1,1,fine,,,n1") + "\n")
    ledger = course.run(SECOND, marker="ana")
    assert ledger.problems == ()
    assert ledger.notes.count(NOTE) == 1
    assert ledger.uploads[XOR].totals.manual_score == 1.0
    rows = course.sheet().splitlines()
    assert rows[0].endswith(",marked_at,tutor_note")
    assert f"{XOR},1234567_7654321,saddle,0.5,,,,,n0" in rows
    assert f"{XOR},1234567_7654321,newton,1,1,fine,ana,{SECOND},n1" in rows


def test_a_column_of_the_tutors_own_in_overrides_is_kept_and_named(course: Course) -> None:
    course.run()
    course.write("file,check,points,reason,marker,at,why\n"
                 f"{XOR},manual_grads,1.5,shared ba,,,mail\n", OVERRIDES_CSV)
    ledger = course.run(SECOND, marker="ana")
    assert ledger.problems == ()
    assert "overrides.csv: column 'why' is not ours; kept as it is" in ledger.notes
    assert [a.override.points for a in ledger.uploads[XOR].overridden] == [1.5]
    assert course.sheet(OVERRIDES_CSV).splitlines()[0].endswith(",why")


# ----------------------------------------------------------------------------- moved uploads
MOVED = "xor/late/sheet06_1234567_7654321.zip"


def marked_then_moved(course: Course, data: bytes | None = None) -> None:
    """Run 1 graded (and recorded) every upload; XOR's marks are in; then XOR is moved to
    MOVED (with new content when `data` is given) and graded there."""
    course.grades = [replace(g, sha256=u.sha256) for g, u in zip(course.grades, course.uploads)]
    course.run()
    for grade in course.grades:
        course.book.record(course.runs[-1], grade)
    course.fill(XOR, "saddle", "0.5,right,,")
    course.fill(XOR, "newton", "1,fine,,")
    course.run(SECOND, marker="ana")
    [i] = [n for n, u in enumerate(course.uploads) if u.rel == XOR]
    target = course.root / "subs" / MOVED
    target.parent.mkdir(parents=True)
    course.uploads[i].path.rename(target)
    if data is not None:
        target.write_bytes(data)
    sha = sha256_file(target)[0]
    course.uploads[i] = Upload(target, MOVED, sha, target.stat().st_size)
    course.grades[i] = replace(course.grades[i], file=MOVED, sha256=sha)


def test_marks_follow_an_upload_moved_with_the_same_content(course: Course) -> None:
    marked_then_moved(course)
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.problems == ()
    assert f"marking.csv row 2: {XOR} moved to {MOVED} (same content); its marks follow it" \
        in ledger.notes
    totals = ledger.uploads[MOVED].totals
    assert (totals.manual_score, totals.pending) == (1.5, 0)
    rows = course.sheet().splitlines()
    assert f"{MOVED},1234567_7654321,newton,1,1,fine,ana,{SECOND}" in rows
    assert not any(row.startswith(XOR + ",") for row in rows)
    assert [(e.mark.check, e.mark.marker) for e in course.book.mark_history(MOVED)] == [
        ("saddle", "ana"), ("newton", "ana")]
    again = course.run("2026-12-08T10:00:00+00:00")                  # said once
    assert (again.problems, [n for n in again.notes if "moved" in n]) == ((), [])


def test_an_upload_moved_with_new_content_keeps_the_error_and_asks(course: Course) -> None:
    marked_then_moved(course, xor_zip("# Team\nAda Lovelace, 1234567\nAlan Turing, 7654321"))
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.problems[0] == (f"marking.csv row 2: no upload '{XOR}' in this batch; "
                                  f"did it move to {MOVED}?")
    assert ledger.uploads[MOVED].totals.pending == 2


def test_content_two_uploads_share_or_two_old_paths_claim_moves_nothing() -> None:
    slots = [Slot("xor/a.zip", "xor", "1"), Slot("xor/b.zip", "xor", "1")]
    recorded = {"xor/old.zip": make_grade(file="xor/old.zip", assignment="xor", group="1",
                                          sha256="e" * 64),
                "xor/old2.zip": make_grade(file="xor/old2.zip", assignment="xor", group="1",
                                           sha256="f" * 64)}
    both = find_moves([(2, "xor/old.zip")], slots, {"xor/a.zip": "e" * 64, "xor/b.zip": "e" * 64},
                      recorded.get, "marking.csv")
    assert (both.moved, both.hints) == ({}, {"xor/old.zip": "xor/a.zip or xor/b.zip"})
    claimed = find_moves([(2, "xor/old.zip"), (3, "xor/old2.zip")], slots[:1],
                         {"xor/a.zip": "e" * 64}, recorded.get, "marking.csv")
    assert claimed.moved == {"xor/old.zip": "xor/a.zip"}
    recorded["xor/old2.zip"] = replace(recorded["xor/old2.zip"], sha256="e" * 64)
    twice = find_moves([(2, "xor/old.zip"), (3, "xor/old2.zip")], slots[:1],
                       {"xor/a.zip": "e" * 64}, recorded.get, "marking.csv")
    assert (twice.moved, twice.notes) == ({}, ())
