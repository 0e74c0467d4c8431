"""The chat's example questions: tried once per state of the collection, however many pages load at once."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any, cast

from assistant.server.web import EXAMPLES_SHOWN, SEED_EXAMPLES, ExampleQuestions


class FakeAssistant:
    def __init__(self, titles: list[str], sources: list[str]) -> None:
        self.asked: list[str] = []
        self.articles = 5
        self.sources = sources
        self.store = SimpleNamespace(manifest=SimpleNamespace(recent_titles=lambda limit: titles[:limit]))

    def status(self) -> Any:
        return SimpleNamespace(articles=self.articles, last_ingest="t", sources=self.sources)

    def ask(self, question: str) -> Any:
        self.asked.append(question)
        time.sleep(0.01)  # long enough for parallel page loads to overlap
        return SimpleNamespace(abstained="unanswerable" in question)


def test_parallel_page_loads_try_each_question_once_and_all_get_the_list() -> None:
    fake = FakeAssistant(["An unanswerable one", "Budget rises", "Club wins"], sources=["news"])
    examples = ExampleQuestions(cast(Any, fake))
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(examples())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = ["What does the article “Budget rises” report?", "What does the article “Club wins” report?"]
    assert results == [expected] * 8
    assert len(fake.asked) == 3  # not 8 x 3


def test_the_seed_questions_need_no_trying_and_a_new_ingest_tries_again() -> None:
    seeded = FakeAssistant(["Budget rises"], sources=["seeds", "news"])
    assert ExampleQuestions(cast(Any, seeded))() == SEED_EXAMPLES[:EXAMPLES_SHOWN] and seeded.asked == []
    fake = FakeAssistant(["Budget rises"], sources=["news"])
    examples = ExampleQuestions(cast(Any, fake))
    examples()
    examples()
    assert len(fake.asked) == 1  # cached
    fake.articles = 6
    examples()
    assert len(fake.asked) == 2  # the collection changed
