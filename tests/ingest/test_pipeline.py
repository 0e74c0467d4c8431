from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.ingest.pipeline import IngestPipeline
from tests.conftest import SEED


def make_corpus(root: Path) -> Path:
    corpus = root / "news"
    (corpus / "politics").mkdir(parents=True)
    (corpus / "sport").mkdir()
    (corpus / "politics" / "a.txt").write_text(
        "Budget row deepens\n\nThe chancellor said the budget would cut taxes by £2bn next year.", encoding="utf-8"
    )
    (corpus / "sport" / "b.txt").write_text(
        "Chelsea win again\n\nChelsea beat Arsenal 2-1 on Sunday to stay top of the league.", encoding="utf-8"
    )
    # the same story under another path: embedded once, both paths remembered
    (corpus / "sport" / "b-copy.txt").write_text(
        "Chelsea win again\n\nChelsea  beat Arsenal 2-1 on Sunday to stay top of the league.\n", encoding="utf-8"
    )
    (corpus / "politics" / "notes.pdf").write_bytes(b"%PDF-1.4 not supported")
    (corpus / "politics" / "empty.txt").write_text("", encoding="utf-8")
    (corpus / ".hidden.txt").write_text("ignored entirely", encoding="utf-8")
    return corpus


def test_first_ingest_counts_everything(settings: Settings, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path)
    summary = Assistant(settings).ingest([corpus])
    assert (summary.new, summary.duplicate, summary.skipped, summary.failed) == (2, 1, 1, 1)
    assert summary.chunks_added == summary.chunks_embedded == 2
    assert summary.failures == [("news/politics/empty.txt", "empty file")]
    stats = Assistant(settings).status()
    assert (stats.articles, stats.documents, stats.chunks, stats.embedded_chunks) == (2, 3, 2, 2)
    assert stats.categories == ["politics", "sport"] and stats.sources == ["news"]


def test_reingest_embeds_nothing_and_changes_replace_only_what_changed(settings: Settings, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path)
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    again = assistant.ingest([corpus])
    assert (again.new, again.unchanged, again.chunks_embedded) == (0, 3, 0)

    (corpus / "politics" / "a.txt").write_text("Budget row deepens\n\nThe chancellor now says £3bn.", encoding="utf-8")
    changed = assistant.ingest([corpus])
    assert (changed.updated, changed.removed, changed.chunks_embedded) == (1, 1, 1)
    assert assistant.store.vectors.count() == assistant.status().chunks == 2
    answer = assistant.ask("How much will the chancellor cut taxes by?")
    assert not answer.abstained and "£3bn" in answer.text  # answered from the new version
    assert [c.passage for c in answer.citations if c.path == "news/politics/a.txt"] == ["The chancellor now says £3bn."]
    # the old version is gone from every index: BM25 and the vectors (hybrid) find only the new one
    found = assistant.retriever.retrieve("chancellor budget cut taxes by £2bn next year", 5, None)
    assert found.mode == "hybrid" and found.passages
    assert not any("£2bn" in p.text for p in found.passages)
    assert not any("£2bn" in c.passage for c in answer.citations + answer.closest)


def test_prune_removes_deleted_files_but_keeps_duplicates_alive(settings: Settings, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path)
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    (corpus / "sport" / "b.txt").unlink()
    not_pruned = assistant.ingest([corpus])
    assert not_pruned.removed == 0 and assistant.status().documents == 3
    pruned = assistant.ingest([corpus], prune=True)
    stats = assistant.status()
    assert (stats.articles, stats.documents) == (2, 2)  # the copy still holds the Chelsea story
    assert pruned.removed == 0
    (corpus / "sport" / "b-copy.txt").unlink()
    pruned = assistant.ingest([corpus], prune=True)
    assert pruned.removed == 1
    assert assistant.status().articles == 1 and assistant.store.vectors.count() == 1


def test_a_crash_during_embedding_is_repaired_by_the_next_ingest(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    assistant = Assistant(settings)
    calls = {"n": 0}
    original = IngestPipeline.embed_pending

    def crash_after_first_batch(self: IngestPipeline, progress: object = None) -> int:
        self.batch_size = 1
        real_embed = self.embedder.embed_with_spans

        def embed_with_spans(texts: list[str], spans: list):  # type: ignore[no-untyped-def,type-arg]
            calls["n"] += 1
            if calls["n"] > 1:
                raise KeyboardInterrupt  # the user pressed Ctrl-C mid-ingest
            return real_embed(texts, spans)

        object.__setattr__(self, "embedder", type("E", (), {"embed_with_spans": staticmethod(embed_with_spans)})())
        return original(self, progress)

    monkeypatch.setattr(IngestPipeline, "embed_pending", crash_after_first_batch)
    monkeypatch.setattr("assistant.ingest.pipeline.UPSERT_GROUP", 1)  # store each batch as it is embedded
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([corpus])
    monkeypatch.undo()
    stats = assistant.status()
    assert stats.embedded_chunks == 1 < stats.chunks  # the manifest knows what is missing
    # lexical answers work before embeddings are complete
    partial = assistant.ask("What did Vučić say about Turkish industry?")
    assert "significantly stronger" in partial.text
    # an orphan vector (a crash between Chroma and manifest writes) is removed on the next ingest
    assistant.store.vectors.upsert(["ghost-0000"], assistant.embedder.embed(["ghost"]), [{"article_id": "ghost"}])
    resumed = Assistant(settings).ingest([corpus])
    assert resumed.new == 0 and resumed.chunks_embedded == stats.chunks - 1
    final = Assistant(settings)
    assert final.status().fully_embedded
    assert final.store.vectors.count() == final.status().chunks


def test_missing_path_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        Assistant(settings).ingest([tmp_path / "nope"])


def test_changed_chunking_settings_reindex_instead_of_mixing(settings: Settings, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path)
    Assistant(settings).ingest([corpus])
    other = settings.model_copy(update={"chunk_size": 100})
    summary = Assistant(other).ingest([corpus])
    assert summary.new == 2 and summary.chunks_embedded == 2
    assert Assistant(other).store.vectors.count() == 2
