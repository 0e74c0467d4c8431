from __future__ import annotations

from pathlib import Path

from assistant.store.lexical import ChunkFacets, LexicalIndex, analyze
from assistant.types import Filters

CHUNKS = [
    ChunkFacets("a-0000", "Chelsea beat Arsenal in the league", "sport", "bbc", "2005-01-10"),
    ChunkFacets("b-0000", "The chancellor cut taxes in the budget", "politics", "bbc", "2005-03-16"),
    ChunkFacets("c-0000", "Arsenal shares rose on the stock market", "business", "ft", None),
]


def test_search_ranks_and_filters() -> None:
    index = LexicalIndex.build(CHUNKS, generation=3)
    assert [i for i, _ in index.search("Arsenal", 5)] == ["a-0000", "c-0000"] or [
        i for i, _ in index.search("Arsenal", 5)
    ] == ["c-0000", "a-0000"]
    assert [i for i, _ in index.search("Arsenal", 5, Filters(category=["business"]))] == ["c-0000"]
    assert [i for i, _ in index.search("Arsenal", 5, Filters(source=["bbc"]))] == ["a-0000"]
    assert [i for i, _ in index.search("Arsenal", 5, Filters(date_from="2005-01-01"))] == ["a-0000"]
    assert index.search("Arsenal", 5, Filters(date_to="2004-12-31")) == []
    assert index.search("what did they say", 5) == []  # stop words only


def test_save_load_roundtrip_and_unreadable_index(tmp_path: Path) -> None:
    index = LexicalIndex.build(CHUNKS, generation=7)
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None and loaded.generation == 7
    assert loaded.search("taxes", 3) == index.search("taxes", 3)
    (tmp_path / "bm25" / "CURRENT").write_text("gen-404")
    assert LexicalIndex.load(tmp_path / "bm25") is None  # the caller rebuilds from the manifest


def test_analyze_drops_question_words_and_stems() -> None:
    assert analyze(["What did Vučić say about shells?"])[0] == ["vučić", "say", "shell"]
