"""Write the batch's `grades.json` and `grades.csv` exactly as docs/contract.md#output-files
names them.

Every file is written atomically (a temp file in the same folder, then `os.replace`), so a crash
never leaves a half-written file: readers see the old file or the new one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from grader.score import Grade
from grader.text import FORMULA_START

CSV_COLUMNS = ("file", "assignment", "group", "status", "score", "max_score")
FILE_MODE = 0o644


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temp file in the same folder and `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def iso8601(moment: datetime | str) -> str:
    """`moment` as ISO-8601 with its UTC offset (a datetime to the second; a string unchanged).

    Raises ValueError for a naive time or a string that is not ISO-8601.
    """
    parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"timestamp {moment!s} must be timezone-aware (e.g. in UTC)")
    return moment if isinstance(moment, str) else moment.isoformat(timespec="seconds")


def grades_json_text(grades: Sequence[Grade], grader_version: str,
                     generated_at: datetime | str,
                     extra: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The text of grades.json: the contract's top-level object, indented, ending in a newline.

    Args:
        extra: file -> fields added to that upload's SUBMISSION after the contract's (the
            course record of grader.ledger); they never replace a contract field.

    Raises ValueError for a NaN or infinite number (not valid JSON), or an `extra` field that
    would replace a contract field.
    """
    document: dict[str, Any] = {
        "grader_version": grader_version,
        "generated_at": iso8601(generated_at),
        "submissions": [_with_extra(grade.to_contract(), (extra or {}).get(grade.file, {}))
                        for grade in grades],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _with_extra(submission: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    clash = sorted(set(extra) & set(submission))
    if clash:
        raise ValueError(f"added fields would replace contract fields: {', '.join(clash)}")
    return {**submission, **extra}


def write_grades_json(path: Path, grades: Sequence[Grade], grader_version: str,
                      generated_at: datetime | str,
                      extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Write grades.json atomically (submissions in the order given; `extra` as above)."""
    write_text_atomic(path, grades_json_text(grades, grader_version, generated_at, extra))


def check_columns(grades: Iterable[Grade]) -> list[str]:
    """Every check id over all `grades`, in order of first appearance."""
    seen: dict[str, None] = {}
    for grade in grades:
        for check in grade.checks:
            seen.setdefault(check.id, None)
    return list(seen)


def csv_number(value: float) -> str:
    """A number for the CSV: `3` for an integral value, else the shortest round-trip form."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))




def csv_text(value: str) -> str:
    """A student-controlled text cell, made inert for spreadsheets.

    A file name such as `=HYPERLINK(...).ipynb` would run as a formula when a tutor opens
    grades.csv in a spreadsheet; such a cell gets a leading apostrophe (OWASP's advice). Every
    ordinary name (they start with a letter or digit) is written unchanged.
    """
    return "'" + value if value.startswith(FORMULA_START) else value


def grades_csv_text(grades: Sequence[Grade], extra_columns: Sequence[str] = (),
                    extra: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The text of grades.csv: the contract's six columns, then points per check id.

    A row lacking a check has an empty cell there; a null assignment or group is empty.

    Args:
        extra_columns: columns appended after the check columns (grader.ledger's: hand-marked
            points, final score, ...); a name that is already a column is not repeated.
        extra: file -> cells of `extra_columns` (written as given; missing cells are empty).
    """
    checks = check_columns(grades)
    appended = [c for c in dict.fromkeys(extra_columns) if c not in (*CSV_COLUMNS, *checks)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_COLUMNS, *checks, *appended])
    for grade in grades:
        points = {c.id: csv_number(c.points) for c in grade.checks}
        cells = (extra or {}).get(grade.file, {})
        writer.writerow([
            csv_text(grade.file), grade.assignment or "", csv_text(grade.group or ""), grade.status,
            csv_number(grade.score), csv_number(grade.max_score),
            *(points.get(check_id, "") for check_id in checks),
            *(cells.get(column, "") for column in appended),
        ])
    return buffer.getvalue()


def write_grades_csv(path: Path, grades: Sequence[Grade], extra_columns: Sequence[str] = (),
                     extra: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Write grades.csv atomically (UTF-8 without BOM, one row per upload, in the order given)."""
    write_text_atomic(path, grades_csv_text(grades, extra_columns, extra))
