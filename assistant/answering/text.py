"""Sentence spans, entity matching and question analysis, shared by the extractive and generative paths."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from assistant.store.lexical import analyze
from assistant.text import fold, words

QuestionKind = Literal["quote", "number", "date", "who", "fact"]


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


def analyze_terms(text: str) -> list[str]:
    """Stemmed content words, as the BM25 index sees them."""
    return analyze([text])[0]


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+", re.U)


_NUMERIC = re.compile(
    r"(?<![\w.])[£$€]?\d[\d,.]*(?:\s?(?:bn|m|k|%|per cent|percent|million|billion|trillion))?(?![\w])"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|double|doubled|tripled|halved)\b",
    re.I,
)
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")


def has_say_verb(text: str) -> bool:
    return bool(_SAY_VERBS.search(text)) or any(q in text for q in '"“”')


def new_numbers(text: str, question: str) -> list[str]:
    """Quantities in `text` the question does not already contain (a bare year is a date, not an amount)."""
    asked = {m.group(0).casefold() for m in _NUMERIC.finditer(question)}
    return [
        m.group(0)
        for m in _NUMERIC.finditer(text)
        if m.group(0).casefold() not in asked and not _YEAR.match(m.group(0))
    ]


def new_dates(text: str, question: str) -> list[str]:
    asked = {m.group(0).casefold() for m in _DATE.finditer(question)}
    return [m.group(0) for m in _DATE.finditer(text) if m.group(0).casefold() not in asked]


def new_names(text: str, question: str) -> list[str]:
    asked = {fold(w) for w in words(question)}
    return [m.group(0) for m in _NAME.finditer(text) if fold(m.group(0)) not in asked]


@dataclass(frozen=True)
class Question:
    text: str
    kind: QuestionKind
    entities: list[str] = field(default_factory=list)  # names in the question ("Vučić", "Turkish")
    speaker: str | None = None  # for "what did X say ..."

    @property
    def primary(self) -> str | None:
        """The name the question is about: the speaker of a quote question, else its first name."""
        if self.speaker in self.entities:
            return self.speaker
        return self.entities[0] if self.entities else None

    def answer_type_ok(self, text: str) -> bool:
        """Does the text carry new information of the kind asked for (not just the question's own words)?"""
        if self.kind == "quote":
            return has_say_verb(text)
        if self.kind == "number":
            numbers = new_numbers(text, self.text)
            if _MONEY_Q.search(self.text):  # "how much did X pay": an amount of money, not any number
                return any(_MONEY.search(n) for n in numbers) or bool(_MONEY.search(text))
            counted = _COUNTED.search(self.text)
            if counted:  # "how many spectators": the number must count spectators
                nouns = [w for w in analyze_terms(counted.group(1)) if w]
                return bool(numbers) and (not nouns or bool(set(nouns) & set(analyze_terms(text))))
            return bool(numbers)
        if self.kind == "date":
            return bool(new_dates(text, self.text))
        if self.kind == "who":
            return bool(new_names(text, self.text))
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
    r"\bwhat (percentage|proportion|share|fraction)\b|\bwhat (was|is|were|are|will be) (the|its|their|his|her) "
    r"([\w-]+ ){0,3}(number|amount|price|cost|total|rate|percentage|share|figure|value|size|sum|fee|fine|salary|"
    r"budget|score|margin|deficit|surplus|profit|profits|loss|losses|revenue|revenues|sales|turnover|growth)\b",
    re.I,
)
_DATE_Q = re.compile(r"^\s*when\b|\bwhen (did|does|do|is|was|were|will)\b|\b(what|which) (year|date|day|month)\b", re.I)
_MONEY_Q = re.compile(
    r"\bhow much\b(?!.*\b(percent|per cent|weigh|longer|further|faster|higher|lower|bigger|smaller)\b)"
    r".*\b(pay|paid|cost|costs|spend|spent|earn|earned|earns|worth|price|fee|raise|raised|pledge|pledged|win|won|"
    r"sell|sold|buy|bought|invest|invested|settle|settled|fine|fined|charge|charged|money|cash|fund|funding|"
    r"salary|prize|profit|profits|revenue|sales|budget|lose|lost|owe|owed|borrow|borrowed|give|gave|donate|donated)\b",
    re.I,
)
_MONEY = re.compile(
    r"[£$€¥]\s?\d|\d[\d,.]*\s?(bn|m|k)?\s?(pounds|dollars|euros|yuan|yen|rupees|francs|pence|cents)\b|"
    r"\b\d[\d,.]*\s?(bn|m)\b",
    re.I,
)
_COUNTED = re.compile(r"\bhow many ((?:[a-z-]+ ){0,1}[a-z-]+)", re.I)
_WHO_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\b(in |at |from |for |by |to )?which (?!(year|date|day|month|time)\b)"
    r"[A-Z]?[\w-]+\b|\bwhich (person|man|woman|company|firm|player|team|club|minister|politician|"
    r"country|organisation|organization|group|band|singer|actor|actress|director|star|manager|coach|"
    r"executive|chief|boss|party|airline|bank|network)\b|\bname (of )?the\b",
    re.I,
)


def find_entities(question: str) -> list[str]:
    """Capitalised names (runs of capitalised words) and numbers in the question, minus question words."""
    tokens = list(re.finditer(r"[\w'’.-]+", question, re.U))
    entities: list[str] = []
    run: list[str] = []
    run_is_number = False
    for i, match in enumerate(tokens):
        raw = match.group(0)
        possessive = bool(re.search(r"['’]s$", raw))
        word = re.sub(r"['’]s$", "", raw).strip(".'’-")
        is_name = word[:1].isupper() and fold(word) not in _QUESTION_WORDS and not (i == 0 and word.isalpha())
        is_number = bool(re.fullmatch(r"\d[\d,.]*", word))
        if run and (is_number != run_is_number):  # "Hendrix 1965 Fender": a name, a number, a name
            entities.append(" ".join(run))
            run = []
        if is_name or is_number:
            run.append(word)
            run_is_number = is_number
            if possessive:  # "Dublin's Media Lab": two things
                entities.append(" ".join(run))
                run = []
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
