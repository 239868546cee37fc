"""grader.sheet_reader: cells as a tutor meant them, points with a decimal comma."""

from __future__ import annotations

import pytest

from grader.sheet_reader import Dialect, read_cell, read_points, read_table


@pytest.mark.parametrize(("cell", "expected"), [
    ("'=1+1", "=1+1"), ("'-3", "-3"), ("'plain'", "'plain'"), ("'", "'"), ("  x ", "x")])
def test_read_cell(cell: str, expected: str) -> None:
    assert read_cell(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("", None), ("3", 3.0), ("3.25", 3.25), ("3,25", 3.25), ("'-1", -1.0), (" 2 ", 2.0)])
def test_read_points(cell: str, expected: float | None) -> None:
    assert read_points(cell) == expected


@pytest.mark.parametrize("cell", ["1,000.5", "inf", "x", "1.2.3"])
def test_read_points_refuses(cell: str) -> None:
    with pytest.raises(ValueError):
        read_points(cell)


@pytest.mark.parametrize(("text", "dialect"), [
    ("a,b\n1,2.5\n", Dialect()),
    ("\ufeffa;b\r\n1;2,5\r\n", Dialect(";", bom=True, crlf=True, decimal_comma=True)),
    ("a;b\n1;2.5\n", Dialect(";")),
])
def test_read_table_knows_how_the_sheet_was_saved(text: str, dialect: Dialect) -> None:
    table = read_table(text.encode("utf-8"), "t.csv", numbers=("b",))
    assert (table.dialect, table.header, table.errors) == (dialect, ("a", "b"), ())
    assert table.dialect.text([["a", "b"], ["1", table.dialect.number("2.5")]]) == text


def test_a_decimal_comma_is_written_only_with_the_semicolon() -> None:
    table = read_table('a,b\n1,"2,5"\n', "t.csv", numbers=("b",))
    assert table.dialect == Dialect() and table.rows == ((2, {"a": "1", "b": "2,5"}),)


def test_read_table_pads_short_rows_and_refuses_long_ones() -> None:
    table = read_table("a,b,c\n1\n\n,,\n1,2,3,4\n1,2,3,\n", "t.csv")
    assert table.rows == ((2, {"a": "1", "b": "", "c": ""}),)
    assert [str(e)[:43] for e in table.errors] == [
        "t.csv row 5: 4 cells where the header has 3",
        "t.csv row 6: 4 cells where the header has 3"]


def test_read_table_refuses_what_is_not_utf8() -> None:
    table = read_table("a,b\nM\xfcller,1\n".encode("cp1252"), "t.csv")
    assert (table.rows, [str(e) for e in table.errors]) == (
        (), ["t.csv: not UTF-8 text; save it as 'CSV UTF-8'"])
