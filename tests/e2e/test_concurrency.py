"""Many readers at once against the real server: every request gets its own, correct answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

VUCIC = "What did Vučić say about Turkish industry?"
REQUESTS = 20


@dataclass(frozen=True)
class Case:
    body: dict[str, Any]
    expected_text: str
    abstains: bool = False
    rewritten: str | None = None


CASES = [
    Case({"question": VUCIC}, "significantly stronger than ours"),
    Case(
        {
            "question": "What did he say about shells?",
            "history": [
                {"role": "user", "content": VUCIC},
                {"role": "assistant", "content": "The Turkish military industry is significantly stronger. [1]"},
            ],
        },
        "a huge number of shells",
        rewritten="What did Vučić say about shells?",
    ),
    Case({"question": "What did Putin say about the drones?"}, "The articles don't say.", abstains=True),
]


def test_twenty_concurrent_questions_get_twenty_correct_answers(news_server: RunningServer) -> None:
    cases = [CASES[i % len(CASES)] for i in range(REQUESTS)]
    start_together = threading.Barrier(REQUESTS)

    def ask(case: Case) -> httpx.Response:
        with httpx.Client(base_url=news_server.base_url, timeout=300.0) as client:
            start_together.wait()
            return client.post("/api/ask", json=case.body)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        responses = list(pool.map(ask, cases))

    for case, response in zip(cases, responses, strict=True):
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["question"] == case.body["question"]
        assert case.expected_text in answer["text"]
        assert answer["abstained"] is case.abstains
        # A history sent by one request must never shape another's question.
        assert answer["rewritten_question"] == case.rewritten
        if not case.abstains:
            assert answer["citations"][0]["path"] == "seeds/000_8c1e59730e0383e1.txt"
