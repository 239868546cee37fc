"""What the LMSs' importers expect, written out from their documentation (not from grader.lms).

Shared by tests/grader/test_lms.py (the writers), tests/grader/test_course_round_trip.py and
tests/test_bundled_course.py (the exports of a real batch's output).
"""

from __future__ import annotations

import json
from typing import Any

# Moodle's worksheet header when downloading (mod/assign/gradingtable.php, constructor, with
# the strings of mod/assign/lang/en/assign.php: recordid 'Identifier', maxgrade 'Maximum
# Grade', gradecanbechanged, lastmodifiedsubmission, lastmodifiedgrade; 'Email address' is the
# default identity field; 'Feedback comments' is assignfeedback_comments' editor field);
# https://github.com/moodle/moodle/blob/main/mod/assign/gradingtable.php and
# https://docs.moodle.org/en/Assignment_settings ("Offline grading worksheet").
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                 "Feedback comments"]

# Canvas's gradebook import (https://community.canvaslms.com/t5/Instructor-Guide/
# How-do-I-import-grades-in-the-Gradebook/ta-p/807; the importer app/models/
# gradebook_importer.rb): the first column contains "Student", the second "ID", then
# "SIS User ID" and "SIS Login ID", the last student column "Section", then one column per
# assignment named "<name> (<assignment id>)".
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

# Gradescope's autograder specification, "Output format"
# (https://gradescope-autograders.readthedocs.io/en/latest/specs/, the specs page of
# gradescope/autograder_samples): the top-level and per-test keys, their types and the
# visibility values.
TOP_KEYS = {"score": (int, float), "execution_time": (int,), "output": (str,),
            "visibility": (str,), "stdout_visibility": (str,), "extra_data": (dict,),
            "tests": (list,), "leaderboard": (list,)}
TEST_KEYS = {"score": (int, float), "max_score": (int, float), "name": (str,),
             "number": (str,), "output": (str,), "tags": (list,), "visibility": (str,),
             "extra_data": (dict,)}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_results(results: dict[str, Any]) -> None:
    """Fail unless `results` follows Gradescope's documented results.json format."""
    assert set(results) <= set(TOP_KEYS)
    assert "score" in results or all("score" in t for t in results.get("tests", []))
    for key, value in results.items():
        assert isinstance(value, TOP_KEYS[key]) and not isinstance(value, bool), key
    assert results.get("visibility", "visible") in VISIBILITIES
    assert results.get("stdout_visibility", "hidden") in VISIBILITIES
    for test in results.get("tests", []):
        assert set(test) <= set(TEST_KEYS)
        for key, value in test.items():
            assert isinstance(value, TEST_KEYS[key]) and not isinstance(value, bool), key
        assert test.get("visibility", "visible") in VISIBILITIES
    json.dumps(results, allow_nan=False)
