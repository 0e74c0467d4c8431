"""Name matching and name finding, shared by question analysis, the answer checks and follow-up rewriting."""

from __future__ import annotations

import re

from assistant.text import fold, words


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
