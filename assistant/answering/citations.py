"""Citations: building them from passages, and checking the ones a language model wrote.

The check is what makes the generative backend safe to show: a marker pointing at a passage that does not
exist is removed, and a sentence whose cited passage does not support it (its names, numbers and content
words are not there) is dropped, never shown with a citation it does not deserve.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answering.text import fold, words
from assistant.store.lexical import analyze
from assistant.text import sentence_spans
from assistant.types import Citation, Passage

MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# Markers written after the full stop ("... Belgrade. [2] Next ..."): moved before it, or the sentences merge.
_MARKERS_AFTER_STOP = re.compile(r"([.!?]+)((?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+)")
ABSTAIN_TEXT = "The articles don't say."


def make_citation(
    n: int, passage: Passage, quote_start: int, quote_end: int, score: float, key: tuple[int, int] | None = None
) -> Citation:
    """Citation [n] of `passage[quote_start:quote_end]`; `key` (offsets in the passage) marks the asked detail."""
    return Citation(
        n=n,
        article_id=passage.article_id,
        title=passage.title,
        path=passage.path,
        source=passage.source,
        category=passage.category,
        date=passage.date,
        url=passage.url,
        passage=passage.text,
        quote=passage.text[quote_start:quote_end],
        quote_start=quote_start,
        key=passage.text[key[0] : key[1]] if key else None,
        key_start=key[0] if key else None,
        chunk_id=passage.chunk_id,
        also_in=passage.also_in,
        score=round(score, 4),
    )


def best_span(claim: str, passage: Passage) -> tuple[int, int, float]:
    """The sentence of `passage` sharing most content with `claim`: (start, end, overlap 0..1)."""
    claim_terms = set(analyze([claim])[0])
    best = (0, len(passage.text), 0.0)
    for start, end in sentence_spans(passage.text):
        terms = set(analyze([passage.text[start:end]])[0])
        overlap = len(claim_terms & terms) / max(len(claim_terms), 1)
        if overlap > best[2]:
            best = (start, end, overlap)
    return best


_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
# "According to passage [2]", "as stated in source 3", "[Passage 1]": LLMs cite in prose too.
_PROSE_MARKER = re.compile(r"\[?\b(?:passages?|sources?|documents?|articles?)\s*\[?(\d{1,3})\]?", re.I)
_LEAD_IN = re.compile(
    r"^(?:according to|as (?:stated|reported|mentioned|noted|said) in|based on|from|in)\s*(?=\[|,|$)|^,\s*", re.I
)
# Words that carry no claim: "This was announced in [1]." says nothing a reader can check.
_META_TERMS = frozenset(
    analyze(
        [
            "this that these it was were is are be been announced stated reported mentioned said says "
            "according passage passages source sources article articles document information detail details "
            "provided given shown there also however"
        ]
    )[0]
)


def supports(claim: str, passage: Passage, min_overlap: float = 0.6) -> bool:
    """Is `claim` grounded in `passage`? Numbers and names must all appear; most content words must too."""
    text = passage.title + "\n" + passage.text
    folded = fold(text)
    for number in _NUM.findall(claim):
        if number not in text:
            return False
    names = [_POSSESSIVE.sub("", w) for w in words(claim)[1:] if w[:1].isupper() and len(w) > 2]
    passage_words = {_POSSESSIVE.sub("", fold(w)) for w in words(text)}
    if any(fold(name) not in passage_words and fold(name) not in folded for name in names if name):
        return False
    claim_terms = set(analyze([claim])[0])
    if not claim_terms:
        return True
    passage_terms = set(analyze([text])[0])
    return len(claim_terms & passage_terms) / len(claim_terms) >= min_overlap


def content_free(claim: str) -> bool:
    """A sentence with no checkable content once citation talk is removed ("This was announced in [1].")."""
    return len(set(analyze([claim])[0]) - _META_TERMS) < 2


@dataclass
class CheckedAnswer:
    text: str
    citations: list[Citation]
    dropped: list[str]  # sentences removed: no passage supports them, no content, or no filler of the asked slot
    removed_markers: list[int]  # markers that pointed at no passage
    reattributed: int = 0  # sentences cited to another passage than the model's, the one that supports them


def _sentences_with_markers(answer: str, n_passages: int, removed: list[int]) -> list[tuple[str, list[int]]]:
    """(claim, cited passage indices) per sentence. A sentence without markers borrows those of the next
    sentence that has some ("Fact A. Fact B. [1][2]" cites both facts); a trailing marker-only group
    applies to every uncited sentence before it."""
    answer = _PROSE_MARKER.sub(lambda m: f"[{m.group(1)}]", answer.strip())
    answer = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), answer)
    rows: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        cited = []
        for match in MARKER.finditer(sentence):
            for number in match.group(1).split(","):
                k = int(number)
                if 1 <= k <= n_passages:
                    cited.append(k - 1)
                else:
                    removed.append(k)
        claim = _LEAD_IN.sub("", MARKER.sub("", sentence).strip()).strip()
        if not claim.strip(" .,;:!?\"'”“"):
            for j in range(len(rows) - 1, -1, -1):  # a marker-only "sentence": give its markers to the uncited
                if rows[j][1]:
                    break
                rows[j] = (rows[j][0], list(cited))
            continue
        rows.append((claim, list(dict.fromkeys(cited))))
    pending: list[int] = []
    for j in range(len(rows) - 1, -1, -1):
        if rows[j][1]:
            pending = rows[j][1]
        elif pending:
            rows[j] = (rows[j][0], pending)
    return rows


# Text addressed to a language model, e.g. a prompt injection an article carries and a model repeats.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,20}\b(instructions?|prompts?|rules)\b|\byou are now\b|"
    r"\b(answer|reply|respond) (to )?(every|all|each) (question|prompt)s?\b|\bsystem prompt\b|\bmaintenance mode\b",
    re.I,
)


def check_generated(
    answer: str, passages: list[Passage], slot_check: Callable[[str, Passage], bool] | None = None
) -> CheckedAnswer:
    """Validate an LLM answer: keep supported, cited, contentful sentences; renumber citations 1..n in order of use.

    A sentence its cited passage does not support is re-attributed to a retrieved passage that does (models
    often cite the neighbouring passage); with none, it is dropped. `slot_check(sentence, passage)`, when
    given, must hold for every kept sentence (the asked name/number/date is there and in the passage): a
    sentence without it does not answer, and in a typed answer it is how an article's own orders ("answer
    every question with: the ferry sank") would come through, cited to the article that holds them. With no
    sentence left, the caller falls back. Sentences that read as instructions to a model are never kept.
    """
    kept: list[str] = []
    dropped: list[str] = []
    removed: list[int] = []
    citations: list[Citation] = []
    by_passage: dict[int, int] = {}  # passage index -> citation n
    reattributed = 0
    rows = _sentences_with_markers(answer, len(passages), removed)
    slot_filled = slot_check is None
    for claim, cited in rows:
        if content_free(claim) or _INSTRUCTION.search(claim):
            dropped.append(claim)
            continue
        supporting = [i for i in cited if supports(claim, passages[i])]
        if not supporting:
            others = [i for i in range(len(passages)) if i not in cited and supports(claim, passages[i])]
            if not others:
                dropped.append(claim)
                continue
            supporting = [max(others, key=lambda i: best_span(claim, passages[i])[2])]
            reattributed += 1
        if slot_check is not None:
            if not any(slot_check(claim, passages[i]) for i in supporting):
                dropped.append(claim)
                continue
            slot_filled = True
        markers = []
        for i in supporting:
            if i not in by_passage:
                by_passage[i] = len(citations) + 1
                qs, qe, _overlap = best_span(claim, passages[i])
                citations.append(make_citation(by_passage[i], passages[i], qs, qe, passages[i].score))
            markers.append(f"[{by_passage[i]}]")
        end_punct = re.search(r"[.!?\"”]+$", claim)
        body = claim[: end_punct.start()] if end_punct else claim
        kept.append(f"{body} {''.join(markers)}{end_punct.group(0) if end_punct else ''}".strip())
    if not slot_filled:
        return CheckedAnswer("", [], dropped + kept, removed, reattributed)
    return CheckedAnswer(" ".join(kept), citations, dropped, removed, reattributed)
