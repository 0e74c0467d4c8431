"""Synthetic scale for the 100k-chunk measurements, without 2.5 hours of embedding on 2 cores.

Articles: each is a real BBC headline over 6-24 sentences drawn at random (seeded `random.Random`) from the
sentence pool of the BBC articles that no eval question points at, in paragraphs of 1-3 sentences, written as
`synth/<category>/<n>.txt` files in the BBC's own format (headline, blank line, paragraphs). Because the gold
articles' sentences are left out of the pool, the answer to an eval question still exists only in its gold
article(s), while its words and names recur all over the distractors.

Vectors: `ReplayEmbedder` stands in for the model. A text the real BBC ingest already embedded gets its real
vector back; any other (synthetic) text gets a perturbed copy of a randomly chosen real vector (Gaussian noise,
sigma 0.04 per dimension, renormalised: cosine ~0.8 to its original), so the vectors cluster like real ones do
rather than being uniform on the sphere. Everything else is the real ingest path: reading, chunking, the
manifest, the BM25 rebuild and the Chroma upserts.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.embedding import DIMENSIONS
from assistant.ingest.chunking import Chunker
from assistant.ingest.readers import ReadError, read_articles
from assistant.types import Article

MIN_SENTENCES, MAX_SENTENCES = 6, 24
NOISE_SIGMA = 0.04
# A plain splitter of our own: the pool only needs whole sentences, and the core's splitter may change.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d']))\s+(?=[A-Z\"\u201c'])")


def sentence_pool(bbc_dir: Path, exclude: set[str]) -> tuple[list[str], list[str], list[str]]:
    """Sentences, headlines and categories of the BBC articles whose "bbc/<cat>/<file>" id is not in `exclude`."""
    sentences: list[str] = []
    titles: list[str] = []
    categories: set[str] = set()
    for file in sorted(bbc_dir.rglob("*.txt")):
        rel = f"{bbc_dir.name}/{file.relative_to(bbc_dir).as_posix()}"
        if rel in exclude or len(file.relative_to(bbc_dir).parts) != 2:
            continue
        category = file.parent.name
        try:
            articles, _ = read_articles(file.read_bytes(), rel, category=category, source=bbc_dir.name)
        except ReadError:
            continue
        categories.add(category)
        for article in articles:
            titles.append(article.title)
            for paragraph in article.text.split("\n"):
                for sentence in _SENTENCE_END.split(paragraph.strip()):
                    if sentence != article.title and len(sentence.split()) >= 4:
                        sentences.append(sentence)
    return sentences, titles, sorted(categories)


class SyntheticCorpus:
    def __init__(self, sentences: Sequence[str], titles: Sequence[str], categories: Sequence[str], seed: int) -> None:
        if not sentences or not titles or not categories:
            raise ValueError("empty sentence pool")
        self.sentences = sentences
        self.titles = titles
        self.categories = categories
        self.rng = random.Random(seed)

    def article(self) -> tuple[str, str, str]:
        """(category, title, text) of the next synthetic article."""
        rng = self.rng
        category = rng.choice(self.categories)
        title = rng.choice(self.titles)
        picked = rng.sample(self.sentences, rng.randint(MIN_SENTENCES, MAX_SENTENCES))
        paragraphs: list[str] = []
        while picked:
            take = rng.randint(1, 3)
            paragraphs.append(" ".join(picked[:take]))
            picked = picked[take:]
        return category, title, "\n\n".join(paragraphs)

    def write(self, out_dir: Path, n: int, start: int = 0) -> list[Path]:
        written = []
        for i in range(start, start + n):
            category, title, text = self.article()
            path = out_dir / category / f"{i:06d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
            written.append(path)
        return written


def chunks_per_article(corpus: SyntheticCorpus, chunker: Chunker, seed: int, sample: int = 300) -> float:
    """Average chunks of a synthetic article, from a pilot sample (its own RNG stream: the files stay fixed)."""
    pilot = SyntheticCorpus(corpus.sentences, corpus.titles, corpus.categories, seed=seed)
    total = 0
    for i in range(sample):
        category, title, text = pilot.article()
        total += len(chunker.chunk(Article(id=f"pilot{i}", text=text, title=title, path="pilot", category=category)))
    return total / sample


def articles_needed(target_chunks: int, existing_chunks: int, per_article: float) -> int:
    return max(0, math.ceil((target_chunks - existing_chunks) / max(per_article, 0.1)))


class ReplayEmbedder:
    """The model's `embed` / `embed_with_spans` without the model: a known text gets its stored vector (and its
    stored sentence vectors when the span count matches); any other text gets a perturbed copy of a random real
    vector, and each of its sentences a perturbed copy of that."""

    def __init__(self, known: dict[str, tuple[np.ndarray, np.ndarray | None]], seed: int, sigma: float = NOISE_SIGMA):
        if not known:
            raise ValueError("no real vectors to replay")
        self.known = known
        self.base = np.stack([vector for vector, _ in known.values()]).astype(np.float32)
        self.rng = np.random.default_rng(seed)
        self.sigma = sigma
        self.replayed = 0
        self.synthetic = 0

    def _perturbed(self, base: np.ndarray, n: int) -> np.ndarray:
        noisy = base[None, :] + self.rng.normal(0.0, self.sigma, (n, DIMENSIONS)).astype(np.float32)
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        span_vectors: list[np.ndarray] = []
        for i, (text, text_spans) in enumerate(zip(texts, spans, strict=True)):
            stored = self.known.get(text)
            if stored is None:
                vectors[i] = self._perturbed(self.base[self.rng.integers(len(self.base))], 1)[0]
                self.synthetic += 1
            else:
                vectors[i] = stored[0]
                self.replayed += 1
            sentences = stored[1] if stored is not None else None
            if sentences is None or len(sentences) != len(text_spans):
                sentences = self._perturbed(vectors[i], len(text_spans)) if text_spans else np.zeros((0, DIMENSIONS))
            span_vectors.append(sentences.astype(np.float32))
        return vectors, span_vectors

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_with_spans(texts, [[] for _ in texts])[0]
