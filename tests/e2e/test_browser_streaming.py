"""The chat streams a language model's answer as it is produced, then shows the checked answer.

A real `news-assistant serve` with the openai backend pointed at the real llama.cpp server (SmolLM2-135M) from
tests/e2e/llm_fixtures.py, driven in headless Chromium. The tiny model answers badly; what is checked is that
partial text appears and grows in the page before the final, citation-checked answer replaces it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SEED
from tests.e2e.conftest import NetworkGuard, RunningServer, ingest_cli, run_server
from tests.e2e.llm_server import LlamaServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def openai_chat_server(tmp_path_factory: pytest.TempPathFactory, llm_server: LlamaServer) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("stream")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    ingest_cli(root / "data", seeds)
    env = {
        "NEWS_ASSISTANT_BACKEND": "openai",
        "NEWS_ASSISTANT_OPENAI_BASE_URL": llm_server.base_url,
        "NEWS_ASSISTANT_OPENAI_MODEL": llm_server.model or "local",
        "NEWS_ASSISTANT_OPENAI_MAX_TOKENS": "80",
        "NEWS_ASSISTANT_TOP_K": "3",  # a prompt the 135M model reads in a few seconds
    }
    with run_server(root / "data", root / "server.log", env=env) as server:
        yield server


def test_tokens_stream_into_the_page_before_the_checked_answer(
    openai_chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page, network = browser_page
    page.goto(f"{openai_chat_server.base_url}/", wait_until="load")
    page.wait_for_selector("#na-question textarea")
    page.locator("#na-question textarea").fill("What did Vučić say about Turkish industry?")
    page.locator("#na-question textarea").press("Enter")

    partials: list[str] = []
    deadline = time.monotonic() + 180
    final = page.locator(".na-answered, .na-abstained, .na-error")
    while time.monotonic() < deadline and final.count() == 0:
        streaming = page.locator(".na-streaming .na-answer-text")
        if streaming.count():
            try:  # the stream may be replaced by the checked answer between count() and the read
                text = streaming.first.inner_text(timeout=500).replace("▍", "").strip()
            except PlaywrightTimeout:
                continue
            if text and (not partials or text != partials[-1]):
                partials.append(text)
        time.sleep(0.05)
    assert final.count() == 1, "no final answer within 180 s"
    assert len(partials) >= 2, f"expected growing partial text, saw {partials!r}"
    assert len(partials[-1]) > len(partials[0])  # it grew token by token
    assert final.first.get_attribute("class") != "na-answer na-error"
    assert page.locator(".na-streaming").count() == 0  # the checked answer replaced the stream
    assert not network.blocked
