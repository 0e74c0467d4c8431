"""The manifest: a SQLite file that is the source of truth of a collection.

It records which files were ingested (with content hashes), which articles they hold, every chunk's text
and offsets, and whether the chunk's embedding is in Chroma yet. SQLite transactions make every ingest step
atomic (no half-written manifest after a crash), WAL mode lets a server read while an ingest writes, and the
BM25 index and the Chroma collection are derived from it and repaired against it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.types import Article, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,          -- relative, e.g. bbc/business/001.txt
    abs_path TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    status TEXT NOT NULL,           -- ok | failed
    reason TEXT
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, path TEXT NOT NULL, source TEXT, category TEXT,
    date TEXT, url TEXT, n_chunks INTEGER NOT NULL, added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS docs (     -- every place an article was found (duplicates share an article)
    locator TEXT PRIMARY KEY, file TEXT NOT NULL, article_id TEXT NOT NULL, title TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_article ON docs(article_id);
CREATE INDEX IF NOT EXISTS docs_file ON docs(file);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, embed_text TEXT NOT NULL,
    embedded INTEGER NOT NULL DEFAULT 0,
    sentence_vectors BLOB           -- float16 (sentences x 384), in sentence_spans(text) order
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(embedded) WHERE embedded = 0;
"""


SENTENCE_DTYPE = np.float16  # half precision: 0.001 cosine error, half the bytes


@dataclass(frozen=True)
class ChunkRow:
    id: str
    article_id: str
    position: int
    start: int
    end: int
    text: str
    embed_text: str
    title: str
    path: str
    source: str | None
    category: str | None
    date: str | None
    url: str | None
    sentence_blob: bytes | None = None

    @property
    def sentence_vectors(self) -> np.ndarray | None:
        if not self.sentence_blob:
            return None
        return np.frombuffer(self.sentence_blob, dtype=SENTENCE_DTYPE).reshape(-1, 384).astype(np.float32)


# An article as the article list shows it; store._summary reads the columns in this order.
_ARTICLE_SELECT = "SELECT id, title, path, source, category, date, n_chunks FROM articles"
_CHUNK_SELECT = """
SELECT c.id, c.article_id, c.position, c.start, c."end", c.text, c.embed_text,
       a.title, a.path, a.source, a.category, a.date, a.url, c.sentence_vectors
FROM chunks c JOIN articles a ON a.id = c.article_id
"""


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self.db.executescript(SCHEMA)  # idempotent; executescript manages its own transaction

    @property
    def db(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections must not be shared across threads.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    # --- meta
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @staticmethod
    def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every change to the set of chunks; the BM25 index records the one it was built from."""
        return int(self.get_meta("generation", "0") or 0)

    @classmethod
    def bump_generation(cls, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        cls.set_meta(db, "generation", str(int(row[0]) + 1 if row else 1))

    # --- files
    def file_hashes(self) -> dict[str, tuple[str, str]]:
        """path -> (file_hash, status)"""
        return {p: (h, s) for p, h, s in self.db.execute("SELECT path, file_hash, status FROM files")}

    def files_under(self, abs_root: str) -> list[tuple[str, str]]:
        prefix = abs_root.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT path, abs_path FROM files WHERE abs_path = ? OR substr(abs_path, 1, ?) = ?",
            (abs_root, len(prefix), prefix),
        )
        return list(rows)

    @staticmethod
    def record_file(
        db: sqlite3.Connection, path: str, abs_path: str, file_hash: str, status: str, reason: str | None
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO files(path, abs_path, file_hash, status, reason) VALUES (?, ?, ?, ?, ?)",
            (path, abs_path, file_hash, status, reason),
        )

    # --- articles and docs
    def article_exists(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    @staticmethod
    def docs_of_file(db: sqlite3.Connection, path: str) -> list[tuple[str, str]]:
        """(locator, article_id) of every article found in the file at `path`."""
        return list(db.execute("SELECT locator, article_id FROM docs WHERE file = ?", (path,)))

    @staticmethod
    def add_article(db: sqlite3.Connection, article: Article, chunks: Sequence[Chunk]) -> None:
        db.execute(
            "INSERT INTO articles(id, title, path, source, category, date, url, n_chunks, added)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.title,
                article.path,
                article.source,
                article.category,
                article.date,
                article.url,
                len(chunks),
                time.time(),
            ),
        )
        db.executemany(
            'INSERT OR REPLACE INTO chunks(id, article_id, position, start, "end", text, embed_text, embedded)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            [(c.id, c.article_id, c.position, c.start, c.end, c.text, c.embed_text) for c in chunks],
        )

    @staticmethod
    def add_doc(db: sqlite3.Connection, locator: str, file: str, article_id: str, title: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO docs(locator, file, article_id, title) VALUES (?, ?, ?, ?)",
            (locator, file, article_id, title),
        )

    @staticmethod
    def remove_file(db: sqlite3.Connection, path: str) -> list[str]:
        """Forget a file and its docs; returns the ids of chunks of articles no other file holds any more."""
        article_ids = {a for (a,) in db.execute("SELECT article_id FROM docs WHERE file = ?", (path,))}
        db.execute("DELETE FROM docs WHERE file = ?", (path,))
        db.execute("DELETE FROM files WHERE path = ?", (path,))
        return Manifest.collect_orphans(db, article_ids)

    @staticmethod
    def remove_article(db: sqlite3.Connection, article_id: str) -> list[str]:
        """Forget an article wherever it was found (its files stay recorded, so an unchanged file does not bring
        it back on the next ingest); returns its chunk ids."""
        db.execute("DELETE FROM docs WHERE article_id = ?", (article_id,))
        return Manifest.collect_orphans(db, [article_id])

    def article_row(self, article_id: str) -> tuple[Any, ...] | None:
        """One article's `_ARTICLE_SELECT` row."""
        return self.db.execute(f"{_ARTICLE_SELECT} WHERE id = ?", (article_id,)).fetchone()

    def find_articles(self, query: str, limit: int) -> tuple[int, list[tuple[Any, ...]]]:
        """(how many articles match, the first `limit`, newest first): an article matches when each word of
        `query` is in its title, path, source or category (any case)."""
        words = query.split()
        where = " AND ".join(
            "(title || ' ' || path || ' ' || COALESCE(source, '') || ' ' || COALESCE(category, '')) LIKE ? ESCAPE '\\'"
            for _ in words
        )
        patterns = ["%" + re.sub(r"([%_\\])", r"\\\1", word) + "%" for word in words]
        clause = f" WHERE {where}" if words else ""
        total = self.db.execute(f"SELECT COUNT(*) FROM articles{clause}", patterns).fetchone()[0]
        rows = self.db.execute(
            f"{_ARTICLE_SELECT}{clause} ORDER BY date IS NULL, date DESC, title LIMIT ?",
            [*patterns, limit],
        ).fetchall()
        return total, rows

    @staticmethod
    def remove_doc(db: sqlite3.Connection, locator: str) -> list[str]:
        article_ids = {a for (a,) in db.execute("SELECT article_id FROM docs WHERE locator = ?", (locator,))}
        db.execute("DELETE FROM docs WHERE locator = ?", (locator,))
        return Manifest.collect_orphans(db, article_ids)

    @staticmethod
    def collect_orphans(db: sqlite3.Connection, article_ids: Iterable[str]) -> list[str]:
        """Delete articles that no doc points to any more; return their chunk ids (to delete from Chroma)."""
        removed: list[str] = []
        for article_id in article_ids:
            remaining = db.execute(
                "SELECT locator, title FROM docs WHERE article_id = ? ORDER BY locator LIMIT 1", (article_id,)
            ).fetchone()
            if remaining is None:
                removed += [c for (c,) in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
                db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            else:  # the canonical path went away: point the article at a remaining copy
                db.execute(
                    "UPDATE articles SET path = ?, title = ? WHERE id = ? AND path NOT IN"
                    " (SELECT locator FROM docs WHERE article_id = ?)",
                    (remaining[0], remaining[1], article_id, article_id),
                )
        return removed

    def other_paths(self, article_ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(set(article_ids))
        result: dict[str, list[str]] = {a: [] for a in ids}
        if not ids:
            return result
        marks = ",".join("?" * len(ids))
        for article_id, locator in self.db.execute(
            f"SELECT article_id, locator FROM docs WHERE article_id IN ({marks}) ORDER BY locator", ids
        ):
            result[article_id].append(locator)
        return result

    # --- chunks
    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRow]:
        if not chunk_ids:
            return {}
        out: dict[str, ChunkRow] = {}
        ids = list(chunk_ids)
        for i in range(0, len(ids), 500):  # SQLite caps bound parameters
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(_CHUNK_SELECT + f" WHERE c.id IN ({marks})", part):
                out[row[0]] = ChunkRow(*row)
        return out

    def recent_titles(self, limit: int) -> list[str]:
        """Headlines of the newest articles (by date, then by when they were added)."""
        rows = self.db.execute(
            "SELECT title FROM articles ORDER BY date IS NULL, date DESC, added DESC, id LIMIT ?", (limit,)
        )
        return [title for (title,) in rows]

    def chunks_of_article(self, article_id: str) -> list[ChunkRow]:
        """Every chunk of an article, in position order."""
        return [
            ChunkRow(*row)
            for row in self.db.execute(_CHUNK_SELECT + " WHERE c.article_id = ? ORDER BY c.position", (article_id,))
        ]

    def all_chunks(self) -> Iterator[ChunkRow]:
        for row in self.db.execute(_CHUNK_SELECT + " ORDER BY c.id"):
            yield ChunkRow(*row)

    def pending_chunks(self) -> list[ChunkRow]:
        return [ChunkRow(*row) for row in self.db.execute(_CHUNK_SELECT + " WHERE c.embedded = 0 ORDER BY c.id")]

    def pending_count(self) -> tuple[int, int]:
        """(chunks not yet embedded, all chunks); the first is cheap (partial index), the second only when > 0."""
        pending = self.db.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]
        return pending, self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] if pending else 0

    def embedded_ids(self) -> set[str]:
        return {c for (c,) in self.db.execute("SELECT id FROM chunks WHERE embedded = 1")}

    def all_chunk_ids(self) -> set[str]:
        return {c for (c,) in self.db.execute("SELECT id FROM chunks")}

    def mark_embedded(
        self, chunk_ids: Sequence[str], embedded: bool = True, sentence_vectors: Sequence[np.ndarray] | None = None
    ) -> None:
        with self.transaction() as db:
            if sentence_vectors is None:
                db.executemany("UPDATE chunks SET embedded = ? WHERE id = ?", [(int(embedded), c) for c in chunk_ids])
            else:
                db.executemany(
                    "UPDATE chunks SET embedded = ?, sentence_vectors = ? WHERE id = ?",
                    [
                        (int(embedded), v.astype(SENTENCE_DTYPE).tobytes(), c)
                        for c, v in zip(chunk_ids, sentence_vectors, strict=True)
                    ],
                )

    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "articles": q("SELECT COUNT(*) FROM articles").fetchone()[0],
            "documents": q("SELECT COUNT(*) FROM docs").fetchone()[0],
            "files": q("SELECT COUNT(*) FROM files").fetchone()[0],
            "failed_files": q("SELECT COUNT(*) FROM files WHERE status = 'failed'").fetchone()[0],
            "chunks": q("SELECT COUNT(*) FROM chunks").fetchone()[0],
            "embedded_chunks": q("SELECT COUNT(*) FROM chunks WHERE embedded = 1").fetchone()[0],
            "undated": q("SELECT COUNT(*) FROM articles WHERE date IS NULL").fetchone()[0],
        }

    def facets(self) -> dict[str, list[str]]:
        q = self.db.execute
        return {
            "source": [s for (s,) in q("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY 1")],
            "category": [
                c for (c,) in q("SELECT DISTINCT category FROM articles WHERE category IS NOT NULL ORDER BY 1")
            ],
        }

    def date_range(self) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT MIN(date), MAX(date) FROM articles WHERE date IS NOT NULL").fetchone()
        return row[0], row[1]
