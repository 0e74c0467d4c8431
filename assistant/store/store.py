"""One collection's storage, kept consistent.

Write order (each step is safe to interrupt):
1. the manifest records articles and chunks (one SQLite transaction per file, `embedded = 0`);
2. the BM25 index is rebuilt from the manifest and saved atomically (versioned directory + pointer);
3. embeddings are upserted into Chroma in batches, then marked `embedded = 1`.
`repair()` reconciles Chroma with the manifest (orphan vectors deleted, missing ones re-queued), and a BM25
index whose generation differs from the manifest's is rebuilt. So after a crash, the next ingest repairs.
One ingest writes at a time (`writing()`, a lock file beside the manifest); readers take no lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from assistant.config import Settings
from assistant.errors import IngestInProgress
from assistant.store.lexical import ChunkFacets, LexicalIndex
from assistant.store.manifest import ChunkRow, Manifest
from assistant.store.vectors import VectorIndex, chroma_client
from assistant.types import ArticleList, ArticleSummary, ArticleText, Passage

log = logging.getLogger(__name__)
# Manifest meta key bumped after every write to Chroma: a process whose embedded client predates the value
# reopens it (its in-memory HNSW index lacks what others wrote).
VECTORS_VERSION = "vectors_version"


@dataclass(frozen=True)
class StoreStats:
    collection: str
    articles: int
    documents: int  # paths holding an article (duplicates included)
    chunks: int
    embedded_chunks: int
    failed_files: int
    last_ingest: str | None
    categories: list[str]
    sources: list[str]
    date_min: str | None
    date_max: str | None
    vector_store: str
    undated: int = 0  # articles without a date (a date filter never finds them)

    @property
    def fully_embedded(self) -> bool:
        return self.embedded_chunks == self.chunks


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.manifest = Manifest(settings.collection_dir / "manifest.sqlite3")
        self._lexical: LexicalIndex | None = None
        self._vectors: VectorIndex | None = None
        self._vectors_seen: str | None = None  # the VECTORS_VERSION our client has read or written
        self._lock = threading.Lock()
        self._vectors_lock = threading.Lock()
        # One object per store: re-entrant in a thread (ensure_seeded holds it around ingest), exclusive across
        # threads and processes.
        self._write_lock = FileLock(settings.collection_dir / "ingest.lock")

    # --- the parts
    @property
    def vectors(self) -> VectorIndex:
        embedded = self.settings.chroma_url is None  # a Chroma server keeps one index for all its clients
        index = self._vectors
        if index is not None and (not embedded or self.manifest.get_meta(VECTORS_VERSION) == self._vectors_seen):
            return index
        with self._vectors_lock:
            version = self.manifest.get_meta(VECTORS_VERSION)  # read before opening: later writes bump it again
            if self._vectors is None:
                settings = self.settings

                def open_client() -> Any:
                    return chroma_client(settings.chroma_dir, settings.chroma_url)

                self._vectors = VectorIndex(
                    open_client(),
                    settings.collection,
                    reopen=open_client if embedded else None,
                    on_write=self._vectors_written if embedded else None,
                )
            elif version != self._vectors_seen:
                log.info("vectors were written by another process since this one opened Chroma: reopening it")
                self._vectors.reopen()
            self._vectors_seen = version
            return self._vectors

    def _vectors_written(self) -> None:
        with self.manifest.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (VECTORS_VERSION,)).fetchone()
            version = str(int(row[0]) + 1 if row else 1)
            Manifest.set_meta(db, VECTORS_VERSION, version)
        self._vectors_seen = version

    @contextmanager
    def writing(self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the collection's write lock: one ingest at a time, so two never embed the same chunks. Readers
        (ask, serve) never take it. A waiting writer starts after the other finished and finds its work done."""
        try:
            self._write_lock.acquire(timeout=0)
        except Timeout:
            busy = f"another ingest is writing to collection {self.settings.collection} in {self.settings.data_dir}"
            if not wait:
                raise IngestInProgress(f"{busy}; try again when it has finished") from None
            (on_wait or log.warning)(f"{busy}; waiting for it to finish…")
            self._write_lock.acquire()
        try:
            yield
        finally:
            self._write_lock.release()

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index for the manifest's current generation (reloaded when another process changed it)."""
        generation = self.manifest.generation
        index = self._lexical
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            if self._lexical is None or self._lexical.generation != generation:
                loaded = LexicalIndex.load(self._lexical_dir)
                if loaded is None or loaded.generation != generation:
                    loaded = self.rebuild_lexical()
                self._lexical = loaded
            return self._lexical

    @property
    def _lexical_dir(self) -> Path:
        return self.settings.collection_dir / "bm25"

    def rebuild_lexical(self) -> LexicalIndex:
        generation = self.manifest.generation
        index = LexicalIndex.build(
            (
                ChunkFacets(id=row.id, text=row.embed_text, category=row.category, source=row.source, date=row.date)
                for row in self.manifest.all_chunks()
            ),
            generation,
        )
        index.save(self._lexical_dir)
        self._lexical = index
        return index

    # --- consistency
    def repair(self) -> dict[str, int]:
        """Make Chroma agree with the manifest. Cheap when they already agree (a count comparison)."""
        embedded = self.manifest.embedded_ids()
        if self.vectors.count() == len(embedded):
            return {"orphans_deleted": 0, "requeued": 0}
        in_chroma = self.vectors.all_ids()
        orphans = sorted(in_chroma - self.manifest.all_chunk_ids())
        missing = sorted(embedded - in_chroma)
        if orphans:
            self.vectors.delete(orphans)
        if missing:
            self.manifest.mark_embedded(missing, embedded=False)
        if orphans or missing:
            log.warning("repaired store: %d orphan vectors deleted, %d chunks re-queued", len(orphans), len(missing))
        return {"orphans_deleted": len(orphans), "requeued": len(missing)}

    # --- reading
    def passages(self, scored: Sequence[tuple[str, dict[str, Any]]]) -> list[Passage]:
        """Passages for (chunk id, scores) pairs, in the given order; ids no longer in the manifest are dropped."""
        rows = self.manifest.chunks_by_id([chunk_id for chunk_id, _ in scored])
        return self._passages([(rows[chunk_id], scores) for chunk_id, scores in scored if chunk_id in rows])

    def _passages(self, scored_rows: Sequence[tuple[ChunkRow, dict[str, Any]]]) -> list[Passage]:
        paths = self.manifest.other_paths(row.article_id for row, _ in scored_rows)
        return [
            Passage(
                chunk_id=row.id,
                article_id=row.article_id,
                text=row.text,
                title=row.title,
                path=row.path,
                start=row.start,
                end=row.end,
                position=row.position,
                source=row.source,
                category=row.category,
                date=row.date,
                url=row.url,
                also_in=[p for p in paths.get(row.article_id, []) if p != row.path],
                sentence_vectors=row.sentence_vectors,
                **scores,
            )
            for row, scores in scored_rows
        ]

    def with_article_context(self, passages: list[Passage], articles: int) -> list[Passage]:
        """`passages`, then every other chunk of the first `articles` articles they come from.

        Why: retrieval ranks chunks, and the sentence holding the asked detail is often in a chunk of the right
        article that did not make the top k ("The two men are due to be sentenced on 29 April." shares no
        word with the question). The added chunks come last, scored 0: they are context, not hits.
        """
        top = list(dict.fromkeys(p.article_id for p in passages))[:articles]
        have = {p.chunk_id for p in passages}
        context = {"score": 0.0, "bm25": 0.0, "cosine": None}
        extra = [(row, context) for a in top for row in self.manifest.chunks_of_article(a) if row.id not in have]
        return passages + self._passages(extra)

    def article(self, article_id: str) -> ArticleText | None:
        """The whole article, rebuilt from its chunks: each is the exact slice text[start:end] of the article,
        so placing them at their offsets gives the text back (the blank between two chunks becomes a line
        break). Why not store the text a second time: the chunks already hold all of it."""
        rows = self.manifest.chunks_of_article(article_id)
        if not rows:
            return None
        parts: list[str] = []
        end = 0
        for row in rows:
            if row.start > end:
                parts.append("\n")
                end = row.start
            parts.append(row.text[end - row.start :])
            end = max(end, row.end)
        first = rows[0]
        also = self.manifest.other_paths([article_id]).get(article_id, [])
        return ArticleText(
            id=article_id, title=first.title, path=first.path, source=first.source, category=first.category,
            date=first.date, url=first.url, text="".join(parts), also_in=[p for p in also if p != first.path],
        )  # fmt: skip

    def stats(self) -> StoreStats:
        counts = self.manifest.counts()
        facets = self.manifest.facets()
        date_min, date_max = self.manifest.date_range()
        return StoreStats(
            collection=self.settings.collection,
            articles=counts["articles"],
            documents=counts["documents"],
            chunks=counts["chunks"],
            embedded_chunks=counts["embedded_chunks"],
            failed_files=counts["failed_files"],
            last_ingest=self.manifest.get_meta("last_ingest"),
            categories=facets["category"],
            sources=facets["source"],
            date_min=date_min,
            date_max=date_max,
            vector_store=self.settings.chroma_url or str(self.settings.chroma_dir),
            undated=counts["undated"],
        )

    def facets(self) -> dict[str, list[str]]:
        """The sources and categories the collection has (what filters may name)."""
        return self.manifest.facets()

    def find_articles(self, query: str = "", limit: int = 50) -> ArticleList:
        """Articles whose title, path, source or category hold every word of `query`, newest first."""
        total, rows = self.manifest.find_articles(query, limit)
        return ArticleList(total=total, articles=[_summary(row) for row in rows])

    def remove_article(self, article_id: str) -> ArticleSummary | None:
        """Take an article out of the collection (manifest, vectors, keyword index); None if it is not there.
        Under the write lock, without waiting: a removal never interleaves with an ingest."""
        with self.writing(wait=False):
            row = self.manifest.article_row(article_id)
            if row is None:
                return None
            with self.manifest.transaction() as db:
                chunk_ids = Manifest.remove_article(db, article_id)
                Manifest.bump_generation(db)
            self.vectors.delete(chunk_ids)
            self.rebuild_lexical()
        return _summary(row)

    def is_empty(self) -> bool:
        return self.manifest.counts()["articles"] == 0

    def reset(self) -> None:
        """Forget every file, article, chunk and vector of the collection (the files themselves are untouched)."""
        ids = sorted(self.manifest.all_chunk_ids() | self.vectors.all_ids())
        with self.manifest.transaction() as db:
            for table in ("files", "docs", "chunks", "articles"):
                db.execute(f"DELETE FROM {table}")
            Manifest.bump_generation(db)
        self.vectors.delete(ids)
        self.rebuild_lexical()

    def ensure_fingerprint(self, fingerprint: str) -> bool:
        """Chunks made with other chunking settings or another model cannot be mixed with new ones: when the
        fingerprint of the index differs from the current settings, start over. Returns True if it reset."""
        current = self.manifest.get_meta("fingerprint")
        reset = current is not None and current != fingerprint and not self.is_empty()
        if reset:
            log.warning("index settings changed (%s -> %s): re-indexing the collection", current, fingerprint)
            self.reset()
        if current != fingerprint:
            with self.manifest.transaction() as db:
                Manifest.set_meta(db, "fingerprint", fingerprint)
        return reset


def _summary(row: tuple[Any, ...]) -> ArticleSummary:
    """A row of manifest._ARTICLE_SELECT (id, title, path, source, category, date, n_chunks)."""
    return ArticleSummary(
        id=row[0], title=row[1], path=row[2], source=row[3], category=row[4], date=row[5], chunks=row[6]
    )
