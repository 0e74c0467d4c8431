"""Sentence spans, entity matching and question analysis, shared by the extractive and generative paths."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

QuestionKind = Literal["quote", "number", "date", "who", "fact"]

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


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def word_matches(entity_word: str, text_word: str) -> bool:
    """Same word, or the same stem of a name ('Turkish' ~ 'Turkey', 'Serbian' ~ 'Serbia')."""
    if entity_word == text_word:
        return True
    shared = _common_prefix(entity_word, text_word)
    return shared >= 4 and shared >= 0.6 * min(len(entity_word), len(text_word))


def entity_in(entity: str, folded_words: set[str]) -> bool:
    """An entity ('Aleksandar Vučić') is present when its last word is ('Vučić' alone names him)."""
    parts = [fold(w) for w in words(entity)]
    if not parts:
        return False
    last = parts[-1]
    if last in folded_words:
        return True
    return any(word_matches(last, w) for w in folded_words if w[:2] == last[:2])


_QUESTION_WORDS = {
    "what",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "which",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "for",
    "of",
    "to",
    "according",
    "tell",
    "me",
    "i",
    "give",
    "name",
    "list",
    "and",
    "or",
    "by",
    "after",
    "before",
    "during",
    "about",
    "from",
    "with",
    "as",
    "if",
    "any",
    "many",
    "much",
}
# Words that shape the question but are not the topic: "What did X *say* about Y?" is about X and Y.
FRAME_WORDS = {
    "say",
    "said",
    "says",
    "tell",
    "told",
    "think",
    "thought",
    "describe",
    "described",
    "claim",
    "claimed",
    "comment",
    "commented",
    "state",
    "stated",
    "mention",
    "mentioned",
    "happen",
    "happened",
    "do",
    "did",
    "reason",
    "reasons",
    "explain",
    "explained",
    "report",
    "reported",
    "according",
    "article",
    "articles",
    "news",
    "story",
}
_SAY_VERBS = re.compile(
    r"\b(said|says|say|told|tells|added|adds|stated|states|warned|warns|argued|argues|claimed|claims|insisted|"
    r"insists|explained|explains|described|describes|declared|declares|announced|announces|believes|believed|"
    r"according to|admitted|admits|noted|notes|urged|urges|called|calls|accused|accuses|suggested|suggests|"
    r"commented|comments|revealed|reveals|maintained|maintains|acknowledged|acknowledges|confirmed|confirms|"
    r"denied|denies|predicted|predicts|vowed|vows|promised|promises|pledged|pledges)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|trillion|dozen|half|third|quarter|double|doubled|tripled|halved)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\b(monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tomorrow|tonight|last (week|month|year|night)|next (week|month|year)|"
    r"this (week|month|year)|earlier this|later this|weekend|christmas|easter|spring|summer|autumn|winter)\b|"
    r"\b\d{1,2}(st|nd|rd|th)\b|\bin \d{4}\b|\bsince\b|\bago\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+", re.U)


def has_say_verb(text: str) -> bool:
    return bool(_SAY_VERBS.search(text)) or any(q in text for q in '"“”')


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text))


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


def has_name(text: str, exclude: set[str]) -> bool:
    return any(fold(m.group(0)) not in exclude for m in _NAME.finditer(text))


@dataclass(frozen=True)
class Question:
    text: str
    kind: QuestionKind
    entities: list[str] = field(default_factory=list)  # names in the question ("Vučić", "Turkish")
    speaker: str | None = None  # for "what did X say ..."

    def answer_type_ok(self, window: str) -> bool:
        """Does the text carry the kind of answer asked for?"""
        if self.kind == "quote":
            return has_say_verb(window)
        if self.kind == "number":
            return has_number(window)
        if self.kind == "date":
            return has_date(window)
        if self.kind == "who":
            return has_name(window, {fold(w) for e in self.entities for w in words(e)})
        return True


_QUOTE_Q = re.compile(
    r"\b(?:what|how)\s+(?:did|does|do|has|have|had|is|was)\s+(?P<who>.+?)\s+"
    r"(?:say|said|tell|told|think|thought|claim|argue|warn|announce|state|comment|describe|respond|react|"
    r"reply|explain|add|predict|mean|feel|admit|reveal|suggest|call)\b",
    re.I,
)
_QUOTE_Q2 = re.compile(r"\b(?i:according to) (?P<who>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)", re.U)
_NUMBER_Q = re.compile(
    r"\bhow (much|many|big|large|long|far|old|high|low|often|fast|heavy|tall)\b|\bby how\b|"
    r"\bwhat (percentage|proportion|share|fraction)\b|\bwhat (was|is|were|are|will be) the "
    r"(\w+ )?(number|amount|price|cost|total|rate|percentage|share|figure|value|size|sum|fee|fine|salary|"
    r"budget|score|margin|deficit|surplus|profit|profits|loss|losses|revenue|revenues|sales|turnover|growth)\b",
    re.I,
)
_DATE_Q = re.compile(r"^\s*when\b|\bwhen (did|does|do|is|was|were|will)\b|\b(what|which) (year|date|day|month)\b", re.I)
_WHO_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\bwhich (person|man|woman|company|firm|player|team|club|minister|politician|"
    r"country|organisation|organization|group|band|singer|actor|actress|director|star|manager|coach|"
    r"executive|chief|boss|party|airline|bank|network)\b|\bname (of )?the\b",
    re.I,
)


def find_entities(question: str) -> list[str]:
    """Capitalised names (runs of capitalised words) and numbers in the question, minus question words."""
    tokens = list(re.finditer(r"[\w'’.-]+", question, re.U))
    entities: list[str] = []
    run: list[str] = []
    for i, match in enumerate(tokens):
        word = match.group(0).strip(".'’-")
        is_name = word[:1].isupper() and fold(word) not in _QUESTION_WORDS and not (i == 0 and word.isalpha())
        is_number = bool(re.fullmatch(r"\d[\d,.]*", word))
        if is_name or is_number:
            run.append(word)
            continue
        if run:
            entities.append(" ".join(run))
            run = []
    if run:
        entities.append(" ".join(run))
    return entities


def analyze_question(question: str) -> Question:
    text = question.strip()
    entities = find_entities(text)
    speaker = None
    kind: QuestionKind = "fact"
    quote = _QUOTE_Q.search(text) or _QUOTE_Q2.search(text)
    if quote:
        kind = "quote"
        who = quote.group("who")
        named = [e for e in entities if e in who]
        speaker = named[0] if named else who
    elif _NUMBER_Q.search(text):
        kind = "number"
    elif _DATE_Q.search(text):
        kind = "date"
    elif _WHO_Q.search(text):
        kind = "who"
    return Question(text=text, kind=kind, entities=entities, speaker=speaker)
