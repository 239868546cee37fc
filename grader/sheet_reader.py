"""A CSV sheet a tutor edited in a spreadsheet, read back: rows, cells, points, times.

Spreadsheets write a UTF-8 byte-order mark, `;` as the separator where the decimal mark is a
comma (`1,5`), CRLF line ends, and text cells that start with = + - @ keep the apostrophe
`csv_text` wrote before them; all of that is read as the tutor meant it, and `Dialect` keeps it
so a sheet the grader rewrites is written back the way it was saved. Every CSV the tool reads
(marking.csv, overrides.csv, the submission times, the roster) goes through `read_table`.

A row shorter than the header is read with its missing trailing cells empty (spreadsheets leave
trailing empty cells out). A row with more cells than the header (even empty ones) is a
`SheetError` naming the row: a decimal comma in an unquoted number (`0,5` in a `,` sheet)
splits a cell and would shift every cell after it. For marking.csv and overrides.csv
(`read_rows`) a header that lacks an expected column, or names one twice, is one `SheetError`
for the whole sheet; columns of the tutor's own (`tutor_note`) are read beside ours
(`Table.extra`, `Table.extra_cells`) so a rewritten sheet keeps them, and are never graded.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterable, Mapping, Protocol, Sequence, TypeVar

from grader.text import FORMULA_START

BAD_TIME = "{column} {cell!r} is not an ISO-8601 time such as 2026-12-02T10:00:00+01:00"
HEADER = "the first row must be the header {header!r} (missing: {missing}; twice: {twice})"
NOT_OURS = "{sheet}: column {column!r} is not ours; kept as it is"
NOT_UTF8 = "not UTF-8 text; save it as 'CSV UTF-8'"
TOO_MANY = ("{n} cells where the header has {m}: a decimal comma in an unquoted number (0,5) "
            "splits a cell; write it as 0.5 or \"0,5\" in quotes, or save with ';' as separator")
SPLIT = ("points {a!r} and {column} {b!r} look like one number with a decimal comma ({a},{b}) "
         "split in two: write {a}.{b} or \"{a},{b}\" in quotes")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


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


@dataclass(frozen=True)
class Dialect:
    """How a sheet was saved, to write it back the same way."""

    delimiter: str = ","
    bom: bool = False                  # a UTF-8 byte-order mark first
    crlf: bool = False                 # lines end in CR LF
    decimal_comma: bool = False        # numbers written 0,5 (only with the ';' separator)

    def number(self, cell: str) -> str:
        """A number cell as this dialect writes it (`0.5` -> `0,5` with a decimal comma)."""
        return cell.replace(".", ",") if self.decimal_comma else cell

    def text(self, rows: Iterable[Sequence[str]]) -> str:
        """`rows` as CSV text in this dialect (separator, line end, the BOM first)."""
        buffer = io.StringIO()
        buffer.write("\ufeff" if self.bom else "")
        writer = csv.writer(buffer, delimiter=self.delimiter,
                            lineterminator="\r\n" if self.crlf else "\n")
        writer.writerows(rows)
        return buffer.getvalue()


@dataclass(frozen=True)
class Table:
    """A CSV as read: its header, (row number, cells by column) of every non-empty row with the
    right number of cells, how it was saved, and its rows' errors."""

    header: tuple[str, ...] = ()
    rows: tuple[tuple[int, Mapping[str, str]], ...] = ()
    dialect: Dialect = Dialect()
    errors: tuple[SheetError, ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()         # each row's cells in header order
    extra: tuple[str, ...] = ()                      # the tutor's own columns (read_rows)
    extra_cells: tuple[tuple[str, ...], ...] = ()    # each row's cells of `extra`

    def missing(self, columns: Iterable[str]) -> list[str]:
        """The `columns` the header lacks."""
        return [c for c in columns if c not in self.header]


def read_table(text: str | bytes, sheet: str, numbers: Sequence[str] = ()) -> Table:
    """A CSV sheet: BOM, `;` or `,` (the header row decides), CRLF; `numbers` are the columns
    whose decimal commas make `Dialect.decimal_comma` (in a `;` sheet)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return Table(errors=(SheetError(sheet, 0, NOT_UTF8),))
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    width = len(rows[0]) if rows else 0              # empty header cells included
    header = tuple(c.strip() for c in rows[0]) if rows else ()
    while header and not header[-1]:
        header = header[:-1]
    body, errors, cells = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > width:                          # even empty extras: `0,5,half,,` shifts
            errors.append(SheetError(sheet, number, TOO_MANY.format(n=len(row), m=width)))
            continue
        row = row + [""] * (len(header) - len(row))          # trailing empty cells left out
        cells.append(tuple(read_cell(c) for c in row[:len(header)]))
        body.append((number, dict(zip(header, cells[-1]))))
    comma = delimiter == ";" and any(_DECIMAL_COMMA.fullmatch(cells.get(c, ""))
                                     for _, cells in body for c in numbers)
    dialect = Dialect(delimiter, bom, first.endswith("\r"), comma)
    return Table(header, tuple(body), dialect, tuple(errors), tuple(cells))


def split_number(cells: Mapping[str, str], text_column: str) -> str:
    """The problem of a row whose points and the text after them look like one number split at
    its decimal comma (`1,5,bias...` read as points 1, reason "5"); "" when they do not."""
    points, text = cells.get("points", ""), cells.get(text_column, "")
    if re.fullmatch(r"-?\d+", points) and re.fullmatch(r"\d+", text):
        return SPLIT.format(a=points, b=text, column=text_column)
    return ""


def read_rows(text: str | bytes, columns: Sequence[str], sheet: str,
              numbers: Sequence[str] = ()) -> Table:
    """A sheet whose header must hold every one of `columns` once (in any order): else no rows
    and one error for the header (row 1). Other columns are the tutor's: `extra` names them and
    `extra_cells` holds each row's cells there (a column without a name or a cell is dropped)."""
    table = read_table(text, sheet, numbers)
    if table.errors and table.errors[0].row == 0:
        return table
    header = table.header
    missing = table.missing(columns)
    twice = sorted({c for c in header if c in columns and header.count(c) > 1})
    if missing or twice or not header:
        problem = HEADER.format(header=",".join(columns), missing=", ".join(missing) or "none",
                                twice=", ".join(twice) or "none")
        return Table(header, (), table.dialect, (SheetError(sheet, 1, problem),))
    at = [i for i, c in enumerate(header) if c not in columns
          and (c or any(row[i] for row in table.cells))]
    return replace(table, extra=tuple(header[i] for i in at),
                   extra_cells=tuple(tuple(row[i] for i in at) for row in table.cells))


def extra_notes(table: Table, sheet: str) -> tuple[str, ...]:
    """The summary's line for each column of the tutor's own in a sheet."""
    return tuple(NOT_OURS.format(sheet=sheet, column=c) for c in table.extra)


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
