"""`Picture`: one inline image of a page, plain data (no matplotlib needed to carry or render it).

Pictures are drawn by `grader.plots` in the grading worker, travel with the grade (the gradebook
stores them, so a reused grade is re-rendered without drawing again) and are embedded by the
templates as `data:` URIs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Picture:
    """One inline image for a report: `<img src={src} width={width} height={height} alt={alt}>`.

    Attributes:
        src: a `data:image/svg+xml;base64,...` or `data:image/png;base64,...` URI.
        width, height: its size in CSS pixels.
        alt: what it shows, in words (screen readers, images off, printing without images).
        caption: a line to print under it (the heat map's slice, a thumbnail's source size).
    """

    src: str
    width: int
    height: int
    alt: str
    caption: str = ""

    @property
    def mime(self) -> str:
        """`image/svg+xml` or `image/png`."""
        return self.src[len("data:"):].partition(";")[0]

    @property
    def nbytes(self) -> int:
        """Bytes this picture adds to a page (the length of `src`)."""
        return len(self.src)
