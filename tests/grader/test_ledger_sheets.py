"""The tutors' sheets in a batch: columns of their own, uploads moved between runs.

Uses test_ledger's batch on disk (`course`): no kernel runs, the grades are made up.
"""

from __future__ import annotations

import test_ledger
from test_ledger import SECOND, XOR, Course

from grader.overrides import OVERRIDES_CSV

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
