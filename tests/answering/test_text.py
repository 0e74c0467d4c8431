from __future__ import annotations

from assistant.answering.text import entity_in
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


def test_entity_matching_folds_accents_and_demonyms() -> None:
    present = {fold(w) for w in words("Vucic said Turkey and the Serbian army")}
    assert entity_in("Aleksandar Vučić", present)
    assert entity_in("Turkish", present) and entity_in("Serbia", present)
    assert not entity_in("Putin", present)
