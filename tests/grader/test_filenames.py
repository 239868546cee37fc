"""The corrected name a rejected upload's report offers ("did you mean ...?")."""

from __future__ import annotations

import pytest
from rubric_builders import make_rubric, make_xor_rubric

from grader.filenames import suggest_name

RUBRICS = (make_rubric(), make_xor_rubric())


@pytest.mark.parametrize(("name", "suggestion"), [
    ("adam_regression_classification_solved_group_7.ipynb",
     "adam_regression_classification_solved_group_07.ipynb"),
    ("Adam_Regression_Classification_Solved_Group_07.ipynb",
     "adam_regression_classification_solved_group_07.ipynb"),
    ("adam regression classification solved group 07 (1).ipynb",
     "adam_regression_classification_solved_group_07.ipynb"),
    ("adam-regression-classification-solved-group-3.ipynb",
     "adam_regression_classification_solved_group_03.ipynb"),
    ("adam_regression_classification_solved_group_07.ipynb", ""),      # already right
    ("Adam_group_4.ipynb", ""),                                        # too far from any
    ("sheet06_123456.zip", ""),
], ids=["one-digit", "upper-case", "spaces-and-copy", "hyphens-one-digit", "right", "far",
        "short-id"])
def test_a_close_name_gets_the_corrected_one(name: str, suggestion: str) -> None:
    assert suggest_name(name, RUBRICS) == suggestion


def test_no_rubric_no_suggestion() -> None:
    assert suggest_name("adam_regression_classification_solved_group_7.ipynb", ()) == ""
