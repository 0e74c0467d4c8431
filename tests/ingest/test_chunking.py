from __future__ import annotations

from assistant.embedding import MODEL_WINDOW, get_embedder
from assistant.ingest.chunking import Chunker
from assistant.ingest.readers import read_articles
from tests.conftest import SEED


def test_chunks_fit_the_model_window_and_offsets_point_into_the_article() -> None:
    embedder = get_embedder()
    chunker = Chunker(embedder.token_ids, chunk_size=120, chunk_overlap=20)
    (article,), _ = read_articles(SEED.read_bytes(), "seeds/seed.txt", category=None, source="seeds")
    chunks = chunker.chunk(article)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert embedder.count_tokens(chunk.embed_text) + 2 <= MODEL_WINDOW
        assert chunk.embed_text.startswith(article.title)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    assert chunker.chunk(article) == chunks  # stable ids: re-chunking gives the same chunks


def test_default_chunk_size_never_exceeds_the_window_even_with_a_long_title() -> None:
    embedder = get_embedder()
    chunker = Chunker(embedder.token_ids, chunk_size=254, chunk_overlap=32)
    text = " ".join(f"Sentence number {i} talks about the economy of Serbia." for i in range(200))
    (article,), _ = read_articles(("Long title " * 20 + "\n" + text).encode(), "a.txt", category=None, source=None)
    for chunk in chunker.chunk(article):
        assert embedder.count_tokens(chunk.embed_text) + 2 <= MODEL_WINDOW


def test_counting_from_article_offsets_gives_the_same_chunks() -> None:
    embedder = get_embedder()
    reference = Chunker(embedder.token_ids, chunk_size=120, chunk_overlap=20)
    fast = Chunker(embedder.token_ids, chunk_size=120, chunk_overlap=20, token_starts=embedder.token_starts)
    text = SEED.read_text(encoding="utf-8") + "\n\n" + " ".join(f"Paragraph {i} on Vučić's budget." for i in range(60))
    (article,), _ = read_articles(text.encode(), "seeds/seed.txt", category=None, source="seeds")
    assert fast.chunk(article) == reference.chunk(article)
