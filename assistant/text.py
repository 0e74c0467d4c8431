"""Text primitives shared by ingest and answering: sentence spans, words, accent/case folding."""

from __future__ import annotations

import re
import unicodedata

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "sr",
    "jr",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "rev",
    "hon",
    "no",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "plc",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "e.g",
    "i.e",
    "approx",
    "dept",
    "est",
    "fig",
    "mt",
}
_QUOTES_OPEN = '"“«„'
_QUOTES_CLOSE = '"”»'


_SURROGATES = re.compile("[\ud800-\udfff]")
# C0 controls except tab/newline/carriage return, DEL and C1 controls: terminal escapes (ESC, CSI, OSC, BEL) live here.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANSI = re.compile("\x1b(?:\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\\[[0-?]*[ -/]*[@-~]|[@-Z\\\\-_])|\x9b[0-?]*[ -/]*[@-~]")


def clean(text: str) -> str:
    """Text that is safe to tokenise and to print: lone surrogates (from invalid bytes or JSON "\\ud800") become
    U+FFFD, and terminal escape sequences and other control characters are removed (tabs and newlines stay).

    Applied to questions, conversation history and article text as they enter, and to everything the CLI prints.
    """
    text = _SURROGATES.sub("\ufffd", text)
    return _CONTROLS.sub("", _ANSI.sub("", text))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Vučić' and 'Vucic' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`.

    A quotation is kept whole with its attribution: in `"X is strong. But we are not weak," said Vučić.` the
    statement and the speaker land in one span, which is what a "what did Vučić say" answer must cite.
    Quote state resets at paragraph breaks (news copy often omits the closing quote of a paragraph).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    in_quote = False
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\n":
            in_quote = False
            if text[start:i].strip():
                spans.append((start, i))
            start = i + 1
        elif c in _QUOTES_OPEN and (c != '"' or not in_quote):
            in_quote = True if c != '"' else (i == 0 or not text[i - 1].isalnum())
        elif c in _QUOTES_CLOSE and in_quote:
            in_quote = False
        elif c in ".!?" and not in_quote:
            j = i + 1
            while j < n and text[j] in ".!?\"”'’)":
                j += 1
            if j >= n or (text[j] == " " and j + 1 < n and (text[j + 1].isupper() or text[j + 1] in _QUOTES_OPEN)):
                word = re.search(r"([\w.]+)$", text[start:i])
                if c == "." and word and (word.group(1).casefold() in _ABBREVIATIONS or len(word.group(1)) == 1):
                    i += 1
                    continue
                spans.append((start, j))
                start = j + 1
                i = j
                continue
        i += 1
    if text[start:].strip():
        spans.append((start, n))
    # trim whitespace inside spans
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text)
