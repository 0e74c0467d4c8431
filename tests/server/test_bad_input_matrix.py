"""The bad-input matrix (issue 9): every hostile or careless input over /api, /v1, the chat's routes and the CLI
gets a clear, specific answer and never a traceback. docs/security.md lists each case with its behaviour.

One table per surface; each row is (what is sent, the status or exit code, the error code or text expected).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant import Assistant, Settings
from assistant.server.api import create_app
from tests.conftest import REPO, seeded_assistant

Q = "What did Vučić say about Turkish industry?"
TOKEN = "matrix-token-0123456789"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def seeded_module(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return seeded_assistant(tmp_path_factory.mktemp("matrix") / "data")


@pytest.fixture(scope="module")
def http(seeded_module: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_module, with_ui=False), raise_server_exceptions=False) as client:
        yield client


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text


# ------------------------------------------------------------------------------------------------ /api/ask

API_ASK: list[tuple[str, Any, int, str]] = [
    ("no fields", {}, 422, "missing_field"),
    ("empty question", {"question": ""}, 422, "invalid_question"),
    ("blank question", {"question": "   \n\t"}, 422, "invalid_question"),
    ("only control characters", {"question": "\x00\x01\x1b"}, 422, "invalid_question"),
    ("question over the limit", {"question": "x" * 1001}, 422, "invalid_question"),
    ("question is a number", {"question": 42}, 422, "invalid_request"),
    ("question is null", {"question": None}, 422, "invalid_request"),
    ("question is a list", {"question": ["a"]}, 422, "invalid_request"),
    ("unknown field", {"question": Q, "top_k": 3}, 422, "unknown_field"),
    ("filters not an object", {"question": Q, "filters": "bbc"}, 422, "invalid_filter"),
    ("unknown filter key", {"question": Q, "filters": {"colour": ["red"]}}, 422, "invalid_filter"),
    ("month 13", {"question": Q, "filters": {"date_from": "2005-13-45"}}, 422, "invalid_filter"),
    ("30 February", {"question": Q, "filters": {"date_from": "2005-02-30"}}, 422, "invalid_filter"),
    ("a word for a date", {"question": Q, "filters": {"date_to": "yesterday"}}, 422, "invalid_filter"),
    ("year only", {"question": Q, "filters": {"date_from": "2024"}}, 422, "invalid_filter"),
    (
        "date_from after date_to",
        {"question": Q, "filters": {"date_from": "2005-03-01", "date_to": "2005-01-01"}},
        422,
        "invalid_filter",
    ),
    ("unknown source", {"question": Q, "filters": {"source": ["nope"]}}, 422, "invalid_filter"),
    ("wrong-case source", {"question": Q, "filters": {"source": ["Seeds"]}}, 422, "invalid_filter"),
    ("unknown category", {"question": Q, "filters": {"category": ["Business"]}}, 422, "invalid_filter"),
    ("empty source value", {"question": Q, "filters": {"source": [""]}}, 422, "invalid_filter"),
    ("101 source values", {"question": Q, "filters": {"source": ["s"] * 101}}, 422, "invalid_filter"),
    ("100k source values", {"question": Q, "filters": {"source": ["s"] * 100_000}}, 422, "invalid_filter"),
    ("history role system", {"question": Q, "history": [{"role": "system", "content": "x"}]}, 422, "invalid_request"),
    ("history content a number", {"question": Q, "history": [{"role": "user", "content": 1}]}, 422, "invalid_request"),
    ("201 history turns", {"question": Q, "history": [{"role": "user", "content": "x"}] * 201}, 422, "invalid_request"),
    ("body is a list", ["not", "an", "object"], 422, "invalid_request"),
    ("body is a string", "just a string", 422, "invalid_request"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "status", "code"), API_ASK, ids=[row[0] for row in API_ASK])
def test_api_ask_refuses(http: TestClient, case: str, body: Any, status: int, code: str) -> None:
    response = http.post("/api/ask", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    _no_traceback(response.text)


RAW_BODIES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("truncated JSON", b'{"question": ', JSON, 422, "invalid_json"),
    ("bytes that are not UTF-8", b'{"question": "\xff\xfe"}', JSON, 422, "invalid_json"),
    ("JSON nested 100k deep", b"[" * 100_000 + b"]" * 100_000, JSON, 422, "invalid_json"),
    ("empty body", b"", JSON, 422, "missing_field"),
    ("a 2 MB body", b'{"question": "' + b"x" * 2_000_000 + b'"}', JSON, 413, "payload_too_large"),
    ("a 1 MB header", b'{"question": "q"}', {**JSON, "X-Pad": "x" * 1_000_000}, 431, "headers_too_large"),
]


@pytest.mark.parametrize(("case", "body", "headers", "status", "code"), RAW_BODIES, ids=[r[0] for r in RAW_BODIES])
@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
def test_raw_bodies_are_refused(
    http: TestClient, path: str, case: str, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = http.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    expected = {code, "invalid_request"} if code == "missing_field" and path.startswith("/v1") else {code}
    assert response.json()["error"]["code"] in expected
    _no_traceback(response.text)


UNUSUAL_BUT_VALID = [
    ("a lone surrogate", "What did Vučić \ud800 say about Turkish industry?"),
    ("NUL and controls", "What did Vučić\x00 say about\x07 Turkish industry?"),
    ("terminal escapes", "\x1b]0;TITLE\x07What did \x1b[31mVučić say about Turkish industry?"),
    ("right-to-left override", "What did \u202eVučić say about Turkish industry?"),
    ("zero-width joiners", "What did Vu\u200dčić say about Turkish industry?"),
    ("emoji", "What did Vučić say about Turkish industry? 🇷🇸🇹🇷"),
]


@pytest.mark.parametrize(("case", "question"), UNUSUAL_BUT_VALID, ids=[r[0] for r in UNUSUAL_BUT_VALID])
def test_unusual_questions_are_answered_and_nothing_unsafe_comes_back(
    http: TestClient, case: str, question: str
) -> None:
    body = json.dumps({"question": question}).encode()  # ASCII JSON: a lone surrogate travels as "\\ud800"
    response = http.post("/api/ask", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert not any(ch in answer["question"] for ch in "\x00\x07\x1b\ud800")
    assert answer["text"]


ROUTES: list[tuple[str, str, int, str]] = [
    ("GET", "/api/ask", 405, "method_not_allowed"),
    ("TRACE", "/api/ask", 405, "method_not_allowed"),
    ("DELETE", "/api/status", 405, "method_not_allowed"),
    ("POST", "/v1/models", 405, "method_not_allowed"),
    ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
    ("GET", "/api/nothing-here", 404, "not_found"),
    ("POST", "/v1/embeddings", 404, "not_found"),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_wrong_routes_and_methods(http: TestClient, method: str, path: str, status: int, code: str) -> None:
    response = http.request(method, path)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


# ------------------------------------------------------------------------------------------------ /v1


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "news-assistant", "messages": list(messages), **extra}


USER = {"role": "user", "content": Q}
IMAGE = {"type": "image_url", "image_url": {"url": "x"}}
V1: list[tuple[str, Any, int, str]] = [
    ("no model", {"messages": [USER]}, 422, "missing_field"),
    ("unknown model", {"model": "gpt-4", "messages": [USER]}, 404, "model_not_found"),
    ("no messages", chat(), 422, "invalid_request"),
    ("last message from the assistant", chat({"role": "assistant", "content": "x"}), 422, "invalid_request"),
    ("unknown role", chat({"role": "robot", "content": Q}), 422, "invalid_request"),
    ("empty content", chat({"role": "user", "content": ""}), 422, "invalid_question"),
    ("image-only content", chat({"role": "user", "content": [IMAGE]}), 422, "invalid_question"),
    ("201 messages", chat(*[USER] * 201), 422, "invalid_request"),
    ("bad filter", chat(USER, filters={"date_from": "2005-02-30"}), 422, "invalid_filter"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "status", "code"), V1, ids=[row[0] for row in V1])
def test_v1_refuses(http: TestClient, case: str, body: Any, status: int, code: str) -> None:
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["type"] and error["message"]


# ------------------------------------------------------------------------------------------------ the chat's API


@pytest.fixture(scope="module")
def chat_http(seeded_module: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_module), raise_server_exceptions=False) as client:
        yield client


NO_FILTERS = [None, None, None, None]
CHAT: list[tuple[str, str, list[Any], str]] = [
    (
        "a 5,000-character paste",
        "x" * 5000,
        NO_FILTERS,
        "Could not answer: the question is 5,000 characters long; the limit is 1,000",
    ),
    ("only control characters", "\x00\x1b", NO_FILTERS, "Could not answer: the question is empty"),
    ("30 February", Q, [None, None, "2005-02-30", None], "is not a calendar date"),
    ("an unknown category", Q, [["Business"], None, None, None], "is not in the list of choices"),  # Gradio checks
]


@pytest.mark.parametrize(("case", "question", "filters", "says"), CHAT, ids=[r[0] for r in CHAT])
def test_chat_api_refuses_with_a_message(
    chat_http: TestClient, case: str, question: str, filters: list[Any], says: str
) -> None:
    """Through Gradio's own API (/gradio_api/call/respond): an error event or an error turn, never a traceback."""
    # the last input: "Double-check answers with the local language model", unticked
    submitted = chat_http.post("/gradio_api/call/respond", json={"data": [question, {}, *filters, False]})
    assert submitted.status_code == 200, submitted.text
    events = chat_http.get(f"/gradio_api/call/respond/{submitted.json()['event_id']}").text
    assert says in events, events
    _no_traceback(events)


# ------------------------------------------------------------------------------------------------ auth


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    assistant = Assistant(Settings(data_dir=tmp_path_factory.mktemp("guarded") / "data", auth_token=SecretStr(TOKEN)))
    with TestClient(create_app(assistant), raise_server_exceptions=False) as client:
        yield client


AUTH: list[tuple[str, str, str, dict[str, str], int]] = [
    ("no token", "POST", "/api/ask", {}, 401),
    ("wrong token", "POST", "/api/ask", {"Authorization": "Bearer nope"}, 401),
    ("blank bearer", "POST", "/api/ask", {"Authorization": "Bearer "}, 401),
    ("basic instead of bearer", "POST", "/api/ask", {"Authorization": f"Basic {TOKEN}"}, 401),
    ("v1 without token", "GET", "/v1/models", {}, 401),
    ("schema without token", "GET", "/openapi.json", {}, 401),
    ("docs with a token set", "GET", "/docs", {}, 404),
    ("chat config without login", "GET", "/config", {}, 401),
    ("chat heartbeat without login", "GET", "/gradio_api/heartbeat/x", {}, 401),
]


@pytest.mark.parametrize(("case", "method", "path", "headers", "status"), AUTH, ids=[r[0] for r in AUTH])
def test_auth_holes_stay_closed(
    guarded: TestClient, case: str, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = guarded.request(method, path, headers=headers, json={"question": Q} if method == "POST" else None)
    assert response.status_code == status, response.text


def test_a_short_or_blank_token_is_refused(tmp_path: Path) -> None:
    for token in (" ", "short"):
        with pytest.raises(ValueError, match="16"):
            Settings(data_dir=tmp_path, auth_token=SecretStr(token))


# ------------------------------------------------------------------------------------------------ CLI


def _cli(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    environment |= {"NEWS_ASSISTANT_DATA_DIR": str(data_dir), "NEWS_ASSISTANT_BACKEND": "extractive", **(env or {})}
    command = [sys.executable, "-m", "assistant.cli", *args]
    return subprocess.run(command, capture_output=True, env=environment, cwd=REPO, timeout=300, check=False)


CLI: list[tuple[str, list[str], dict[str, str], int, str]] = [
    ("empty question", ["ask", "  "], {}, 2, "the question is empty"),
    ("a word for a date", ["ask", Q, "--date-from", "yesterday"], {}, 2, "date_from"),
    ("30 February", ["ask", Q, "--date-to", "2005-02-30"], {}, 2, "date_to"),
    ("unknown category", ["ask", Q, "--category", "Business"], {}, 2, "category"),
    ("data dir is a file", ["status", "--data-dir", "/etc/passwd"], {}, 2, "/etc/passwd"),
    ("data dir cannot be made", ["status", "--data-dir", "/proc/na"], {}, 2, "/proc/na"),
    ("ingest a missing folder", ["ingest", "/no/such/folder"], {}, 2, "no such file or folder"),
    ("serve on a public address without a token", ["serve", "--host", "0.0.0.0"], {}, 2, "refusing to serve"),
    ("a one-space token", ["status"], {"NEWS_ASSISTANT_AUTH_TOKEN": " "}, 2, "token"),
    ("an unknown backend", ["ask", Q, "--backend", "gpt"], {}, 2, "backend"),
]


@pytest.mark.parametrize(("case", "args", "env", "code", "says"), CLI, ids=[r[0] for r in CLI])
def test_cli_errors_are_clear(
    tmp_path: Path, case: str, args: list[str], env: dict[str, str], code: int, says: str
) -> None:
    result = _cli(*args, data_dir=tmp_path / "data", env=env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, stderr
    assert says in stderr, stderr
    _no_traceback(stderr)


def test_cli_questions_with_invalid_bytes_and_escapes_print_nothing_unsafe(tmp_path: Path) -> None:
    result = _cli("ask", "What \udcff record\x1b]0;pwned\x07 did \x1b[31mVučić set?", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout
    _no_traceback(result.stderr.decode("utf-8", "replace"))


def test_status_on_a_missing_data_dir_does_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = _cli("status", "--data-dir", str(missing), data_dir=tmp_path / "unused")
    assert result.returncode == 2 and not missing.exists()
