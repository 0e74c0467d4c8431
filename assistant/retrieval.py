"""Hybrid retrieval: BM25 and vector search over chunks, fused by weighted, normalised scores.

Why not reciprocal-rank fusion: on news questions, which name people, firms and places, BM25 alone puts the
right article first far more often than the small embedding model does, and RRF lets a mediocre vector rank
pull BM25's top hit down (measured in eval/README.md). Scores keep the information ranks throw away: a
BM25 hit far ahead of the rest stays ahead. Every candidate of either list gets both scores (its embedding
is fetched from Chroma when only BM25 found it), so the fusion never compares a score with a missing one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.embedding import MiniLMEmbedding
from assistant.store import Store
from assistant.types import Filters, Passage

log = logging.getLogger(__name__)

RetrievalMode = Literal["hybrid", "lexical"]  # lexical: no embeddings yet, or the vector search failed


@dataclass(frozen=True)
class RetrievalResult:
    passages: list[Passage]
    query_embedding: np.ndarray
    mode: RetrievalMode
    pending: int = 0  # chunks not embedded yet when this ran (an ingest is still computing them)
    chunks: int = 0  # all chunks, counted only when some are pending


def _normalise(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


class HybridRetriever:
    def __init__(self, store: Store, embedder: MiniLMEmbedding, *, bm25_weight: float, candidates: int) -> None:
        self.store = store
        self.embedder = embedder
        self.bm25_weight = bm25_weight
        self.candidates = candidates

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> RetrievalResult:
        query_embedding = self.embedder.embed([query])[0]
        # Counted up front: a chunk embedded after this count was still missing from the vector search below.
        pending, chunks = self.store.manifest.pending_count()
        lexical = self.store.lexical
        bm25_scores = lexical.scores(query, filters)
        lexical_hits = lexical.top(bm25_scores, self.candidates)
        try:
            vector_hits = self.store.vectors.search(query_embedding, self.candidates, filters)
        except Exception as exc:  # e.g. the embedded store being rewritten by a concurrent ingest process
            log.warning("vector search failed, answering from BM25 alone: %s", exc)
            vector_hits = []
        mode: RetrievalMode = "hybrid" if vector_hits else "lexical"

        ids = list(dict.fromkeys([i for i, _ in lexical_hits] + [i for i, _ in vector_hits]))
        if not ids:
            return RetrievalResult([], query_embedding, mode, pending, chunks)
        cosine = dict(vector_hits)
        missing = [i for i in ids if i not in cosine]
        if missing and vector_hits:
            try:
                fetched = self.store.vectors.embeddings(missing)
            except Exception as exc:
                log.warning("could not fetch embeddings of BM25 candidates: %s", exc)
                fetched = {}
            for chunk_id, vector in fetched.items():
                cosine[chunk_id] = float(vector @ query_embedding)
        bm25 = np.asarray([lexical.score_of(bm25_scores, i) for i in ids], dtype=np.float32)
        bm25_norm = bm25 / bm25.max() if bm25.max() > 0 else bm25
        if mode == "hybrid":
            # Not yet embedded (ingest still running): rank by the lexical part alone for those.
            cos = np.asarray([cosine.get(i, np.nan) for i in ids], dtype=np.float32)
            known = ~np.isnan(cos)
            cos_norm = np.zeros_like(cos)
            cos_norm[known] = _normalise(cos[known])
            fused = np.where(known, self.bm25_weight * bm25_norm + (1 - self.bm25_weight) * cos_norm, bm25_norm)
        else:
            fused = bm25_norm
        order = np.argsort(-fused)[:k]
        scored = [
            (
                ids[j],
                {
                    "score": float(fused[j]),
                    "bm25": float(bm25[j]),
                    "cosine": cosine.get(ids[j]),
                },
            )
            for j in order
        ]
        return RetrievalResult(self.store.passages(scored), query_embedding, mode, pending, chunks)
