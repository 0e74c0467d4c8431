"""The default, offline backend: answer with the article's own sentences, cited, or abstain.

Faithful by construction: every sentence of the answer is a verbatim span of a retrieved passage.

Each sentence of the retrieved passages is described by evidence features: semantic similarity to the
question (MiniLM, from vectors computed at ingest), idf-weighted coverage of the question's terms, whether the
question's names appear in the sentence, its neighbours and its article, and whether it carries new
information of the kind asked for (a number for "how much", a date for "when", a name for "who", a statement
for "what did X say"). A logistic model, fitted on the dev split of the eval set by `eval/fit_extractive.py`
(weights in `assistant/resources/extractive_model.json`), turns them into the probability that the sentence
answers the question. The best sentence answers when that probability clears a threshold; otherwise the
answerer abstains. This is answer-level evidence: unanswerable questions retrieve passages just as similar as
answerable ones do, so no similarity threshold can tell them apart.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.answering.citations import ABSTAIN_TEXT, make_citation
from assistant.answering.text import FRAME_WORDS, Question, analyze_question, entity_in, has_say_verb
from assistant.embedding import MiniLMEmbedding
from assistant.resources import RESOURCES_DIR
from assistant.store.lexical import analyze
from assistant.text import fold, sentence_spans, words
from assistant.types import Citation, Passage

MODEL_PATH = RESOURCES_DIR / "extractive_model.json"
# Further sentences come from the best sentence's passage; another passage's sentence must be nearly as good
# (e.g. for two-article questions): a citation to a passage that does not hold the answer is worse than a
# shorter answer.
OTHER_RATIO = 0.95
KINDS = ("quote", "number", "date", "who", "fact")
FEATURES = (
    "lexical",
    "window_lexical",
    "topic",
    "lexical_gap",
    "entities_sentence",
    "entities_window",
    "entities_article",
    "primary_in_window",
    "no_entities",
    "type_sentence",
    "type_window",
    "semantic",
    "semantic_gap",
    "passage_score",
    "passage_rank",
    "lead_sentence",
    "quote_marks",
    "say_verb",
    *(f"type_sentence*{k}" for k in KINDS),
    *(f"semantic*{k}" for k in KINDS),
)


@dataclass(frozen=True)
class ScoringModel:
    weights: dict[str, float]
    bias: float
    threshold: float  # answer when the best sentence's probability reaches it
    extra_ratio: float  # further sentences must reach this share of the best probability

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ScoringModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data["bias"], data["threshold"], data["extra_ratio"])

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@functools.cache
def default_model() -> ScoringModel:
    return ScoringModel.load()


@functools.cache
def _frame_terms() -> frozenset[str]:
    return frozenset(analyze([" ".join(FRAME_WORDS)])[0])


@dataclass
class Candidate:
    passage_index: int
    span_index: int
    start: int
    end: int
    text: str
    window: str  # the sentence with its neighbours and the headline: where names and attributions show up
    lead: bool
    span_count: int  # sentences in the passage: stored sentence vectors must have as many rows
    features: dict[str, float] = field(default_factory=dict)
    eligible: bool = True  # may this sentence be the answer at all (see _featurise)?
    probability: float = 0.0


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
        model: ScoringModel | None = None,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.max_sentences = max_sentences
        self.model = model or default_model()

    def answer(self, question: str, passages: list[Passage], query_embedding: np.ndarray) -> ExtractiveResult:
        candidates = self.candidates(question, passages, query_embedding)
        if not candidates:
            return ExtractiveResult(ABSTAIN_TEXT, True, [], [])
        picked = select_sentences(
            [c.probability for c in candidates],
            [c.passage_index for c in candidates],
            [fold(c.text) for c in candidates],
            threshold=self.model.threshold,
            extra_ratio=self.model.extra_ratio,
            max_sentences=self.max_sentences,
        )
        if not picked:
            ranked = sorted(candidates, key=lambda c: -c.probability)
            return ExtractiveResult(ABSTAIN_TEXT, True, [], self._closest(ranked, passages))
        chosen = [candidates[k] for k in picked]
        citations = []
        parts = []
        for n, cand in enumerate(chosen, start=1):
            citations.append(make_citation(n, passages[cand.passage_index], cand.start, cand.end, cand.probability))
            parts.append(f"{cand.text} [{n}]")
        return ExtractiveResult(" ".join(parts), False, citations, [])

    def candidates(self, question: str, passages: list[Passage], query_embedding: np.ndarray) -> list[Candidate]:
        """Every sentence of the passages with its features and probability (also what the fitting script uses)."""
        q = analyze_question(question)
        candidates = _split(passages)
        if candidates:
            self._featurise(q, candidates, passages, query_embedding)
            for cand in candidates:
                cand.probability = self.model.probability(cand.features) if cand.eligible else 0.0
        return candidates

    def _semantic(self, candidates: list[Candidate], passages: list[Passage], query: np.ndarray) -> list[float]:
        scores: list[float | None] = []
        for cand in candidates:
            vectors = passages[cand.passage_index].sentence_vectors
            aligned = vectors is not None and len(vectors) == cand.span_count
            scores.append(float(vectors[cand.span_index] @ query) if aligned else None)
        missing = [i for i, s in enumerate(scores) if s is None]
        if missing:  # chunks embedded before sentence vectors existed, or still waiting for embedding
            vectors = self.embedder.embed([candidates[i].text for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                scores[i] = float(vector @ query)
        return [float(s) for s in scores]  # type: ignore[arg-type]

    def _featurise(self, q: Question, candidates: list[Candidate], passages: list[Passage], query: np.ndarray) -> None:
        frame = _frame_terms()
        q_terms = [t for t in dict.fromkeys(analyze([q.text])[0]) if t not in frame]
        entity_terms = set(analyze([" ".join(q.entities)])[0]) if q.entities else set()
        topic_terms = [t for t in q_terms if t not in entity_terms]
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        topic_total = sum(weights[t] for t in topic_terms) or 1.0
        top_passage = max((p.score for p in passages), default=1.0) or 1.0
        article_words = [{fold(w) for w in words(p.title + " " + p.text)} for p in passages]
        primary = q.primary

        sentence_terms = analyze([c.text for c in candidates])
        window_terms = analyze([c.window for c in candidates])
        semantic = self._semantic(candidates, passages, query)
        for cand, s_terms, w_terms, sem in zip(candidates, sentence_terms, window_terms, semantic, strict=True):
            s_set, w_set = set(s_terms), set(w_terms)
            window_words = {fold(w) for w in words(cand.window)}
            sentence_words = {fold(w) for w in words(cand.text)}
            n_entities = len(q.entities) or 1
            type_sentence = float(q.answer_type_ok(cand.text))
            f = {
                "lexical": sum(weights[t] for t in q_terms if t in s_set) / total,
                "window_lexical": sum(weights[t] for t in q_terms if t in w_set) / total,
                "topic": sum(weights[t] for t in topic_terms if t in w_set) / topic_total if topic_terms else 1.0,
                "entities_sentence": sum(entity_in(e, sentence_words) for e in q.entities) / n_entities,
                "entities_window": sum(entity_in(e, window_words) for e in q.entities) / n_entities,
                "entities_article": sum(entity_in(e, article_words[cand.passage_index]) for e in q.entities)
                / n_entities,
                "primary_in_window": float(primary is not None and entity_in(primary, window_words)),
                "no_entities": float(not q.entities),
                "type_sentence": type_sentence,
                "type_window": float(q.answer_type_ok(cand.window)),
                "semantic": sem,
                "passage_score": passages[cand.passage_index].score / top_passage,
                "passage_rank": 1.0 / (1 + cand.passage_index),
                "lead_sentence": float(cand.lead),
                "quote_marks": float(any(m in cand.text for m in '"“”')),
                "say_verb": float(has_say_verb(cand.text)),
            }
            for k in KINDS:
                f[f"type_sentence*{k}"] = type_sentence * (q.kind == k)
                f[f"semantic*{k}"] = sem * (q.kind == k)
            cand.features = f
            # Hard evidence rules, whatever the score: a "how much" answer holds an amount, a "when" answer a
            # date, a "who"/"which" answer a name the question does not already give, and "what did X say"
            # is answered only where X is named next to the words.
            if q.kind in ("number", "date", "who"):
                cand.eligible = bool(type_sentence)
            elif q.kind == "quote" and q.speaker in q.entities:
                cand.eligible = bool(f["primary_in_window"])
        best_lexical = max(c.features["lexical"] for c in candidates)
        best_semantic = max(c.features["semantic"] for c in candidates)
        for cand in candidates:
            cand.features["lexical_gap"] = cand.features["lexical"] - best_lexical
            cand.features["semantic_gap"] = cand.features["semantic"] - best_semantic

    @staticmethod
    def _closest(ranked: list[Candidate], passages: list[Passage], n: int = 3) -> list[Citation]:
        out: list[Citation] = []
        used: set[int] = set()
        for cand in ranked:
            if cand.passage_index in used:
                continue
            used.add(cand.passage_index)
            passage = passages[cand.passage_index]
            out.append(make_citation(len(out) + 1, passage, cand.start, cand.end, cand.probability))
            if len(out) >= n:
                break
        return out


def select_sentences(
    probabilities: Sequence[float],
    passage_keys: Sequence[Hashable],
    text_keys: Sequence[Hashable],
    *,
    threshold: float,
    extra_ratio: float,
    max_sentences: int,
) -> list[int]:
    """Indices of the sentences that make the answer, best first; [] means abstain.

    The best sentence answers if its probability reaches `threshold`. Up to `max_sentences - 1` more follow
    while they reach `extra_ratio` of the best: from the best sentence's passage, or from another passage only
    when nearly as good (OTHER_RATIO). Repeated texts (duplicate articles) are taken once.
    eval/fit_extractive.py simulates the answerer with this same function.
    """
    order = sorted(range(len(probabilities)), key=lambda k: -probabilities[k])
    if not order or probabilities[order[0]] < threshold:
        return []
    best = order[0]
    chosen = [best]
    seen = {text_keys[best]}
    for k in order[1:]:
        if len(chosen) >= max_sentences or probabilities[k] < max(threshold, extra_ratio * probabilities[best]):
            break
        same_passage = passage_keys[k] == passage_keys[best]
        if text_keys[k] not in seen and (same_passage or probabilities[k] >= OTHER_RATIO * probabilities[best]):
            chosen.append(k)
            seen.add(text_keys[k])
    return chosen


def _split(passages: list[Passage]) -> list[Candidate]:
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
            lead = passage.position == 0 and j == 0
            out.append(Candidate(i, j, start, end, sentence, window, lead, len(spans)))
    return out
