"""Work an interrupted ingest keeps: embeddings stored within seconds, Ctrl-C keeps what was computed, one
writer per collection, and readers that see (and say) what another process is still embedding."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from filelock import FileLock, Timeout

import assistant.ingest.pipeline as pipeline_module
from assistant import Assistant, Settings
from assistant.errors import IngestInProgress
from assistant.ingest.chunking import Chunker
from assistant.ingest.pipeline import IngestPipeline
from tests.conftest import REPO, write_corpus

WORDS = (
    "council budget minister league striker profits shares court judge film award album election vote club "
    "market bank chancellor tax coach season record sales growth police report network software phone"
).split()


def articles(n: int, seed: int = 0, prefix: str = "story") -> dict[str, str]:
    """n distinct one-chunk articles of seeded random words."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        sentences = [" ".join(rng.choice(WORDS, size=12)).capitalize() + "." for _ in range(4)]
        out[f"{prefix}{i:03d}.txt"] = f"{prefix.capitalize()} number {i}\n\n" + " ".join(sentences)
    return out


class FakeClock:
    """Stands in for the pipeline's `time` module: each fake embedding batch "takes" `step` seconds."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.module = SimpleNamespace(
            monotonic=lambda: self.now, perf_counter=time.perf_counter, strftime=time.strftime
        )


class SlowEmbedder:
    """Real vectors, fake time; optionally raises KeyboardInterrupt (Ctrl-C) at a given batch."""

    def __init__(self, real: object, clock: FakeClock, interrupt_at: int | None = None) -> None:
        self.real = real
        self.clock = clock
        self.interrupt_at = interrupt_at
        self.batches = 0
        self.lag: list[int] = []  # chunks computed but not yet stored, after each batch
        self.computed = 0

    def embed_with_spans(self, texts: list[str], spans: list) -> tuple[np.ndarray, list[np.ndarray]]:  # type: ignore[type-arg]
        self.batches += 1
        if self.interrupt_at is not None and self.batches == self.interrupt_at:
            raise KeyboardInterrupt
        self.clock.now += self.clock.step
        self.computed += len(texts)
        return self.real.embed_with_spans(texts, spans)  # type: ignore[attr-defined]


def pipeline_with(assistant: Assistant, embedder: SlowEmbedder) -> IngestPipeline:
    real = assistant.embedder
    size, overlap = assistant.settings.chunk_size, assistant.settings.chunk_overlap
    chunker = Chunker(real.token_ids, size, overlap, token_starts=real.token_starts)
    return IngestPipeline(assistant.store, embedder, chunker, batch_size=1)  # type: ignore[arg-type]


def test_embeddings_are_stored_at_least_every_flush_interval(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "wire", articles(12))
    assistant = Assistant(settings)
    clock = FakeClock(step=0.4)
    monkeypatch.setattr(pipeline_module, "time", clock.module)
    monkeypatch.setattr(pipeline_module, "FLUSH_SECONDS", 1.0)
    embedder = SlowEmbedder(assistant.embedder, clock)
    stores: list[tuple[float, int]] = []  # (fake time, chunks computed) at each store
    manifest = assistant.store.manifest
    original = manifest.mark_embedded

    def mark_embedded(ids, *args, **kwargs):  # type: ignore[no-untyped-def]
        stores.append((clock.now, embedder.computed))
        return original(ids, *args, **kwargs)

    monkeypatch.setattr(manifest, "mark_embedded", mark_embedded)
    summary = pipeline_with(assistant, embedder).run([corpus])
    assert summary.chunks_embedded == 12
    # 12 batches of 0.4 s: a store every 3 batches (1.2 s >= 1 s), not one group of 12 at the end
    assert [computed for _, computed in stores] == [3, 6, 9, 12]
    gaps = np.diff([0.0] + [t for t, _ in stores])
    assert gaps.max() <= 1.0 + clock.step  # never more than the interval plus one batch unstored


def test_ctrl_c_stores_the_embeddings_computed_so_far(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "wire", articles(8))
    assistant = Assistant(settings)
    clock = FakeClock(step=0.01)  # far below the flush interval: nothing is stored before the interrupt
    monkeypatch.setattr(pipeline_module, "time", clock.module)
    embedder = SlowEmbedder(assistant.embedder, clock, interrupt_at=6)
    with pytest.raises(KeyboardInterrupt):
        pipeline_with(assistant, embedder).run([corpus])
    stats = assistant.status()
    assert (stats.chunks, stats.embedded_chunks, assistant.store.vectors.count()) == (8, 5, 5)
    resumed = Assistant(settings).ingest([corpus])
    assert resumed.chunks_embedded == 3 and Assistant(settings).status().fully_embedded


def test_an_ingest_does_not_wait_for_itself_and_no_wait_refuses_when_busy(settings: Settings, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "wire", articles(2))
    assistant = Assistant(settings)
    with assistant.store.writing():  # re-entrant in one thread (ensure_seeded holds it around ingest)
        assert assistant.ingest([corpus], wait=False).chunks_embedded == 2
    other = Assistant(settings)  # another writer (here: another thread) while the lock is held
    lock = FileLock(settings.collection_dir / "ingest.lock", thread_local=False)
    with lock:
        errors: list[BaseException] = []
        thread = threading.Thread(target=lambda: _catch(errors, lambda: other.ingest([corpus], wait=False)))
        thread.start()
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], IngestInProgress)
    assert "another ingest is writing to collection news in" in str(errors[0])


def _catch(errors: list[BaseException], call: object) -> None:
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:
        errors.append(exc)


def test_answers_say_embeddings_are_pending_while_some_are(settings: Settings, tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "wire",
        {
            "a.txt": "Carmaker profits jump\n\nThe carmaker said quarterly profits rose 20% on strong sales in Asia.",
            "b.txt": "Chelsea top the league\n\nChelsea beat Arsenal 2-1 to go top of the Premiership table.",
        },
    )
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    complete = assistant.ask("How much did the carmaker's quarterly profits rise?")
    assert not any("still being computed" in note for note in complete.notes)
    # as while an ingest is still embedding: one of the two chunks has no vector yet
    chelsea = [c for c in assistant.store.manifest.all_chunk_ids() if c.startswith(_article_of(assistant, "b.txt"))]
    assistant.store.vectors.delete(chelsea)
    assistant.store.manifest.mark_embedded(chelsea, embedded=False)
    retrieved = assistant.retriever.retrieve("carmaker profits", 2)
    assert retrieved.mode == "hybrid" and (retrieved.pending, retrieved.chunks) == (1, 2)
    answer = assistant.ask("How much did the carmaker's quarterly profits rise?")
    assert "embeddings are still being computed (1 of 2 passages pending)" in " ".join(answer.notes)


def _article_of(assistant: Assistant, name: str) -> str:
    rows = assistant.store.manifest.db.execute("SELECT article_id FROM docs WHERE locator LIKE ?", (f"%{name}",))
    return rows.fetchone()[0]


def _cli(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "ingest", *args, "--data-dir", str(data_dir)]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")} | {"HF_HUB_OFFLINE": "1"}


@pytest.mark.e2e
def test_a_reader_sees_what_another_process_embedded_without_chroma_errors(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`serve` keeps its embedded Chroma client open while an ingest process writes: its in-memory HNSW index
    lacked the new vectors, so fetching their embeddings or a filtered query failed with "Error finding id"."""
    write_corpus(tmp_path / "wire" / "business", articles(3, seed=1, prefix="market"))
    reader = Assistant(settings)
    reader.ingest([tmp_path / "wire"])
    assert reader.retriever.retrieve("market profits", 3).mode == "hybrid"  # the reader's client is open
    write_corpus(tmp_path / "more" / "business", {"late.txt": "Late story\n\nThe zebra crossing vote won."})
    more = tmp_path / "more"
    done = subprocess.run(_cli(settings.data_dir, str(more)), env=_env(), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    late = _article_of(reader, "late.txt")
    caplog.set_level(logging.WARNING)
    for filters in (None, {"category": ["business"]}):
        result = reader.retriever.retrieve("zebra crossing vote", 4, None if filters is None else _filters(filters))
        assert result.passages[0].article_id == late
        assert result.passages[0].cosine is not None  # its vector was found, not just its BM25 score
    assert not [r for r in caplog.records if "Error finding id" in r.getMessage()], caplog.text


def _filters(value: dict) -> object:  # type: ignore[type-arg]
    from assistant.types import Filters

    return Filters(**value)


SLOW_STORES = """
import time
from assistant.ingest.pipeline import IngestPipeline

_store_group = IngestPipeline._store_group


def _slowly(self, group):
    time.sleep(0.6)
    _store_group(self, group)


IngestPipeline._store_group = _slowly
"""


@pytest.mark.e2e
def test_a_second_ingest_waits_for_the_first_and_embeds_nothing_twice(settings: Settings, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "wire", articles(300, seed=2))
    data_dir = settings.data_dir
    env = _env()
    # The first ingest stores its 10 batches slowly, so it still holds the lock when the others have started
    # (however fast this machine embeds).
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_STORES, encoding="utf-8")
    first = subprocess.Popen(
        _cli(data_dir, str(corpus)),
        env=env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(slow), env.get("PYTHONPATH")]))},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = FileLock(settings.collection_dir / "ingest.lock", thread_local=False)
    deadline = time.monotonic() + 120
    while True:  # until the first ingest holds the lock
        assert first.poll() is None and time.monotonic() < deadline, "the first ingest never took the lock"
        try:
            lock.acquire(timeout=0)
        except Timeout:
            break
        lock.release()
        time.sleep(0.05)
    # both start while the first holds the lock: one gives up at once, the other waits for it
    refused = subprocess.Popen(
        _cli(data_dir, str(corpus), "--no-wait"),
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    second = subprocess.Popen(
        _cli(data_dir, str(corpus)), env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, refused_err = refused.communicate(timeout=300)
    second_out, second_err = second.communicate(timeout=600)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert refused.returncode == 2, refused_err
    assert "another ingest is writing to collection news in" in refused_err
    assert second.returncode == 0, second_err
    assert "another ingest is writing to collection news in" in second_err and "waiting" in second_err
    assert "300 new" in out and "300 chunks added, 300 embedded" in out
    assert "0 new, 0 updated, 300 unchanged" in second_out and "0 chunks added, 0 embedded" in second_out
