"""`grade check --format junit`: JUnit XML that GitLab, GitHub test reporters and Jenkins read.

The document follows the common JUnit schema (the Jenkins xUnit plugin's `junit-10.xsd`, which
pytest's `--junitxml` and GitLab's `artifacts:reports:junit` follow; the tests validate against
`tests/data/junit.xsd`):

    <testsuites name="grade check" tests failures errors time>
      <testsuite name=UPLOAD file=UPLOAD tests failures errors skipped time timestamp>
        <properties> file, sha256, assignment, group, status, score, max_score[, min_score]
        <testcase classname=ASSIGNMENT name="intake">       failure: the upload is rejected
        <testcase classname=ASSIGNMENT name="notebook runs"> error: a cell raised, timeout, crash
        <testcase classname=ASSIGNMENT name=CHECK-ID>        per visible check: fail -> <failure>,
                                                             error -> <error>, not-run -> <skipped>
        <testcase classname=ASSIGNMENT name="min-score">     with --min-score: failure when below

`score`/`max_score` are the points of the visible checks. Each <failure>/<error> has the first
line of its message as `message` and the whole message as text. Built with ElementTree; every
student-controlled string is made printable and stripped of what XML 1.0 cannot hold.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from grader.text import printable
from grader.verdicts import (
    CheckRun,
    MinScore,
    public_score,
    shortfall,
    visible_checks,
)

if TYPE_CHECKING:
    from grader.score import Grade

UNMATCHED = "unmatched"               # classname of an upload that matched no assignment
MESSAGE_ATTRIBUTE_CHARS = 500
_NOT_XML = re.compile("[\ufffe\uffff]")  # printable() leaves these; XML 1.0 forbids them
CHILD_FOR_STATUS = {"fail": "failure", "error": "error", "not-run": "skipped"}


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", printable(text))


def _attribute(text: str) -> str:
    """The `message` attribute: the first line, shortened."""
    first = _xml_text(text).partition("\n")[0]
    limit = MESSAGE_ATTRIBUTE_CHARS
    return first if len(first) <= limit else first[:limit] + "..."


def _case(suite: ET.Element, classname: str, name: str, child: str | None = None,
          message: str = "", kind: str = "") -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name)
    if child is not None:
        element = ET.SubElement(case, child, message=_attribute(message))
        if kind:
            element.set("type", kind)
        element.text = _xml_text(message)


def _notebook_case(suite: ET.Element, classname: str, grade: Grade) -> None:
    cell = grade.first_error
    if cell is not None:
        _case(suite, classname, "notebook runs", "error",
              f"{cell.summary()}\n{cell.traceback}".rstrip("\n"), _xml_text(cell.ename))
    elif grade.status in ("timeout", "crashed", "run-error"):
        _case(suite, classname, "notebook runs", "error", "\n".join(grade.messages) or grade.status,
              grade.status)
    else:
        _case(suite, classname, "notebook runs")


def _suite(grade: Grade, min_score: MinScore | None) -> ET.Element:
    name = _xml_text(grade.file)
    suite = ET.Element("testsuite", name=name, file=name)
    score = public_score(grade)
    properties = ET.SubElement(suite, "properties")
    values = {"file": grade.file, "sha256": grade.sha256, "assignment": grade.assignment or "",
              "group": grade.group or "", "status": grade.status, "score": f"{score.points:g}",
              "max_score": f"{score.max_points:g}"}
    if min_score is not None:
        values["min_score"] = min_score.text
    for key, value in values.items():
        ET.SubElement(properties, "property", name=key, value=_xml_text(value))
    classname = _xml_text(grade.assignment or UNMATCHED)
    if grade.status == "rejected":
        _case(suite, classname, "intake", "failure", "\n".join(grade.messages) or "rejected")
    else:
        _case(suite, classname, "intake")
        _notebook_case(suite, classname, grade)
    for check in visible_checks(grade):
        child = CHILD_FOR_STATUS.get(check.status)
        _case(suite, classname, _xml_text(check.id), child, check.message or check.status)
    if min_score is not None:
        reason = shortfall(grade, min_score)
        _case(suite, classname, "min-score", "failure" if reason else None, reason)
    _count(suite)
    suite.set("time", f"{grade.notebook_seconds:.3f}")
    if grade.graded_at:
        suite.set("timestamp", grade.graded_at)
    return suite


def _count(element: ET.Element, skipped: bool = True) -> None:
    """Set tests/failures/errors(/skipped) from the testcases below `element`.

    The schema has no `skipped` on <testsuites>, hence `skipped=False` there.
    """
    cases = element.findall(".//testcase")
    element.set("tests", str(len(cases)))
    counts = [("failure", "failures"), ("error", "errors")]
    if skipped:
        counts.append(("skipped", "skipped"))
    for child, attribute in counts:
        element.set(attribute, str(sum(case.find(child) is not None for case in cases)))


def to_junit(run: CheckRun) -> str:
    """The JUnit XML document (UTF-8 text with its declaration, ending in a newline)."""
    root = ET.Element("testsuites", name="grade check")
    for grade in run.grades:
        root.append(_suite(grade, run.min_score))
    _count(root, skipped=False)
    root.set("time", f"{sum(g.notebook_seconds for g in run.grades):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
