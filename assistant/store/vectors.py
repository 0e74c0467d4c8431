"""The Chroma collection: chunk embeddings plus the metadata that filters need.

We hand Chroma our own vectors and never let its default embedding function run (it downloads a model).
Chunk texts live in the manifest; Chroma keeps vectors and filterable metadata only, so the collection holds
no second copy of the corpus.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.errors import StoreUnavailable
from assistant.types import Filters

log = logging.getLogger(__name__)


def _date_int(date: str | None) -> int:
    return int(date.replace("-", "")) if date else 0


def chroma_client(chroma_dir: Path, chroma_url: str | None) -> Any:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if not url.hostname:
            raise StoreUnavailable(f"NEWS_ASSISTANT_CHROMA_URL is not a URL: {chroma_url!r}")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
            raise StoreUnavailable(f"cannot reach the Chroma server at {chroma_url}: {exc}") from None
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)


# What the embedded client raises when its SQLite tables name a vector its in-memory HNSW index lacks: another
# process (an ingest) added vectors after this one loaded the index (chroma-core/chroma#3792). Reopening the
# client loads the index anew.
STALE_INDEX_ERROR = "Error finding id"


class VectorIndex:
    def __init__(
        self,
        client: Any,
        name: str,
        *,
        reopen: Callable[[], Any] | None = None,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        """`reopen` makes a new client (embedded store only: a server has no stale in-memory index);
        `on_write` is called after each write of this process (the store records a vectors version)."""
        self._name = name
        self._reopen = reopen
        self._on_write = on_write
        self._reopen_lock = threading.Lock()
        self._client = client
        self._collection = self._open_collection(client)

    def _open_collection(self, client: Any) -> Any:
        try:
            return client.get_or_create_collection(
                name=self._name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreUnavailable(f"cannot open Chroma collection {self._name!r}: {exc}") from None

    def reopen(self) -> None:
        """Drop the client and open a new one, which reads the vectors other processes wrote since."""
        if self._reopen is None:
            return
        with self._reopen_lock:
            close = getattr(self._client, "close", None)
            if close is not None:
                close()  # the last client of a path stops its shared System, so the next one loads afresh
            self._client = self._reopen()
            self._collection = self._open_collection(self._client)

    def _read(self, call: Callable[[Any], Any]) -> Any:
        collection = self._collection
        try:
            return call(collection)
        except Exception as exc:
            if self._reopen is None:
                raise
            if self._collection is not collection:  # another thread reopened (and closed) the client meanwhile
                return call(self._collection)
            if STALE_INDEX_ERROR not in str(exc):
                raise
        log.info("another process wrote to the embedded Chroma store: reopening it")
        with self._reopen_lock:
            stale = self._collection is collection  # another thread may have reopened it meanwhile
        if stale:
            self.reopen()
        return call(self._collection)

    def count(self) -> int:
        return self._collection.count()

    def upsert(self, ids: Sequence[str], embeddings: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        self._collection.upsert(ids=list(ids), embeddings=embeddings, metadatas=list(metadatas))
        if self._on_write is not None:
            self._on_write()

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), 5000):
            self._collection.delete(ids=list(ids[i : i + 5000]))
        if ids and self._on_write is not None:
            self._on_write()

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 10000
        while True:
            batch = self._collection.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(batch)
            if len(batch) < page:
                return ids
            offset += page

    @staticmethod
    def metadata(category: str | None, source: str | None, date: str | None, article_id: str) -> dict[str, Any]:
        return {
            "article_id": article_id,
            "category": category or "",
            "source": source or "",
            "date": _date_int(date),
        }

    @staticmethod
    def where(filters: Filters | None) -> dict[str, Any] | None:
        if filters is None or filters.is_empty():
            return None
        clauses: list[dict[str, Any]] = []
        if filters.category:
            clauses.append({"category": {"$in": list(filters.category)}})
        if filters.source:
            clauses.append({"source": {"$in": list(filters.source)}})
        if filters.date_from:
            clauses.append({"date": {"$gte": _date_int(filters.date_from)}})
        if filters.date_to:
            clauses.append({"date": {"$lte": _date_int(filters.date_to)}})
            clauses.append({"date": {"$gt": 0}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def search(self, embedding: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, cosine similarity)."""
        # No count() first: Chroma returns what it has when k exceeds it, and the extra call cost ~8 ms per
        # question at 100k chunks (a second HTTP round trip against a server).
        result = self._read(
            lambda collection: collection.query(
                query_embeddings=[embedding.tolist()],
                n_results=k,
                where=self.where(filters),
                include=["distances"],
            )
        )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._read(lambda collection: collection.get(ids=list(ids), include=["embeddings"]))
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"], strict=True)}
