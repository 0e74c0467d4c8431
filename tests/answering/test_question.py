"""Question analysis: a table of questions and the frame each must get."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answering.question import Bridge, Part, analyze, bridge, compared, decompose


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
    ("question", "parts", "slot"),
    [
        (
            "Which charged more for tickets: the Lyceum Theatre or the Old Vic?",
            ["How much did the Lyceum Theatre charge for tickets?", "How much did the Old Vic charge for tickets?"],
            "money",
        ),
        (
            "Which striker scored more goals this season, Thierry Henry or Andriy Shevchenko?",
            [
                "How many goals did Thierry Henry score this season?",
                "How many goals did Andriy Shevchenko score this season?",
            ],
            "count",
        ),
        (
            "Which bank reported the bigger profit for 2004: Barclays or HSBC?",
            ["What profit did Barclays report for 2004?", "What profit did HSBC report for 2004?"],
            "money",
        ),
        (
            "Who is taller, Peter Crouch or Jan Koller?",
            ["How tall is Peter Crouch?", "How tall is Jan Koller?"],
            "quantity",
        ),
        (
            "Which economy grew faster in 2004: Israel's or Liberia's?",
            ["How fast did Israel's economy grow in 2004?", "How fast did Liberia's economy grow in 2004?"],
            "quantity",
        ),
        (
            "Who was ranked higher: Baltacha after the Open, or Dokic when she withdrew?",
            ["How high was Baltacha after the Open ranked?", "How high was Dokic when she withdrew ranked?"],
            "quantity",
        ),
        (
            "Which came first: the merger or the strike?",
            ["When was the merger?", "When was the strike?"],
            "date",
        ),
        (
            "Which took effect first, the smoking ban or the hunting ban?",
            ["When did the smoking ban take effect?", "When did the hunting ban take effect?"],
            "date",
        ),
        (
            "Which fee was larger: the one Lazio paid for Stam, or the one Chelsea paid for Desailly?",
            ["How large was the fee Lazio paid for Stam?", "How large was the fee Chelsea paid for Desailly?"],
            "quantity",
        ),
        (
            "Which was worth more: the Yukos sale or the Gazprom merger?",
            ["How much was the Yukos sale worth?", "How much was the Gazprom merger worth?"],
            "money",
        ),
    ],
)
def test_a_comparison_is_asked_of_each_option_with_the_slot_the_comparative_asks_for(
    question: str, parts: list[str], slot: str
) -> None:
    assert compared(question) == parts
    assert decompose(question) == [Part(p) for p in parts]
    assert {analyze(p).slot for p in parts} == {slot}


def test_a_later_part_that_is_a_bare_clause_is_asked_with_the_first_parts_stem() -> None:
    parts = decompose("What were the scores when Ginepri beat Young and when he lost to Gonzalez in Auckland?")
    assert [p.question for p in parts] == [
        "What were the scores when Ginepri beat Young?",
        "What were the scores when he lost to Gonzalez in Auckland?",
    ]
    # a question of its own ("when did ...") is left as it is
    parts = decompose("What did Ginepri say when he beat Young, and when did he lose to Gonzalez?")
    assert parts[1].question == "When did he lose to Gonzalez?"


def test_a_part_that_re_asks_a_split_comparison_is_dropped() -> None:
    parts = decompose("Which carmaker made more money, Renault or Fiat, and what did each earn?")
    assert [p.question for p in parts] == ["How much money did Renault make?", "How much money did Fiat make?"]


def test_a_later_part_pointing_back_to_the_first_parts_answer_is_asked_of_it() -> None:
    parts = decompose("Which US network airs The Apprentice, and who is that network's chief executive?")
    assert parts[1] == Part("Who is that network's chief executive?", "US, Apprentice", "Who is {}'s chief executive?")
    assert decompose("Whose goal won the final, and how old was that player?")[1].of_first == "How old was {}?"
    # pointing back to something the first part does not ask for is not a chain
    assert decompose("Which club signed Owen, and who is that player's agent?")[1].of_first == ""


def test_a_comparison_keeps_a_leading_time_frame_in_each_option() -> None:
    assert compared("At the end of 2004, which had the lower jobless rate: France or Spain?") == [
        "At the end of 2004, what jobless rate did France have?",
        "At the end of 2004, what jobless rate did Spain have?",
    ]


def test_a_comparison_inside_a_multi_part_question_is_split_too() -> None:
    parts = decompose("Which carmaker sold more cars, Renault or Fiat, and who runs Fiat?")
    assert [p.question for p in parts] == [
        "How many cars did Renault sell?",
        "How many cars did Fiat sell?",
        "Who runs Fiat?",
    ]


OPTION = st.text(st.characters(exclude_characters="?:"), min_size=1, max_size=25).filter(
    lambda t: t.strip(" ,") and " or " not in f" {t} " and "," not in t
)


@settings(max_examples=60, deadline=None)
@given(a=OPTION, b=OPTION, stem=st.sampled_from(["Which paid more", "Who is older", "Which reported the bigger loss"]))
def test_any_two_options_are_each_asked_about_or_the_question_is_left_whole(a: str, b: str, stem: str) -> None:
    question = f"{stem}: {a} or {b}?"
    parts = compared(question)
    assert parts is None or (
        len(parts) == 2 and all(" ".join(o.split()).strip(" ,") in p for o, p in zip((a, b), parts, strict=True))
    )


@pytest.mark.parametrize(
    "question",
    [
        "Who won the final, Chelsea or Arsenal?",  # a choice, but nothing compared
        "Which film won more awards?",  # a comparative, but no options
        "Did Tesco or Sainsbury's report more sales?",
    ],
)
def test_questions_that_are_not_comparisons_of_two_options_are_left_whole(question: str) -> None:
    assert compared(question) is None
    assert decompose(question) == [Part(question)]


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
        # the clause ends where its subtree ends, not at the question's end
        (
            "How many awards did the film that won the Golden Bear receive?",
            "Which film won the Golden Bear?",
            "How many awards did {} receive?",
        ),
        (
            "Which label signed the band whose singer attacked the government?",
            "Which band's singer attacked the government?",
            "Which label signed {}?",
        ),
        (
            "Who coaches the club side of the player named England captain?",
            "Which player was named England captain?",
            "Who coaches the club side of {}?",
        ),
        # "that" relates to the noun beside it, wherever the parse attached the clause
        (
            "How big were the losses at the European arm of the carmaker that paid Fiat?",
            "Which carmaker paid Fiat?",
            "How big were the losses at the European arm of {}?",
        ),
        ("Yukos sued a state oil firm. Who runs that firm?", "Yukos sued which state oil firm?", "Who runs {}?"),
        (
            "Eriksson picked a United defender for the match. Where was that player born?",
            "Eriksson picked which United defender for the match?",
            "Where was {} born?",
        ),
    ],
)
def test_bridge_questions_are_split_into_two_hops(question: str, inner: str, outer: str) -> None:
    assert bridge(question) == Bridge(inner, outer)


@pytest.mark.parametrize(
    "question",
    [
        "Who was the player who scored the winner?",
        "What was the price that Glazer paid?",
        "Who bought the Savoy?",
        "Who runs Baikal, the firm that bought Yukos?",  # already named
        "Who won best actor at the awards where Ray won best film?",  # a setting, not a deed
        "Who chaired the judges who gave Leroi the award?",  # plural: no one entity
        "What is the name of the man who threw slurry at Kilroy-Silk?",  # the outer asks only the name
        "On which story was the original film based?",  # a bare participle
        "Which rival did the advertising group WPP that owns Ogilvy buy?",  # the group is named
        "Yukos sued a state oil firm. Who runs it?",  # a pronoun, not "that firm"
        "How many numbers has the watchdog Icstis barred?",  # a name, though it parses as a clause's subject
    ],
)
def test_single_hop_questions_have_no_bridge(question: str) -> None:
    assert bridge(question) is None


def test_the_counted_noun_is_the_head_of_a_hyphenated_compound() -> None:
    assert analyze("How many T-Mobile customers had their names taken?").count_noun == "customer"
    assert analyze("How many Labour MPs voted against the bill?").count_noun == "mp"


def test_the_name_of_a_noun_asks_for_that_noun() -> None:
    frame = analyze("What is the name of the Seattle mayor criticised in the row?")
    assert (frame.slot, frame.asked_noun) == ("person", "mayor")
