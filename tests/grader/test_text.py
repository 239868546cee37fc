"""printable(): escape sequences gone, every control visible, ordinary unicode kept."""

from __future__ import annotations

import pytest

from grader.text import REPLACEMENT, printable

HOSTILE = [
    "\x1b]0;T\x07", "\x1bc", "\x1b[2J", "\x1b[?1049h", "\x9b2J", "\x9d0;T\x9c", "\x1b]0;T\x1b\\",
    "\x1bP1$r\x1b\\", "\x1b_apc\x07", "\x1b^pm\x1b\\", "\x1bXsos\x9c", "\x1b(B", "\x1b#8", "\x1b7",
    "\x1b", "\x07", "\x00", "\x08", "\x7f", "\x85", "\x9b", "\udc9b", "\ud800", "\u202e",
]
BAD = ["\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\x90", "\x08", "\x00", "\x7f", "\r", "\u202e"]


@pytest.mark.parametrize(("text", "expected"), [
    ("\x1b[0;31mred\x1b[0m \x1b[1;32mgreen\x1b[39;49m", "red green"),   # CSI (IPython colours)
    ("a\x1b[?25lb", "ab"),                                             # CSI with private marker
    ("a\x9b2Jb", "ab"),                                                # 8-bit CSI
    ("\x1b]0;T\x07Error", "Error"),                                    # OSC ended by BEL
    ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),              # OSC 8 hyperlink, ST end
    ("a\x9d0;T\x9cb", "ab"),                                           # 8-bit OSC and ST
    ("a\x1bP1;2|data\x1b\\b", "ab"),                                   # DCS
    ("a\x1b_apc\x07b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd"),          # APC, PM, SOS
    ("x\x1bcy", "xy"),                                                 # RIS: full terminal reset
    ("x\x1b7\x1b8\x1bMy", "xy"),                                       # two-character sequences
    ("x\x1b(B\x1b#8y", "xy"),                                          # nF sequences
], ids=["csi", "csi-private", "csi-8bit", "osc-bel", "osc-st", "osc-8bit", "dcs", "apc-pm-sos",
        "ris", "two-char", "nf"])
def test_escape_sequences_are_removed(text: str, expected: str) -> None:
    assert printable(text) == expected


def test_a_single_line_keeps_a_mark_where_a_sequence_was() -> None:
    assert printable("evil\x1b[2J\x1b]0;PWN\x07name.ipynb", multiline=False) == (
        f"evil{REPLACEMENT}{REPLACEMENT}name.ipynb")


@pytest.mark.parametrize("char",
                         ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x80", "\x85",
                                  "\x9b", "\x9f", "\x1b", "\u202e", "\u2066"])
def test_other_controls_become_a_visible_replacement(char: str) -> None:
    # at the end, where no sequence can complete (`\x1bb` or `\x9bb` would be one, and removed)
    assert printable(f"a{char}") == f"a{REPLACEMENT}"
    assert printable(f"a{char}", multiline=False) == f"a{REPLACEMENT}"


def test_an_unterminated_string_loses_only_its_introducer() -> None:
    assert printable("\x1b]0;title without end") == "0;title without end"
    assert printable("\x1b[1;") == "1;"


def test_an_escape_rebuilt_by_removal_is_still_neutralised() -> None:
    assert printable("\x1b\x1b[31m[31m") == f"{REPLACEMENT}[31m"


def test_line_ends() -> None:
    assert printable("a\r\nb\rc\nd\te\u2028f") == "a\nb\nc\nd\te\nf"
    assert printable("a\r\nb\rc\nd\te", multiline=False) == "a\ufffdb\ufffdc\ufffdd\ufffde"


def test_lone_surrogates_from_undecodable_names_are_replaced() -> None:
    name = b"demo_\x9b\xff01.ipynb".decode("utf-8", "surrogateescape")
    safe = printable(name, multiline=False)
    assert safe == f"demo_{REPLACEMENT}{REPLACEMENT}01.ipynb"
    safe.encode("utf-8")  # strict: no surrogate left
    assert printable("\ud83d") == REPLACEMENT


@pytest.mark.parametrize("text", ["Café Zoë Ñandú", "Gödel, Erdős", "中文 日本語 한국어",
                                  "Ελληνικά Кириллица",
                                  "عربى עברית", "👩\u200d💻 🇩🇪 👍🏽",
                                  "plain ascii: x = [1, 2]; {a: b} ~!@#$%^&*()"])
def test_ordinary_unicode_is_kept(text: str) -> None:
    assert printable(text) == text
    assert printable(text, multiline=False) == text


@pytest.mark.parametrize("text",
                         [*HOSTILE, "".join(HOSTILE), "\x1b\x1b[31m[31m", "a\r\n\rb", "x\x1b]0;"])
@pytest.mark.parametrize("multiline", [True, False])
def test_idempotent_and_nothing_bad_left(text: str, multiline: bool) -> None:
    once = printable(text, multiline=multiline)
    assert printable(once, multiline=multiline) == once
    assert not any(bad in once for bad in BAD)
    once.encode("utf-8")
    assert ("\n" in once) is False or multiline


def test_long_hostile_input_is_fast() -> None:
    import time

    text = ("\x9d" * 50_000) + ("\x1b]" * 50_000) + "x" * 100_000
    start = time.perf_counter()
    assert set(printable(text)) <= {REPLACEMENT, "]", "x"}
    assert time.perf_counter() - start < 2


def test_the_reports_clip_filter_is_printable_and_bounded() -> None:
    from grader.report import clip

    assert clip("\x1b[31mred\x1b[0m\x1b]0;T\x07", 10) == "red"
    assert clip("evil\x9b2J" + "x" * 1000, 10) == "evil" + "x" * 6 + "… [997 more characters cut]"
    assert clip("é" * 20, 10) == "é" * 10 + "… [10 more characters cut]"
    huge = clip("\x1bc" * 10**6, 100)
    assert "\x1b" not in huge and huge.endswith("more characters cut]")
