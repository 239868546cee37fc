"""The gradebook: round trips, immediate commits, lookups, crash safety, foreign files."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from grade_builders import FULL_GRADE, make_grade

from grader.errors import GraderError
from grader.gradebook import Gradebook
from grader.gradebook_schema import SCHEMA_VERSION
from grader.marking import Mark, Override
from grader.score import INTERNAL_ERROR

REPO = Path(__file__).resolve().parents[2]



@pytest.fixture
def book(tmp_path: Path):
    with Gradebook.open(tmp_path / "gradebook.sqlite") as gb:
        yield gb


def test_record_round_trip_through_sqlite(book: Gradebook) -> None:
    run = book.start_run("0.1.0", "1.2.3", ["grade", "submissions/"])
    book.record(run, FULL_GRADE)
    assert book.latest(FULL_GRADE.file) == FULL_GRADE
    assert book.run_grades(run) == [FULL_GRADE]


def test_schema_version_wal_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    Gradebook.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type='index'")]
    assert any("file, sha256, rubric_sha256, reference_version" in (s or "") for s in indexes)
    conn.close()
    with Gradebook.open(path) as book:  # reopening an existing gradebook is fine
        book.start_run("0.1.0", "1.2.3", "grade 'my submissions/' --force")
        book.start_run("0.1.0", "1.2.3", ["grade", "my submissions/"])
    conn = sqlite3.connect(path)
    argvs = [json.loads(r[0]) for r in conn.execute("SELECT argv FROM runs ORDER BY rowid")]
    conn.close()
    assert argvs == ["grade 'my submissions/' --force", ["grade", "my submissions/"]]


def test_record_is_visible_to_a_second_reader_before_close(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    writer = Gradebook.open(path)
    run = writer.start_run("0.1.0", "1.2.3", [])
    writer.record(run, make_grade())
    with Gradebook.open(path, readonly=True) as reader:
        assert reader.latest(make_grade().file) == make_grade()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*) FROM grades").fetchone()[0] == 1
    raw.close()
    writer.close()


def test_killed_writer_keeps_what_it_recorded(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = [{str(REPO)!r}, {str(Path(__file__).parent)!r}]
        from grade_builders import make_grade
        from grader.gradebook import Gradebook
        gb = Gradebook.open({str(path)!r})
        run = gb.start_run("0.1.0", "1.2.3", [])
        gb.record(run, make_grade(file="one.ipynb"))
        gb.record(run, make_grade(file="two.ipynb"))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    with Gradebook.open(path) as book:
        assert book.latest("one.ipynb") == make_grade(file="one.ipynb")
        assert book.latest("two.ipynb") == make_grade(file="two.ipynb")


def test_abandoned_connection_keeps_the_row(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    abandoned = Gradebook.open(path)
    abandoned.record(abandoned.start_run("0.1.0", "1.2.3", []), make_grade())
    with Gradebook.open(path) as book:  # the first one is never closed
        assert book.history(make_grade().file) == [make_grade()]
    abandoned.close()


@pytest.mark.parametrize(
    "key_change",
    [{"file": "other.ipynb"}, {"sha256": "e" * 64}, {"rubric_sha256": "f" * 64},
     {"reference_version": "9.9.9"}],
    ids=["file", "sha256", "rubric", "reference"],
)
def test_lookup_honours_every_key_part(book: Gradebook, key_change: dict[str, str]) -> None:
    grade = make_grade()
    book.record(book.start_run("0.1.0", grade.reference_version, []), grade)
    key = {"file": grade.file, "sha256": grade.sha256, "rubric_sha256": grade.rubric_sha256,
           "reference_version": grade.reference_version}
    assert book.lookup(**key) == grade
    assert book.lookup(**{**key, **key_change}) is None


def test_lookup_returns_the_latest_match(book: Gradebook) -> None:
    first = make_grade(score=1.0)
    second = make_grade(score=3.0, graded_at="2024-01-01T00:00:00+00:00")
    run = book.start_run("0.1.0", "0.1.0", [])
    book.record(run, first)
    book.record(run, second)  # recorded later wins, whatever its graded_at says
    assert book.lookup(first.file, first.sha256, first.rubric_sha256,
                       first.reference_version) == second


def test_lookup_never_reuses_an_internal_error_record(book: Gradebook) -> None:
    good = make_grade()
    failed = make_grade(status="crashed", score=0.0, internal_error=True,
                        messages=(f"{INTERNAL_ERROR} (internal error: KeyError: 'x'); a tutor must "
                                  "look at it",))
    kernel_died = make_grade(status="crashed", score=0.0, messages=("cell 3: the kernel died",))
    key = (good.file, good.sha256, good.rubric_sha256, good.reference_version)
    assert failed.internal_error and not kernel_died.internal_error and not good.internal_error
    run = book.start_run("0.1.0", "0.1.0", [])
    book.record(run, good)
    book.record(run, failed)
    assert book.lookup(*key) is None                # a rerun must try again
    assert book.latest(good.file) == failed         # but the record is kept
    book.record(run, kernel_died)
    assert book.lookup(*key) == kernel_died         # a student's crash is a verdict: reused


def test_history_across_two_runs(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    old, new = make_grade(score=1.0), make_grade(score=3.0, sha256="9" * 64)
    with Gradebook.open(path) as book:
        book.record(book.start_run("0.1.0", "0.1.0", ["grade", "a"]), old)
    with Gradebook.open(path) as book:
        run = book.start_run("0.1.0", "0.1.0", ["grade", "a", "--force"])
        book.record(run, new)
        assert book.history(old.file) == [old, new]
        assert book.latest(old.file) == new
        assert book.run_grades(run) == [new]
        assert book.latest("never-seen.ipynb") is None and book.history("never-seen.ipynb") == []


def test_record_under_unknown_run_is_a_grader_error(book: Gradebook) -> None:
    with pytest.raises(GraderError, match="unknown run id"):
        book.record("no-such-run", make_grade())


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all, just some text\n" * 20,
     b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["text", "truncated-header"],
)
def test_non_sqlite_file_is_refused_and_kept(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "grades-of-2024.sqlite"
    path.write_bytes(content)
    with pytest.raises(GraderError, match="grades-of-2024.sqlite"):
        Gradebook.open(path)
    assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "someone-elses.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE students (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(GraderError, match="someone-elses.sqlite.*not a gradebook"):
        Gradebook.open(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["students"]
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    Gradebook.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(GraderError, match="newer"):
        Gradebook.open(path)


def test_readonly_open_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="nothing.sqlite"):
        Gradebook.open(tmp_path / "nothing.sqlite", readonly=True)
    assert not os.path.exists(tmp_path / "nothing.sqlite")


# ----------------------------------------------------------------------------- schema 2
def version_1_file(path: Path) -> Path:
    """A gradebook as grader 0.1 wrote it: schema version 1, no marks or overrides tables."""
    with Gradebook.open(path) as book:
        book.record(book.start_run("0.1.0", "1.2.3", []), make_grade())
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE marks; DROP TABLE overrides; PRAGMA user_version = 1;")
    conn.close()
    return path


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    return names


def test_a_version_1_gradebook_is_upgraded_in_place_keeping_its_grades(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "gradebook.sqlite")
    assert tables(path) == {"runs", "grades"}
    with Gradebook.open(path, readonly=True) as book:        # read-only: read, never upgraded
        assert book.mark_history() == [] and book.current_overrides() == []
    assert tables(path) == {"runs", "grades"}
    with Gradebook.open(path) as book:
        assert book.latest(make_grade().file) == make_grade()
        run = book.start_run("0.2.0", "1.2.3", [])
        book.record_marks(run, [Mark("a.zip", "theory", 2.0, "good", "ana", "t1")])
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    conn.close()
    assert tables(path) == {"runs", "grades", "marks", "overrides"}


def test_marks_and_overrides_keep_their_history(book: Gradebook) -> None:
    first, second = book.start_run("0.2.0", "r", []), book.start_run("0.2.0", "r", [])
    given = Mark("a.zip", "theory", 2.0, "good", "ana", "2026-12-01T10:00:00+00:00")
    book.record_marks(first, [given, Mark("a.zip", "essay", None)])
    book.record_marks(second, [Mark("a.zip", "theory", 1.5, "6.3c missing", "ben", "t2")])
    regrade = Override("a.zip", "forward", 1.0, "typo in the sheet", "ana", "t1")
    book.record_overrides(first, [regrade])
    book.record_overrides(second, [], removed=[("a.zip", "forward", "ben", "t3")])
    assert [(e.run_id, e.mark.points, e.mark.marker) for e in book.mark_history("a.zip")] == [
        (first, 2.0, "ana"), (first, None, ""), (second, 1.5, "ben")]
    assert {(m.check, m.points) for m in book.current_marks()} == {("theory", 1.5),
                                                                   ("essay", None)}
    assert [(e.run_id, e.override, e.marker, e.at) for e in book.override_history()] == [
        (first, regrade, "ana", "t1"), (second, None, "ben", "t3")]
    assert book.current_overrides() == []
    assert all(e.recorded_at for e in book.mark_history())


def test_marks_under_an_unknown_run_are_a_grader_error_and_add_nothing(book: Gradebook) -> None:
    with pytest.raises(GraderError, match="unknown run id"):
        book.record_marks("nope", [Mark("a.zip", "theory", 1.0)])
    assert book.mark_history() == []
def _open_each(paths: list[str], barrier: Any, results: Any) -> None:
    """One process of the race below: open every path at the same moment as the others."""
    for path in paths:
        barrier.wait()
        try:
            with Gradebook.open(path) as opened:
                opened.start_run("0.1.0", "ref", "grade subs")
            results.put("ok")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.put(f"{type(exc).__name__}: {exc}")


def test_processes_creating_one_gradebook_at_once_all_open_it(tmp_path: Path) -> None:
    """Two `grade` runs into a new output folder: creating the gradebook is atomic."""
    context = multiprocessing.get_context("spawn")
    paths = [str(tmp_path / f"out{i}" / "gradebook.sqlite") for i in range(30)]
    processes = 6
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_open_each, args=(paths, barrier, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(processes * len(paths))]
    for worker in workers:
        worker.join(timeout=30)
    assert [o for o in outcomes if o != "ok"] == []
    for path in paths:
        with Gradebook.open(path, readonly=True) as book:
            runs = book._conn.execute("select count(*) from runs").fetchone()[0]
        assert runs == processes
        assert sorted(p.name for p in Path(path).parent.iterdir()
                      if not p.name.startswith("gradebook.sqlite")) == []
