"""The default, offline backend: answer with the article's own sentence that fills the asked slot, or abstain.

Typed stages, each testable on its own:
  question.analyze   question -> QuestionFrame (slot, entities, predicates, speaker)
  candidates         passages -> sentences with cheap relevance evidence (MiniLM similarity from vectors
                     computed at ingest, idf-weighted term coverage, names of the question in reach)
  checks             the few best are parsed (spaCy) and must hold a new filler of the asked slot, name what
                     the question names, and (for quotes) be attributed to the asked speaker
  select             the best passing sentence by a small logistic score, if it clears the threshold

Why gates and not one fitted score: the old 28-feature scorer, fitted on 66 questions, learned "topical"
and could not learn "fills the slot" (dev 0.86 -> unseen 0.69, abstention 0.84 -> 0.13). Here the score only
ranks sentences that already passed checks that do not depend on fitted weights, and it has 6 weights.
Faithful by construction: the answer is a verbatim span of a retrieved passage; nothing is padded.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.answering.citations import ABSTAIN_TEXT, make_citation
from assistant.answering.nlp import parse
from assistant.answering.question import QuestionFrame, analyze
from assistant.answering.slots import Filler, attributed, fillers
from assistant.answering.text import FRAME_WORDS, entity_in, word_matches
from assistant.embedding import MiniLMEmbedding
from assistant.resources import RESOURCES_DIR
from assistant.store.lexical import analyze as terms_of
from assistant.text import fold, sentence_spans, words
from assistant.types import Citation, Passage

MODEL_PATH = RESOURCES_DIR / "extractive_model.json"
PARSED = 16  # candidates parsed per question: ~4 ms each on one core
FEATURES = ("semantic", "lexical", "window_lexical", "entities_window", "predicate", "passage_rank")


@dataclass(frozen=True)
class ScoringModel:
    """Logistic relevance over FEATURES; weights fitted by eval/fit_extractive.py on the dev split."""

    weights: dict[str, float]
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ScoringModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(data["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"{path}: weights for unknown features {sorted(unknown)}")
        return cls(data["weights"], data["bias"], data["threshold"])

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * features[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@functools.cache
def default_model() -> ScoringModel:
    return ScoringModel.load()


@dataclass
class Candidate:
    passage_index: int
    start: int
    end: int
    text: str
    window: str  # headline, previous, this and next sentence: where names and attributions show up
    features: dict[str, float] = field(default_factory=dict)
    fillers: list[Filler] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)  # name -> passed
    probability: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


@dataclass
class ExtractiveResult:
    text: str
    abstained: bool
    citations: list[Citation]
    closest: list[Citation]
    frame: QuestionFrame | None = None
    chosen: list[Candidate] = field(default_factory=list)


class ExtractiveAnswerer:
    def __init__(
        self, embedder: MiniLMEmbedding, idf: Callable[[str], float], model: ScoringModel | None = None
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.model = model or default_model()

    def answer(self, question: str, passages: list[Passage], query_embedding: np.ndarray) -> ExtractiveResult:
        frame = analyze(question)
        candidates = self.candidates(frame, passages, query_embedding)
        passing = [c for c in candidates if c.passed]
        best = max(passing, key=lambda c: c.probability, default=None)
        if best is None or best.probability < self.model.threshold:
            ranked = sorted(candidates, key=lambda c: -c.probability)
            return ExtractiveResult(ABSTAIN_TEXT, True, [], _closest(ranked, passages), frame)
        citation = make_citation(1, passages[best.passage_index], best.start, best.end, best.probability)
        return ExtractiveResult(f"{best.text} [1]", False, [citation], [], frame, [best])

    # --- stages
    def candidates(self, frame: QuestionFrame, passages: list[Passage], query: np.ndarray) -> list[Candidate]:
        """Every sentence with its evidence; the PARSED best by cheap evidence also get the slot checks."""
        candidates = _split(passages)
        if not candidates:
            return []
        self._relevance(frame, candidates, passages, query)
        prerank = sorted(
            candidates, key=lambda c: -(c.features["semantic"] + c.features["lexical"] + c.features["predicate"])
        )
        top = prerank[:PARSED]
        for cand, doc in zip(top, parse([c.text for c in top]), strict=True):
            self._check(frame, cand, doc, passages)
        for cand in candidates:
            cand.probability = self.model.probability(cand.features)
        return candidates

    def _semantic(self, candidates: list[Candidate], passages: list[Passage], query: np.ndarray) -> list[float]:
        scores: list[float | None] = []
        for cand in candidates:
            passage = passages[cand.passage_index]
            vectors = passage.sentence_vectors
            spans = _spans(passage.text)
            index = spans.index((cand.start, cand.end))
            aligned = vectors is not None and len(vectors) == len(spans)
            scores.append(float(vectors[index] @ query) if aligned else None)
        missing = [i for i, s in enumerate(scores) if s is None]
        if missing:  # chunks embedded before sentence vectors existed, or still waiting for embedding
            vectors = self.embedder.embed([candidates[i].text for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                scores[i] = float(vector @ query)
        return [float(s) for s in scores]  # type: ignore[arg-type]

    def _relevance(
        self, frame: QuestionFrame, candidates: list[Candidate], passages: list[Passage], query: np.ndarray
    ) -> None:
        frame_terms = set(terms_of([" ".join(FRAME_WORDS)])[0])
        q_terms = [t for t in dict.fromkeys(terms_of([frame.text])[0]) if t not in frame_terms]
        weights = {t: self.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        predicate_terms = set(terms_of([" ".join(frame.predicates)])[0]) if frame.predicates else set()
        sentence_terms = terms_of([c.text for c in candidates])
        window_terms = terms_of([c.window for c in candidates])
        semantic = self._semantic(candidates, passages, query)
        n_entities = len(frame.entities)
        for cand, s_terms, w_terms, sem in zip(candidates, sentence_terms, window_terms, semantic, strict=True):
            s_set, w_set = set(s_terms), set(w_terms)
            window_words = {fold(w) for w in words(cand.window)}
            cand.features = {
                "semantic": sem,
                "lexical": sum(weights[t] for t in q_terms if t in s_set) / total,
                "window_lexical": sum(weights[t] for t in q_terms if t in w_set) / total,
                "entities_window": (
                    sum(entity_in(e, window_words) for e in frame.entities) / n_entities if n_entities else 1.0
                ),
                "predicate": float(bool(predicate_terms & s_set)) if predicate_terms else 0.5,
                "passage_rank": 1.0 / (1 + cand.passage_index),
            }

    def _check(self, frame: QuestionFrame, cand: Candidate, doc: object, passages: list[Passage]) -> None:
        article_words = _article_words(passages, passages[cand.passage_index].article_id)
        missing = [e for e in frame.entities if not _mentioned(e, article_words)]
        cand.checks["names"] = not missing  # a question about the 2022 World Cup is not answered by 2005
        if frame.typed:
            cand.fillers = fillers(frame, doc)
            cand.checks["slot"] = bool(cand.fillers)
        if frame.slot == "quote":
            cand.checks["speaker"] = attributed(frame, cand.text, cand.window)


def _mentioned(entity: str, article_words: set[str]) -> bool:
    if entity.replace(",", "").replace(".", "").isdigit():
        return fold(entity) in article_words
    parts = [fold(w) for w in words(entity)]
    if not parts:
        return True
    # every word of a multi-word name, allowing stems ("Turkish" ~ "Turkey") and one missing word of three+
    present = sum(p in article_words or any(word_matches(p, w) for w in article_words if w[:2] == p[:2]) for p in parts)
    return present >= len(parts) - (1 if len(parts) >= 3 else 0) and entity_in(entity, article_words)


def _article_words(passages: list[Passage], article_id: str) -> set[str]:
    text = " ".join(p.title + " " + p.text for p in passages if p.article_id == article_id)
    return {fold(w) for w in words(text)}


@functools.lru_cache(maxsize=4096)
def _spans(text: str) -> list[tuple[int, int]]:
    return sentence_spans(text)


def _split(passages: list[Passage]) -> list[Candidate]:
    out = []
    seen: set[str] = set()
    for i, passage in enumerate(passages):
        spans = _spans(passage.text)
        for j, (start, end) in enumerate(spans):
            sentence = passage.text[start:end]
            if len(sentence) < 25 or len(words(sentence)) < 5:
                continue  # "Bonus video:" and other debris
            if sentence in seen:
                continue  # overlapping chunks and duplicate articles: one candidate per text
            seen.add(sentence)
            prev_text = passage.text[spans[j - 1][0] : spans[j - 1][1]] if j > 0 else ""
            next_text = passage.text[spans[j + 1][0] : spans[j + 1][1]] if j + 1 < len(spans) else ""
            window = f"{passage.title}\n{prev_text}\n{sentence}\n{next_text}"
            out.append(Candidate(i, start, end, sentence, window))
    return out


def _closest(ranked: list[Candidate], passages: list[Passage], n: int = 3) -> list[Citation]:
    out: list[Citation] = []
    used: set[int] = set()
    for cand in ranked:
        if cand.passage_index in used:
            continue
        used.add(cand.passage_index)
        out.append(make_citation(len(out) + 1, passages[cand.passage_index], cand.start, cand.end, cand.probability))
        if len(out) >= n:
            break
    return out
