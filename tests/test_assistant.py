"""The Python API: validation, filters, the answer schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant import Answer, Assistant, Settings
from assistant.errors import ArticleNotFound, InvalidQuestion
from tests.conftest import CUP_STORY, TWO_STORIES, write_corpus


def test_empty_and_huge_questions_are_rejected_clearly(seeded: Assistant) -> None:
    with pytest.raises(InvalidQuestion, match="empty"):
        seeded.ask("   ")
    with pytest.raises(InvalidQuestion, match="limit is 1,000"):
        seeded.ask("why " * 400)


def test_first_ask_on_an_empty_collection_ingests_the_seeds(tmp_path: Path) -> None:
    assistant = Assistant(Settings(data_dir=tmp_path / "d"))
    assert assistant.store.is_empty()
    answer = assistant.ask("What did Vučić say about Turkish industry?")
    assert "significantly stronger" in answer.text
    assert assistant.status().articles == 1


def test_filters_restrict_retrieval(tmp_path: Path, seeded: Assistant) -> None:
    corpus = tmp_path / "wire" / "sport"
    corpus.mkdir(parents=True)
    (corpus / "x.txt").write_text(
        "Serbia football\n\nVučić said the Serbian football team is significantly stronger than last year.",
        encoding="utf-8",
    )
    seeded.ingest([tmp_path / "wire"])
    only_sport = seeded.ask("What did Vučić say about Turkish industry?", filters={"category": ["sport"]})
    sport = only_sport.citations + only_sport.closest  # the seed answers this; in sport only the football story
    assert [c.path for c in sport] == ["wire/sport/x.txt"] and sport[0].category == "sport"
    assert "Turkish military industry" not in only_sport.text
    only_seeds = seeded.ask("What did Vučić say about Turkish industry?", filters={"source": ["seeds"]})
    assert only_seeds.citations and "Turkish military industry" in only_seeds.text
    assert {(c.source, c.path) for c in only_seeds.citations + only_seeds.closest} == {
        ("seeds", "seeds/000_8c1e59730e0383e1.txt")
    }
    with pytest.raises(ValidationError):
        seeded.ask("What did Vučić say?", filters={"date_from": "last year"})
    with pytest.raises(ValidationError):
        seeded.ask("What did Vučić say?", filters={"colour": ["red"]})


def test_answer_json_roundtrips_and_has_a_schema(seeded: Assistant) -> None:
    answer = seeded.ask("What did Vučić say about Turkish industry?")
    again = Answer.model_validate_json(answer.model_dump_json())
    assert again == answer
    schema = Answer.model_json_schema()
    assert {"text", "abstained", "citations", "backend", "timings"} <= set(schema["properties"])
    assert answer.backend == "extractive" and answer.timings["total"] > 0


def test_a_filter_naming_the_seed_source_works_on_a_fresh_data_dir(tmp_path: Path) -> None:
    # the filter check used to run before the first-run seeding, so "seeds" did not exist yet
    answer = Assistant(Settings(data_dir=tmp_path / "fresh")).ask(
        "What did Vučić say about Turkish industry?", filters={"source": ["seeds"]}
    )
    assert "significantly stronger than ours" in answer.text


def test_the_answerer_reads_the_rest_of_the_top_article(tmp_path: Path) -> None:
    """The sentence holding the date shares no word with the question; its chunk is not among the top
    passages, but it is in the top article, which the answerer reads whole (context_articles)."""
    story = (
        "File-sharers admit piracy\n\n"
        "Two US file-sharers, William Trowbridge and Michael Chicoine, have pleaded guilty to charges of "
        "sharing music, movies and software over a peer-to-peer network in a case brought by prosecutors. "
        + " ".join(f"Filler sentence number {i} talks about networks and servers at some length." for i in range(3))
        + " The two men are due to be sentenced on 29 April."
    )
    corpus = write_corpus(tmp_path / "wire", {"piracy.txt": story, "other.txt": "Weather\n\nIt rained in May."})
    answers = {}
    for articles in (0, 1):
        settings = Settings(
            data_dir=tmp_path / f"d{articles}",
            ingest_seeds_on_first_run=False,
            chunk_size=48,
            chunk_overlap=0,
            top_k=1,
            context_articles=articles,
        )
        assistant = Assistant(settings)
        assistant.ingest([corpus])
        question = "When are William Trowbridge and Michael Chicoine due to be sentenced?"
        retrieved = assistant.retriever.retrieve(question, settings.top_k)
        read = " ".join(p.text for p in assistant.reading_passages(retrieved))
        assert ("29 April" in read) == (articles == 1)
        answers[articles] = assistant.ask(question)
    assert answers[0].abstained  # the one passage retrieved is the story's first chunk
    assert not answers[1].abstained and "29 April" in answers[1].text
    assert answers[1].citations[0].path.endswith("piracy.txt")


def test_a_whole_article_is_rebuilt_from_its_overlapping_chunks(tmp_path: Path) -> None:
    paragraphs = [" ".join(f"Paragraph {p} sentence {i} says something new." for i in range(6)) for p in range(5)]
    corpus = write_corpus(tmp_path / "wire", {"long.txt": "A long story\n\n" + "\n\n".join(paragraphs)})
    assistant = Assistant(Settings(data_dir=tmp_path / "d", ingest_seeds_on_first_run=False,
                                   chunk_size=48, chunk_overlap=12))  # fmt: skip
    assistant.ingest([corpus])
    (article_id,) = {p.article_id for p in assistant.retriever.retrieve("Paragraph 3 sentence 2", 5).passages}
    article = assistant.article(article_id)
    assert article is not None and assistant.status().chunks > 5
    assert " ".join(article.text.split()) == " ".join("\n\n".join(paragraphs).split())
    assert article.title == "A long story" and article.path == "wire/long.txt"
    assert assistant.article("no-such-article") is None


def test_removing_an_article_takes_every_copy_out_of_vectors_keywords_and_answers(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "wire", {**TWO_STORIES, "copy-of-cup.txt": CUP_STORY})
    assistant = Assistant(Settings(data_dir=tmp_path / "d", ingest_seeds_on_first_run=False))
    assistant.ingest([corpus])
    (cup,) = assistant.articles("arsenal").articles
    assert cup.chunks >= 1 and assistant.articles().total == 2  # the copy is the same article

    removed = assistant.remove_article(cup.id)
    assert removed.id == cup.id and removed.title == "Arsenal win the FA Cup"
    store = assistant.store
    assert store.vectors.count() == len(store.manifest.embedded_ids())  # no orphan vectors left behind
    assert all(c.id.rsplit("-", 1)[0] != cup.id for c in store.manifest.all_chunks())
    assert "arsenal" not in store.lexical.doc_freq  # nor in the keyword index
    hits = assistant.retriever.retrieve("Which club won the FA Cup?", 5).passages
    assert hits and all(p.article_id != cup.id for p in hits)
    assert assistant.article(cup.id) is None
    with pytest.raises(ArticleNotFound, match="no article"):
        assistant.remove_article(cup.id)


def test_the_reader_is_available_with_a_server_a_gguf_or_the_installed_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.assistant as facade
    from assistant.local_llm import LocalModelUnavailable

    def not_installed() -> list[Path]:
        raise LocalModelUnavailable("part 1 is not installed")

    monkeypatch.setattr(facade, "qwen_parts", not_installed)
    monkeypatch.delenv("NEWS_ASSISTANT_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("NEWS_ASSISTANT_OPENAI_API_KEY", raising=False)
    assert not Assistant(Settings(data_dir=tmp_path)).reader_available()
    gguf = tmp_path / "model.gguf"
    assert not Assistant(Settings(data_dir=tmp_path, reader_gguf=gguf)).reader_available()  # named, not there
    gguf.write_bytes(b"GGUF")
    assert Assistant(Settings(data_dir=tmp_path, reader_gguf=gguf)).reader_available()
    assert Assistant(Settings(data_dir=tmp_path, openai_base_url="http://127.0.0.1:9/v1")).reader_available()
    monkeypatch.setattr(facade, "qwen_parts", lambda: [])  # the reader extra installed: nothing is joined yet
    assert Assistant(Settings(data_dir=tmp_path)).reader_available()


WEATHER = "Storms hit coast\n\nHeavy rain caused flooding in several coastal towns on Monday."


def ask_over(tmp_path: Path, stories: dict[str, str], question: str) -> tuple[Answer, set[str]]:
    """Ask over a small corpus of `stories` (plus an unrelated one): the answer and the file names it cites."""
    assistant = Assistant(Settings(data_dir=tmp_path / "d", ingest_seeds_on_first_run=False))
    assistant.ingest([write_corpus(tmp_path / "wire", {**stories, "weather.txt": WEATHER})])
    answer = assistant.ask(question)
    return answer, {c.path.rsplit("/", 1)[-1] for c in answer.citations}


@pytest.mark.parametrize(
    ("stories", "question", "expected", "cited"),
    [
        pytest.param(  # a comparison: each figure cited to its own article
            {
                "robots.txt": "Robots tops US box office\n\nThe animated film Robots took $36.5m over its opening "
                "weekend in North America, its distributor said on Sunday. Critics had been lukewarm.",
                "constantine.txt": "Constantine opens strongly\n\nKeanu Reeves's thriller Constantine took $30.5m over "
                "its opening weekend in North America. The film is based on a comic book.",
            },
            "Which film took more over its opening weekend: Robots or Constantine?",
            ["$36.5m", "$30.5m"],
            {"robots.txt", "constantine.txt"},
            id="comparison",
        ),
        pytest.param(  # a later part asked of the first part's answer: the second article never names the show
            {
                "show.txt": "Branson show renewed\n\nThe US network Fox airs Richard Branson's reality show The "
                "Rebel Billionaire, which has been renewed for a second series.",
                "fox.txt": "Fox profits rise\n\nFox chief executive Peter Chernin said profits rose 12% in the "
                "quarter. Advertising revenue was strong.",
            },
            "Which US network airs The Rebel Billionaire, and who is that network's chief executive?",
            ["Fox", "Peter Chernin"],
            {"show.txt", "fox.txt"},
            id="part-pointing-back",
        ),
        pytest.param(  # a statement names the subject, the question points back to it
            {
                "suit.txt": "Yukos sues four firms\n\nYukos sued four companies for $20bn, among them the state oil "
                "firm Rosneft, over the auction of its main unit.",
                "rosneft.txt": "Rosneft boss speaks\n\nRosneft is run by chief executive Sergei Bogdanchikov, who "
                "said the firm would honour its debts.",
            },
            "Yukos sued a state oil firm over the auction. Who runs that firm?",
            ["Bogdanchikov"],
            {"rosneft.txt"},
            id="two-sentence-bridge",
        ),
    ],
)
def test_a_question_in_parts_is_answered_part_by_part_from_each_parts_article(
    tmp_path: Path, stories: dict[str, str], question: str, expected: list[str], cited: set[str]
) -> None:
    assistant = Assistant(Settings(data_dir=tmp_path / "d", ingest_seeds_on_first_run=False))
    weather = "Storms hit coast\n\nHeavy rain caused flooding in several coastal towns on Monday."
    assistant.ingest([write_corpus(tmp_path / "wire", {**stories, "weather.txt": weather})])
    answer = assistant.ask(question)
    assert not answer.abstained
    assert all(text in answer.text for text in expected), answer.text
    assert cited <= {c.path.rsplit("/", 1)[-1] for c in answer.citations}
