"""Incremental ingest: files -> articles -> chunks -> manifest -> BM25 -> embeddings in Chroma.

Unchanged files (same bytes) cost a hash and nothing else; identical articles under several paths are chunked
and embedded once and remember every path; a crash at any point is repaired by the next run (see store.py).
The corpus is searchable lexically as soon as the BM25 index is saved, before the first embedding is computed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.embedding import MODEL_NAME, MiniLMEmbedding
from assistant.ingest.chunking import EMBED_FORMAT, Chunker
from assistant.ingest.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, ReadError, read_articles
from assistant.store import Store
from assistant.store.manifest import Manifest
from assistant.store.vectors import VectorIndex
from assistant.text import sentence_spans

log = logging.getLogger(__name__)
# Chroma upserts cost ~0.5 ms per vector in groups of 32 and ~0.23 ms in groups of 512 (bench/README.md).
UPSERT_GROUP = 512
# ...but a group survives a kill only once it is stored, so store at least this often. A batch of 32 takes ~0.9 s
# to embed on 2 cores, so this stores every batch there: +0.6 ms per chunk, ~1.5% of the ingest time (300 BBC
# articles), and a SIGKILL loses at most the batch being stored (Ctrl-C and SIGTERM lose nothing: embed_pending).
FLUSH_SECONDS = 0.5


class Progress(Protocol):
    """How the pipeline reports long work; the CLI renders it as progress bars."""

    def start(self, phase: str, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class IngestSummary:
    files: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    skipped: int = 0  # not a supported file type
    failed: int = 0
    removed: int = 0  # articles deleted (file changed or pruned)
    chunks_added: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    lexical_ready_seconds: float | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    reencoded: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.files} files: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.duplicate} duplicate, {self.skipped} skipped, {self.failed} failed, {self.removed} removed; "
            f"{self.chunks_added} chunks added, {self.chunks_embedded} embedded in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class SourceFile:
    abs_path: Path
    rel_path: str  # "<root name>/<path below root>"
    category: str | None
    source: str


# Folder documentation next to the articles (the BBC corpus ships a README.TXT): never news.
NOT_ARTICLES = {"README", "LICENSE", "LICENCE", "CHANGELOG", "NOTICE"}


def discover(paths: Iterable[Path], source: str | None = None) -> tuple[list[SourceFile], list[str], list[Path]]:
    """Supported files below `paths` (sorted), unsupported ones (counted as skipped), and the folder roots.

    A file's source is `source` when given, else the top folder it was found in ("bbc" for bbc/sport/1.txt)."""
    found: list[SourceFile] = []
    skipped: list[str] = []
    roots: list[Path] = []
    for given in paths:
        path = Path(given).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {given}")
        if path.is_file():
            candidates: Iterator[Path] = iter([path])
            base = path.parent
        else:
            roots.append(path)
            candidates = (p for p in sorted(path.rglob("*")) if p.is_file())
            base = path.parent
        for file in candidates:
            rel_parts = file.relative_to(base).parts
            if any(part.startswith(".") for part in rel_parts):
                continue  # .git, .DS_Store and friends
            rel = "/".join(rel_parts)
            if file.suffix.lower() not in SUPPORTED_SUFFIXES or file.stem.upper() in NOT_ARTICLES:
                skipped.append(rel)
                continue
            category = rel_parts[-2] if len(rel_parts) >= 3 else None
            named = source or (rel_parts[0] if len(rel_parts) > 1 else base.name)
            found.append(SourceFile(file, rel, category, named))
    return found, skipped, roots


def _file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


class IngestPipeline:
    def __init__(self, store: Store, embedder: MiniLMEmbedding, chunker: Chunker, batch_size: int = 32) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.batch_size = batch_size

    @property
    def fingerprint(self) -> str:
        """What the stored chunks and vectors depend on; a change means re-indexing."""
        return f"{MODEL_NAME}/chunks-{self.chunker.chunk_size}-{self.chunker.chunk_overlap}/{EMBED_FORMAT}"

    def run(
        self,
        paths: Iterable[Path],
        *,
        prune: bool = False,
        progress: Progress | None = None,
        wait: bool = True,
        source: str | None = None,
    ) -> IngestSummary:
        """Ingest under the collection's write lock: a second ingest waits (or, with wait=False, raises
        IngestInProgress), then finds the files recorded and the chunks embedded, and embeds nothing twice."""
        started = time.perf_counter()
        with self.store.writing(wait=wait):
            return self._run(paths, prune=prune, progress=progress or NoProgress(), started=started, source=source)

    def _run(
        self, paths: Iterable[Path], *, prune: bool, progress: Progress, started: float, source: str | None
    ) -> IngestSummary:
        summary = IngestSummary()
        files, skipped, roots = discover(paths, source)
        summary.files = len(files) + len(skipped)
        summary.skipped = len(skipped)
        manifest = self.store.manifest
        self.store.ensure_fingerprint(self.fingerprint)
        generation = manifest.generation
        known = manifest.file_hashes()
        doomed_chunks: list[str] = []

        progress.start("reading", len(files))
        for file in files:
            doomed_chunks += self._ingest_file(file, known.get(file.rel_path), summary)
            progress.advance()
        progress.finish()

        if prune:
            seen = {str(f.abs_path) for f in files}
            for root in roots:
                for rel, abs_path in manifest.files_under(str(root)):
                    if abs_path not in seen and not os.path.exists(abs_path):
                        with manifest.transaction() as db:
                            removed = Manifest.remove_file(db, rel)
                            if removed:
                                Manifest.bump_generation(db)
                        summary.removed += len({c.rsplit("-", 1)[0] for c in removed})
                        doomed_chunks += removed

        if doomed_chunks:
            self.store.vectors.delete(doomed_chunks)
        if manifest.generation != generation or self.store.lexical.generation != manifest.generation:
            self.store.rebuild_lexical()
        summary.lexical_ready_seconds = time.perf_counter() - started

        self.store.repair()
        summary.chunks_embedded = self.embed_pending(progress)
        with manifest.transaction() as db:
            Manifest.set_meta(db, "last_ingest", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        summary.seconds = time.perf_counter() - started
        log.info("ingest finished: %s", summary.line())
        return summary

    def _ingest_file(self, file: SourceFile, previous: tuple[str, str] | None, summary: IngestSummary) -> list[str]:
        """Bring one file's articles into the manifest; returns chunk ids that must leave Chroma."""
        manifest = self.store.manifest
        try:
            data = file.abs_path.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                raise ReadError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        except OSError as exc:
            summary.failed += 1
            summary.failures.append((file.rel_path, f"cannot read: {exc.strerror or exc}"))
            return []
        except ReadError as exc:
            summary.failed += 1
            summary.failures.append((file.rel_path, str(exc)))
            return []
        file_hash = _file_hash(data)
        if previous is not None and previous[0] == file_hash:
            if previous[1] == "ok":
                summary.unchanged += 1
            else:
                summary.failed += 1
            return []
        try:
            articles, reencoded = read_articles(data, file.rel_path, category=file.category, source=file.source)
        except ReadError as exc:
            log.warning("skipping %s: %s", file.rel_path, exc)
            summary.failed += 1
            summary.failures.append((file.rel_path, str(exc)))
            with manifest.transaction() as db:
                orphaned = Manifest.remove_file(db, file.rel_path)
                Manifest.record_file(db, file.rel_path, str(file.abs_path), file_hash, "failed", str(exc))
                if orphaned:
                    Manifest.bump_generation(db)
            return orphaned
        if reencoded:
            summary.reencoded.append((file.rel_path, reencoded))

        # Chunk outside the transaction: it is the slow part and touches no shared state.
        fresh = {a.id: self.chunker.chunk(a) for a in articles if not manifest.article_exists(a.id)}
        doomed: list[str] = []
        with manifest.transaction() as db:
            before = dict(Manifest.docs_of_file(db, file.rel_path))
            changed = False
            for article in articles:
                was = before.pop(article.path, None)
                if was == article.id:
                    summary.unchanged += 1
                    continue
                if was is not None:
                    doomed += Manifest.remove_doc(db, article.path)
                exists = db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone()
                if exists:
                    summary.duplicate += 1
                else:
                    chunks = fresh.get(article.id) or self.chunker.chunk(article)
                    Manifest.add_article(db, article, chunks)
                    summary.chunks_added += len(chunks)
                    if was is None:
                        summary.new += 1
                    else:
                        summary.updated += 1
                Manifest.add_doc(db, article.path, file.rel_path, article.id, article.title)
                changed = True
            for locator in before:  # records that vanished from a multi-article file
                doomed += Manifest.remove_doc(db, locator)
                changed = True
            Manifest.record_file(db, file.rel_path, str(file.abs_path), file_hash, "ok", None)
            if changed or doomed:
                Manifest.bump_generation(db)
        if doomed:
            summary.removed += len({c.rsplit("-", 1)[0] for c in doomed})
        return doomed

    def _store_group(self, group: list[tuple[str, np.ndarray, dict[str, Any], np.ndarray]]) -> None:
        """Vectors into Chroma first, then the manifest marks them: a crash in between only re-embeds."""
        ids = [chunk_id for chunk_id, _, _, _ in group]
        self.store.vectors.upsert(ids, np.stack([v for _, v, _, _ in group]), [m for _, _, m, _ in group])
        self.store.manifest.mark_embedded(ids, sentence_vectors=[s for _, _, _, s in group])

    def embed_pending(self, progress: Progress | None = None) -> int:
        """Embed every chunk the manifest marks as not yet in Chroma. Resumable batch by batch."""
        progress = progress or NoProgress()
        pending = self.store.manifest.pending_chunks()
        if not pending:
            return 0
        # Similar lengths in a batch waste less compute on padding.
        pending.sort(key=lambda row: len(row.embed_text))
        progress.start("embedding", len(pending))
        done = 0
        group: list[tuple[str, np.ndarray, dict[str, Any], np.ndarray]] = []
        last_flush = time.monotonic()
        try:
            for i in range(0, len(pending), self.batch_size):
                batch = pending[i : i + self.batch_size]
                # Sentence vectors come from the same pass (late chunking); the answerer scores sentences with them.
                offsets = [len(row.embed_text) - len(row.text) for row in batch]
                spans = [
                    [(start + offset, end + offset) for start, end in sentence_spans(row.text)]
                    for row, offset in zip(batch, offsets, strict=True)
                ]
                vectors, sentence_vectors = self.embedder.embed_with_spans([row.embed_text for row in batch], spans)
                for row, vector, sentences in zip(batch, vectors, sentence_vectors, strict=True):
                    metadata = VectorIndex.metadata(row.category, row.source, row.date, row.article_id)
                    group.append((row.id, vector, metadata, sentences))
                if (
                    len(group) >= UPSERT_GROUP
                    or time.monotonic() - last_flush >= FLUSH_SECONDS
                    or i + self.batch_size >= len(pending)
                ):
                    self._store_group(group)
                    done += len(group)
                    group = []
                    last_flush = time.monotonic()
                progress.advance(len(batch))
                log.debug("embedded %d of %d pending chunks, %d stored", i + len(batch), len(pending), done)
        except KeyboardInterrupt:
            # Ctrl-C (or SIGTERM, which the CLI turns into one): keep what was computed. Storing twice is
            # harmless (upsert, UPDATE), so an interrupt inside _store_group itself is fine too.
            if group:
                self._store_group(group)
            raise
        progress.finish()
        return done
