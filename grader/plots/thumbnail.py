"""Thumbnails of the figures a student's notebook showed, re-encoded by the grader.

The student's bytes never reach a page: each image is decoded by Pillow (only the decoder of
the format its MIME type names), checked against a pixel budget from its header before any
pixel is decoded, reduced, and written again as a palette PNG with no metadata. SVG figures are
refused: rasterising untrusted SVG safely needs a renderer the project does not ship
(matplotlib reads no SVG), and an SVG passed through would carry the student's markup.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Sequence

from PIL import Image

from grader.plots.encode import Picture, data_uri, quantised_png

MAX_SIDE = 320                  # CSS pixels: the longer side of a thumbnail
MAX_THUMBNAIL_CHARS = 20_000    # of the data: URI
MAX_SOURCE_CHARS = 16_000_000   # base64 text of one display output (about 12 MB decoded)
MAX_SOURCE_PIXELS = 25_000_000  # a larger header is a decompression bomb, not a figure
MIN_SIDE = 8                    # a smaller image is no figure (as the figure check says)
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}


class ThumbnailRefused(ValueError):
    """The display output is not an image the grader will re-encode; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self) -> tuple[type[ThumbnailRefused], tuple[str]]:
        return (type(self), (self.reason,))


def _decoded(mime: str, data: str | Sequence[str]) -> bytes:
    if mime == "image/svg+xml":
        raise ThumbnailRefused("SVG figures are not thumbnailed (no safe SVG rasteriser)")
    if mime not in FORMATS:
        raise ThumbnailRefused(f"not an image type the grader reads: {mime[:40]!r}")
    text = data if isinstance(data, str) else "".join(p for p in data if isinstance(p, str))
    if len(text) > MAX_SOURCE_CHARS:
        raise ThumbnailRefused(f"image data too large ({len(text)} characters)")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as err:
        raise ThumbnailRefused("image data is not valid base64") from err


def _opened(raw: bytes, fmt: str) -> Image.Image:
    """The first frame, decoded after its header passed the size checks, as RGB or RGBA."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ThumbnailRefused("image too large (a decompression bomb)") from err
    except Exception as err:  # noqa: BLE001 - whatever the bytes are, not a readable image
        raise ThumbnailRefused(f"not a readable {fmt} image") from err
    with image:
        width, height = image.size
        if width * height > MAX_SOURCE_PIXELS:
            raise ThumbnailRefused(f"image of {width}x{height} pixels is too large")
        if min(width, height) < MIN_SIDE:
            raise ThumbnailRefused(f"image of {width}x{height} pixels is too small")
        try:
            image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEG: decode at reduced scale
            image.seek(0)
            image.load()
        except Exception as err:  # noqa: BLE001 - a valid header with broken data after it
            raise ThumbnailRefused(f"{fmt} data is damaged") from err
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")  # alpha: on white when encoded


def thumbnail(mime: str, data: str | Sequence[str], *, max_side: int = MAX_SIDE) -> Picture:
    """A size-capped PNG thumbnail of one image a notebook displayed.

    Args:
        mime: the display output's MIME type: image/png, image/jpeg or image/gif.
        data: its base64 text (a string or nbformat's list of lines).
        max_side: the longer side of the thumbnail in pixels (smaller images keep their size).

    Returns:
        A `Picture` (`data:image/png;base64,...`, at most MAX_THUMBNAIL_CHARS long) whose
        caption gives the original size.

    Raises:
        ThumbnailRefused: SVG, another type, bad base64, a header that is not the named format,
            damaged data, an image over MAX_SOURCE_PIXELS (checked before decoding) or under
            MIN_SIDE a side, or no thumbnail under the size cap.
    """
    fmt = FORMATS.get(mime, "")
    image = _opened(_decoded(mime, data), fmt)
    source = image.size
    small = image
    side = max_side
    while side >= 32:
        small = small.copy()
        small.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for colours in (96, 48):
            src = data_uri("image/png", quantised_png(small, colours))
            if len(src) <= MAX_THUMBNAIL_CHARS:
                return Picture(src=src, width=small.width, height=small.height,
                               alt=f"thumbnail of a figure your notebook showed "
                                   f"({source[0]}x{source[1]} pixels)",
                               caption=f"{fmt}, {source[0]}x{source[1]} pixels")
        side = side * 3 // 4
    raise ThumbnailRefused("no thumbnail fits the size cap")
