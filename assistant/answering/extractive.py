"""The default, offline backend: answer with the article's own sentences, cited, or abstain.

Faithful by construction: every sentence of the answer is a verbatim span of a retrieved passage.
Sentences are scored against the question semantically (MiniLM cosine) and lexically (idf-weighted coverage
of the question's terms), and the answer must carry evidence of the right kind. Abstention is decided from
that answer-level evidence, not from a similarity threshold (unanswerable questions retrieve passages just as
similar as answerable ones do): the sentence must mention the question's names, cover its topic, and hold the
kind of answer asked for (a number for "how much", a date for "when", a name for "who", a statement for
"what did X say").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.answering.citations import ABSTAIN_TEXT, make_citation
from assistant.answering.text import (
    FRAME_WORDS,
    Question,
    analyze_question,
    entity_in,
    fold,
    sentence_spans,
    words,
)
from assistant.embedding import MiniLMEmbedding
from assistant.store.lexical import analyze
from assistant.types import Citation, Passage


@dataclass(frozen=True)
class ExtractiveParams:
    """Weights and thresholds, tuned on the dev split of eval/sets (never on the test split)."""

    w_semantic: float = 0.40
    w_lexical: float = 0.35
    w_entities: float = 0.15
    w_passage: float = 0.10
    type_bonus: float = 0.10
    semantic_candidates: int = 24  # sentences embedded per question (the rest are lexically hopeless)
    min_topic_coverage: float = 0.5  # idf-weighted share of the non-name terms found near the sentence
    extra_sentence_ratio: float = 0.85  # further sentences must score this close to the best


@dataclass
class Candidate:
    passage_index: int
    start: int
    end: int
    text: str
    window: str  # sentence with its neighbours and the headline: where names and attributions are looked up
    lexical: float = 0.0
    entities: float = 0.0
    semantic: float = 0.0
    type_ok: bool = False
    score: float = 0.0
    supported: bool = False


@dataclass
class ExtractiveResult:
    text: str
    abstained: bool
    citations: list[Citation]
    closest: list[Citation]


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: MiniLMEmbedding,
        idf: Callable[[str], float],
        max_sentences: int = 3,
        params: ExtractiveParams | None = None,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.max_sentences = max_sentences
        self.params = params or ExtractiveParams()

    def answer(self, question: str, passages: list[Passage], query_embedding: np.ndarray) -> ExtractiveResult:
        q = analyze_question(question)
        candidates = self._candidates(passages)
        if not candidates:
            return ExtractiveResult(ABSTAIN_TEXT, True, [], [])
        self._score(q, candidates, passages, query_embedding)
        ranked = sorted(candidates, key=lambda c: -c.score)
        chosen: list[Candidate] = []
        seen: set[str] = set()
        for cand in ranked:
            if not cand.supported:
                continue
            key = fold(cand.text)
            if key in seen:
                continue
            if chosen and cand.score < self.params.extra_sentence_ratio * chosen[0].score:
                break
            chosen.append(cand)
            seen.add(key)
            if len(chosen) >= self.max_sentences:
                break
        if not chosen:
            return ExtractiveResult(ABSTAIN_TEXT, True, [], self._closest(ranked, passages))
        citations = []
        parts = []
        for n, cand in enumerate(chosen, start=1):
            passage = passages[cand.passage_index]
            citations.append(make_citation(n, passage, cand.start, cand.end, cand.score))
            parts.append(f"{cand.text} [{n}]")
        return ExtractiveResult(" ".join(parts), False, citations, [])

    # --- steps
    @staticmethod
    def _candidates(passages: list[Passage]) -> list[Candidate]:
        out = []
        for i, passage in enumerate(passages):
            spans = sentence_spans(passage.text)
            for j, (start, end) in enumerate(spans):
                sentence = passage.text[start:end]
                if len(sentence) < 25 or len(words(sentence)) < 5:
                    continue  # "Bonus video:" and other debris
                prev_text = passage.text[spans[j - 1][0] : spans[j - 1][1]] if j > 0 else ""
                next_text = passage.text[spans[j + 1][0] : spans[j + 1][1]] if j + 1 < len(spans) else ""
                window = f"{passage.title}\n{prev_text}\n{sentence}\n{next_text}"
                out.append(Candidate(i, start, end, sentence, window))
        return out

    def _score(
        self, q: Question, candidates: list[Candidate], passages: list[Passage], query_embedding: np.ndarray
    ) -> None:
        p = self.params
        frame = {t for t in analyze([" ".join(FRAME_WORDS)])[0]}
        q_terms = [t for t in dict.fromkeys(analyze([q.text])[0]) if t not in frame]
        entity_terms = set(analyze([" ".join(q.entities)])[0]) if q.entities else set()
        topic_terms = [t for t in q_terms if t not in entity_terms]
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        topic_total = sum(weights[t] for t in topic_terms) or 1.0
        top_passage = max((ps.score for ps in passages), default=1.0) or 1.0
        passage_words = [{fold(w) for w in words(ps.title + " " + ps.text)} for ps in passages]

        for cand in candidates:
            sentence_terms = set(analyze([cand.text])[0])
            window_terms = set(analyze([cand.window])[0])
            cand.lexical = sum(weights[t] for t in q_terms if t in sentence_terms) / total
            topic = sum(weights[t] for t in topic_terms if t in window_terms) / topic_total if topic_terms else 1.0
            window_words = {fold(w) for w in words(cand.window)}
            sentence_words = {fold(w) for w in words(cand.text)}
            if q.entities:
                in_window = [entity_in(e, window_words) for e in q.entities]
                in_article = all(entity_in(e, passage_words[cand.passage_index]) for e in q.entities)
                cand.entities = (sum(in_window) + sum(entity_in(e, sentence_words) for e in q.entities)) / (
                    2 * len(q.entities)
                )
                names_ok = in_article and any(in_window)
                if q.kind == "quote" and q.speaker and q.speaker in q.entities:
                    names_ok = names_ok and entity_in(q.speaker, window_words)
            else:
                cand.entities = 0.0
                names_ok = True
            cand.type_ok = q.answer_type_ok(cand.text if q.kind != "quote" else cand.window)
            cand.supported = names_ok and cand.type_ok and topic >= p.min_topic_coverage
            cand.score = (
                p.w_lexical * cand.lexical
                + p.w_entities * cand.entities
                + p.w_passage * passages[cand.passage_index].score / top_passage
                + (p.type_bonus if cand.type_ok else 0.0)
            )
        # Embed only the sentences that could still win: semantic similarity is the costly signal.
        shortlist = sorted(candidates, key=lambda c: -c.score)[: p.semantic_candidates]
        vectors = self.embedder.embed([c.text for c in shortlist])
        for cand, vector in zip(shortlist, vectors, strict=True):
            cand.semantic = float(vector @ query_embedding)
            cand.score += p.w_semantic * cand.semantic

    @staticmethod
    def _closest(ranked: list[Candidate], passages: list[Passage], n: int = 3) -> list[Citation]:
        out: list[Citation] = []
        used: set[int] = set()
        for cand in ranked:
            if cand.passage_index in used:
                continue
            used.add(cand.passage_index)
            out.append(make_citation(len(out) + 1, passages[cand.passage_index], cand.start, cand.end, cand.score))
            if len(out) >= n:
                break
        return out
