"""The frozen dataclasses a rubric file loads into: `Rubric`, its `CheckSpec`s, limits and rules.

`grader.rubric` reads and validates the TOML (its docstring shows the layout) and is the module
to import these from; `grader.rubric_keys` takes each key's default from the fields here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from grader.lateness import Deadline

UploadKind = Literal["notebook", "zip"]
CheckKind = Literal["call", "variable", "figure", "manual"]
Resubmission = Literal["latest", "best", "tutor"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one upload's kernel."""

    cell_timeout: float = 120.0
    total_timeout: float = 900.0
    memory_mb: int = 4096
    disk_mb: int = 2048
    max_upload_mb: float = 20.0


@dataclass(frozen=True)
class TeamRule:
    """Where the team information lives and what it must contain.

    `cell` counts only cells that are not empty (1: the first cell with any text, markdown or
    code), as `grader.team.team_cell` reads it.
    """

    cell: int = 1
    require_group_ids: bool = False
    placeholder: str | None = None
    instructions: str = "the name of every group member"


@dataclass(frozen=True)
class ZipRule:
    """What a zip upload must contain, and the caps that keep unzipping safe."""

    notebooks: int = 1
    pdfs: int = 1
    max_bytes: int = 50_000_000
    max_members: int = 200
    max_ratio: float = 200.0


@dataclass(frozen=True)
class CheckSpec:
    """One graded check of a rubric (resolved callables included)."""

    id: str
    points: float
    kind: CheckKind
    symbol: str | None = None
    symbols: tuple[str, ...] = ()
    reference: str | None = None
    inputs: str | None = None
    driver: str = "call"
    compare: str | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 10.0
    visible: bool = True
    description: str = ""
    kit_description: str = ""      # what a check kit says instead (grader.kit_release)
    outputs: tuple[str, ...] = ()  # the returned values' names (grader.check_notes), e.g. a kit's
    # Resolved at load time from the dotted names above (not part of equality/hash).
    reference_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    inputs_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    compare_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rubric:
    """One assignment's rules, read from one TOML file."""

    id: str
    title: str
    pattern: str
    expected: str
    upload: UploadKind
    zero_error: bool
    limits: Limits
    checks: tuple[CheckSpec, ...]
    team: TeamRule | None = None
    zip: ZipRule | None = None
    path: Path | None = None
    sha256: str = ""          # of the TOML bytes: part of the "already graded" key
    example: str = ""         # a file name the pattern accepts (selfcheck, student messages)
    manual_checks: tuple[CheckSpec, ...] = ()   # kind "manual": marked by tutors, never probed
    deadline: Deadline | None = None
    resubmission: Resubmission = "latest"

    @property
    def max_score(self) -> float:
        """The automatic checks' points (what `score` in grades.json is out of)."""
        return float(sum(c.points for c in self.checks))

    @property
    def manual_max_score(self) -> float:
        """The hand-marked checks' points."""
        return float(sum(c.points for c in self.manual_checks))

    @property
    def total_max_score(self) -> float:
        """Automatic plus hand-marked points: what a fraction penalty and the final score use."""
        return self.max_score + self.manual_max_score
