"""Multi-part answers: each part cited on its own, renumbered; a part the articles lack is named."""

from __future__ import annotations

from assistant.answering.citations import ABSTAIN_TEXT, make_citation
from assistant.answering.extractive import ExtractiveResult, combine_parts
from assistant.types import Passage


def passage(n: int, text: str) -> Passage:
    return Passage(f"c{n}", f"a{n}", text, f"Title {n}", f"bbc/x/{n}.txt", 0, len(text), 0)


SHARES = passage(1, "Jet Airways' offer was subscribed 16.2 times.")
SALE = passage(2, "The offer sold out within 10 minutes of opening.")


def answered(p: Passage) -> ExtractiveResult:
    return ExtractiveResult(f"{p.text} [1]", False, [make_citation(1, p, 0, len(p.text), 0.9)], [])


def test_each_part_keeps_its_own_citation_in_order() -> None:
    result = combine_parts(["How quickly?", "How many times?"], [answered(SALE), answered(SHARES)])
    assert result.text == f"{SALE.text} [1] {SHARES.text} [2]"
    assert [(c.n, c.chunk_id) for c in result.citations] == [(1, "c2"), (2, "c1")]
    assert not result.abstained


def test_a_part_the_articles_do_not_cover_is_named() -> None:
    missing = ExtractiveResult(ABSTAIN_TEXT, True, [], [])
    result = combine_parts(["How quickly?", "Who bought the rest?"], [answered(SALE), missing])
    assert result.text == f"{SALE.text} [1] The articles don't say: Who bought the rest?"
    assert len(result.citations) == 1 and not result.abstained


def test_all_parts_missing_is_an_abstention() -> None:
    missing = ExtractiveResult(ABSTAIN_TEXT, True, [], [])
    assert combine_parts(["A?", "B?"], [missing, missing]).abstained


def test_one_sentence_answering_both_parts_is_said_and_cited_once() -> None:
    result = combine_parts(["How many times?", "Subscribed how often?"], [answered(SHARES), answered(SHARES)])
    assert result.text == f"{SHARES.text} [1]"
    assert len(result.citations) == 1
