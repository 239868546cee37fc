"""Find the uploads in a submissions folder (nothing is opened beyond hashing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Upload:
    """One uploaded file, as found on disk.

    Attributes:
        path: absolute path of the file.
        rel: its path relative to the SUBMISSIONS folder, POSIX separators (grades.json "file").
        sha256: hex digest of its bytes.
        size: size in bytes.
    """

    path: Path
    rel: str
    sha256: str
    size: int


def discover(folder: Path, skip: tuple[Path, ...] = ()) -> tuple[Upload, ...]:
    """Every `*.ipynb` and `*.zip` under `folder`, sorted by `rel`.

    Skips names starting with ".", `.ipynb_checkpoints/`, and anything under a path in `skip`
    (the output folder). Symlinks are not followed.
    """
    raise NotImplementedError
