"""The reader backend with a scripted model: what the model's reply means, and when an answer is shown.

The real server's path is tested in tests/e2e/test_openai_backend.py; here the model is a function, so each rule
of the agreement (reader.py, ExtractiveAnswerer.answer) can be pinned down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.answering.extractive import Candidate, agree, pick_quote
from assistant.answering.generative import LLMUnavailable
from assistant.answering.reader import CONFIRM_AT, RESCUE_AT, Reading, holds, located, parse_reading, span_offsets
from assistant.types import Passage
from tests.conftest import seeded_assistant, write_corpus

COUNT_QUESTION = "With how many countries did Baykar sign export contracts?"
COUNT_SENTENCE = "export contracts with about 30 countries"


@pytest.mark.parametrize(
    ("raw", "reading"),
    [
        ("Joe Cole [2]", Reading("Joe Cole", 1)),
        ("  Joe Cole [2].\nBecause the sentence says so.", Reading("Joe Cole", 1)),
        ("Answer: 1 August [3]", Reading("1 August", 2)),
        ("The answer is £5m", Reading("£5m", None)),
        ("110 [3]", Reading("110", 2)),
        ("Anfield [9]", Reading("Anfield", None)),  # a sentence it was not shown
        ("not stated", Reading(None)),
        ("Not stated.", Reading(None)),
        ("The sentences do not give it: not stated", Reading(None)),
        ("[2]", Reading(None)),  # a number of a sentence, but no answer
        ("It is.", Reading(None)),
        ("", Reading(None)),
    ],
)
def test_the_models_reply_reads_as_a_span_and_a_sentence(raw: str, reading: Reading) -> None:
    assert parse_reading(raw, 3) == reading


def test_a_span_is_held_verbatim_or_by_most_of_its_words() -> None:
    sentence = "Pro Evolution Soccer 4 won the sports category at the Bafta awards."
    assert span_offsets("pro evolution soccer 4", sentence) == (0, 22)
    assert holds("Pro Evolution Soccer 4", sentence)
    assert holds("the Bafta award sports category", sentence)  # 4 of 5 words
    assert not holds("Half-Life 2", sentence)
    assert span_offsets("Half-Life 2", sentence) is None


def test_the_span_is_located_in_the_cited_sentence_else_the_first_that_holds_it() -> None:
    sentences = ["Chelsea won 2-0 at Anfield.", "Lampard scored after a Joe Cole cross.", "Joe Cole was booked."]
    assert located(Reading("Joe Cole", 2), sentences) == 2
    assert located(Reading("Joe Cole", 0), sentences) == 1  # cited wrongly: the best ranked that holds it
    assert located(Reading("Didier Drogba", 1), sentences) is None
    assert located(Reading(None), sentences) is None


class ScriptedModel:
    """Stands in for OpenAIAnswerer: `read` replies with `reply`; `confirm` says yes with probability `yes`."""

    def __init__(self, reply: str | Exception, yes: float = 0.9) -> None:
        self.reply = reply
        self.yes = yes
        self.calls: list[tuple[str, list[str]]] = []
        self.confirms: list[tuple[str, str, str]] = []

    def read(self, question: str, sentences: list[str]) -> str:
        self.calls.append((question, sentences))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def confirm(self, question: str, title: str, text: str) -> float:
        self.confirms.append((question, title, text))
        return self.yes


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("reader") / "data"
    seeded_assistant(data_dir)
    return data_dir


def reading_assistant(data_dir: Path, model: ScriptedModel, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    assistant = Assistant(
        Settings(data_dir=data_dir, ingest_seeds_on_first_run=False),
        backend="reader",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_model="scripted",
    )
    monkeypatch.setattr(assistant.llm, "read", model.read)
    monkeypatch.setattr(assistant.llm, "confirm", model.confirm)
    return assistant


def test_an_answer_both_readers_agree_on_is_shown_with_the_models_span_marked(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ScriptedModel("about 30 countries [1]")
    answer = reading_assistant(seeded_dir, model, monkeypatch).ask(COUNT_QUESTION)
    assert len(model.calls) == 1
    question, sentences = model.calls[0]
    assert question == COUNT_QUESTION and 1 <= len(sentences) <= 8
    assert not answer.abstained and COUNT_SENTENCE in answer.text
    assert (answer.backend, answer.model) == ("reader", "scripted")
    first = answer.citations[0]
    assert first.key == "about 30 countries"
    assert first.key_start is not None and first.passage[first.key_start :].startswith("about 30 countries")


def test_an_answer_the_second_look_does_not_confirm_is_an_abstention(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirmed = reading_assistant(seeded_dir, ScriptedModel("about 30 countries [1]"), monkeypatch).ask(COUNT_QUESTION)
    assert not confirmed.abstained
    doubting = ScriptedModel("about 30 countries [1]", yes=0.2)
    answer = reading_assistant(seeded_dir, doubting, monkeypatch).ask(COUNT_QUESTION)
    assert answer.abstained and not answer.citations and answer.closest
    # asked once, about the sentence in its place: its headline and the sentence(s) before it
    ((question, title, text),) = doubting.confirms
    assert question == COUNT_QUESTION
    assert title == confirmed.citations[0].title
    assert text.endswith(confirmed.citations[0].quote) and len(text) > len(confirmed.citations[0].quote)


def test_the_model_finding_no_answer_is_an_abstention_even_where_the_checks_pass(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extractive = Assistant(Settings(data_dir=seeded_dir, ingest_seeds_on_first_run=False)).ask(COUNT_QUESTION)
    assert not extractive.abstained  # the checks alone would answer
    answer = reading_assistant(seeded_dir, ScriptedModel("not stated"), monkeypatch).ask(COUNT_QUESTION)
    assert answer.abstained and not answer.citations and answer.closest
    assert answer.backend == "reader"


def test_a_span_only_an_unchecked_sentence_holds_needs_a_surer_second_look(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Topical, in the article, but it holds no count: the slot check failed that sentence.
    unsure = ScriptedModel("Syria, Libya, Azerbaijan and Ukraine", yes=RESCUE_AT - 0.01)
    answer = reading_assistant(seeded_dir, unsure, monkeypatch).ask(COUNT_QUESTION)
    assert answer.abstained and not answer.citations
    assert len(unsure.confirms) == 1 and CONFIRM_AT < RESCUE_AT - 0.01  # would have passed a checked sentence
    sure = ScriptedModel("Syria, Libya, Azerbaijan and Ukraine", yes=RESCUE_AT)
    answer = reading_assistant(seeded_dir, sure, monkeypatch).ask(COUNT_QUESTION)
    assert not answer.abstained and "Azerbaijan" in answer.citations[0].quote


def ingested(factory: pytest.TempPathFactory, name: str, articles: dict[str, str]) -> Path:
    """A data dir holding just these articles."""
    folder = factory.mktemp(name)
    corpus = write_corpus(folder / "corpus", articles)
    Assistant(Settings(data_dir=folder / "data", ingest_seeds_on_first_run=False)).ingest([corpus])
    return folder / "data"


@pytest.fixture(scope="module")
def deals_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection holding one article with two purchases, two prices."""
    deals = (
        "Acme buys two rivals\n\nAcme paid $5m for the software firm Beta in March, the company said on Monday. "
        "Analysts said the deal was small. Acme later paid $9m for the chip maker Gamma, its chief executive Jane "
        "Roe told reporters."
    )
    return ingested(tmp_path_factory, "deals", {"deals.txt": deals})


def candidate(text: str, passed: bool, passage: int = 0) -> Candidate:
    return Candidate(passage, 0, len(text), text, text, "", "", checks={"slot": passed})


def test_agreement_keeps_confirms_switches_or_abstains() -> None:
    beta = candidate("Acme paid $5m for the software firm Beta in March.", passed=True)
    gamma = candidate("Acme later paid $9m for the chip maker Gamma.", passed=True)
    topical = candidate("Analysts said the deals, worth millions, were small.", passed=False)
    ranked = [beta, topical, gamma]

    passages = [Passage("c0", "deals", "", "Acme buys two rivals", "deals.txt", 0, 0, 0)]

    def agreed(reply: str, chosen: list[Candidate], yes: float = 0.9) -> list[Candidate]:
        for c in ranked:
            c.read_key = None
        return agree(ScriptedModel(reply, yes), "How much did Acme pay for Gamma?", ranked, chosen, passages)

    assert agreed("$5m [1]", [beta]) == [beta]  # confirmed
    assert beta.read_key is not None and beta.read_key.text == "$5m"
    assert agreed("$9m [3]", [beta]) == [gamma]  # another checked sentence: the model's pick
    assert gamma.read_key is not None and (gamma.read_key.start, gamma.read_key.end) == (16, 19)
    assert agreed("$9m [1]", [beta]) == [gamma]  # cited wrongly: the sentence that holds it
    assert agreed("$9m [3]", [beta, gamma]) == [beta, gamma]  # confirms one of two: the answer stays whole
    assert agreed("$9m", []) == [gamma]  # the checks passed it, below the threshold alone
    assert agreed("millions [2]", [beta], yes=RESCUE_AT - 0.01) == []  # only an unchecked sentence holds it...
    assert agreed("millions [2]", [beta], yes=RESCUE_AT) == [topical]  # ...shown only on a surer second look
    assert topical.read_key is not None and topical.read_key.text == "millions"
    assert agreed("Delta Corp [1]", [beta]) == []  # in no sentence
    assert agreed("not stated", [beta]) == []
    assert agreed("$9m [3]", [beta], yes=CONFIRM_AT - 0.01) == []  # the second look does not confirm it
    assert agreed("$9m [3]", [beta], yes=CONFIRM_AT) == [gamma]


def test_a_second_sentence_from_another_passage_goes_when_the_model_names_the_other() -> None:
    """Two checked sentences within the margin are shown because the checks cannot choose; when they come from
    different passages and the model's span is in one, the other is padding (fourteenth round)."""
    gamma = candidate("Acme later paid $9m for the chip maker Gamma.", passed=True, passage=0)
    beta_elsewhere = candidate("Acme paid $5m for the software firm Beta in March.", passed=True, passage=1)
    beta_same = candidate("Acme paid $5m for the software firm Beta in March.", passed=True, passage=0)
    nine_elsewhere = candidate("The $9m Gamma deal closed in May, Acme said.", passed=True, passage=1)
    passages = [Passage(f"c{i}", "deals", "", "Acme buys two rivals", "deals.txt", i, 0, 0) for i in (0, 1)]

    def agreed(reply: str, chosen: list[Candidate]) -> list[Candidate]:
        return agree(ScriptedModel(reply), "How much did Acme pay for Gamma?", chosen, chosen, passages)

    assert agreed("$9m [1]", [gamma, beta_elsewhere]) == [gamma]
    assert agreed("$9m [2]", [beta_elsewhere, gamma]) == [gamma]  # the model's pick, though ranked second
    assert agreed("$9m [1]", [gamma, beta_same]) == [gamma, beta_same]  # same passage: it stays (context)
    assert agreed("$9m [1]", [gamma, nine_elsewhere]) == [gamma, nine_elsewhere]  # both hold the span


def test_the_model_picks_the_quotation_but_does_not_abstain_for_the_speaker_check() -> None:
    wrong_topic = candidate('"We will build a new stadium," said Jones.', passed=True)
    quote = candidate('"The pitch was a disgrace," he said.', passed=False)
    other = candidate("Jones has managed the club since 2001.", passed=False)
    ranked = [wrong_topic, other, quote]

    def picked(reply: str, chosen: list[Candidate]) -> list[Candidate]:
        return pick_quote(ScriptedModel(reply), "What did Jones say about the pitch?", ranked, chosen)

    assert picked("The pitch was a disgrace [3]", [wrong_topic]) == [quote]
    assert picked("The pitch was a disgrace [3]", []) == [quote]  # the speaker check passed some sentence
    assert picked("We will build a new stadium [1]", [wrong_topic]) == [wrong_topic]
    assert picked("not stated", [wrong_topic]) == [wrong_topic]  # the model's doubt is not an abstention here
    assert picked("a new training ground [2]", [wrong_topic]) == [wrong_topic]  # in no sentence


def test_a_confirmed_two_sentence_answer_stays_whole(deals_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "How much did Acme pay?"
    extractive = Assistant(Settings(data_dir=deals_dir, ingest_seeds_on_first_run=False)).ask(question)
    assert len(extractive.citations) == 2  # both prices passed the checks, within the margin
    answer = reading_assistant(deals_dir, ScriptedModel("$9m [2]"), monkeypatch).ask(question)
    assert answer.text == extractive.text and answer.backend == "reader"
    assert [c.key for c in answer.citations] == [c.key if "$9m" not in c.quote else "$9m" for c in extractive.citations]


def test_a_quote_question_is_read_but_the_models_doubt_leaves_the_speaker_checks_answer(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ScriptedModel("not stated")
    assistant = reading_assistant(seeded_dir, model, monkeypatch)
    quote = assistant.ask("What did Vučić say about Turkish industry?")
    assert not quote.abstained and "significantly stronger than ours" in quote.text
    assert (quote.backend, quote.model) == ("reader", "scripted")
    assert [question for question, _ in model.calls] == ["What did Vučić say about Turkish industry?"]


def test_questions_no_sentence_passes_do_not_ask_the_model(seeded_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ScriptedModel("Argentina [1]")
    out_of_corpus = reading_assistant(seeded_dir, model, monkeypatch).ask("Who won the 2022 World Cup?")
    assert out_of_corpus.abstained
    assert model.calls == []


def test_a_failing_model_leaves_the_extractive_answer_and_says_so(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = ScriptedModel(LLMUnavailable("the language model at http://127.0.0.1:9/v1 timed out"))
    answer = reading_assistant(seeded_dir, failing, monkeypatch).ask(COUNT_QUESTION)
    assert not answer.abstained and COUNT_SENTENCE in answer.text
    assert (answer.backend, answer.model) == ("extractive", None)
    assert answer.notes == [
        "the language model at http://127.0.0.1:9/v1 timed out; answered with the extractive backend alone"
    ]


def test_the_reader_backend_without_its_model_answers_extractively_and_says_why(
    seeded_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-model.gguf"
    assistant = Assistant(
        Settings(data_dir=seeded_dir, ingest_seeds_on_first_run=False), backend="reader", reader_gguf=missing
    )
    answer = assistant.ask(COUNT_QUESTION)
    assert answer.backend == "extractive" and COUNT_SENTENCE in answer.text
    assert answer.notes == [f"no GGUF model at {missing}; answered with the extractive backend alone"]


def test_questions_the_model_is_not_asked_need_no_model(seeded_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant(
        Settings(data_dir=seeded_dir, ingest_seeds_on_first_run=False),
        backend="reader",
        reader_gguf=tmp_path / "no-such-model.gguf",
    )
    answer = assistant.ask("Who won the 2022 World Cup?")
    assert (answer.backend, answer.model, answer.notes) == ("reader", None, [])


def test_an_answer_names_the_model_only_when_it_read_that_question(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the model has read one question, a later one it did not read must not name the model: the chat
    would say it was double-checked."""
    model = ScriptedModel("about 30 countries [1]")
    assistant = reading_assistant(seeded_dir, model, monkeypatch)
    assert assistant.ask(COUNT_QUESTION).model == "scripted"
    unread = assistant.ask("Who won the 2022 World Cup?")
    assert len(model.calls) == 1 and unread.abstained
    assert (unread.backend, unread.model) == ("reader", None)


def test_a_question_in_parts_is_answered_by_the_checks_alone(seeded_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Multi-part, comparison and bridge questions are not read by the model: on a blind batch it misread or
    refused parts the checks answered (eval/README.md, thirteenth round)."""
    question = f"{COUNT_QUESTION[:-1]}, and what did Vučić say about Turkish industry?"
    model = ScriptedModel("about 30 countries [1]")
    answer = reading_assistant(seeded_dir, model, monkeypatch).ask(question)
    extractive = Assistant(Settings(data_dir=seeded_dir, ingest_seeds_on_first_run=False)).ask(question)
    assert model.calls == [] and model.confirms == []
    assert not answer.abstained and COUNT_SENTENCE in answer.text
    assert answer.text == extractive.text and (answer.backend, answer.model) == ("reader", None)
    single = reading_assistant(seeded_dir, model, monkeypatch).ask(COUNT_QUESTION)
    assert len(model.calls) == 1 and single.model == "scripted"  # one question is still read


@pytest.fixture(scope="module")
def two_deals_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two articles, each with a price Acme paid: "how much did Acme pay" passes a sentence of each."""
    return ingested(
        tmp_path_factory,
        "two-deals",
        {
            "gamma.txt": "Acme buys chip maker Gamma\n\nAcme paid $9m for the chip maker Gamma, the company said on "
            "Monday. Gamma makes sensors for cars.",
            "beta.txt": "Acme buys software firm Beta\n\nAcme paid $5m for the software firm Beta, the company said "
            "in March. Beta writes billing software.",
        },
    )


def test_of_two_articles_sentences_the_answer_keeps_the_one_the_model_names(
    two_deals_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "How much did Acme pay?"
    extractive = Assistant(Settings(data_dir=two_deals_dir, ingest_seeds_on_first_run=False)).ask(question)
    assert len({c.path for c in extractive.citations}) == 2  # the checks cannot choose between the prices
    for reply, kept, gone in (("$9m [1]", "$9m", "$5m"), ("$5m [2]", "$5m", "$9m")):
        answer = reading_assistant(two_deals_dir, ScriptedModel(reply), monkeypatch).ask(question)
        assert kept in answer.text and gone not in answer.text
        assert [c.key for c in answer.citations] == [kept] and answer.model == "scripted"
