"""A matplotlib `Figure` (Agg, never pyplot) turned into a small, deterministic inline image.

Every picture is drawn inside `style()`, which starts from matplotlib's defaults (a user's
matplotlibrc changes nothing) and fixes the SVG hash salt, so the same input gives the same
bytes. `encode` writes a palette PNG (dense lines, images) or an SVG (crisp, for a figure of
few elements; a PNG when the SVG would be too large); the result is a
`data:` URI for an `<img>`, so a page loads nothing from elsewhere and an SVG's ids never clash
with another's.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from grader.picture import Picture as Picture  # re-exported: grader.plots.Picture

DPI = 96                      # CSS pixels per inch: a figure of 6 x 3.4 in is 576 x 326 px
MAX_PICTURE_CHARS = 24_000    # a data: URI longer than this is re-encoded smaller
PNG_COLOURS = 48              # palette size of a quantised PNG (text stays within 10/255)
RC: dict[str, object] = {
    "svg.hashsalt": "dlgrade",      # ids in the SVG from a fixed salt: same input, same bytes
    "svg.fonttype": "none",         # text as <text>, not glyph outlines
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],   # shipped with matplotlib: the same on every machine
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "legend.fontsize": 8.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": True,
    "path.simplify_threshold": 0.5,
    "image.interpolation": "nearest",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
STUDENT, REFERENCE = "#c0392b", "#1f4e9c"  # the student's line in red, the reference's in blue

Encoding = Literal["svg", "png"]


@contextmanager
def style() -> Iterator[None]:
    """matplotlib's defaults plus `RC` for the drawing and saving inside the block.

    rcParams are process-wide; the block restores them on exit. Figures are drawn one at a
    time in a worker process, never from several threads at once.
    """
    with matplotlib.style.context(["default", RC]):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """A `Figure` on an Agg canvas (no pyplot, no global figure list); call inside `style()`.

    No automatic layout (constrained layout doubles the drawing time): place the axes with
    `margins`.
    """
    figure = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def margins(figure: Figure, *, left: float = 0.65, right: float = 0.15, bottom: float = 0.45,
            top: float = 0.3, hspace: float = 0.15) -> None:
    """Place the subplots with margins given in inches (`hspace`: between stacked panels)."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                           top=1 - top / height, hspace=hspace)


_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*",
                           re.DOTALL)
_SVG_GEOMETRY = re.compile(r'\b(d|x|y|width|height|transform|viewBox)="([^"]*)"')
_SVG_NO_ROTATION = re.compile(r' transform="rotate\(-?0 [^"]*\)"')
_SVG_ID = re.compile(r' id="([^"]*)"')
_LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


def _short_geometry(match: re.Match[str]) -> str:
    value = " ".join(_LONG_DECIMAL.sub(r"\1", match[2]).split())
    return f'{match[1]}="{value}"'


def svg_text(figure: Figure) -> str:
    """The figure as compact SVG: no date, creator, metadata block or DOCTYPE; coordinates to
    0.01 pt; no whitespace between tags; no ids that nothing refers to."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _SVG_NO_ROTATION.sub("", _SVG_PROLOGUE.sub("", buffer.getvalue()))
    svg = _SVG_GEOMETRY.sub(_short_geometry, svg)
    referenced = set(re.findall(r"#([^\s\"')]+)", svg))
    svg = _SVG_ID.sub(lambda m: m[0] if m[1] in referenced else "", svg)
    return re.sub(r">\s+<", "><", svg)


def png_bytes(figure: Figure, colours: int = PNG_COLOURS) -> bytes:
    """The figure as a palette PNG (`colours` colours), with no text chunks (no timestamp)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    with Image.open(io.BytesIO(buffer.getvalue())) as rgba:
        return quantised_png(rgba.convert("RGB"), colours)


def quantised_png(image: Image.Image, colours: int = PNG_COLOURS) -> bytes:
    """`image` on a white background, written as an optimised palette PNG (`colours` colours
    chosen by maximum coverage, which keeps black text black) with no metadata."""
    if image.mode != "RGB":
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    palette = image.quantize(colors=colours, method=Image.Quantize.MAXCOVERAGE,
                             dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def data_uri(mime: str, raw: bytes) -> str:
    """`data:<mime>;base64,<raw>`."""
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def encode(figure: Figure, alt: str, *, caption: str = "", fmt: Encoding = "png") -> Picture:
    """The figure as a `Picture` no longer than MAX_PICTURE_CHARS where that can be had.

    Args:
        figure: from `new_figure`, already drawn; call inside `style()`.
        alt: the picture's text alternative.
        caption: shown under it.
        fmt: "svg" (crisp; for few elements: bars, a histogram; falls back to PNG when over
            the cap) or "png" (palette PNG; dense lines and images; fewer colours when over).
    """
    width, height = (round(x) for x in figure.get_size_inches() * DPI)
    src = data_uri("image/svg+xml", svg_text(figure).encode("utf-8")) if fmt == "svg" else ""
    if not src or len(src) > MAX_PICTURE_CHARS:
        colours = PNG_COLOURS
        raw = png_bytes(figure, colours)
        while len(raw) * 4 // 3 > MAX_PICTURE_CHARS and colours > 8:
            colours //= 2
            raw = png_bytes(figure, colours)
        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size   # Agg rounds the pixel size its own way
        src = data_uri("image/png", raw)
    return Picture(src=src, width=width, height=height, alt=alt, caption=caption)


def short(value: float) -> str:
    """A number for a label: 3 significant digits, `nan`/`inf` as themselves."""
    return f"{value:.3g}"
