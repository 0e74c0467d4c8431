"""Article -> chunks sized to the embedding model's window, sentence-aware, with overlap and offsets.

llama-index's `SentenceSplitter` does the splitting, counting in the model's own word pieces (its default
counts tiktoken tokens, which the MiniLM window does not care about, and would download an encoding), and
cutting at the project's own sentence boundaries (`assistant.text.sentence_spans`, which keeps a quotation
with its "said X"): its default punkt splitter cut inside quotations, so a chunk could start mid-quote where
the answerer sees no sentence (22 of 543 chunks on 150 politics articles).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from llama_index.core.node_parser import SentenceSplitter

from assistant.embedding import MODEL_WINDOW
from assistant.text import sentence_spans
from assistant.types import Article, Chunk

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
# bump when embed_text() or the chunk boundaries change: stored chunks and vectors then need recomputing
EMBED_FORMAT = "title64+text+sentences-v3"
TITLE_TOKENS = 64  # a headline longer than this is cut for embedding; the chunk text never is


def split_sentences(text: str) -> list[str]:
    """`text` cut at `sentence_spans` boundaries, every character kept (the pieces join back to `text`), as
    SentenceSplitter's `chunking_tokenizer_fn` contract wants."""
    starts = [start for start, _ in sentence_spans(text)]
    if len(starts) < 2:
        return [text]
    starts[0] = 0
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def embed_text(title: str, text: str) -> str:
    """What the model reads for a chunk: the headline gives a passage its topic, the path never helps."""
    return f"{title}\n\n{text}"


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int]:
    """Where the splitter's piece lies in the article (it may have collapsed whitespace)."""
    start = text.find(piece, cursor)
    if start < 0:
        start = text.find(piece)
    if start >= 0:
        return start, start + len(piece)
    match = re.compile(r"\s+".join(map(re.escape, piece.split()))).search(text)
    if match is None:  # cannot happen with SentenceSplitter; never cite offsets we do not know
        raise ValueError("chunk text not found in its article")
    return match.start(), match.end()


class Chunker:
    """Not thread-safe: `chunk()` keeps the current article's token offsets (one ingest thread chunks)."""

    def __init__(
        self,
        token_ids: Callable[[str], list[int]],
        chunk_size: int,
        chunk_overlap: int,
        token_starts: Callable[[str], list[int]] | None = None,
    ) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._token_ids = token_ids
        self._token_starts = token_starts
        self._text = ""
        self._starts: list[int] = []
        self.chunk_size = min(chunk_size, MODEL_WINDOW - SPECIAL_TOKENS)
        self.chunk_overlap = chunk_overlap
        self._splitters: dict[int, SentenceSplitter] = {}

    def _count(self, text: str) -> int:
        """Word pieces of `text`. The splitter asks for many overlapping substrings of one article; counting
        them from one tokenisation of the article (token start offsets) halves chunking time (bench/README.md)
        and gives the same chunks on the whole BBC corpus."""
        at = self._text.find(text) if text and self._starts else -1
        if at < 0:
            return len(self._token_ids(text))
        return bisect.bisect_left(self._starts, at + len(text)) - bisect.bisect_left(self._starts, at)

    def _splitter(self, size: int) -> SentenceSplitter:
        if size not in self._splitters:
            self._splitters[size] = SentenceSplitter(
                chunk_size=size,
                chunk_overlap=min(self.chunk_overlap, size // 4),
                tokenizer=lambda text: [0] * self._count(text),
                paragraph_separator="\n\n",
                chunking_tokenizer_fn=split_sentences,
            )
        return self._splitters[size]

    def chunk(self, article: Article) -> list[Chunk]:
        if self._token_starts is not None:
            self._text, self._starts = article.text, self._token_starts(article.text)
        try:
            return self._chunk(article)
        finally:
            self._text, self._starts = "", []

    def _title(self, title: str) -> str:
        """The headline as embedded: whole, or its first words up to TITLE_TOKENS word pieces."""
        if len(self._token_ids(title)) <= TITLE_TOKENS:
            return title
        kept: list[str] = []
        for word in title.split():
            if len(self._token_ids(" ".join([*kept, word]))) > TITLE_TOKENS:
                break
            kept.append(word)
        return " ".join(kept)

    def _chunk(self, article: Article) -> list[Chunk]:
        # The title is embedded with every chunk, so it takes its share of the window: no chunk is truncated.
        title = self._title(article.title)
        title_budget = len(self._token_ids(title)) + 2
        size = max(32, self.chunk_size - title_budget)
        pieces = self._splitter(size).split_text(article.text)
        chunks: list[Chunk] = []
        cursor = 0
        for position, piece in enumerate(pieces):
            start, end = _locate(article.text, piece, cursor)
            cursor = start + 1
            text = article.text[start:end]
            chunks.append(
                Chunk(
                    id=f"{article.id}-{position:04d}",
                    article_id=article.id,
                    position=position,
                    start=start,
                    end=end,
                    text=text,
                    embed_text=embed_text(title, text),
                )
            )
        return chunks
