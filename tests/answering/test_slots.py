"""Slot filling: does a sentence hold a new filler of the asked slot, and is X the one speaking?"""

from __future__ import annotations

import pytest

from assistant.answering.nlp import parse
from assistant.answering.question import analyze
from assistant.answering.slots import anchor_tokens, attributed, fillers, rival_holder, slot_check_for, tie
from assistant.types import Passage


def fill(question: str, sentence: str) -> list[str]:
    return [f.text for f in fillers(analyze(question), parse([sentence])[0])]


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Which Blackburn player's challenge broke Robben's foot?",
            "Robben broke a bone in his foot after a challenge by Michael Gray.",
            "Michael Gray",
        ),
        ("How much did the buyer pay for the guitar?", "The guitar sold for £100,000 in London.", "100,000"),
        ("What time did LaShawn Merritt clock?", "Merritt clocked 44.93 seconds in Fayetteville.", "44.93"),
        ("How many Labour MPs voted against the bill?", "In all, 41 Labour MPs voted against it.", "41"),
        ("When did Yukos file for bankruptcy?", "Yukos filed for bankruptcy on 14 December.", "14 December"),
        ("What was the final score?", "Chelsea won the match 2-1 at Stamford Bridge.", "2-1"),
        ("Which Nokia phone model do passengers need?", "Passengers will need to own a Nokia 3220 handset.", "3220"),
        ("How many T-Mobile customers had their data taken?", "He took the addresses of 400 customers.", "400"),
        (
            "At which ground did Newry beat Bangor?",
            "Newry beat Bangor 5-1 at Windsor Park on Saturday.",
            "Windsor Park",
        ),
        ("What is the name of the Seattle mayor?", "Seattle mayor Greg Nickels defended the decision.", "Greg Nickels"),
        ("Who bought the firm?", "Ford said it bought the firm.", "Ford"),  # the reporter is the buyer
        ("Who designed the interface?", "Anna Berg, who designed the interface, said it was simple.", "Anna Berg"),
        ("Who announced the cuts?", "The cuts were needed, Ford announced.", "Ford"),  # the telling is asked
        (  # the reporter is named by the role asked about
            "Who is Fox's chief executive?",
            "Fox chief executive Peter Chernin said profits rose 12% in the quarter.",
            "Peter Chernin",
        ),
        ("When did he win gold?", "He won gold at the 2004 Olympics.", "2004"),  # a date in a name, with digits
        ("When will the final be played?", "The final will be played on Saturday morning.", "Saturday"),
    ],
)
def test_a_sentence_that_holds_the_asked_detail_fills_the_slot(question: str, sentence: str, expected: str) -> None:
    assert any(expected in f for f in fill(question, sentence))


@pytest.mark.parametrize(
    ("question", "sentence", "why"),
    [
        (
            "Which Blackburn player's challenge broke Robben's foot?",
            "Robben broke a bone in his foot and will miss six weeks.",
            "names no new person",
        ),
        ("Who bought Hendrix's guitar?", "Hendrix's guitar sold for £100,000.", "an amount is not a buyer"),
        ("How many Labour MPs voted against the bill?", "The bill cost £30m and took 12 years.", "counts no MPs"),
        ("When did Yukos file for bankruptcy in 2004?", "Yukos filed for bankruptcy in 2004.", "the date is asked"),
        ("In which Nairobi park was he attacked?", "He was attacked in a park in Nairobi.", "no new place"),
        ("When was Peter Lynch appointed?", "A 10-month restructuring plan was deemed a failure.", "a duration"),
        ("When did Aaliyah's plane crash?", "The 22-year-old singer's family settled.", "an age"),
        (
            "Who bought Jimi Hendrix's guitar?",
            "A buyer linked to the Jimi Hendrix Foundation bought the guitar.",
            "a name built on his names no buyer",
        ),
        (
            "Who did Korn bring in to replace Welch?",
            "Welch told a radio station in California he was leaving.",
            "a place",
        ),
        (
            "Which foreign company is buying a share from the Yantai state asset bureau?",
            "The Italian liqueur maker will acquire the shares from the Yantai State Asset Management Bureau.",
            "a nationality describes the buyer; the bureau is the one the question names",
        ),
        ("In which Nairobi park was he mugged?", "He was mugged by six men in a park in Kenya.", "where the park is"),
        ("In which Nairobi park was he mugged?", "It happened 100 yards from the Nairobi Serena Hotel.", "a hotel"),
        ("Which airport would the troops have secured?", "France had begun evacuating its citizens.", "a country"),
        ("In which Texas county is the ranch?", "Mr Underwood told the Reuters news agency.", "a firm is no county"),
        ("How many staff will work for him?", "He will start the £100,000-a-year job immediately.", "an amount"),
        (
            "What is the name of the Seattle mayor?",
            '"The mayor is going to go down as the mayor who destroyed it," said Ray Marshall.',
            "the name is not the mayor's",
        ),
        ("When will she leave the show?", "She has hosted ITV's Saturday morning show for six years.", "a show's name"),
        ("Which company bought the brand?", "The brand was bought by a US-based music distributor.", "US-based"),
        (
            "Where are the troops stationed?",
            "Troops will help in the relief effort, Downing Street said.",
            "a reporter",
        ),
        ("Where are the troops stationed?", "According to Reuters, the troops will help.", "a source"),
        (
            "What was the name of the union formed by Amicus and the TGWU?",
            "Amicus and the Transport and General Workers Union have long worked together.",
            "the question's own union, written out",
        ),
    ],
)
def test_a_topical_sentence_without_the_asked_detail_does_not(question: str, sentence: str, why: str) -> None:
    assert fill(question, sentence) == [], why


def test_a_reporter_named_by_a_title_the_question_does_not_ask_about_is_still_a_reporter() -> None:
    sentence = "Fox chief executive Peter Chernin said the stake was sold on Monday."
    assert "Peter Chernin" not in fill("Who bought the stake?", sentence)
    assert "Peter Chernin" in fill("Who is the chief executive of Fox?", sentence)


def test_the_filler_bound_to_the_predicate_ties_closer_than_a_name_elsewhere() -> None:
    frame = analyze("Who bought the Savoy hotel?")
    bound = parse(["The Savoy was bought by Quinlan Private last year."])[0]
    loose = parse(["The Savoy, where Winston Churchill dined, was sold in a quiet deal."])[0]
    assert tie(bound, fillers(frame, bound), anchor_tokens(frame, bound)) > tie(
        loose, fillers(frame, loose), anchor_tokens(frame, loose)
    )


@pytest.mark.parametrize(
    ("sentence", "before", "expected"),
    [
        ('"We are not weak," Vučić said.', "", True),
        ("Vučić said Serbia renewed export permits.", "", True),
        ('"We are not weak," he said.', "Vučić spoke in Belgrade on Wednesday.", True),
        ("Vučić was praised by Erdogan for the deal.", "", False),
        ('"We are not weak," Erdogan said.', "", False),
        ("Serbia renewed export permits on Monday.", "Vučić spoke in Belgrade.", False),
    ],
)
def test_quotes_are_attributed_to_the_asked_speaker(sentence: str, before: str, expected: bool) -> None:
    frame = analyze("What did Vučić say about the defence industry?")
    assert attributed(frame, parse([sentence])[0], before, "") is expected


def test_generated_sentences_get_the_same_slot_check() -> None:
    passage = Passage("c", "a", "The guitar sold for £100,000 to a collector.", "Guitar", "p", 0, 10, 0)
    check = slot_check_for(analyze("How much did the guitar sell for?"))
    assert check is not None
    assert check("It sold for £100,000 [1].", passage)
    assert not check("It sold at an auction in London [1].", passage)
    assert slot_check_for(analyze("Why did the sale collapse?")) is None


@pytest.mark.parametrize(
    ("question", "sentence", "rival"),
    [
        # the asked detail, given of someone else: a near miss
        (
            "What was John Smith's majority in 2001?",
            "In 2001, Peter Brown won the seat with a majority of 5,907.",
            "Peter Brown",
        ),
        (
            "How many goals did Mary Jones score?",
            "Sarah Evans ends her career with 158 goals in 276 games.",
            "Sarah Evans",
        ),
        # the question's person named, or referred to, or the asked slot is a person: no rival
        ("What was John Smith's majority in 2001?", "John Smith won by 3,000 votes, Peter Brown said.", None),
        ("How many goals did Mary Jones score?", "She ends her career with 158 goals, Sarah Evans said.", None),
        ("Who replaced John Smith as chairman?", "Peter Brown will take over as chairman in May.", None),
        # the other person is not what the sentence is about
        ("How much did John Smith pay for the house?", "The house, built by Peter Brown, sold for £2m.", None),
        # the question asks what was reported: the reporter is not a rival
        (
            "When, according to the minister, did John Smith resign?",
            "Minister Peter Brown said he resigned in May.",
            None,
        ),
    ],
)
def test_a_detail_of_another_person_is_a_rival_holder(question: str, sentence: str, rival: str | None) -> None:
    assert rival_holder(analyze(question), parse([sentence])[0]) == rival
