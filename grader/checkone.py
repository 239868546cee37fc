"""`grade check PATH...`: the batch's rules for each upload, with a verdict people and CI read.

Each upload (a file, or every upload a folder holds, found as the batch finds them) goes through
the batch's own steps (`pipeline.grade_upload`) against the rubrics cut to their visible checks,
and becomes one `Grade`. With `--kit KIT` (`grader.kit`) the rubric and the plan step come from
the kit instead: its public cases and the values the reference computed at release; nothing on
that path imports `reference` (the student distribution has none), and a check the kit cannot
decide is listed as not-run with its reason. `grader.verdicts` decides and renders `json`;
`verdict_text`, `junit` and `github` render `text`, `junit`, `github` and `classroom`. Nothing is
recorded in any gradebook.

The file name, intake messages, check messages and the traceback all hold text the student
controls: every renderer makes it `printable`, so no escape sequence or control character reaches
the terminal, and a multi-line message cannot fake a VERDICT line.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping, Sequence, TextIO

import click

from grader import github, junit, verdict_text, verdicts
from grader.discover import Upload, discover, is_utf8, safe_name, upload_of
from grader.errors import UsageError
from grader.filenames import display, kits_message, suggest_name
from grader.intake import Match, match_upload
from grader.kit import Kit, load_kit, with_unchecked
from grader.kit_archive import kit_folder
from grader.liveline import LiveLine
from grader.pipeline import REFERENCE, Options, Planner, grade_upload
from grader.rubric import Rubric, load_rubrics
from grader.score import Grade, now_iso
from grader.verdicts import CheckRun, MinScore
from grader.version import grader_version

RENDERERS: dict[str, Callable[[CheckRun], str]] = {
    "json": verdicts.to_json,
    "junit": junit.to_junit,
    "github": github.to_github,
    "classroom": github.to_classroom,
}
NO_UPLOADS = "{path}: no uploads in this folder (*.ipynb or *.zip files, in it or its subfolders)"
NO_RUBRICS = ("{path}: no rubrics here, and this installation has no reference solutions to "
              "check against: pass --kit KIT, the check kit of your assignment (ask your tutor)")


def uploads_for(paths: Sequence[Path]) -> tuple[Upload, ...]:
    """The uploads named by the command line: files as given, folders searched like a batch.

    Raises:
        UsageError: a folder holds no upload.
    """
    uploads: list[Upload] = []
    for path in paths:
        if not path.is_dir():
            uploads.append(upload_of(path))
            continue
        found = discover(path)
        if not found:
            raise UsageError(NO_UPLOADS.format(path=safe_name(str(path))))
        folder = PurePosixPath(safe_name(PurePosixPath(path).as_posix()))
        uploads += [dataclasses.replace(u, rel=(folder / u.rel).as_posix()) for u in found]
    return tuple(uploads)


def visible_rubrics(rubrics: tuple[Rubric, ...]) -> tuple[Rubric, ...]:
    """Each rubric with only the checks students may see (a rejected upload lists no other)."""
    return tuple(dataclasses.replace(r, checks=tuple(c for c in r.checks if c.visible))
                 for r in rubrics)


def reachable(min_score: MinScore | None, maxima: dict[str, float]) -> None:
    """Raises UsageError when `--min-score` asks more points than any public checks give."""
    problem = verdicts.unreachable(min_score, maxima) if min_score is not None else ""
    if problem:
        raise UsageError(problem)


def student_rubrics(rubrics_dir: Path) -> tuple[Rubric, ...]:
    """The rubrics of `rubrics_dir` cut to their visible checks.

    Raises:
        UsageError: no rubrics there, and no reference installed (the student distribution).
    """
    if not rubrics_dir.is_dir() and importlib.util.find_spec("reference") is None:
        raise UsageError(NO_RUBRICS.format(path=rubrics_dir))
    return visible_rubrics(load_rubrics(rubrics_dir))


def check_uploads(uploads: Sequence[Upload], rubrics: tuple[Rubric, ...], rubrics_dir: Path,
                  live: LiveLine) -> tuple[Grade, ...]:
    """One Grade per upload, through the batch's steps, public checks only."""
    options = Options(rubrics_dir=rubrics_dir, visible_only=True, pictures=False)  # no report
    grades = []
    for upload in uploads:
        with live.running(upload.rel) as on_cell:
            grades.append(grade_upload(upload, rubrics, options, REFERENCE, on_cell))
    return tuple(grades)


def matching(uploads: Sequence[Upload], rubrics: tuple[Rubric, ...],
             live: LiveLine) -> tuple[Upload, ...]:
    """`--ignore-unmatched`: the uploads some file-name rule accepts; a note for each other.

    Raises:
        UsageError: none is left (nothing would be checked).
    """
    kept = tuple(u for u in uploads if isinstance(match_upload(u, rubrics), Match))
    for upload in (u for u in uploads if u not in kept):
        near = suggest_name(PurePosixPath(upload.rel).name, rubrics)
        hint = f". Did you mean {display(near)}?" if near else ""
        live.note(f"ignored {upload.rel}: its name matches no assignment's file-name rule "
                  f"(--ignore-unmatched){hint}")
    if not kept:
        expected = "; ".join(f"{r.id}: {r.expected}" for r in sorted(rubrics, key=lambda r: r.id))
        raise UsageError(f"nothing to check: no file given is named as an upload of {expected} "
                         f"({len(uploads)} file(s) ignored)")
    return kept


def kit_for(upload: Upload, kits: Sequence[Kit]) -> Kit | None:
    """The kit whose file-name rule the upload matches (None: it matches none)."""
    matched = match_upload(upload, tuple(k.rubric for k in kits))
    if not isinstance(matched, Match):
        return None
    return next(k for k in kits if k.rubric.id == matched.rubric.id)


def unmatched(grade: Grade, upload: Upload, kits: Sequence[Kit]) -> Grade:
    """An upload no kit's file-name rule accepts: its rejection names every kit given, not the
    closest other assignment's name (a decodable name; an undecodable one says so as it is)."""
    name = PurePosixPath(upload.rel).name
    if upload.undecodable or not is_utf8(name) or grade.status != "rejected":
        return grade
    message = kits_message(name, tuple(k.rubric for k in kits))
    return dataclasses.replace(grade, messages=(message, *grade.messages[1:]))


def check_with_kits(uploads: Sequence[Upload], kits: Sequence[Kit],
                    live: LiveLine) -> tuple[Grade, ...]:
    """One Grade per upload from the kits alone: their rules, public cases and values."""
    options = Options(rubrics_dir=kits[0].path, visible_only=True)
    grades = []
    for upload in uploads:
        kit = kit_for(upload, kits)
        rubrics = (kit.rubric,) if kit is not None else tuple(k.rubric for k in kits)
        source = kit if kit is not None else kits[0]
        with live.running(upload.rel) as on_cell:
            grade = grade_upload(upload, rubrics, options, Planner(source.plan, source.version),
                                 on_cell)
        if kit is not None:
            grade = dataclasses.replace(grade, checks=with_unchecked(grade.checks, kit))
        else:
            grade = unmatched(grade, upload, kits)
        grades.append(grade)
    return tuple(grades)


def ensure_writable(path: Path, option: str) -> None:
    """Fail before any notebook runs when `path` (--output, --junit-xml) cannot be written.

    A file that does not exist yet is created and removed again (so the check is true for
    root and read-only file systems too); an existing file is opened for appending.

    Raises:
        UsageError: it is a folder, its folder is missing, or it cannot be written.
    """
    shown = safe_name(str(path))
    if path.is_dir():
        raise UsageError(f"{option} {shown}: is a folder; name a file")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {shown}: the folder {safe_name(str(path.parent))} "
                         "does not exist")
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {shown}: cannot be written "
                         f"({exc.strerror or type(exc).__name__})") from None
    if not existed:
        path.unlink(missing_ok=True)


def check_paths(paths: Sequence[Path], rubrics_dir: Path, min_score: MinScore | None,
                live: LiveLine, kit_paths: Sequence[Path] = (),
                ignore_unmatched: bool = False) -> CheckRun:
    """Check every upload the paths name (against the kits, when given); the run the verdicts
    are rendered from. `ignore_unmatched`: skip, with a note, the files no file-name rule
    accepts instead of rejecting them."""
    with ExitStack() as stack:          # an unpacked kit archive lives as long as the check
        kits = [load_kit(kit_folder(path, stack)) for path in kit_paths]
        rubrics = tuple(k.rubric for k in kits) if kits else student_rubrics(rubrics_dir)
        reachable(min_score, {r.id: r.max_score for r in rubrics})
        uploads = uploads_for(paths)
        if ignore_unmatched:
            uploads = matching(uploads, rubrics, live)
        grades = (check_with_kits(uploads, kits, live) if kits
                  else check_uploads(uploads, rubrics, rubrics_dir, live))
    return CheckRun(grades, min_score, grader_version(), now_iso())


def wants_color(output: Path | None, environ: Mapping[str, str],
                stream: TextIO | None = None) -> bool:
    """Colour the text verdict: only on a terminal, and never when NO_COLOR is set to anything
    but "" (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    return output is None and stream.isatty() and not environ.get("NO_COLOR")


def emit(run: CheckRun, fmt: str, output: Path | None, junit_xml: Path | None,
         environ: Mapping[str, str] = os.environ) -> None:
    """Write the verdict in `fmt` to `output` (or stdout), JUnit to `junit_xml` when given, and,
    for `github`, append the Markdown summary to `$GITHUB_STEP_SUMMARY` when it is set."""
    if fmt == "text":
        text = verdict_text.to_text(run, color=wants_color(output, environ))
    else:
        text = RENDERERS[fmt](run)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if junit_xml is not None:
        junit_xml.write_text(junit.to_junit(run), encoding="utf-8")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary:
        github.append_summary(Path(summary), github.summary_markdown(run))
