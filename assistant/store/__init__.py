"""Storage of a collection: the manifest (truth), the BM25 index and the Chroma vectors (both derived)."""

from assistant.store.store import Store, StoreStats
from assistant.store.vectors import StoreUnavailable

__all__ = ["Store", "StoreStats", "StoreUnavailable"]
