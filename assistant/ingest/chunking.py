"""Article -> chunks sized to the embedding model's window, sentence-aware, with overlap and offsets.

llama-index's `SentenceSplitter` does the splitting, counting in the model's own word pieces (its default
counts tiktoken tokens, which the MiniLM window does not care about, and would download an encoding).
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.node_parser import SentenceSplitter

from assistant.embedding import MODEL_WINDOW
from assistant.types import Article, Chunk

SPECIAL_TOKENS = 2  # [CLS] and [SEP]


def embed_text(title: str, text: str) -> str:
    """What the model reads for a chunk: the headline gives a passage its topic, the path never helps."""
    return f"{title}\n\n{text}"


class Chunker:
    def __init__(self, token_ids: Callable[[str], list[int]], chunk_size: int, chunk_overlap: int) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._count = lambda text: len(token_ids(text))
        self.chunk_size = min(chunk_size, MODEL_WINDOW - SPECIAL_TOKENS)
        self.chunk_overlap = chunk_overlap
        self._splitters: dict[int, SentenceSplitter] = {}

    def _splitter(self, size: int) -> SentenceSplitter:
        if size not in self._splitters:
            self._splitters[size] = SentenceSplitter(
                chunk_size=size,
                chunk_overlap=min(self.chunk_overlap, size // 4),
                tokenizer=lambda text: [0] * self._count(text),
                paragraph_separator="\n\n",
            )
        return self._splitters[size]

    def chunk(self, article: Article) -> list[Chunk]:
        # The title is embedded with every chunk, so it takes its share of the window: no chunk is truncated.
        title_budget = self._count(article.title) + 2
        size = max(32, self.chunk_size - title_budget)
        pieces = self._splitter(size).split_text(article.text)
        chunks: list[Chunk] = []
        cursor = 0
        for position, piece in enumerate(pieces):
            start = article.text.find(piece, cursor)
            if start < 0:  # the splitter normalised whitespace; fall back to a search from the start
                start = max(article.text.find(piece), 0)
            end = start + len(piece)
            cursor = start + 1
            chunks.append(
                Chunk(
                    id=f"{article.id}-{position:04d}",
                    article_id=article.id,
                    position=position,
                    start=start,
                    end=end,
                    text=article.text[start:end] if start >= 0 else piece,
                    embed_text=embed_text(article.title, piece),
                )
            )
        return chunks
