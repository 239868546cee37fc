"""Pictures for the reports: they decode, they are small and deterministic, they say where."""

from __future__ import annotations

import base64
import io
import pickle
import statistics
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from xml.etree import ElementTree

import matplotlib
import numpy as np
import pytest
from cycler import cycler
from PIL import Image

from grader.plots import (
    CheckCounts,
    Picture,
    Run,
    ThumbnailRefused,
    against_input,
    check_counts,
    choose_slice,
    error_heatmap,
    histogram_edges,
    loss_curves,
    pass_rates,
    score_histogram,
    score_stats,
    thumbnail,
    trajectory,
    value_dots,
    wants_log_scale,
)
from grader.plots.heatmap import MAX_CELLS, window
from grader.plots.thumbnail import MAX_SIDE, MAX_SOURCE_PIXELS

MAX_PICTURE_BYTES = 25_000   # the budget per picture
CONV3D_AXES = ("b", "x", "y", "t", "c")


def _decoded(picture: Picture) -> bytes:
    header, _, payload = picture.src.partition(",")
    assert header in ("data:image/png;base64", "data:image/svg+xml;base64"), header
    return base64.b64decode(payload, validate=True)


def assert_valid(picture: Picture) -> None:
    """The picture decodes (PNG with Pillow to its stated size, SVG as XML) within budget."""
    raw = _decoded(picture)
    assert picture.nbytes <= MAX_PICTURE_BYTES, picture.nbytes
    assert picture.alt
    if picture.mime == "image/png":
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            image.load()
            assert image.size == (picture.width, picture.height)
            chunks = getattr(image, "text", {})
            assert not chunks, chunks   # no tEXt chunks: no software, no timestamp
    else:
        root = ElementTree.fromstring(raw)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        width_pt, height_pt = (float(v) for v in root.attrib["viewBox"].split()[2:])
        assert (round(width_pt * 96 / 72), round(height_pt * 96 / 72)) == (
            picture.width, picture.height)
        assert b"<metadata" not in raw and b"<!DOCTYPE" not in raw


def _rng() -> np.random.Generator:
    return np.random.default_rng(20261207)


def _losses(steps: int = 300, noise: float = 0.0) -> np.ndarray:
    rng = _rng()
    clean = 10.0 * np.exp(-np.arange(steps) / 30.0) + 1e-3
    return clean * np.exp(noise * rng.standard_normal(steps))


def _planted(shape: tuple[int, ...], where: tuple[int, ...], value: float = 1.0
             ) -> tuple[np.ndarray, np.ndarray]:
    expected = _rng().standard_normal(shape)
    got = expected.copy()
    got[where] += value
    return got, expected


# Each maker is a realistic worst case for size: many noisy points, a large noisy slice.
MAKERS: dict[str, Callable[[], Picture]] = {
    "loss, one run": lambda: loss_curves([Run("Adam", _losses() * 1.1, _losses())]),
    "loss, six noisy runs": lambda: loss_curves(
        [Run(f"SGD run {k}, 2 variables", _losses(noise=0.4) * (1 + k / 10), _losses())
         for k in range(6)]),
    "loss, non-finite": lambda: loss_curves(
        [Run("GD", np.r_[_losses(50), [np.inf, np.nan]], _losses(52))]),
    "trajectory, 1-D": lambda: trajectory(np.cumsum(_rng().standard_normal(51)),
                                          np.cumsum(_rng().standard_normal(51))),
    "trajectory, path": lambda: trajectory(_rng().standard_normal((51, 6)),
                                           _rng().standard_normal((51, 6))),
    "trajectory, coordinates": lambda: trajectory(_rng().standard_normal((51, 2, 3)),
                                                  _rng().standard_normal((51, 2, 3)),
                                                  mode="coordinates"),
    "heat map, conv3d": lambda: error_heatmap(*_planted((2, 7, 6, 5, 3), (1, 3, 2, 4, 0)),
                                              axis_names=CONV3D_AXES, plane=("x", "y")),
    "heat map, 300x300 noise": lambda: error_heatmap(
        _rng().standard_normal((300, 300)), np.zeros((300, 300))),
    "heat map, 1-D": lambda: error_heatmap(*_planted((40,), (7,))),
    "histogram, 300 scores": lambda: score_histogram(
        np.clip(np.round(_rng().normal(3.5, 1.2, 300) * 2) / 2, 0, 5), 5.0, title="Adam"),
    "function of x, 5 cases": lambda: against_input(
        _rng().uniform(-30, 30, 60), 1 / (1 + np.exp(-_rng().uniform(-30, 30, 60))) ** 3,
        _rng().uniform(0, 0.25, 60), xname="x", yname="sigmoid_prime(x)"),
    "values, 60 noisy": lambda: value_dots(_rng().standard_normal(80),
                                           _rng().standard_normal(80), name="dL1"),
    "values, a vector against a number": lambda: value_dots(_rng().standard_normal(8),
                                                            np.array(0.3), name="ba"),
    "values, per case, log": lambda: value_dots([2e-3, 4e-1, 8.0], [1e-3, 2e-1, 4.0],
                                                labels=["1", "2", "3"], name="lr_max"),
    "pass rates, 20 checks": lambda: pass_rates(check_counts(
        (f"a_rather_long_check_id_{k}", str(s)) for k in range(20)
        for s in _rng().choice(["pass", "fail", "error", "not-run"], 300))),
}


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_picture_decodes_within_budget_and_is_deterministic(make: Callable[[], Picture]) -> None:
    first = make()
    assert_valid(first)
    assert make() == first


def test_user_settings_and_pyplot_are_untouched() -> None:
    make = MAKERS["loss, one run"]
    plain = make()
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"lines.linewidth": 7.0, "font.size": 30.0,
                                "axes.prop_cycle": cycler(color=["y"])}):
        assert make() == plain
    assert dict(matplotlib.rcParams) == before


def test_drawing_never_imports_pyplot() -> None:
    code = ("import sys, numpy as np; from grader.plots import loss_curves, Run, error_heatmap;"
            "loss_curves([Run('a', np.arange(5.), np.arange(5.))]);"
            "error_heatmap(np.eye(3), np.zeros((3, 3)));"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


# ----------------------------------------------------------------------------- heat map
@pytest.mark.parametrize(("shape", "where", "names", "plane", "text"), [
    ((2, 7, 6, 5, 3), (1, 3, 2, 4, 0), CONV3D_AXES, ("x", "y"),
     "b=1, t=4, c=0; x down, y across"),
    ((2, 7, 6, 5, 3), (0, 6, 5, 0, 2), CONV3D_AXES, (1, 2), "b=0, t=0, c=2; x down, y across"),
    ((2, 7, 6, 5, 3), (1, 0, 1, 2, 1), CONV3D_AXES, ("y", "t"),
     "b=1, x=0, c=1; y down, t across"),
    ((2, 7, 6, 5, 3), (1, 0, 1, 2, 1), CONV3D_AXES, None, "b=1, t=2, c=1; x down, y across"),
    ((4, 9), (3, 8), None, None, "i down, j across"),
    ((3, 1, 8), (2, 0, 5), None, None, "j=0; i down, k across"),
    ((12,), (11,), None, None, "i across"),
], ids=["conv3d x-y", "conv3d corner", "conv3d y-t", "conv3d default plane", "2-D", "3-D",
        "1-D"])
def test_heatmap_names_the_slice_of_a_planted_error(
        shape: tuple[int, ...], where: tuple[int, ...], names: tuple[str, ...] | None,
        plane: tuple[int | str, int | str] | None, text: str) -> None:
    got, expected = _planted(shape, where, value=5.0)
    picture = error_heatmap(got, expected, axis_names=names, plane=plane)
    assert_valid(picture)
    labels = names or ("i", "j", "k")
    at = ", ".join(f"{labels[k]}={i}" for k, i in enumerate(where))
    assert picture.caption.startswith(f"slice {text}; largest error 5 at {at}")
    assert text in picture.alt


def test_heatmap_counts_non_finite_values_and_puts_them_first() -> None:
    got, expected = _planted((2, 7, 6, 5, 3), (1, 3, 2, 4, 0), value=100.0)
    got[0, 1, 1, 1, 1] = np.nan
    got[1, 2, 2, 2, 2] = -np.inf
    picture = error_heatmap(got, expected, axis_names=CONV3D_AXES, plane=("x", "y"))
    assert picture.caption.startswith("slice b=0, t=1, c=1; x down, y across; largest error nan")
    assert picture.caption.endswith("; 2 values not finite (cyan)")


def test_slice_take_is_the_plane_through_the_worst_element() -> None:
    errors = np.abs(_rng().standard_normal((2, 7, 6, 5, 3)))
    errors[1, 3, 2, 4, 0] = 9.0
    for plane, expected in [((1, 2), errors[1, :, :, 4, 0]), ((2, 1), errors[1, :, :, 4, 0].T),
                            ((3, 4), errors[1, 3, 2, :, :])]:
        cut = choose_slice(errors, CONV3D_AXES, plane)
        np.testing.assert_array_equal(cut.take(errors), expected)
    assert choose_slice(errors).worst == (1, 3, 2, 4, 0)


def test_large_slice_is_windowed_around_the_worst_cell() -> None:
    got, expected = _planted((300, 200), (250, 3), value=50.0)
    picture = error_heatmap(got, expected, axis_names=("row", "col"))
    assert "(row 226..273 of 300, col 0..47 of 200)" in picture.caption
    assert_valid(picture)


@pytest.mark.parametrize(("length", "centre", "span"), [
    (10, 3, (0, 10)), (MAX_CELLS, 0, (0, MAX_CELLS)), (300, 0, (0, MAX_CELLS)),
    (300, 299, (300 - MAX_CELLS, 300)), (300, 150, (126, 126 + MAX_CELLS)),
])
def test_window(length: int, centre: int, span: tuple[int, int]) -> None:
    assert window(length, centre) == span


@pytest.mark.parametrize(("got", "expected"), [
    (np.zeros((2, 3)), np.zeros((3, 2))), (np.zeros(()), np.zeros(())), (np.zeros(0), np.zeros(0)),
])
def test_heatmap_refuses_what_it_cannot_draw(got: np.ndarray, expected: np.ndarray) -> None:
    with pytest.raises(ValueError):
        error_heatmap(got, expected)


# ----------------------------------------------------------------------------- curves
@pytest.mark.parametrize(("curves", "log"), [
    ([np.array([10.0, 1.0, 0.01])], True),
    ([np.array([10.0, 5.0]), np.array([0.1, 0.2])], True),
    ([np.array([10.0, 1.0])], False),                   # one decade
    ([np.array([10.0, 0.0, 0.001])], False),            # a zero
    ([np.array([10.0, -1.0, 0.001])], False),           # a negative
    ([np.array([100.0, np.nan, np.inf, 0.5])], True),   # non-finite values are ignored
    ([np.array([np.nan])], False),
])
def test_wants_log_scale(curves: list[np.ndarray], log: bool) -> None:
    assert wants_log_scale(*curves) is log


def test_loss_curves_say_what_they_left_out() -> None:
    picture = MAKERS["loss, non-finite"]()
    assert "2 non-finite values of yours left out" in picture.alt
    with pytest.raises(ValueError):
        loss_curves([])


@pytest.mark.parametrize(("got", "mode", "words"), [
    (np.zeros(20), "auto", "theta per step"),
    (np.zeros((20, 2)), "auto", "theta[1] against theta[0]"),
    (np.zeros((20, 5)), "auto", "(first 2 of 5 coordinates)"),
    (np.zeros((20, 2, 3)), "coordinates", "(first 4 of 6 coordinates)"),
])
def test_trajectory_modes(got: np.ndarray, mode: str, words: str) -> None:
    picture = trajectory(got, got + 1.0, mode=mode)  # type: ignore[arg-type]
    assert words in picture.alt
    assert_valid(picture)


def test_trajectory_path_needs_two_coordinates() -> None:
    with pytest.raises(ValueError):
        trajectory(np.zeros(5), np.zeros(5), mode="path")


# ----------------------------------------------------------------------------- overview
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 300])
def test_score_stats_against_statistics_module(n: int) -> None:
    scores = list(np.round(_rng().uniform(0, 5, n) * 4) / 4)
    stats = score_stats(scores)
    quartiles = statistics.quantiles(scores, n=4, method="inclusive") if n > 1 else [scores[0]] * 3
    assert stats.count == n
    np.testing.assert_allclose([stats.q1, stats.median, stats.q3], quartiles, rtol=0, atol=1e-12)
    np.testing.assert_allclose([stats.mean, stats.minimum, stats.maximum],
                               [statistics.fmean(scores), min(scores), max(scores)],
                               rtol=1e-12, atol=0)
    with pytest.raises(ValueError):
        score_stats([])


@pytest.mark.parametrize(("max_score", "width"), [
    (5.0, 0.25), (1.0, 0.05), (10.0, 0.5), (7.0, 0.5), (4.5, 0.25), (100.0, 5.0), (23.0, 2.0),
    (0.5, 0.025),
])
def test_histogram_edges(max_score: float, width: float) -> None:
    edges = histogram_edges(max_score)
    assert edges[0] == 0 and edges[-1] == max_score
    assert len(edges) - 1 <= 20
    np.testing.assert_allclose(np.diff(edges)[:-1], width, rtol=1e-9)
    assert 0 < edges[-1] - edges[-2] <= width * (1 + 1e-9)


@pytest.mark.parametrize(("max_score", "scores", "width"), [
    (5.0, [0.0, 0.5, 3.5, 5.0], 0.5), (5.0, [0.0, 1.0, 4.0], 1.0), (10.0, [2.0, 4.0, 10.0], 2.0),
    (8.0, [1.5, 7.0], 0.5), (100.0, [35.0, 70.0], 5.0), (4.5, [0.5, 1.5, 4.5], 0.5),
])
def test_histogram_bins_are_centred_on_round_scores(max_score: float, scores: list[float],
                                                    width: float) -> None:
    edges = histogram_edges(max_score, scores)
    np.testing.assert_allclose(np.diff(edges), width, rtol=1e-9)
    np.testing.assert_allclose([edges[0], edges[-1]], [-width / 2, max_score + width / 2],
                               rtol=1e-9)
    counts, _ = np.histogram(scores, bins=edges)
    assert counts.sum() == len(scores)
    centres = (edges[:-1] + edges[1:]) / 2
    assert set(np.round(centres[counts > 0], 9)) == set(np.round(scores, 9))


def test_histogram_bins_fall_back_for_uneven_scores() -> None:
    np.testing.assert_array_equal(histogram_edges(5.0, [1 / 3, 2.0]), histogram_edges(5.0))


@pytest.mark.parametrize("max_score", [0.0, -1.0, float("nan"), float("inf")])
def test_histogram_edges_need_a_positive_maximum(max_score: float) -> None:
    with pytest.raises(ValueError):
        histogram_edges(max_score)


def test_check_counts_in_order_of_first_appearance() -> None:
    results = [("b", "pass"), ("a", "fail"), ("b", "error"), ("a", "fail"), ("b", "not-run"),
               ("b", "pass")]
    assert check_counts(results) == (CheckCounts("b", 2, 0, 1, 1), CheckCounts("a", 0, 2, 0, 0))
    with pytest.raises(ValueError):
        check_counts([("a", "passed")])


def test_pass_rates_describe_every_bar() -> None:
    picture = pass_rates([CheckCounts("forward", 3, 1, 0, 2), CheckCounts("backward", 0, 0, 6)])
    assert_valid(picture)
    assert picture.mime == "image/svg+xml"
    assert "forward 3 passed, 1 failed, 2 not run; backward 6 errored" in picture.alt


# ----------------------------------------------------------------------------- thumbnails
def _encoded(image: Image.Image, fmt: str, **params: object) -> str:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _figure_like(size: tuple[int, int]) -> Image.Image:
    return Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")


@pytest.mark.parametrize(("mime", "fmt", "size"), [
    ("image/png", "PNG", (1200, 800)), ("image/png", "PNG", (200, 100)),
    ("image/jpeg", "JPEG", (640, 960)), ("image/gif", "GIF", (500, 500)),
])
def test_thumbnail_is_a_re_encoded_capped_png(mime: str, fmt: str, size: tuple[int, int]) -> None:
    source = _figure_like(size)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "student text")
    data = _encoded(source, fmt, **({"pnginfo": info} if fmt == "PNG" else {}))
    picture = thumbnail(mime, data)
    assert_valid(picture)
    assert picture.mime == "image/png" and data not in picture.src
    scale = min(1.0, MAX_SIDE / max(size))
    assert (picture.width, picture.height) == (round(size[0] * scale), round(size[1] * scale))
    assert picture.caption == f"{fmt}, {size[0]}x{size[1]} pixels"
    assert b"student text" not in _decoded(picture)
    lines = [data[i:i + 76] + "\n" for i in range(0, len(data), 76)]  # nbformat's list form
    assert thumbnail(mime, lines) == picture


def _png_with_header_size(width: int, height: int) -> bytes:
    """A small real PNG whose IHDR claims `width` x `height` (CRC fixed): a bomb's header."""
    raw = bytearray(base64.b64decode(_encoded(_figure_like((16, 16)), "PNG")))
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    raw[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(raw[ihdr:ihdr + 17])))
    return bytes(raw)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _truncated_png() -> str:
    raw = base64.b64decode(_encoded(_figure_like((400, 300)), "PNG"))
    return _b64(raw[:len(raw) // 2])


HOSTILE: dict[str, tuple[str, Callable[[], str], str]] = {
    "bomb header": ("image/png", lambda: _b64(_png_with_header_size(60_000, 60_000)),
                    "too large"),
    "just over the pixel cap": ("image/png",
                                lambda: _b64(_png_with_header_size(5001,
                                                                   MAX_SOURCE_PIXELS // 5000)),
                                "too large"),
    "pillow's own bomb limit": ("image/png",
                                lambda: _b64(_png_with_header_size(200_000, 200_000)),
                                "too large"),
    "signature then zeros": ("image/png", lambda: _b64(b"\x89PNG\r\n\x1a\n" + bytes(200)),
                             "not a readable PNG"),
    "truncated data": ("image/png", _truncated_png, "damaged"),
    "jpeg named png": ("image/png", lambda: _encoded(_figure_like((64, 64)), "JPEG"),
                       "not a readable PNG"),
    "png named jpeg": ("image/jpeg", lambda: _encoded(_figure_like((64, 64)), "PNG"),
                       "not a readable JPEG"),
    "not base64": ("image/png", lambda: "@@@@not base64@@@@", "not valid base64"),
    "tiny": ("image/png", lambda: _encoded(_figure_like((4, 4)), "PNG"), "too small"),
    "svg": ("image/svg+xml", lambda: "<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>",
            "SVG"),
    "webp": ("image/webp", lambda: _encoded(_figure_like((64, 64)), "PNG"), "not an image type"),
}


@pytest.mark.parametrize(("mime", "make", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_thumbnail_is_refused(mime: str, make: Callable[[], str], reason: str) -> None:
    with pytest.raises(ThumbnailRefused) as caught:
        thumbnail(mime, make())
    assert reason in caught.value.reason


def test_thumbnail_refusal_crosses_a_process_pool() -> None:
    error = pickle.loads(pickle.dumps(ThumbnailRefused("too large")))
    assert isinstance(error, ThumbnailRefused) and error.reason == "too large"


def test_noisy_photo_thumbnail_still_fits_the_cap() -> None:
    noise = Image.fromarray(_rng().integers(0, 256, (600, 800, 3), dtype=np.uint8))
    picture = thumbnail("image/jpeg", _encoded(noise, "JPEG", quality=95))
    assert_valid(picture)
    assert max(picture.width, picture.height) <= MAX_SIDE


def test_against_input_draws_sorted_and_says_what_it_left_out() -> None:
    x = np.array([2.0, -1.0, 0.0])
    picture = against_input(x, [1.0, np.nan, 0.0], [0.5, 0.2, 0.1], xname="x", yname="f(x)")
    assert "3 values of x from -1 to 2" in picture.alt and "1 non-finite" in picture.alt
    with pytest.raises(ValueError):
        against_input([1.0], [1.0, 2.0], [1.0])


def test_value_dots_count_both_sides() -> None:
    picture = value_dots(np.ones((2, 4)), np.array(0.5), name="ba", title="ba, case 2")
    assert "your 8 value(s)" in picture.alt and "reference's 1" in picture.alt
    with pytest.raises(ValueError):
        value_dots([], [])
