"""A CSV sheet a tutor edited in a spreadsheet, read back: rows, cells, points, times.

Spreadsheets write a UTF-8 byte-order mark, `;` as the separator where the decimal mark is a
comma (`1,5`), and text cells that start with = + - @ keep the apostrophe `csv_text` wrote
before them; all of that is read as the tutor meant it. A header that is not exactly the
expected columns (in any order) is one `SheetError` for the whole sheet.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Mapping, Protocol, Sequence, TypeVar

from grader.export import FORMULA_START

BAD_TIME = "{column} {cell!r} is not an ISO-8601 time such as 2026-12-02T10:00:00+01:00"
HEADER = "the first row must be the header {header!r} (missing: {missing}; unknown: {unknown})"
NOT_UTF8 = "not UTF-8 text; save it as 'CSV UTF-8'"


@dataclass(frozen=True)
class SheetError:
    """One rule a sheet broke: which sheet, which row (1 = header, 0 = the whole file), what."""

    sheet: str
    row: int
    rule: str

    def __str__(self) -> str:
        return f"{self.sheet} row {self.row}: {self.rule}" if self.row else \
            f"{self.sheet}: {self.rule}"


def read_cell(cell: str) -> str:
    """A cell as the tutor meant it: the apostrophe `csv_text` adds before = + - @ removed."""
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START and cell[1:2] else cell


def read_points(cell: str) -> float | None:
    """Points from a cell ("" is None, "1,5" is 1.5); ValueError when it is not a finite number."""
    cell = read_cell(cell)
    if not cell:
        return None
    if cell.count(",") == 1 and "." not in cell:
        cell = cell.replace(",", ".")
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def read_rows(text: str | bytes, columns: Sequence[str], sheet: str,
          ) -> tuple[list[tuple[int, dict[str, str]]], str, list[SheetError]]:
    """(row number, cells by column) of every non-empty row, the separator, header errors."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return [], ",", [SheetError(sheet, 0, NOT_UTF8)]
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [c.strip() for c in rows[0]] if rows else []
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing or unknown or len(set(header)) != len(header):
        problem = HEADER.format(header=",".join(columns), missing=", ".join(missing) or "none",
                                unknown=", ".join(unknown) or "none")
        return [], delimiter, [SheetError(sheet, 1, problem)]
    body = [(n, {h: read_cell(c) for h, c in zip(header, row)})
            for n, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    return body, delimiter, []


class Entry(Protocol):
    """A row's meaning in a sheet keyed by upload and check (a mark, an override)."""

    @property
    def file(self) -> str: ...
    @property
    def check(self) -> str: ...


E = TypeVar("E", bound=Entry)
Cells = Mapping[str, str]
RowReader = Callable[[Cells, dict[tuple[str, str], int]], tuple["E | None", str]]


def read_entries(body: Iterable[tuple[int, Cells]], sheet: str, read: RowReader[E],
                 ) -> tuple[list[E], list[SheetError], dict[tuple[str, str], int]]:
    """Every row of a sheet read by `read(cells, first)`, which returns (entry, "") or
    (None, problem); also which row first gave each (file, check), for later rules."""
    entries: list[E] = []
    errors: list[SheetError] = []
    first: dict[tuple[str, str], int] = {}
    for number, cells in body:
        entry, problem = read(cells, first)
        if problem:
            errors.append(SheetError(sheet, number, problem))
        elif entry is not None:
            first[(entry.file, entry.check)] = number
            entries.append(entry)
    return entries, errors, first


def time_problem(column: str, cell: str) -> str | None:
    if not cell:
        return None
    try:
        datetime.fromisoformat(cell)
    except ValueError:
        return BAD_TIME.format(column=column, cell=cell)
    return None
