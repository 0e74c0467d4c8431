"""Question analysis: a table of questions and the frame each must get."""

from __future__ import annotations

import pytest

from assistant.answering.question import Bridge, Part, analyze, bridge, decompose


@pytest.mark.parametrize(
    ("question", "slot", "entities"),
    [
        ("Which Blackburn player's challenge broke Robben's foot?", "person", ("Blackburn", "Robben")),
        ("What time did LaShawn Merritt clock?", "quantity", ("LaShawn Merritt",)),
        ("Who bought Hendrix's Stratocaster?", "agent", ("Hendrix", "Stratocaster")),
        ("In which Nairobi park was the MP attacked?", "place", ("Nairobi", "MP")),
        ("Who won the 2022 World Cup?", "agent", ("2022", "World Cup")),
        ("What did Vučić say about Turkish industry?", "quote", ("Vučić", "Turkish")),
        ("How many Labour MPs voted against the bill?", "count", ("Labour MPs",)),
        ("How much did Glazer pay for Manchester United?", "money", ("Glazer", "Manchester United")),
        ("How large a fine was Druyun ordered to pay?", "money", ("Druyun",)),
        ("When did Yukos file for bankruptcy?", "date", ("Yukos",)),
        ("What was the final score between Chelsea and Arsenal?", "score", ("Chelsea", "Arsenal")),
        ("Why did Kilroy-Silk quit the party?", "reason", ("Kilroy-Silk",)),
        ("Which film won best picture at the Baftas?", "name", ("Baftas",)),
        ("Which company bought the Savoy?", "org", ("Savoy",)),
        ("What percentage of voters backed the plan?", "percent", ()),
        ("What did the firm announce in January?", "fact", ("January",)),
        ("What was Mido's transfer fee?", "money", ("Mido",)),  # a possessive between "what was" and the noun
        ("What was Arsenal's winning margin?", "quantity", ("Arsenal",)),
        ("What is Coldplay's new single called?", "name", ("Coldplay",)),  # not Coldplay "calling" something
        ("What did Blair call the plan?", "quote", ("Blair",)),
        ("How much does the champion pocket for each title?", "money", ()),
        # nouns no list has take the slot of their nearest listed nouns, when those agree
        ("Which skater partnered the footballer?", "person", ()),
        ("Which magistrate heard the case?", "person", ()),
        ("In which journal was the study published?", "org", ()),
        ("What injury kept her out?", "fact", ()),  # no confident neighbours: stays untyped
    ],
)
def test_the_asked_slot(question: str, slot: str, entities: tuple[str, ...]) -> None:
    frame = analyze(question)
    assert (frame.slot, frame.entities) == (slot, entities)


def test_frame_details() -> None:
    frame = analyze("How many Labour MPs voted against the bill?")
    assert frame.count_noun == "mp" and "vote" in frame.predicates
    assert analyze("Which Blackburn player's challenge broke Robben's foot?").asked_noun == "player"
    assert analyze("What did Vučić say about Turkish industry?").speaker == "Vučić"
    assert analyze("How much did Nike offer to pay for Rossignol?").subject == "Nike"
    assert analyze("How much is John Coltrane's saxophone expected to fetch?").subject == "John Coltrane"
    # the subject is the asked one, not a name inside the wh-phrase
    assert analyze("Which Conservative candidate condemned the poster?").subject is None


def test_multi_part_questions_are_split_and_later_parts_borrow_names_for_retrieval_only() -> None:
    parts = decompose("What did Jack Straw say about the detainees, and what happened when they landed?")
    assert parts == [
        Part("What did Jack Straw say about the detainees?"),
        Part("What happened when they landed?", "Jack Straw"),
    ]
    assert parts[1].query == "What happened when they landed? Jack Straw"
    assert decompose("By what score did Safin win, and by what score did Moya then beat Roddick?")[1] == Part(
        "By what score did Moya then beat Roddick?"
    )
    assert decompose("Who won the match between Chelsea and Arsenal?") == [
        Part("Who won the match between Chelsea and Arsenal?")
    ]


@pytest.mark.parametrize(
    ("question", "inner", "outer"),
    [
        ("Who runs the firm that bought Yuganskneftegas?", "Which firm bought Yuganskneftegas?", "Who runs {}?"),
        (
            "What did the firm that bought Yukos say about the deal?",
            "Which firm bought Yukos?",
            "What did {} say about the deal?",
        ),
        (
            "Who went on to beat the man who knocked Lleyton Hewitt out of the Adelaide event?",
            "Which man knocked Lleyton Hewitt out of the Adelaide event?",
            "Who went on to beat {}?",
        ),
    ],
)
def test_bridge_questions_are_split_into_two_hops(question: str, inner: str, outer: str) -> None:
    assert bridge(question) == Bridge(inner, outer)


@pytest.mark.parametrize(
    "question",
    ["Who was the player who scored the winner?", "What was the price that Glazer paid?", "Who bought the Savoy?"],
)
def test_single_hop_questions_have_no_bridge(question: str) -> None:
    assert bridge(question) is None


def test_the_counted_noun_is_the_head_of_a_hyphenated_compound() -> None:
    assert analyze("How many T-Mobile customers had their names taken?").count_noun == "customer"
    assert analyze("How many Labour MPs voted against the bill?").count_noun == "mp"


def test_the_name_of_a_noun_asks_for_that_noun() -> None:
    frame = analyze("What is the name of the Seattle mayor criticised in the row?")
    assert (frame.slot, frame.asked_noun) == ("person", "mayor")
