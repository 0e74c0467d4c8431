"""news-assistant as LlamaIndex components: a retriever, a query engine and a reader.

- `NewsRetriever`: the hybrid (BM25 + MiniLM) retrieval as a `BaseRetriever`, for any LlamaIndex query engine,
  postprocessor or agent tool.
- `NewsQueryEngine`: `Assistant.ask` as a `BaseQueryEngine`; the response text is the citation-checked answer,
  `source_nodes` are the cited passages and `metadata` carries the citations.
- `NewsArticleReader`: the project's file readers (txt, md, html, json, jsonl, with their metadata) as a
  `BaseReader`, for building LlamaIndex indexes from a news folder.

Node and document ids are the project's own (chunk id, article id), so a node's `ref_doc_id` is the id of the
`Document` the reader makes from the same article, and citations can be matched to either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import RESPONSE_TYPE, Response, StreamingResponse
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document, NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from assistant.assistant import Assistant
from assistant.config import Backend
from assistant.ingest.pipeline import discover
from assistant.ingest.readers import MAX_FILE_BYTES, ReadError, read_articles
from assistant.types import Answer, Citation, Filters, Passage

__all__ = ["NewsArticleReader", "NewsQueryEngine", "NewsRetriever", "NewsStreamingResponse"]

log = logging.getLogger(__name__)

# What an LLM prompt built from a node shows, besides the text: the project's own prompt gives title and date.
# Ids, offsets and paths only cost tokens there.
_NOT_FOR_LLM = ["article_id", "path", "start", "end", "also_in", "url"]
# The project embeds "title + passage" (ingest/chunking.py); a node or document embedded again by LlamaIndex
# (another vector store, a reranker) should see the same, not ids and dates.
_NOT_FOR_EMBEDDING = ["article_id", "path", "source", "category", "date", "url", "start", "end", "also_in"]


def _filters(filters: Filters | dict[str, Any] | None) -> Filters | None:
    """Validated at construction, so a bad filter fails where it is written, not at the first query."""
    if isinstance(filters, dict):
        filters = Filters(**filters)
    return None if filters is None or filters.is_empty() else filters


def passage_node(passage: Passage) -> TextNode:
    """A retrieved or cited passage as a node: chunk id as node id, its article as the source document."""
    return TextNode(
        id_=passage.chunk_id,
        text=passage.text,
        metadata={
            "article_id": passage.article_id,
            "title": passage.title,
            "path": passage.path,
            "source": passage.source,
            "category": passage.category,
            "date": passage.date,
            "url": passage.url,
            "start": passage.start,
            "end": passage.end,
            "also_in": list(passage.also_in),
        },
        excluded_llm_metadata_keys=list(_NOT_FOR_LLM),
        excluded_embed_metadata_keys=list(_NOT_FOR_EMBEDDING),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.article_id)},
        start_char_idx=passage.start if passage.start >= 0 else None,
        end_char_idx=passage.end if passage.end >= 0 else None,
    )


class NewsRetriever(BaseRetriever):
    """The project's hybrid retriever (BM25 and MiniLM vectors, score-fused) as a LlamaIndex retriever.

    Nodes are `TextNode`s whose id is the chunk id, whose text is the passage and whose metadata holds
    article_id, title, path, source, category, date, url, start, end (character offsets in the article) and
    also_in (other paths of the identical article); the score is the fused hybrid score in [0, 1].
    """

    def __init__(
        self,
        assistant: Assistant | None = None,
        *,
        filters: Filters | dict[str, Any] | None = None,
        top_k: int | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.assistant = assistant or Assistant()
        self.filters = _filters(filters)
        self.top_k = top_k if top_k is not None else self.assistant.settings.top_k
        if self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, not {self.top_k}")

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # The checks `Assistant.ask` makes: a misspelt source or category raises, naming the ones that exist.
        query, filters = self.assistant.checked_query(query_bundle.query_str, self.filters)
        result = self.assistant.retriever.retrieve(query, self.top_k, filters)
        return [NodeWithScore(node=passage_node(p), score=p.score) for p in result.passages]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Embedding and BM25 are CPU-bound: in a thread they do not stall the caller's event loop.
        return await asyncio.to_thread(self._retrieve, query_bundle)


@dataclass
class NewsStreamingResponse(StreamingResponse):
    """A `StreamingResponse` whose final text is the checked answer, not the concatenated stream.

    `response_gen` yields the language model's tokens as they arrive (the extractive backend yields its answer
    in one piece). The citation check runs after the last token and may drop sentences no passage supports,
    so once the stream is exhausted `response_txt`, `str()` and `get_response()` give the checked answer,
    and `source_nodes` and `metadata` are filled. Show the stream for liveness, then replace it with
    `response_txt`, as the web chat does.
    """

    def _drain(self) -> None:
        for _ in self.response_gen:
            pass

    def __str__(self) -> str:
        self._drain()
        return self.response_txt or "None"

    def get_response(self) -> Response:
        self._drain()
        return Response(self.response_txt, self.source_nodes, self.metadata)

    def print_response_stream(self) -> None:
        # The base class would overwrite response_txt with the raw stream.
        for text in self.response_gen:
            print(text, end="", flush=True)
        print()


class NewsQueryEngine(BaseQueryEngine):
    """`Assistant.ask` as a LlamaIndex query engine.

    The `Response` text is the citation-checked answer ("[n]" markers included) or "The articles don't say.";
    `source_nodes` are the cited passages (nodes as `NewsRetriever` makes them, each once, in order of first
    citation, scored by their best quote); `metadata` holds `citations` (n, chunk_id, article_id, title, path,
    quote, quote_start/quote_end in the passage, article_start/article_end in the article text, score),
    `abstained`, `backend`, `model`, `closest` (when abstaining), `notes` and `rewritten_question`.
    With `streaming=True`, `query` returns a `NewsStreamingResponse`.
    """

    def __init__(
        self,
        assistant: Assistant | None = None,
        *,
        filters: Filters | dict[str, Any] | None = None,
        backend: Backend | None = None,
        streaming: bool = False,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self.assistant = assistant or Assistant()
        self.filters = _filters(filters)
        self.backend = backend
        self.streaming = streaming

    def _get_prompt_modules(self) -> PromptMixinType:
        # The prompts are the project's files (Settings.prompts_dir), not LlamaIndex templates.
        return {}

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """The passages this engine would answer from."""
        return NewsRetriever(self.assistant, filters=self.filters).retrieve(query_bundle)

    def _query(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        if self.streaming:
            return self._stream(query_bundle.query_str)
        answer = self.assistant.ask(query_bundle.query_str, filters=self.filters, backend=self.backend)
        return Response(answer.text, *self._sources(answer))

    async def _aquery(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        # Retrieval, answering and the LLM client are synchronous: a thread keeps the event loop free.
        # A streaming response is still a (synchronous) NewsStreamingResponse.
        return await asyncio.to_thread(self._query, query_bundle)

    def _stream(self, question: str) -> NewsStreamingResponse:
        # Assistant.stream does nothing until iterated: check question and filters now, so a bad one raises
        # here rather than at the consumer's first token.
        self.assistant.checked_query(question, self.filters)

        def tokens() -> Generator[str, None, None]:
            streamed = False
            for event in self.assistant.stream(question, filters=self.filters, backend=self.backend):
                if event.kind == "delta":
                    streamed = True
                    yield event.text
                elif event.answer is not None:
                    response.source_nodes, response.metadata = self._sources(event.answer)
                    response.response_txt = event.answer.text
                    if not streamed:  # the extractive backend: the answer is the whole stream
                        yield event.answer.text

        response = NewsStreamingResponse(response_gen=tokens())
        return response

    def _sources(self, answer: Answer) -> tuple[list[NodeWithScore], dict[str, Any]]:
        """The cited passages as nodes (each once, in order of first citation) and the response metadata."""
        first: dict[str, Citation] = {}
        for c in answer.citations:
            first.setdefault(c.chunk_id, c)
        # The chunks as stored carry their offsets in the article, which citations do not.
        stored = {p.chunk_id: p for p in self.assistant.store.passages([(i, {}) for i in first])}
        # A node's score is that of its best quote: the extractive answer's probability, or for a generated
        # answer the passage's retrieval score (Citation.score).
        best = {chunk_id: max(c.score for c in answer.citations if c.chunk_id == chunk_id) for chunk_id in first}
        nodes = [
            NodeWithScore(node=passage_node(stored.get(chunk_id) or _citation_passage(c)), score=best[chunk_id])
            for chunk_id, c in first.items()
        ]
        citations = []
        for c in answer.citations:
            passage = stored.get(c.chunk_id)
            article_start = passage.start + c.quote_start if passage is not None else None
            citations.append(
                {
                    "n": c.n,
                    "chunk_id": c.chunk_id,
                    "article_id": c.article_id,
                    "title": c.title,
                    "path": c.path,
                    "quote": c.quote,
                    "quote_start": c.quote_start,
                    "quote_end": c.quote_start + len(c.quote),
                    "article_start": article_start,
                    "article_end": article_start + len(c.quote) if article_start is not None else None,
                    "score": c.score,
                }
            )
        metadata = {
            "citations": citations,
            "abstained": answer.abstained,
            "backend": answer.backend,
            "model": answer.model,
            "closest": [
                {"chunk_id": c.chunk_id, "path": c.path, "title": c.title, "quote": c.quote, "score": c.score}
                for c in answer.closest
            ],
            "notes": list(answer.notes),
            "rewritten_question": answer.rewritten_question,
        }
        return nodes, metadata


def _citation_passage(c: Citation) -> Passage:
    """A cited chunk no longer stored (re-ingested since the answer), from the citation's copy of its text.
    Its offsets in the article are unknown: -1."""
    return Passage(
        chunk_id=c.chunk_id,
        article_id=c.article_id,
        text=c.passage,
        title=c.title,
        path=c.path,
        start=-1,
        end=-1,
        position=-1,
        source=c.source,
        category=c.category,
        date=c.date,
        url=c.url,
        also_in=list(c.also_in),
        score=c.score,
    )


class NewsArticleReader(BaseReader):
    """News files as LlamaIndex `Document`s, read exactly as `news-assistant ingest` reads them.

    Formats: .txt, .md, .html/.htm, .json, .jsonl (several articles per file). A `Document`'s id is the article
    id (a hash of its normalised text); its metadata holds title, path (prefixed with the name of the folder
    given, as in citations), source, category (the parent folder), date and url, each only when known: vector
    stores such as Chroma refuse None values. Identical articles under several paths become one `Document`
    (the first path), as ingest embeds them once. Unreadable files are logged and skipped unless
    `raise_on_error`.
    """

    def __init__(self, *, raise_on_error: bool = False) -> None:
        self.raise_on_error = raise_on_error

    def lazy_load_data(self, path: str | Path) -> Iterator[Document]:
        files, skipped, _roots = discover([Path(path)])
        if skipped and self.raise_on_error and Path(path).is_file():
            raise ReadError(f"{path}: not a news file (supported: .txt, .md, .html, .htm, .json, .jsonl)")
        seen: set[str] = set()
        for file in files:
            try:
                data = file.abs_path.read_bytes()
                if len(data) > MAX_FILE_BYTES:
                    raise ReadError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
                articles, _encoding = read_articles(data, file.rel_path, category=file.category, source=file.source)
            except (OSError, ReadError) as exc:
                if self.raise_on_error:
                    raise
                log.warning("skipping %s: %s", file.rel_path, exc)
                continue
            for article in articles:
                if article.id in seen:
                    continue
                seen.add(article.id)
                metadata = {
                    "title": article.title,
                    "path": article.path,
                    "source": article.source,
                    "category": article.category,
                    "date": article.date,
                    "url": article.url,
                }
                yield Document(
                    id_=article.id,
                    text=article.text,
                    metadata={k: v for k, v in metadata.items() if v is not None},
                    excluded_llm_metadata_keys=["path", "url"],
                    excluded_embed_metadata_keys=[k for k in metadata if k != "title"],
                )

    def load_data(self, path: str | Path) -> list[Document]:
        """The articles of a file, or of every supported file below a folder (sorted by path)."""
        return list(self.lazy_load_data(path))
