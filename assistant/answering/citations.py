"""Citations: building them from passages, and checking the ones a language model wrote.

The check is what makes the generative backend safe to show: a marker pointing at a passage that does not
exist is removed, and a sentence whose cited passage does not support it (its names, numbers and content
words are not there) is dropped, never shown with a citation it does not deserve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.text import fold, words
from assistant.store.lexical import analyze
from assistant.text import sentence_spans
from assistant.types import Citation, Passage

MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# Markers written after the full stop ("... Belgrade. [2] Next ..."): moved before it, or the sentences merge.
_MARKERS_AFTER_STOP = re.compile(r"([.!?]+)((?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+)")
ABSTAIN_TEXT = "The articles don't say."


def make_citation(n: int, passage: Passage, quote_start: int, quote_end: int, score: float) -> Citation:
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


def supports(claim: str, passage: Passage, min_overlap: float = 0.6) -> bool:
    """Is `claim` grounded in `passage`? Numbers and names must all appear; most content words must too."""
    text = passage.title + "\n" + passage.text
    folded = fold(text)
    for number in _NUM.findall(claim):
        if number not in text:
            return False
    names = [w for w in words(claim)[1:] if w[:1].isupper() and len(w) > 2]
    passage_words = {fold(w) for w in words(text)}
    if any(fold(name) not in passage_words and fold(name) not in folded for name in names):
        return False
    claim_terms = set(analyze([claim])[0])
    if not claim_terms:
        return True
    passage_terms = set(analyze([text])[0])
    return len(claim_terms & passage_terms) / len(claim_terms) >= min_overlap


@dataclass
class CheckedAnswer:
    text: str
    citations: list[Citation]
    dropped: list[str]  # sentences removed because no cited passage supports them
    removed_markers: list[int]  # markers that pointed at no passage


def check_generated(answer: str, passages: list[Passage]) -> CheckedAnswer:
    """Validate an LLM answer: keep supported, cited sentences; renumber citations 1..n in order of use."""
    kept: list[str] = []
    dropped: list[str] = []
    removed: list[int] = []
    citations: list[Citation] = []
    by_passage: dict[int, int] = {}  # passage index -> citation n
    answer = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), answer.strip())
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        cited = []
        for match in MARKER.finditer(sentence):
            for number in match.group(1).split(","):
                k = int(number)
                if 1 <= k <= len(passages):
                    cited.append(k - 1)
                else:
                    removed.append(k)
        claim = MARKER.sub("", sentence).strip()
        if not claim:
            continue
        supporting = [i for i in dict.fromkeys(cited) if supports(claim, passages[i])]
        if not supporting:
            dropped.append(claim)
            continue
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
    return CheckedAnswer(" ".join(kept), citations, dropped, removed)
