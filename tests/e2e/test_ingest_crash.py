"""`news-assistant ingest` killed (SIGKILL: no handler runs) at 10 random moments over 300 BBC articles, resumed
each time: the store ends equal to a clean ingest of the same files, and the embeddings computed before each kill
are kept (they are stored at least every FLUSH_SECONDS), so three kills in a row no longer lose everything.

The clean ingest to compare with runs in this process with a stand-in embedder (ids, texts, BM25 and manifest do
not depend on the vectors); the killed-and-resumed store's vectors are checked against the real model on a sample.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.ingest.chunking import Chunker
from assistant.ingest.pipeline import IngestPipeline
from assistant.store.lexical import LexicalIndex
from tests.conftest import BBC, REPO, require

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ARTICLES = 300
KILLS = 10
SEED = 20261127
# The pipeline logs each embedded batch at debug level; this makes the CLI print those lines (its root logger
# stays at warning, but a child logger's own level decides what reaches the root's stderr handler).
SITECUSTOMIZE = 'import logging\nlogging.getLogger("assistant.ingest.pipeline").setLevel(logging.DEBUG)\n'
BATCH_LINE = re.compile(r"embedded (\d+) of (\d+) pending chunks, (\d+) stored")


class StandInEmbedder:
    """Seeded random vectors: the clean reference ingest needs chunk ids, not the model's vectors."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def embed_with_spans(self, texts: list[str], spans: list) -> tuple[np.ndarray, list[np.ndarray]]:  # type: ignore[type-arg]
        vectors = self.rng.normal(size=(len(texts), 384)).astype(np.float32)
        return vectors, [self.rng.normal(size=(len(s), 384)).astype(np.float32) for s in spans]


def copy_articles(target: Path) -> Path:
    files = sorted(p for p in BBC.rglob("*.txt") if p.name.upper() != "README.TXT")
    for source in random.Random(SEED).sample(files, ARTICLES):
        (target / source.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target / source.parent.name / source.name)
    return target


def computed_in(log_path: Path) -> list[int]:
    return [int(computed) for computed, _, _ in BATCH_LINE.findall(log_path.read_text())]


def embedded_count(data_dir: Path) -> int:
    path = Settings(data_dir=data_dir).collection_dir / "manifest.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 1").fetchone()[0])
        except sqlite3.OperationalError:  # killed before the schema was written
            return 0


def snapshot(settings: Settings) -> dict[str, object]:
    """Everything an ingest produces except vectors and timestamps."""
    store = Assistant(settings).store
    q = store.manifest.db.execute
    lexical = LexicalIndex.load(settings.collection_dir / "bm25")
    assert lexical is not None and lexical.generation == store.manifest.generation
    metadatas = store.vectors._collection.get(include=["metadatas"])
    return {
        "files": q("SELECT path, file_hash, status FROM files ORDER BY path").fetchall(),
        "articles": q(
            "SELECT id, title, path, source, category, date, url, n_chunks FROM articles ORDER BY id"
        ).fetchall(),
        "docs": q("SELECT locator, file, article_id, title FROM docs ORDER BY locator").fetchall(),
        "chunks": q(
            'SELECT id, article_id, position, start, "end", text, embed_text, embedded, sentence_vectors IS NOT NULL'
            " FROM chunks ORDER BY id"
        ).fetchall(),
        "bm25_ids": sorted(lexical.ids),
        "vectors": sorted(zip(metadatas["ids"], map(sorted, (m.items() for m in metadatas["metadatas"])), strict=True)),
    }


def test_killed_ingests_resume_to_the_same_store_and_keep_their_work(tmp_path: Path) -> None:
    require(BBC.is_dir(), f"the BBC corpus is expected at {BBC}")
    started = time.perf_counter()
    corpus = copy_articles(tmp_path / "bbc")
    data_dir = tmp_path / "killed"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    env |= {"HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))}
    # One thread: batches take about as long on any machine (~1-2 s), so kills land as intended, and the test
    # leaves a core to the rest of the machine.
    env["NEWS_ASSISTANT_EMBED_THREADS"] = "1"
    command = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--data-dir", str(data_dir)]
    rng = random.Random(SEED)

    computed_total = kept_total = 0
    per_kill: list[tuple[int, int]] = []
    for kill in range(KILLS):
        before = embedded_count(data_dir)
        log_path = tmp_path / "ingest.log"
        with log_path.open("w") as log_file:
            process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log_file)
            # Kills 0, 3, 6 and 9 at any moment (start-up, reading, BM25, repair), the others while embedding.
            if kill % 3 == 0:
                time.sleep(rng.uniform(0.5, 6.0))
            else:  # after 1-4 more batches and a fraction of the next: at most 6 x 5 x 32 of the ~1,000 chunks
                target = rng.randint(1, 4) * 32
                deadline = time.monotonic() + 300
                while process.poll() is None and max(computed_in(log_path), default=0) < target:
                    assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 1.0))
            assert process.poll() is None, "the ingest finished before its kill: use more articles"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        computed = max(computed_in(log_path), default=0)  # chunks whose vectors the killed process had computed
        kept = embedded_count(data_dir) - before
        per_kill.append((computed, kept))
        computed_total += computed
        kept_total += kept

    final = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert final.returncode == 0, final.stderr[-3000:]
    crash_seconds = time.perf_counter() - started

    clean = Settings(data_dir=tmp_path / "clean", ingest_seeds_on_first_run=False)
    assistant = Assistant(clean)
    real = assistant.embedder
    chunker = Chunker(real.token_ids, clean.chunk_size, clean.chunk_overlap, token_starts=real.token_starts)
    IngestPipeline(assistant.store, StandInEmbedder(), chunker).run([corpus])  # type: ignore[arg-type]

    killed = Settings(data_dir=data_dir, ingest_seeds_on_first_run=False)
    got, want = snapshot(killed), snapshot(clean)
    for key in want:
        assert got[key] == want[key], f"{key} differs from a clean ingest"
    store = Assistant(killed).store
    chunk_count = len(want["chunks"])  # type: ignore[arg-type]
    assert store.vectors.count() == chunk_count and store.stats().fully_embedded
    # the stored vectors are the model's vectors of those chunks (a sample; batching changes the int8 rounding)
    sample = random.Random(SEED).sample(sorted(store.manifest.all_chunk_ids()), 48)
    rows = store.manifest.chunks_by_id(sample)
    stored = store.vectors.embeddings(sample)
    fresh = real.embed([rows[i].embed_text for i in sample])
    unit = {i: stored[i] / np.linalg.norm(stored[i]) for i in sample}
    cosines = [float(unit[i] @ v) / float(np.linalg.norm(v)) for i, v in zip(sample, fresh, strict=True)]
    assert min(cosines) > 0.99

    share = kept_total / max(computed_total, 1)
    print(
        f"\ncrash test: {KILLS} kills, {chunk_count} chunks; computed before the kills {computed_total}, kept "
        f"{kept_total} ({share:.1%}); per kill (computed, kept): {per_kill}; "
        f"{crash_seconds:.0f}s for the killed ingests and the resume, {time.perf_counter() - started:.0f}s in all"
    )
    assert computed_total > 0, "no kill landed while embedding"
    assert share >= 0.9
