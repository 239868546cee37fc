"""Make untrusted text safe to print on a terminal or store in a report.

Student code controls exception names and messages, tracebacks, probe error texts and file
names. Printed raw, an escape sequence in any of them can retitle the tutor's terminal, clear
it (`ESC c`), move the cursor to overwrite earlier lines, or hide text. `printable` is the one
filter every such string goes through on the grader side (never trust the kernel to do it).

What it does, in order:

1. Lone surrogates (from file names that are not valid UTF-8, decoded with surrogateescape, or
   from JSON `\\udXXX` escapes) become U+FFFD: written with surrogateescape they would turn
   back into raw bytes such as 0x9B, an 8-bit CSI.
2. ANSI/VT escape sequences are removed whole, so coloured IPython tracebacks read cleanly
   (single-line text keeps one U+FFFD in their place, see `printable`):
   CSI (`ESC [ ... final`), the strings OSC/DCS/SOS/PM/APC (`ESC ] ... BEL` or `... ESC \\`),
   nF sequences (`ESC ( B`, `ESC # 8`) and two-character ones (`ESC c`, `ESC 7`, `ESC M`),
   plus the 8-bit C1 forms of the introducers (U+009B CSI, U+009D OSC, ...).
3. Line ends are normalised: `\\r\\n` and a lone `\\r` (which would let a line overwrite
   itself) become `\\n`, as do U+2028/U+2029.
4. Whatever control is left becomes U+FFFD (`REPLACEMENT`): C0 controls (`\\n` and `\\t` are
   kept when `multiline`), DEL, C1 controls (U+0080-U+009F), a stray ESC, and the bidi
   embedding/override/isolate marks that can make a file name display as something else.

Ordinary unicode (accents, CJK, emoji with their joiners) is kept, and the function is
idempotent: `printable(printable(s)) == printable(s)`.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # a spreadsheet reads these as a formula

__all__ = ["REPLACEMENT", "printable"]

REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")

# A control string (OSC, DCS, SOS, PM, APC) runs to BEL or ST (ESC \ or U+009C). Its body may
# not contain ESC, BEL or another C1 control, which keeps the match linear; an unterminated or
# odd string is not matched here and only its introducer is removed (the rest is inert text).
_STRING_BODY = r"[^\x07\x1b\x80-\x9f]*(?:\x07|\x1b\\|\x9c)"
_CSI_TAIL = r"[0-?]*[ -/]*[@-~]"  # parameters, intermediates, final byte
_ESCAPE = re.compile(
    r"\x1b(?:[\]PX^_]" + _STRING_BODY          # 7-bit strings: ESC ] (OSC), P (DCS), X, ^, _
    + r"|\[" + _CSI_TAIL                       # CSI: ESC [ ... final
    + r"|[ -/]+[0-~]"                          # nF: ESC ( B, ESC # 8, ...
    + r"|[0-~])"                               # two characters: ESC c, ESC 7, ESC M, ...
    + r"|[\x90\x98\x9d-\x9f]" + _STRING_BODY    # 8-bit strings: DCS, SOS, OSC, PM, APC
    + r"|\x9b" + _CSI_TAIL)                     # 8-bit CSI

_NEWLINE = re.compile("\r\n?|[\u2028\u2029]")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_SINGLE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
# Anything printable() would change; most text has none and is returned as it is, fast.
_SUSPECT_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029{_BIDI}]")
_SUSPECT_SINGLE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029{_BIDI}]")


def printable(text: str, *, multiline: bool = True) -> str:
    """`text` with escape sequences removed and every other control made visible.

    Args:
        text: untrusted text (an exception message, a traceback, a file name, ...).
        multiline: keep `\\n` and `\\t` (line ends normalised to `\\n`). When False, for a
            file name or a one-line message, they are replaced too, so the text cannot
            start a line of its own that looks like the grader's output.

    Returns:
        Text with no ESC, BEL, C0 (but `\\n`, `\\t` if multiline), DEL, C1 control, lone
        surrogate or bidi override in it. Other controls leave U+FFFD. An escape sequence
        leaves nothing in multiline text (a coloured traceback reads cleanly) and one U+FFFD
        in single-line text, so a file name that held one never looks like a clean name.
    """
    if (_SUSPECT_MULTILINE if multiline else _SUSPECT_SINGLE_LINE).search(text) is None:
        return text
    text = _SURROGATE.sub(REPLACEMENT, text)
    if multiline:
        text = _NEWLINE.sub("\n", _ESCAPE.sub("", text))
        return _CONTROL_MULTILINE.sub(REPLACEMENT, text)
    text = _NEWLINE.sub(REPLACEMENT, _ESCAPE.sub(REPLACEMENT, text))
    return _CONTROL_SINGLE_LINE.sub(REPLACEMENT, text)
