from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.answering.condense import rewrite_followup
from assistant.answering.extractive import _mentioned
from assistant.text import fold, words
from assistant.types import Turn


def test_vucic_question_is_answered_with_his_quote_and_cites_the_seed(seeded: Assistant) -> None:
    answer = seeded.ask("What did Vučić say about Turkish industry?")
    assert not answer.abstained
    assert "significantly stronger than ours" in answer.text
    assert answer.citations and answer.citations[0].path == "seeds/000_8c1e59730e0383e1.txt"
    for c in answer.citations:
        assert c.quote in c.passage and c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote
        assert f"[{c.n}]" in answer.text


def test_unanswerable_question_abstains_and_offers_closest_passages(seeded: Assistant) -> None:
    answer = seeded.ask("What did Putin say about the drones?")
    assert answer.abstained and not answer.citations
    assert answer.text.startswith("The articles don't say")
    assert answer.closest and all(c.quote in c.passage for c in answer.closest)


def test_followup_is_rewritten_from_the_conversation(seeded: Assistant) -> None:
    history = [
        Turn(role="user", content="What did Vučić say about Turkish industry?"),
        Turn(role="assistant", content="..."),
    ]
    answer = seeded.ask("What did he say about shells?", history=history)
    assert answer.rewritten_question == "What did Vučić say about shells?"
    assert "a huge number of shells" in answer.text


def test_rewrite_rules() -> None:
    history = [Turn(role="user", content="What did Vučić say about Turkish industry?")]
    assert rewrite_followup("What did he say about shells?", history) == "What did Vučić say about shells?"
    assert rewrite_followup("What did Erdogan say?", history) == "What did Erdogan say?"
    assert rewrite_followup("And about shells?", history) == "And about shells (Vučić, Turkish)?"
    assert rewrite_followup("What did he say?", None) == "What did he say?"


@pytest.mark.parametrize(
    ("entity", "article", "present"),
    [
        ("Liberal Democrats", "The Lib Dems have appointed a senior figure from BT.", True),
        ("Mobile Data Association", "The MDA said 133m texts were sent.", True),
        ("Scottish", "Large retailers in Scotland will stay closed.", True),
        ("Dutch", "Shares in the Netherlands fell.", True),
        ("World Cup", "The cup final was played in May.", False),  # "cup" is there, "world" is not
        ("Liberal Democrats", "The liberty of the press was debated.", False),
        ("Mobile Data Association", "Mobile data grew.", False),
        # a number is there when each of its digit groups is (words() splits "4.75" at the point)
        ("4.75", "Rates were held at 4.75% earlier this year.", True),
        ("5.05", "They must be paid at least £5.05 an hour.", True),
        ("4.7.1", "Users should upgrade to iTunes version 4.7.1.", True),
        ("17 800", "GM is calling back 17,815 Buick Rainiers.", False),  # the question's "17,800" is not there
        ("2022", "The 2005 final was played in May.", False),
    ],
)
def test_a_name_the_article_writes_short_is_mentioned(entity: str, article: str, present: bool) -> None:
    assert _mentioned(entity, {fold(w) for w in words(article)}) is present


def test_a_typed_answer_marks_the_asked_detail_inside_its_quote(seeded: Assistant) -> None:
    answer = seeded.ask("With how many countries did Baykar sign export contracts?")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.key is not None and "30" in first.key
    assert first.key_start is not None
    assert first.passage[first.key_start : first.key_start + len(first.key)] == first.key
    quote_end = first.quote_start + len(first.quote)
    assert first.quote_start <= first.key_start and first.key_start + len(first.key) <= quote_end


def test_an_untyped_answer_marks_no_detail(seeded: Assistant) -> None:
    answer = seeded.ask("What did Vučić say about Turkish industry?")
    assert all(c.key is None and c.key_start is None for c in answer.citations)
