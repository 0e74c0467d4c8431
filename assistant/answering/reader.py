"""The `reader` backend's second opinion: a language model reads the extractive answerer's best sentences.

Why: four rounds of slot rules, fitted from read failures, did not move answers on questions nobody had read
(the features cannot tell a topical sentence from the one that holds the asked detail). A language model can
read, but alone it answers near misses as confidently as the extractive answerer does (Qwen2.5-1.5B behind the
openai backend: accept 0.65, abstain recall 0.25), and the two err on different questions. So an answer is
shown only when both agree: the model names the answer (a short span, copied, with the sentence number) and
that span sits in a sentence that passed the slot checks; the extractive best sentence is kept when it holds
the span. The model saying "not stated", or naming a span no shown sentence holds, is an abstention.
Then a second look (one token): shown the agreed sentence in its place (headline, the sentences before), does
the model say yes, this text answers this exact question? Below CONFIRM_AT it is an abstention too; a sentence
the slot checks rejected needs RESCUE_AT. For "what did X say" the model only picks which sentence is the
quotation (extractive.pick_quote); whether there is one is still the speaker check's to say (some sentence passed
it), not the model's.

The model sees only numbered sentences (READ_SENTENCES of them, ~350 prompt tokens), not whole passages, and
writes a few tokens: ~4 s on 2 cores with a 1.5B model (+~3 s for the second look), against ~13 s for the openai
backend's full answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from assistant.text import fold

# The extractive answerer's ranking has the gold sentence among its best 8 for every answerable dev question
# it did not abstain on (6: 98%, 3: 88%); each sentence costs ~40 prompt tokens.
READ_SENTENCES = 8
NOT_STATED = "not stated"
# A span the model paraphrased a little ("the Golden Globes" for "Golden Globe awards") still locates its
# sentence when most of its words (3+ letters) are there.
WORD_SHARE = 0.6

# The model's second look, a yes/no: does the answer's own text (headline, the two sentences before, the sentence)
# answer this exact question? Shown only when P(yes) >= CONFIRM_AT. Fitted on dev (ninth round, eval/README.md):
# the yes/no sets right and wrong answers apart (AUC 0.81), where the reading's own first-token doubt did not.
CONFIRM_AT = 0.4
# The model's span in a sentence the slot checks rejected: shown only on a surer second look. Fitted on dev (tenth
# round, eval/README.md): of 51 such dev answers 10 held the gold answer; P(yes) >= 0.8 kept 8 of them and no
# wrong single-part answer.
RESCUE_AT = 0.8


class Reader(Protocol):
    """A language model as the reader backend uses it (OpenAIAnswerer; a scripted stand-in in tests)."""

    def read(self, question: str, sentences: list[str]) -> str:
        """question, numbered sentences -> the raw reply ("Joe Cole [2]" or "not stated")."""
        ...

    def confirm(self, question: str, title: str, text: str) -> float:
        """P(yes): `text`, under headline `title`, answers the question."""
        ...


@dataclass(frozen=True)
class Reading:
    span: str | None  # None: the model says the sentences do not give the answer
    sentence: int | None = None  # 0-based index of the sentence the model cited, when it cited one in range


_MARKER = re.compile(r"\[(\d+)\]")


def parse_reading(raw: str, n_sentences: int) -> Reading:
    """The model's reply as (span, cited sentence). Small models add chatter: "Answer: X [2]." reads as X, 2."""
    text = raw.strip().splitlines()[0].strip() if raw.strip() else ""
    if not text or NOT_STATED in text.casefold():
        return Reading(None)
    marker = _MARKER.search(text)
    n = int(marker.group(1)) if marker else 0
    span = _MARKER.sub(" ", text)
    span = re.sub(r"^\s*(the\s+)?answer\s*(is|:)\s*", "", span, flags=re.I).strip().strip(".").strip()
    if not _content_words(span) and not any(ch.isdigit() for ch in span):
        return Reading(None)  # "[2]" alone, or "It is." names nothing
    return Reading(span, n - 1 if 1 <= n <= n_sentences else None)


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", fold(text)) if len(w) > 2]


def span_offsets(span: str, sentence: str) -> tuple[int, int] | None:
    """Where the span is, verbatim (case-insensitive), in the sentence."""
    at = sentence.casefold().find(span.casefold())
    return (at, at + len(span)) if at >= 0 and span else None


def holds(span: str, sentence: str) -> bool:
    """The sentence carries the span: verbatim, or most of its words."""
    if span_offsets(span, sentence):
        return True
    wanted = _content_words(span)
    have = set(re.findall(r"\w+", fold(sentence)))
    return bool(wanted) and sum(w in have for w in wanted) / len(wanted) >= WORD_SHARE


def located(reading: Reading, sentences: list[str]) -> int | None:
    """The sentence holding the model's span: the one it cited, else the first (best ranked) that holds it."""
    if reading.span is None:
        return None
    if reading.sentence is not None and holds(reading.span, sentences[reading.sentence]):
        return reading.sentence
    return next((i for i, s in enumerate(sentences) if holds(reading.span, s)), None)
