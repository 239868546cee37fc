"""grader.grade_json: a Grade as JSON-safe data and back, records of older graders included."""

from __future__ import annotations

import json

from grade_builders import FULL_GRADE

from grader.cell_error import CellError
from grader.grade_json import grade_from_dict, grade_to_dict
from grader.score import INTERNAL_ERROR


def test_dict_round_trip_keeps_every_field() -> None:
    data = grade_to_dict(FULL_GRADE)
    restored = grade_from_dict(json.loads(json.dumps(data)))
    assert restored == FULL_GRADE
    assert isinstance(restored.messages, tuple) and isinstance(restored.checks, tuple)
    assert isinstance(restored.members, tuple) and isinstance(restored.warnings, tuple)
    assert restored.checks[1].visible is False


def test_from_dict_tolerates_old_and_new_records() -> None:
    data = grade_to_dict(FULL_GRADE)
    data["from_a_newer_grader"] = 1
    for name in ("members", "warnings", "graded_at"):
        del data[name]
    restored = grade_from_dict(data)
    assert restored.members == () and restored.warnings == () and restored.graded_at == ""


def test_records_of_grader_0_1_are_read() -> None:
    data = grade_to_dict(FULL_GRADE)
    data["first_error"] = "cell 3: ValueError: bad: worse\nTraceback:\n  line 1"
    del data["internal_error"]
    restored = grade_from_dict(data)
    assert restored.first_error == CellError(3, "ValueError", "bad: worse", "Traceback:\n  line 1")
    assert restored.internal_error is False
    data.update(status="crashed", messages=[f"{INTERNAL_ERROR} (internal error: X); a tutor"])
    assert grade_from_dict(data).internal_error is True
    data["first_error"] = ""
    assert grade_from_dict(data).first_error is None
