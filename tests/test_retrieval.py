"""Hybrid retrieval: fusion of BM25 and vectors, lexical-only mode, and a failing vector store."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "wire"
    (root / "sport").mkdir(parents=True)
    (root / "business").mkdir()
    (root / "sport" / "a.txt").write_text(
        "Chelsea top the league\n\nChelsea beat Arsenal 2-1 to go top of the Premiership table.", encoding="utf-8"
    )
    (root / "business" / "b.txt").write_text(
        "Carmaker profits jump\n\nThe carmaker said quarterly profits rose 20% on strong sales in Asia.",
        encoding="utf-8",
    )
    return root


def test_hybrid_ranks_the_matching_article_first_with_both_scores(settings: Settings, corpus: Path) -> None:
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    result = assistant.retriever.retrieve("Which football club leads the Premiership?", 2)
    assert result.mode == "hybrid"
    top = result.passages[0]
    assert top.path == "wire/sport/a.txt" and top.score == pytest.approx(1.0)
    assert all(p.cosine is not None for p in result.passages)  # every candidate has both scores


def test_before_embeddings_exist_retrieval_is_lexical(settings: Settings, corpus: Path) -> None:
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    assistant.store.vectors.delete(sorted(assistant.store.vectors.all_ids()))  # as if still embedding
    result = assistant.retriever.retrieve("carmaker profits", 2)
    assert result.mode == "lexical" and result.passages[0].path == "wire/business/b.txt"
    answer = assistant.ask("How much did the carmaker's quarterly profits rise?")
    assert any("keyword search only" in note for note in answer.notes)


def test_a_failing_vector_search_falls_back_to_bm25(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(settings)
    assistant.ingest([corpus])

    def broken(*_args: object, **_kwargs: object) -> list[tuple[str, float]]:
        raise RuntimeError("hnsw segment is being rewritten")

    monkeypatch.setattr(assistant.store.vectors, "search", broken)
    result = assistant.retriever.retrieve("carmaker profits", 2)
    assert result.mode == "lexical" and result.passages[0].path == "wire/business/b.txt"
