"""Corpus-generated training questions (eval/synthetic.py): the templates read a sentence's slots right."""

from __future__ import annotations

import pytest

from assistant.answering.nlp import parse
from assistant.answering.question import analyze
from eval.synthetic import questions


def generated(sentence: str) -> dict[str, tuple[str, str]]:
    return {slot: (question, answer) for question, answer, slot in questions(parse([sentence])[0])}


@pytest.mark.parametrize(
    ("sentence", "slot", "question", "answer"),
    [
        ("Nike paid $50m for the rights to the Chelsea shirt.", "money", "How much did Nike pay", "$50m"),
        ("Yukos filed for bankruptcy in Houston on 14 December.", "date", "When did Yukos file for", "14 December"),
        ("More than 50 people died in the Baghdad blast.", "count", "How many people died in the", "50"),
        (
            "Didier Drogba scored twice against Fulham at Stamford Bridge.",
            "person",
            "Who scored twice",
            "Didier Drogba",
        ),
    ],
)
def test_a_sentence_yields_a_question_about_its_slot(sentence: str, slot: str, question: str, answer: str) -> None:
    found = generated(sentence)
    assert slot in found, found
    assert found[slot][0].startswith(question) and found[slot][0].endswith("?")
    assert found[slot][1] == answer
    assert answer not in found[slot][0]  # the question does not give its own answer


def test_the_generated_questions_are_read_as_asking_that_slot() -> None:
    assert analyze(generated("Nike paid $50m for the rights to the Chelsea shirt.")["money"][0]).slot == "money"
    assert analyze(generated("Yukos filed for bankruptcy on 14 December.")["date"][0]).slot == "date"


@pytest.mark.parametrize(
    "sentence",
    [
        "He said the deal was worth $50m.",  # a pronoun subject: the question could not say whom it is about
        "The firm's shares rose sharply.",  # no slot to ask about
    ],
)
def test_sentences_without_a_clean_slot_yield_nothing(sentence: str) -> None:
    assert generated(sentence) == {}
