"""BM25 over the chunks, with per-query filter masks, persisted beside the manifest.

Built on `bm25s` (the engine behind llama-index's `BM25Retriever`). We call it directly because that
retriever fixes its metadata filters when it is constructed: per-query filters would mean mutating a shared
object under concurrent requests, or rebuilding it per query. Here a filter is a numpy mask over the
corpus, computed per call from small per-chunk arrays (category, source, date), so one loaded index serves
every user at once.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from assistant.types import Filters

# bm25s sets its own logger to DEBUG when imported, and this module is imported after the CLI has set logging up,
# so every first ingest printed "Building index from IDs objects". Its warnings still show.
logging.getLogger("bm25s").setLevel(logging.WARNING)

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# NLTK's 179 English stop words: bm25s's default "en" list (33 words) keeps "what", "did", "about", which
# then count as question terms in answer scoring.
STOPWORDS = sorted(STOPWORDS_EN_PLUS)


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def analyze(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms: the vocabulary of the index and of answer scoring."""
    return bm25s.tokenize(
        list(texts),
        stopwords=STOPWORDS,
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
        token_pattern=TOKEN_PATTERN,
    )


def _date_int(date: str | None) -> int:
    return int(date.replace("-", "")) if date else 0


@dataclass(frozen=True)
class ChunkFacets:
    """What the lexical index needs to know of a chunk besides its text."""

    id: str
    text: str
    category: str | None
    source: str | None
    date: str | None


class LexicalIndex:
    def __init__(
        self,
        bm25: bm25s.BM25 | None,
        ids: list[str],
        categories: np.ndarray,
        sources: np.ndarray,
        dates: np.ndarray,
        labels: dict[str, list[str]],
        doc_freq: dict[str, int],
        generation: int,
    ) -> None:
        self.bm25 = bm25
        self.ids = ids
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self.categories = categories
        self.sources = sources
        self.dates = dates
        self.labels = labels  # code -> label, per facet
        self.doc_freq = doc_freq
        self.generation = generation

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, chunks: Iterable[ChunkFacets], generation: int) -> LexicalIndex:
        rows = list(chunks)
        ids = [r.id for r in rows]
        labels: dict[str, list[str]] = {"category": [], "source": []}

        def codes(facet: str, values: list[str | None]) -> np.ndarray:
            vocab = sorted({v for v in values if v})
            labels[facet] = vocab
            index = {v: i + 1 for i, v in enumerate(vocab)}  # 0 = unknown
            return np.asarray([index.get(v or "", 0) for v in values], dtype=np.int32)

        categories = codes("category", [r.category for r in rows])
        sources = codes("source", [r.source for r in rows])
        dates = np.asarray([_date_int(r.date) for r in rows], dtype=np.int32)
        if not rows:
            return cls(None, [], categories, sources, dates, labels, {}, generation)
        tokenized = bm25s.tokenize(
            [r.text for r in rows],
            stopwords=STOPWORDS,
            stemmer=_stemmer(),
            show_progress=False,
            token_pattern=TOKEN_PATTERN,
        )
        bm25 = bm25s.BM25()
        bm25.index(tokenized, show_progress=False)
        counts = np.zeros(len(tokenized.vocab), dtype=np.int64)
        for doc in tokenized.ids:
            counts[list(set(doc))] += 1
        doc_freq = {term: int(counts[i]) for term, i in tokenized.vocab.items()}
        return cls(bm25, ids, categories, sources, dates, labels, doc_freq, generation)

    # --- querying
    def idf(self, term: str) -> float:
        n = max(len(self.ids), 1)
        df = self.doc_freq.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty() or not self.ids:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        for facet, wanted, codes in (
            ("category", filters.category, self.categories),
            ("source", filters.source, self.sources),
        ):
            if wanted:
                wanted_codes = [i + 1 for i, label in enumerate(self.labels[facet]) if label in set(wanted)]
                keep &= np.isin(codes, wanted_codes)
        if filters.date_from:
            keep &= self.dates >= _date_int(filters.date_from)
        if filters.date_to:
            keep &= (self.dates <= _date_int(filters.date_to)) & (self.dates > 0)
        return keep

    def scores(self, query: str, filters: Filters | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (0 where filtered out)."""
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        terms = [t for t in analyze([query])[0] if t in self.doc_freq]
        if not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores = self.bm25.get_scores(terms)
        mask = self.mask(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return scores

    def top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k best (chunk id, score) pairs with a positive score."""
        k = min(k, len(scores))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def score_of(self, scores: np.ndarray, chunk_id: str) -> float:
        i = self.position.get(chunk_id)
        return float(scores[i]) if i is not None and i < len(scores) else 0.0

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) with a positive score."""
        return self.top(self.scores(query, filters), k)

    # --- persistence: versioned directories and an atomically replaced pointer, so a crash mid-save
    # leaves the previous index readable.
    def save(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        target = root / f"gen-{self.generation}"
        tmp = root / f".tmp-gen-{self.generation}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
        np.savez(tmp / "facets.npz", categories=self.categories, sources=self.sources, dates=self.dates)
        with open(tmp / "meta.json", "w", encoding="utf-8") as f:
            json.dump(
                {"generation": self.generation, "ids": self.ids, "labels": self.labels, "doc_freq": self.doc_freq},
                f,
            )
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        pointer = root / "CURRENT.tmp"
        pointer.write_text(target.name, encoding="utf-8")
        os.replace(pointer, root / "CURRENT")
        for old in root.glob("gen-*"):
            if old.name != target.name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, root: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none or it is unreadable (the caller rebuilds)."""
        try:
            current = root / (root / "CURRENT").read_text(encoding="utf-8").strip()
            with open(current / "meta.json", encoding="utf-8") as f:
                meta = json.load(f)
            facets = np.load(current / "facets.npz")
            bm25 = bm25s.BM25.load(str(current / "bm25")) if meta["ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(
            bm25,
            meta["ids"],
            facets["categories"],
            facets["sources"],
            facets["dates"],
            meta["labels"],
            meta["doc_freq"],
            int(meta["generation"]),
        )
