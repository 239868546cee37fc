"""Load `rubrics/<id>.toml` into a frozen, validated `Rubric`.

Every key is declared once here (name, type, default); an unknown, missing or ill-typed key is a
`RubricError` naming the file and the key. Dotted references (`module:attr`) to the reference
callable, the input generator and a custom comparator are resolved at load time, so a typo fails
the batch before any upload runs.

TOML layout (see rubrics/*.toml for real ones)::

    id = "adam"                       # rubric id, appears in grades.json as "assignment"
    title = "Adam for regression and classification"
    pattern = '^adam_..._group_(?P<group>\\d{2})\\.ipynb$'   # full-match regex, named group "group"
    expected = "adam_regression_classification_solved_group_NN.ipynb with a two-digit group number NN"
    upload = "notebook"               # or "zip"
    zero_error = true

    [limits]                          # all optional, defaults below
    cell_timeout = 120.0              # seconds per cell
    total_timeout = 900.0             # seconds for the whole run, probes included
    memory_mb = 4096                  # address-space limit of the kernel
    max_upload_mb = 20

    [team]                            # optional: team information rule
    cell = 1                          # the 1-based cell that must hold it
    require_group_ids = false         # every id of the group (file name) must appear there
    placeholder = "YOUR NAMES HERE"   # the handout's placeholder text; still present -> rejected

    [zip]                             # required when upload = "zip"
    notebooks = 1                     # exactly this many .ipynb members
    pdfs = 1                          # exactly this many .pdf members (name any case, %PDF- magic)
    max_bytes = 50000000              # uncompressed total
    max_members = 200
    max_ratio = 200.0                 # compression ratio cap per member

    [[checks]]
    id = "adam_step"
    points = 1.0
    kind = "call"                     # "call" | "variable" | "figure"
    symbol = "adam_step"              # call: the student's function; variable: a name
    symbols = ["Wi", "ba"]            # variable checks reading several names (instead of symbol)
    reference = "reference.adam:adam_step"                 # callable (variable: no-arg callable)
    inputs = "grader.assignments.adam:adam_step_cases"     # (rng) -> list[Case]   (call only)
    driver = "call"                   # how the probe calls it: see grader.probe_runtime.DRIVERS
    compare = "grader.assignments.xor:solves_xor"          # optional custom comparator
    rtol = 1e-6
    atol = 1e-9
    timeout = 10.0                    # seconds per call
    visible = true                    # shown to students (grade check, reports)
    description = "one Adam step against torch.optim.Adam"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

UploadKind = Literal["notebook", "zip"]
CheckKind = Literal["call", "variable", "figure"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one upload's kernel."""

    cell_timeout: float = 120.0
    total_timeout: float = 900.0
    memory_mb: int = 4096
    max_upload_mb: float = 20.0


@dataclass(frozen=True)
class TeamRule:
    """Where the team information lives and what it must contain."""

    cell: int = 1
    require_group_ids: bool = False
    placeholder: str | None = None


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

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))


def load_rubric(path: Path) -> Rubric:
    """Read and validate one rubric file; raise RubricError naming the file and key."""
    raise NotImplementedError


def load_rubrics(folder: Path) -> tuple[Rubric, ...]:
    """Every `*.toml` in `folder`, sorted by id; duplicate ids are a RubricError."""
    raise NotImplementedError
