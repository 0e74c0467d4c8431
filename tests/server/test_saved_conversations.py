"""The browser-kept list of earlier conversations: whatever the browser sends back is read safely."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.server import web
from assistant.server.web import SAVED_CONVERSATIONS, _conversation, _keep, _saved, _title


def conversation(question: str) -> dict[str, object]:
    return {
        "messages": [{"role": "user", "content": f"<p>{question}</p>"}],
        "turns": [{"role": "user", "content": question}],
        "answers": {},
    }


def test_malformed_storage_reads_as_no_conversations() -> None:
    assert _saved(None) == [] and _saved("x") == [] and _saved({"saved": "x"}) == []
    assert _saved({"saved": [{"id": 1, "title": "t"}, {"title": "no id"}, "junk"]}) == []
    (item,) = _saved({"saved": [{"id": "a", "title": "t", "conversation": "junk"}]})
    assert item["conversation"] == _conversation(None)


def test_new_chat_keeps_the_open_conversation_first_named_by_its_question_and_caps_the_list() -> None:
    kept: list[dict[str, object]] = []
    for n in range(SAVED_CONVERSATIONS + 5):
        kept = _keep(_conversation(conversation(f"  Question   {n}?  ")), kept)
    assert len(kept) == SAVED_CONVERSATIONS
    assert kept[0]["title"] == f"Question {SAVED_CONVERSATIONS + 4}?"  # newest first, oldest dropped
    assert _keep(_conversation(None), kept) == kept  # an empty chat is not kept
    assert _title(_conversation(conversation("x" * 200))) == "x" * 80


def test_the_reader_is_told_which_conversation_the_cap_removed_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(web.gr, "Info", lambda message, **_: told.append(message))
    kept: list[dict[str, Any]] = []
    for n in range(SAVED_CONVERSATIONS):
        kept = _keep(_conversation(conversation(f"<b>Question {n}</b>?")), kept)
    assert told == []  # nothing removed yet
    kept = _keep(_conversation(conversation("One more?")), kept)
    (message,) = told
    assert f"Only the {SAVED_CONVERSATIONS} most recent conversations are kept" in message
    assert "“&lt;b&gt;Question 0&lt;/b&gt;?”" in message and "<b>" not in message
    assert kept[-1]["title"] == "<b>Question 1</b>?"
