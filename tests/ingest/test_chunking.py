from __future__ import annotations

import json

from assistant.embedding import MODEL_WINDOW, get_embedder
from assistant.ingest.chunking import Chunker
from assistant.ingest.readers import read_articles
from assistant.text import sentence_spans
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


def test_a_240_word_headline_is_cut_for_embedding_and_no_chunk_is_truncated() -> None:
    embedder = get_embedder()
    chunker = Chunker(embedder.token_ids, chunk_size=200, chunk_overlap=32)
    headline = " ".join(f"headline{i}" for i in range(240))
    text = " ".join(f"Sentence number {i} talks about the economy of Serbia." for i in range(60))
    record = json.dumps({"title": headline, "text": text})  # a JSON record's title is taken whole
    (article,), _ = read_articles(record.encode(), "a.json", category=None, source=None)
    assert len(article.title.split()) == 240
    chunks = chunker.chunk(article)
    assert chunks
    for chunk in chunks:
        assert embedder.count_tokens(chunk.embed_text) + 2 <= MODEL_WINDOW
        assert chunk.embed_text.startswith("headline0 headline1")


def test_chunks_start_where_the_answerer_sees_a_sentence_start() -> None:
    """A quotation with full stops inside ('He said: "A. However, B. C."') is one sentence to
    `sentence_spans`, so the answerer cites it whole; a chunk must not start inside one (punkt did)."""
    embedder = get_embedder()
    chunker = Chunker(embedder.token_ids, chunk_size=40, chunk_overlap=8)
    paragraph = (
        'Edward Leigh spoke to reporters on Monday. He said: "The deal was good for the area. However, it was '
        'more luck than judgement. We must learn from it." Officials declined to comment further.'
    )
    (article,), _ = read_articles(
        ("Dome sale\n" + "\n\n".join([paragraph] * 12)).encode(), "a.txt", category=None, source=None
    )
    starts = {start for start, _ in sentence_spans(article.text)}
    chunks = chunker.chunk(article)
    assert len(chunks) > 12
    assert all(chunk.start in starts for chunk in chunks)
