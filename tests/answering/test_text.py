from __future__ import annotations

import pytest

from assistant.answering.text import analyze_question, entity_in
from assistant.text import fold, sentence_spans, words


def spans(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_quotes_stay_whole_with_their_attribution() -> None:
    text = '"The industry is strong. But we are not weak," said Vučić. He added more.'
    assert spans(text) == ['"The industry is strong. But we are not weak," said Vučić.', "He added more."]


def test_abbreviations_and_paragraphs() -> None:
    text = "Mr. Brown met Dr. Smith in the U.S. on Monday. Prices rose 2.5%.\nNew paragraph here"
    assert spans(text) == ["Mr. Brown met Dr. Smith in the U.S. on Monday.", "Prices rose 2.5%.", "New paragraph here"]


def test_unclosed_quote_resets_at_paragraph_end() -> None:
    text = '"We will win the cup. We are strong.\nThe manager said so. Fans agreed.'
    assert spans(text)[-2:] == ["The manager said so.", "Fans agreed."]


@pytest.mark.parametrize(
    ("question", "kind", "entities", "speaker"),
    [
        ("What did Vučić say about Turkish industry?", "quote", ["Vučić", "Turkish"], "Vučić"),
        ("How much did Time Warner earn in the fourth quarter?", "number", ["Time Warner"], None),
        ("When did Qantas launch Jetstar?", "date", ["Qantas", "Jetstar"], None),
        ("Who replaced Mutu at Chelsea?", "who", ["Mutu", "Chelsea"], None),
        ("According to Gordon Brown, is the economy strong?", "quote", ["Gordon Brown"], "Gordon Brown"),
        ("Why did the deal collapse?", "fact", [], None),
    ],
)
def test_question_analysis(question: str, kind: str, entities: list[str], speaker: str | None) -> None:
    q = analyze_question(question)
    assert (q.kind, q.entities, q.speaker) == (kind, entities, speaker)


def test_entity_matching_folds_accents_and_demonyms() -> None:
    present = {fold(w) for w in words("Vucic said Turkey and the Serbian army")}
    assert entity_in("Aleksandar Vučić", present)
    assert entity_in("Turkish", present) and entity_in("Serbia", present)
    assert not entity_in("Putin", present)
