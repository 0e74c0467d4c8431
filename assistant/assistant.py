"""The facade: the only module that knows how the parts are wired. CLI, HTTP API and web UI call this."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from assistant.answering.citations import ABSTAIN_TEXT, check_generated
from assistant.answering.condense import rewrite_followup
from assistant.answering.extractive import ExtractiveAnswerer, ExtractiveResult, combine_parts, key_filler
from assistant.answering.generative import LLMUnavailable, OpenAIAnswerer
from assistant.answering.question import analyze, bridge, decompose
from assistant.answering.reader import Reader
from assistant.answering.slots import slot_check_for
from assistant.config import Backend, Settings
from assistant.embedding import MiniLMEmbedding, get_embedder
from assistant.errors import ArticleNotFound, IngestInProgress, InvalidFilters, InvalidQuestion
from assistant.feedback import FeedbackLog
from assistant.ingest.chunking import Chunker
from assistant.ingest.pipeline import IngestPipeline, IngestSummary, Progress
from assistant.local_llm import LocalModelUnavailable, model_name, qwen_gguf, qwen_parts
from assistant.local_llm import serve as serve_gguf
from assistant.prompts import Prompts
from assistant.retrieval import HybridRetriever, RetrievalResult
from assistant.store import Store, StoreStats
from assistant.text import clean
from assistant.types import Answer, ArticleList, ArticleSummary, ArticleText, Filters, Passage, Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEvent:
    """What `Assistant.stream` yields: text deltas as they are produced, then the final, checked answer."""

    kind: Literal["delta", "answer"]
    text: str = ""
    answer: Answer | None = None


class Assistant:
    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = settings.model_copy(update=overrides) if settings else Settings(**overrides)
        self._store: Store | None = None
        self._llm: OpenAIAnswerer | None = None
        self._seed_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self.feedback = FeedbackLog(self.settings.data_dir / "feedback.jsonl")  # readers' 👍/👎 on answers
        if self.settings.backend == "auto":
            resolved: Backend = "reader" if self.reader_available() else "extractive"
            self.settings = self.settings.model_copy(update={"backend": resolved})

    @property
    def backend(self) -> Backend:
        """The backend that answers when a question names none ("auto" resolved when this was built)."""
        backend = self.settings.backend
        assert backend != "auto"
        return backend

    # --- parts, built on first use
    @property
    def embedder(self) -> MiniLMEmbedding:
        return get_embedder(self.settings.embed_threads)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings)
        return self._store

    @property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(
            self.store, self.embedder, bm25_weight=self.settings.bm25_weight, candidates=self.settings.candidates
        )

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(self.embedder, lambda term: self.store.lexical.idf(term))

    @property
    def llm(self) -> OpenAIAnswerer:
        if self._llm is None:
            self._llm = OpenAIAnswerer(self.settings, Prompts(self.settings.prompts_dir))
        return self._llm

    # --- ingest
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        prune: bool = False,
        progress: Progress | None = None,
        wait: bool = True,
        source: str | None = None,
    ) -> IngestSummary:
        """Ingest files or folders. One ingest per collection at a time: another one waits for it, or with
        wait=False raises IngestInProgress. `source` names where the new articles come from (the filter and the
        citations show it); by default it is the top folder's name."""
        if source is not None and not source.strip():
            raise ValueError("the source name is empty")
        chunker = Chunker(
            self.embedder.token_ids,
            self.settings.chunk_size,
            self.settings.chunk_overlap,
            token_starts=self.embedder.token_starts,
        )
        pipeline = IngestPipeline(self.store, self.embedder, chunker, self.settings.embed_batch_size)
        return pipeline.run(
            [Path(p) for p in paths], prune=prune, progress=progress, wait=wait, source=source and source.strip()
        )

    def ensure_seeded(self, progress: Progress | None = None) -> IngestSummary | None:
        """On first use of an empty collection, ingest the bundled seed articles so `ask` works at once."""
        if not self.settings.ingest_seeds_on_first_run:
            return None
        with self._seed_lock:
            if not self.store.is_empty() or not self.settings.seeds_dir.is_dir():
                return None
            try:
                # Never wait: a question must not queue behind an ingest, which fills the collection anyway.
                with self.store.writing(wait=False):
                    if not self.store.is_empty():  # an ingest finished between the check and the lock
                        return None
                    log.info("empty collection %r: ingesting the bundled seed articles", self.settings.collection)
                    return self.ingest([self.settings.seeds_dir], progress=progress)
            except IngestInProgress:
                return None

    def article(self, article_id: str) -> ArticleText | None:
        """A whole stored article by id (the `article_id` of a citation), or None when the collection lacks it."""
        return self.store.article(article_id)

    def status(self) -> StoreStats:
        return self.store.stats()

    def articles(self, query: str = "", limit: int = 50) -> ArticleList:
        """The collection's articles whose title, path, source or category hold every word of `query` (all of
        them for ""), newest first: the total and the first `limit`."""
        return self.store.find_articles(" ".join(clean(query).split()), max(1, min(limit, 1000)))

    def remove_article(self, article_id: str) -> ArticleSummary:
        """Take one article (every copy of it) out of the collection: it is no longer retrieved or cited. Its file
        is not touched, and ingesting the unchanged file again does not bring it back (a changed file does).
        ArticleNotFound when the collection lacks it; IngestInProgress while an ingest is writing."""
        removed = self.store.remove_article(article_id)
        if removed is None:
            raise ArticleNotFound(f"no article {article_id!r} in collection {self.settings.collection}")
        log.info("removed article %s (%s)", removed.id, removed.path)
        return removed

    # --- asking
    def validate_question(self, question: str) -> str:
        """The question as it will be asked (whitespace folded); InvalidQuestion when empty or too long."""
        if not isinstance(question, str):
            raise InvalidQuestion("the question is empty")
        question = clean(question)  # lone surrogates and control characters never reach the tokenizer
        if not question.strip():
            raise InvalidQuestion("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise InvalidQuestion(
                f"the question is {len(question):,} characters long; the limit is {self.settings.max_question_chars:,}"
            )
        return " ".join(question.split())

    def checked_query(self, question: str, filters: Filters | dict[str, Any] | None) -> tuple[str, Filters | None]:
        """The question as it will be asked and the filters, both checked (InvalidQuestion, InvalidFilters). An
        empty collection is seeded first: on a fresh data dir the seed's source is one the filters may name."""
        question = self.validate_question(question)
        if isinstance(filters, dict):
            filters = Filters(**filters)
        self.ensure_seeded()
        if filters is not None and not filters.is_empty():
            self._check_filter_values(filters)
        return question, filters

    def _prepare(
        self,
        question: str,
        filters: Filters | dict[str, Any] | None,
        history: list[Turn] | list[dict[str, Any]] | None,
        backend: Backend,
    ) -> tuple[str, str, Filters | None, RetrievalResult, dict[str, float]]:
        timings: dict[str, float] = {}
        question, filters = self.checked_query(question, filters)
        turns = [t if isinstance(t, Turn) else Turn(**t) for t in (history or [])]
        turns = [t.model_copy(update={"content": clean(t.content)}) for t in turns]
        t0 = time.perf_counter()
        standalone = question
        if turns:
            if backend == "openai":
                try:
                    standalone = self.llm.condense(question, turns)
                except LLMUnavailable:
                    standalone = rewrite_followup(question, turns)
            else:
                standalone = rewrite_followup(question, turns)
        timings["condense"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        retrieved = self.retriever.retrieve(standalone, self.settings.top_k, filters)
        timings["retrieve"] = time.perf_counter() - t0
        return question, standalone, filters, retrieved, timings

    def ask(
        self,
        question: str,
        *,
        filters: Filters | dict[str, Any] | None = None,
        history: list[Turn] | list[dict[str, Any]] | None = None,
        backend: Backend | None = None,
    ) -> Answer:
        answer = None
        for event in self.stream(question, filters=filters, history=history, backend=backend):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        filters: Filters | dict[str, Any] | None = None,
        history: list[Turn] | list[dict[str, Any]] | None = None,
        backend: Backend | None = None,
    ) -> Iterator[StreamEvent]:
        """Yields text deltas (openai backend) and finally the checked `Answer`."""
        backend = backend or self.backend
        started = time.perf_counter()
        question, standalone, _filters, retrieved, timings = self._prepare(question, filters, history, backend)
        notes: list[str] = []
        if _filters is not None and not _filters.is_empty() and not retrieved.passages:
            text = f"No article matches these filters ({_filters.describe()}), so there was nothing to search."
            timings["total"] = time.perf_counter() - started
            yield StreamEvent(
                "answer",
                answer=Answer(
                    question=question,
                    text=text,
                    abstained=True,
                    backend="extractive",
                    notes=[text],
                    timings={k: round(v, 4) for k, v in timings.items()},
                ),
            )
            return
        if retrieved.mode == "lexical" and retrieved.passages:
            notes.append("embeddings are still being computed: this answer used keyword search only")
        elif retrieved.pending and retrieved.passages:
            # Hybrid, but over part of the corpus: the chunks still waiting were ranked by keywords alone.
            notes.append(
                f"embeddings are still being computed ({retrieved.pending:,} of {retrieved.chunks:,} passages "
                "pending): those were searched by keywords only"
            )
        model = None
        result: ExtractiveResult | None = None
        if backend == "openai" and retrieved.passages:
            t0 = time.perf_counter()
            try:
                model = self.llm.model
                parts: list[str] = []
                for delta in self.llm.stream(standalone, retrieved.passages):
                    parts.append(delta)
                    yield StreamEvent("delta", text=delta)
                raw = "".join(parts)
                result = self._checked(raw, standalone, retrieved, notes)
            except LLMUnavailable as exc:
                log.warning("openai backend failed, falling back to extractive: %s", exc)
                notes.append(f"{exc}; answered with the extractive backend instead")
            timings["generate"] = time.perf_counter() - t0
            backend_used = "extractive" if result is None else "openai"
        else:
            backend_used = "extractive"
        if result is None:
            t0 = time.perf_counter()
            result = self._extractive_answer(standalone, retrieved, _filters, self._reader(backend))
            timings["answer"] = time.perf_counter() - t0
            notes += result.notes
            if result.read:  # the model is named only when it read this question (never for quotes, or when no
                # sentence passed the checks): the chat tells the reader whether a second reading stands behind it
                backend_used = "reader"
                model = self._llm.model if result.asked and self._llm is not None else None
        timings["total"] = time.perf_counter() - started
        answer = Answer(
            question=question,
            text=result.text,
            abstained=result.abstained,
            citations=result.citations,
            closest=result.closest,
            backend=backend_used,
            model=model if backend_used != "extractive" else None,
            rewritten_question=standalone if standalone != question else None,
            notes=notes,
            timings={k: round(v, 4) for k, v in timings.items()},
        )
        yield StreamEvent("answer", answer=answer)

    def _check_filter_values(self, filters: Filters) -> None:
        """Sources and categories must name ones the collection has: a typo or a wrong case ("Business") is an
        error that says what exists, not a silent "The articles don't say."."""
        facets = self.store.facets()
        for field, wanted in (("source", filters.source), ("category", filters.category)):
            known = facets[field]
            unknown = [value for value in wanted or [] if value not in known]
            if unknown:
                value = unknown[0]
                near = [k for k in known if k.casefold() == value.casefold()]
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                listed = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "") if known else "none"
                raise InvalidFilters(f"{field}: unknown value {value!r}{hint}; this collection has: {listed}")

    def start_local_model(self) -> str:
        """Serve the reader's local model in this process (no server configured) and point the openai settings
        at it; its base URL. Raises LocalModelUnavailable with what to install."""
        with self._model_lock:
            gguf = self.settings.reader_gguf or qwen_gguf(self.settings.data_dir / "models")
            url = serve_gguf(gguf, self.settings.embed_threads)
            if self.settings.openai_base_url != url:
                update = {"openai_base_url": url, "openai_model": model_name(gguf)}
                self.settings = self.settings.model_copy(update=update)
                self._llm = None
            return url

    def reader_available(self) -> bool:
        """Can the reader backend get a model's reading: a server is configured, or a local GGUF is there to
        serve (the `reader` extra's parts, or `reader_gguf`). Cheap: nothing is joined or loaded."""
        if self.settings.llm_configured:
            return True
        if self.settings.reader_gguf is not None:
            return self.settings.reader_gguf.is_file()
        try:
            qwen_parts()
        except LocalModelUnavailable:
            return False
        return True

    def _reader(self, backend: Backend) -> Reader | None:
        """The language model's reading, for the reader backend. The local model starts on the first question
        that needs it; any failure is LLMUnavailable, which the answerer turns into an extractive answer + note."""
        return _LazyReader(self) if backend == "reader" else None

    def _extractive_answer(
        self, question: str, retrieved: RetrievalResult, filters: Filters | None, reader: Reader | None = None
    ) -> ExtractiveResult:
        """Answer each part of a multi-part question from its own retrieval ("How many X, and when Y?")."""
        parts = decompose(question)
        if len(parts) == 1:
            return self._answer_part(question, filters, reader, retrieved)
        results: list[ExtractiveResult] = []
        for part in parts:
            entity = key_filler(results[0]) if part.of_first and results else None
            if entity is not None:  # "..., and who is that network's chief?" asked of the network the first part named
                results.append(self._answer_part(part.of_first.format(entity), filters, None))
            else:
                results.append(self._answer_part(part.question, filters, None, query=part.query))
        return _by_the_checks(combine_parts([p.question for p in parts], results), reader)

    def _answer_part(
        self,
        question: str,
        filters: Filters | None,
        reader: Reader | None,
        retrieved: RetrievalResult | None = None,
        query: str = "",
    ) -> ExtractiveResult:
        """One question; a bridge question ("Who runs the firm that bought X?") in two hops: the inner
        question's answer ("Baikal Finance Group") names the subject of the outer one, which is retrieved anew."""
        hop = bridge(question)
        if hop is not None:
            first = self.retriever.retrieve(hop.inner, self.settings.top_k, filters)
            inner = self.extractive.answer(hop.inner, self.reading_passages(first), first.query_embedding)
            entity = key_filler(inner)
            if entity is not None:
                outer_question = hop.outer.format(entity)
                second = self.retriever.retrieve(outer_question, self.settings.top_k, filters)
                outer = self.extractive.answer(outer_question, self.reading_passages(second), second.query_embedding)
                return _by_the_checks(combine_parts([hop.inner, outer_question], [inner, outer]), reader)
            # the bridge is not in the articles: the question as asked is all there is (still a question in parts)
        found = retrieved or self.retriever.retrieve(query or question, self.settings.top_k, filters)
        passages = self.reading_passages(found)
        if hop is None:
            return self.extractive.answer(question, passages, found.query_embedding, reader)
        return _by_the_checks(self.extractive.answer(question, passages, found.query_embedding), reader)

    def reading_passages(self, retrieved: RetrievalResult) -> list[Passage]:
        """What the extractive answerer reads: the retrieved passages and the rest of the top article(s)."""
        return self.store.with_article_context(retrieved.passages, self.settings.context_articles)

    def _checked(
        self, raw: str, question: str, retrieved: RetrievalResult, notes: list[str]
    ) -> ExtractiveResult | None:
        """Citation- and slot-check a generated answer; None means: fall back to extractive."""
        if raw.strip().lower().startswith(ABSTAIN_TEXT.lower().rstrip(".")):
            return ExtractiveResult(ABSTAIN_TEXT, True, [], [])
        checked = check_generated(raw, retrieved.passages, slot_check_for(analyze(question)))
        if checked.reattributed:
            notes.append(f"{checked.reattributed} sentence(s) cited to the passage that supports them")
        if checked.removed_markers:
            notes.append(f"removed citations to passages that do not exist: {sorted(set(checked.removed_markers))}")
        if checked.dropped:
            notes.append(f"dropped {len(checked.dropped)} sentence(s) that no cited passage supports")
        if not checked.citations:
            notes.append(
                "the language model's answer had no supported sentence carrying the asked detail; answered extractively"
            )
            return None
        return ExtractiveResult(checked.text, False, checked.citations, [])


def _by_the_checks(result: ExtractiveResult, reader: Reader | None) -> ExtractiveResult:
    """A question in parts (multi-part, comparison, a bridge's two hops) is answered by the checks alone, not read
    by the model, also on the reader backend: on a blind batch the model misread or refused parts the checks
    answered (multi-article right 6 -> 14 of 24; eval/README.md, thirteenth round). The answer is still the
    reader backend's (its rule), with no model named."""
    return replace(result, read=True) if reader is not None else result


class _LazyReader:
    """The reader backend's model, started (or found already serving) on the first question that needs it."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def _llm(self) -> OpenAIAnswerer:
        if not self.assistant.settings.llm_configured:
            try:
                self.assistant.start_local_model()
            except LocalModelUnavailable as exc:
                raise LLMUnavailable(str(exc)) from None
        return self.assistant.llm

    def read(self, question: str, sentences: list[str]) -> str:
        return self._llm().read(question, sentences)

    def confirm(self, question: str, title: str, text: str) -> float:
        return self._llm().confirm(question, title, text)
