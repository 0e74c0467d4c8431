"""The benchmark's measuring processes: `python -m bench.workers <worker> <spec.json> <result.json>`.

Every step that opens a Chroma store runs in its own process (Chroma's embedded client is not meant to share a
directory between processes), and latency / memory are measured in a fresh, warmed-up process of its own.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.common import hit, load_average, percentiles, proc_status, write_json

Spec = dict[str, Any]


# ------------------------------------------------------------------------------------------------ timers
class Timers:
    """Wall time accumulated per named function, by wrapping methods on their classes (this process only)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # the core moves on; measure what exists
            return
        timers = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.seconds[label] += time.perf_counter() - t0
                timers.calls[label] += 1

        setattr(owner, name, timed)

    def report(self) -> dict[str, dict[str, float]]:
        return {k: {"seconds": round(v, 3), "calls": self.calls[k]} for k, v in self.seconds.most_common()}


def _instrument_ingest() -> Timers:
    import assistant.ingest.pipeline as pipeline
    from assistant.embedding import MiniLMEmbedding
    from assistant.ingest.chunking import Chunker
    from assistant.store.manifest import Manifest
    from assistant.store.store import Store
    from assistant.store.vectors import VectorIndex

    timers = Timers()
    timers.wrap(pipeline, "read_articles", "read+parse files")
    timers.wrap(Chunker, "chunk", "chunking")
    timers.wrap(Store, "rebuild_lexical", "BM25 rebuild+save")
    timers.wrap(Store, "repair", "store repair check")
    timers.wrap(Manifest, "pending_chunks", "manifest pending query")
    import onnxruntime

    timers.wrap(MiniLMEmbedding, "embed", "embed() (tokenize+onnx+pool)")
    timers.wrap(MiniLMEmbedding, "embed_with_spans", "embed_with_spans() (tokenize+onnx+pool+sentence pool)")
    timers.wrap(onnxruntime.InferenceSession, "run", "  of which onnx session.run")
    timers.wrap(VectorIndex, "upsert", "chroma upsert")
    timers.wrap(VectorIndex, "delete", "chroma delete")
    timers.wrap(Manifest, "mark_embedded", "manifest mark_embedded")
    return timers


def _profiled(path: str | None, run: Callable[[], Any]) -> Any:
    """Run `run`, under pyinstrument when a path is given (HTML and text reports beside it)."""
    if not path:
        return run()
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        return run()
    finally:
        profiler.stop()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(profiler.output_html(), encoding="utf-8")
        Path(path).with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8"
        )


# ------------------------------------------------------------------------------------------------ ingest
def ingest(spec: Spec) -> dict[str, Any]:
    """Our ingest of `paths` into `data_dir`, with a per-stage time breakdown."""
    from assistant import Assistant, Settings
    from assistant.embedding import get_embedder

    timers = _instrument_ingest()
    t0 = time.perf_counter()
    get_embedder()
    model_load = time.perf_counter() - t0
    assistant = Assistant(Settings(data_dir=spec["data_dir"], ingest_seeds_on_first_run=False))
    load_before = load_average()
    t0 = time.perf_counter()
    summary = _profiled(spec.get("profile"), lambda: assistant.ingest(spec["paths"]))
    wall = time.perf_counter() - t0
    data = asdict(summary)
    data["failures"] = data["failures"][:20]
    return {
        "wall_seconds": round(wall, 3),
        "model_load_seconds": round(model_load, 3),
        "summary": data,
        "breakdown": timers.report(),
        "stats": asdict(assistant.status()) | {"categories": None, "sources": None},
        "peak_rss_bytes": proc_status().get("VmHWM"),
        "load_average": {"before": load_before, "after": load_average()},
    }


# ------------------------------------------------------------------------------------------------ latency
def latency(spec: Spec) -> dict[str, Any]:
    """Warm-process latencies: retrieval alone and full extractive answers; hit@5; peak RSS."""
    from assistant import Assistant, Settings

    # the extractive backend by name: "auto" would pick the reader where its model is installed
    settings = Settings(
        data_dir=spec["data_dir"],
        chroma_url=spec.get("chroma_url"),
        ingest_seeds_on_first_run=False,
        backend="extractive",
    )
    questions: list[str] = spec["questions"]
    t0 = time.perf_counter()
    assistant = Assistant(settings)
    assistant.ask(questions[0])  # loads the model, the BM25 index, the manifest and the Chroma collection
    first_answer = time.perf_counter() - t0
    for question in questions[1 : 1 + spec.get("warmup", 5)]:
        assistant.ask(question)
    load_before = load_average()

    retrieval: list[float] = []
    modes: Counter[str] = Counter()
    for question in questions:
        t0 = time.perf_counter()
        result = assistant.retriever.retrieve(question, settings.top_k)
        retrieval.append(time.perf_counter() - t0)
        modes[result.mode] += 1

    answers: list[float] = []
    stages: dict[str, list[float]] = {}
    abstained = 0

    def ask_all() -> None:
        nonlocal abstained
        for question in questions:
            t0 = time.perf_counter()
            answer = assistant.ask(question)
            answers.append(time.perf_counter() - t0)
            abstained += answer.abstained
            for stage, seconds in answer.timings.items():
                stages.setdefault(stage, []).append(seconds)

    _profiled(spec.get("profile"), ask_all)

    hits: dict[str, Any] = {}
    if spec.get("hit_items"):
        found = 0
        misses: list[str] = []
        for item in spec["hit_items"]:
            result = assistant.retriever.retrieve(item["question"], 5)
            paths = [p.path for p in result.passages] + [a for p in result.passages for a in p.also_in]
            if hit(item["articles"], paths):
                found += 1
            else:
                misses.append(item["id"])
        hits = {"n": len(spec["hit_items"]), "hits": found, "hit_at_5": round(found / len(spec["hit_items"]), 4)}
        hits["misses"] = misses
    stats = assistant.status()
    return {
        "chroma": settings.chroma_url or "embedded PersistentClient",
        "chunks": stats.chunks,
        "embedded_chunks": stats.embedded_chunks,
        "first_answer_seconds_cold": round(first_answer, 3),
        "retrieval": percentiles(retrieval),
        "answer": percentiles(answers),
        "answer_stages": {stage: percentiles(values) for stage, values in stages.items()},
        "modes": dict(modes),
        "abstained": abstained,
        "hits": hits,
        "peak_rss_bytes": proc_status().get("VmHWM"),
        "load_average": {"before": load_before, "after": load_average()},
    }


def reader_latency(spec: Spec) -> dict[str, Any]:
    """The reader backend against the extractive one, question by question in one warm process, so both see the
    same load; each question is asked once per backend (llama.cpp's prompt cache then only holds the shared
    system prompt, as for a real stream of new questions)."""
    from assistant import Assistant, Settings
    from assistant.local_llm import LocalModelUnavailable

    settings = Settings(data_dir=spec["data_dir"], ingest_seeds_on_first_run=False)
    questions: list[str] = spec["questions"]
    assistant = Assistant(settings)
    assistant.ask(questions[0], backend="extractive")  # loads the embedding model, the BM25 index, the store
    t0 = time.perf_counter()
    try:
        assistant.start_local_model()  # joins the GGUF on the first run, then loads it
    except LocalModelUnavailable as exc:
        return {"skipped": str(exc)}
    model_start = time.perf_counter() - t0
    extractive: list[float] = []
    reader: list[float] = []
    consulted = abstained = 0
    for question in questions:
        t0 = time.perf_counter()
        assistant.ask(question, backend="extractive")
        extractive.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        answer = assistant.ask(question, backend="reader")
        reader.append(time.perf_counter() - t0)
        consulted += answer.model is not None  # the model is not asked for quotes, nor when no sentence passed
        abstained += answer.abstained
    ext, rdr = percentiles(extractive), percentiles(reader)
    return {
        "model": assistant.settings.openai_model,
        "model_start_seconds": round(model_start, 2),
        "extractive": ext,
        "reader": rdr,
        "ratio_reader_over_extractive": {
            k: round(rdr[k] / ext[k], 1) for k in ("p50_ms", "p95_ms") if ext.get(k) and rdr.get(k)
        },
        "model_consulted": consulted,
        "reader_abstained": abstained,
        "load_average": load_average(),
    }


def answer_rss(spec: Spec) -> dict[str, Any]:
    """Peak RSS of a process doing nothing but answering the questions through `Assistant.ask`."""
    from assistant import Assistant, Settings

    assistant = Assistant(Settings(data_dir=spec["data_dir"], ingest_seeds_on_first_run=False, backend="extractive"))
    t0 = time.perf_counter()
    for question in spec["questions"]:
        assistant.ask(question)
    return {
        "questions": len(spec["questions"]),
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_rss_bytes": proc_status().get("VmHWM"),
        "rss_bytes_at_end": proc_status().get("VmRSS"),
    }


# ------------------------------------------------------------------------------------------------ naive
def naive(spec: Spec) -> dict[str, Any]:
    """A naive LlamaIndex pipeline: SimpleDirectoryReader, `VectorStoreIndex.from_documents` with the default
    splitter into Chroma, our MiniLM as `embed_model`. Then its hit@5 on the eval set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.schema import MetadataMode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.embedding import MODEL_WINDOW, get_embedder

    embedder = get_embedder()
    corpus_parent = Path(spec["corpus_parent"]).resolve()
    load_before = load_average()
    t0 = time.perf_counter()
    documents = []
    for folder in spec["paths"]:
        # exclude_hidden=False: the CI work dir lives under ~/.cache, and a hidden parent would hide every file
        documents += SimpleDirectoryReader(folder, recursive=True, exclude_hidden=False).load_data()
    client = chromadb.PersistentClient(path=spec["chroma_dir"], settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("naive", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder)
    wall = time.perf_counter() - t0

    # Not timed: what the default splitter made of the corpus (split again, not embedded again), and how much
    # of it the model never read (it stops at 256 word pieces).
    splitter = LlamaSettings.node_parser
    nodes = splitter.get_nodes_from_documents(documents)
    embed_texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    pieces = [embedder.count_tokens(t) + 2 for t in embed_texts]
    truncated = sum(p > MODEL_WINDOW for p in pieces)

    retriever = index.as_retriever(similarity_top_k=5)
    found, misses, seconds = 0, [], []
    for item in spec["hit_items"]:
        t1 = time.perf_counter()
        results = retriever.retrieve(item["question"])
        seconds.append(time.perf_counter() - t1)
        paths = [Path(r.node.metadata["file_path"]).resolve().relative_to(corpus_parent).as_posix() for r in results]
        if hit(item["articles"], paths):
            found += 1
        else:
            misses.append(item["id"])
    return {
        "wall_seconds": round(wall, 3),
        "documents": len(documents),
        "nodes": collection.count(),
        "splitter": f"{type(splitter).__name__}(chunk_size={splitter.chunk_size}, "
        f"chunk_overlap={splitter.chunk_overlap}, tokenizer=tiktoken cl100k_base from llama-index's bundled cache)",
        "nodes_truncated_by_model": truncated,
        "word_pieces_per_node_mean": round(sum(pieces) / max(len(pieces), 1), 1),
        "word_pieces_never_read": int(sum(max(0, p - MODEL_WINDOW) for p in pieces)),
        "hits": {
            "n": len(spec["hit_items"]),
            "hits": found,
            "hit_at_5": round(found / max(len(spec["hit_items"]), 1), 4),
            "misses": misses,
        },
        "retrieval": percentiles(seconds),
        "peak_rss_bytes": proc_status().get("VmHWM"),
        "load_average": {"before": load_before, "after": load_average()},
    }


# ------------------------------------------------------------------------------------------------ scale
def build_scale(spec: Spec) -> dict[str, Any]:
    """A ~N-chunk collection: the real BBC+seed ingest replayed (real vectors) plus synthetic articles."""
    import numpy as np

    from assistant.config import Settings
    from assistant.embedding import get_embedder
    from assistant.ingest.chunking import Chunker
    from assistant.ingest.pipeline import IngestPipeline
    from assistant.store import Store
    from bench.synth import ReplayEmbedder, SyntheticCorpus, articles_needed, chunks_per_article, sentence_pool

    timers = _instrument_ingest()
    seed = int(spec["seed"])
    source = Store(Settings(data_dir=spec["source_data_dir"], ingest_seeds_on_first_run=False))
    rows = list(source.manifest.all_chunks())
    known: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for i in range(0, len(rows), 1000):
        part = rows[i : i + 1000]
        vectors = source.vectors.embeddings([r.id for r in part])
        known.update(
            {r.embed_text: (vectors[r.id], getattr(r, "sentence_vectors", None)) for r in part if r.id in vectors}
        )

    settings = Settings(data_dir=spec["data_dir"], ingest_seeds_on_first_run=False)
    chunker = Chunker(get_embedder().token_ids, settings.chunk_size, settings.chunk_overlap)
    t0 = time.perf_counter()
    sentences, titles, categories = sentence_pool(Path(spec["bbc_dir"]), set(spec["exclude"]))
    corpus = SyntheticCorpus(sentences, titles, categories, seed)
    per_article = chunks_per_article(corpus, chunker, seed + 1)
    n_articles = articles_needed(int(spec["target_chunks"]), len(rows), per_article)
    corpus.write(Path(spec["synth_dir"]), n_articles)
    synth_seconds = time.perf_counter() - t0

    embedder = ReplayEmbedder(known, seed + 2)
    pipeline = IngestPipeline(Store(settings), embedder, chunker, batch_size=int(spec.get("batch_size", 512)))  # type: ignore[arg-type]
    t0 = time.perf_counter()
    summary = pipeline.run([*spec["paths"], spec["synth_dir"]])
    ingest_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipeline.store.rebuild_lexical()
    bm25_seconds = time.perf_counter() - t0
    return {
        "real_chunks": len(rows),
        "real_vectors_found": len(known),
        "sentence_pool": len(sentences),
        "synthetic_articles": n_articles,
        "synthetic_chunks_per_article": round(per_article, 2),
        "chunks": pipeline.store.manifest.counts()["chunks"],
        "vectors": pipeline.store.vectors.count(),
        "replayed_vectors": embedder.replayed,
        "synthetic_vectors": embedder.synthetic,
        "write_synthetic_files_seconds": round(synth_seconds, 2),
        "ingest_without_model_seconds": round(ingest_seconds, 2),
        "lexical_ready_seconds": round(summary.lexical_ready_seconds or 0.0, 2),
        "bm25_rebuild_seconds": round(bm25_seconds, 2),
        "breakdown": timers.report(),
        "summary": asdict(summary) | {"failures": asdict(summary)["failures"][:20]},
        "peak_rss_bytes": proc_status().get("VmHWM"),
    }


WORKERS: dict[str, Callable[[Spec], dict[str, Any]]] = {
    "ingest": ingest,
    "latency": latency,
    "reader": reader_latency,
    "answer_rss": answer_rss,
    "naive": naive,
    "build_scale": build_scale,
}


def main(argv: list[str]) -> int:
    name, spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result = WORKERS[name](spec)
    write_json(Path(out_path), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
