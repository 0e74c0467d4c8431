"""The HTTP API in-process (FastAPI TestClient): /api answers and errors, auth, and /v1 through the real
`openai` client (the TestClient is an httpx.Client, so the client's own request and SSE handling run)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant import Answer, Assistant, Settings, StreamEvent
from assistant.server import bind_refusal, is_loopback, render
from assistant.server.api import create_app
from assistant.server.openai_compat import MODEL_NAME
from assistant.store import StoreUnavailable
from tests.conftest import TWO_STORIES, write_corpus

VUCIC = "What did Vučić say about Turkish industry?"
SEED_PATH = "seeds/000_8c1e59730e0383e1.txt"
TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def client(seeded: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(seeded, with_ui=False), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def guarded_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app over the seed article that requires the bearer token TOKEN."""
    assistant = Assistant(Settings(data_dir=tmp_path / "guarded", auth_token=SecretStr(TOKEN)))
    with TestClient(create_app(assistant, with_ui=False), raise_server_exceptions=False) as test_client:
        yield test_client


def openai_client(http_client: TestClient, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url="http://testserver/v1", api_key=api_key, http_client=http_client, max_retries=0)


# ------------------------------------------------------------------------------------------------ /api


def test_health(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_status_reports_the_collection(client: TestClient) -> None:
    status = client.get("/api/status").json()
    assert status["articles"] == 1
    assert status["chunks"] >= 1
    assert status["fully_embedded"] is True
    assert status["sources"] == ["seeds"]


def test_ask_returns_the_answer_json(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": VUCIC})
    assert response.status_code == 200
    answer = Answer.model_validate(response.json())
    assert not answer.abstained
    assert "significantly stronger than ours" in answer.text
    assert "[1]" in answer.text
    first = answer.citations[0]
    assert first.path == SEED_PATH
    assert first.passage[first.quote_start : first.quote_start + len(first.quote)] == first.quote


def test_ask_with_history_answers_the_follow_up(client: TestClient) -> None:
    first = client.post("/api/ask", json={"question": VUCIC}).json()
    history = [{"role": "user", "content": VUCIC}, {"role": "assistant", "content": first["text"]}]
    followup = client.post("/api/ask", json={"question": "What did he say about shells?", "history": history}).json()
    assert "a huge number of shells" in followup["text"]
    assert followup["rewritten_question"] == "What did Vučić say about shells?"


def test_ask_with_filters(client: TestClient) -> None:
    matching = client.post("/api/ask", json={"question": VUCIC, "filters": {"source": ["seeds"]}}).json()
    assert not matching["abstained"]
    excluded = client.post("/api/ask", json={"question": VUCIC, "filters": {"date_from": "2030-01-01"}}).json()
    assert excluded["abstained"] and excluded["citations"] == []
    assert excluded["text"] == "No article matches these filters (from 2030-01-01), so there was nothing to search."


@pytest.mark.parametrize(
    ("filters", "field", "says"),
    [
        ({"source": ["elsewhere"]}, "source", "unknown value 'elsewhere'; this collection has: seeds"),
        ({"source": ["Seeds"]}, "source", "did you mean 'seeds'?"),
        ({"category": ["sport"]}, "category", "unknown value 'sport'"),
        ({"date_from": "2005-13-45"}, "date_from", "is not a calendar date"),
        ({"date_to": "2005-02-30"}, "date_to", "is not a calendar date"),
        ({"date_from": "not a date"}, "date_from", "pattern"),
        ({"date_from": "2005-03-01", "date_to": "2005-01-01"}, "filters", "is after date_to"),
        ({"category": ["x"] * 101}, "category", "at most 100"),
        ({"source": [""]}, "source", "at least 1 character"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(client: TestClient, filters: dict, field: str, says: str) -> None:
    """Issue 9, item 4: impossible dates, reversed ranges, unknown or wrongly cased values and huge lists were
    accepted with a silent "The articles don't say."."""
    response = client.post("/api/ask", json={"question": VUCIC, "filters": filters})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_filter"
    assert field in error["message"] and says in error["message"]


def test_abstention_is_a_normal_answer(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "What did Putin say about the drones?"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["abstained"] is True
    assert answer["citations"] == []
    assert answer["closest"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "missing_field"),
        ({"question": ""}, 422, "invalid_question"),
        ({"question": "   "}, 422, "invalid_question"),
        ({"question": "x" * 1001}, 422, "invalid_question"),
        ({"question": 42}, 422, "invalid_request"),
        ({"question": VUCIC, "filters": {"date_from": "2024"}}, 422, "invalid_filter"),
        ({"question": VUCIC, "filters": {"colour": ["red"]}}, 422, "invalid_filter"),
        ({"question": VUCIC, "filters": "bbc"}, 422, "invalid_filter"),
        ({"question": VUCIC, "top_k": 3}, 422, "unknown_field"),
        ({"question": VUCIC, "history": [{"role": "system", "content": "x"}]}, 422, "invalid_request"),
        (["not", "an", "object"], 422, "invalid_request"),
    ],
)
def test_ask_rejects_bad_input_with_a_json_error(client: TestClient, body: Any, status: int, code: str) -> None:
    response = client.post("/api/ask", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error) == {"code", "message"}
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "body",
    [b'{"question": ', b'{"question": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000],
    ids=["truncated", "not-utf8", "nested-100k-deep"],
)
@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
def test_malformed_json_is_a_clear_error(client: TestClient, path: str, body: bytes) -> None:
    """Issue 9, item 9: bytes that are not UTF-8 and 100k-deep JSON gave 400 http_400; the docs promise 422."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_json"


def test_unknown_endpoint_and_wrong_method_are_json_errors(client: TestClient) -> None:
    missing = client.get("/api/nothing-here")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    wrong_method = client.get("/api/ask")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "method_not_allowed")
    for method, path, allowed in [("TRACE", "/v1/models", "GET"), ("QUERY", "/api/ask", "POST")]:
        response = client.request(method, path)  # methods no route lists fell through to the chat's 404
        assert (response.status_code, response.headers["allow"]) == (405, allowed)
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_failure_is_a_500_without_traceback(
    client: TestClient, seeded: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> Answer:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(seeded, "ask", explode)
    response = client.post("/api/ask", json={"question": VUCIC})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error; the server log has details"}
    }
    assert "secret internal detail" not in response.text


def test_unavailable_store_is_a_503(client: TestClient, seeded: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*_args: object, **_kwargs: object) -> Answer:
        raise StoreUnavailable("cannot reach the Chroma server at http://127.0.0.1:9")

    monkeypatch.setattr(seeded, "ask", unavailable)
    response = client.post("/api/ask", json={"question": VUCIC})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"


# ------------------------------------------------------------------------------------------------ auth


def test_token_is_required_for_api_and_v1_but_not_health(guarded_client: TestClient) -> None:
    assert guarded_client.get("/api/health").status_code == 200
    for method, path in (("post", "/api/ask"), ("get", "/api/status"), ("get", "/v1/models")):
        response = guarded_client.request(method.upper(), path, json={"question": VUCIC})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"
    wrong = guarded_client.post("/api/ask", json={"question": VUCIC}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = guarded_client.post("/api/ask", json={"question": VUCIC}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert "significantly stronger than ours" in right.json()["text"]


def test_openai_client_needs_the_token_as_api_key(guarded_client: TestClient) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai_client(guarded_client, api_key="wrong").models.list()
    assert [model.id for model in openai_client(guarded_client, api_key=TOKEN).models.list()] == [MODEL_NAME]


@pytest.mark.parametrize(
    ("host", "token", "force", "refused"),
    [
        ("127.0.0.1", None, False, False),
        ("localhost", None, False, False),
        ("::1", None, False, False),
        ("0.0.0.0", None, False, True),
        ("192.168.1.20", None, False, True),
        ("example.org", None, False, True),
        ("0.0.0.0", "", False, True),  # an empty token is no token
        ("0.0.0.0", TOKEN, False, False),
        ("0.0.0.0", None, True, False),
    ],
)
def test_non_loopback_bind_needs_a_token_or_force(host: str, token: str | None, force: bool, refused: bool) -> None:
    settings = Settings(host=host, auth_token=SecretStr(token) if token is not None else None)
    refusal = bind_refusal(settings, force_insecure=force)
    assert (refusal is not None) == refused
    if refusal:
        assert "--force-insecure" in refusal and "NEWS_ASSISTANT_AUTH_TOKEN" in refusal
    assert is_loopback(host) == (host in {"127.0.0.1", "localhost", "::1"})


# ------------------------------------------------------------------------------------------------ /v1


def test_v1_models(client: TestClient) -> None:
    assert [model.id for model in openai_client(client).models.list()] == [MODEL_NAME]


def test_v1_chat_completion_with_the_openai_client(client: TestClient) -> None:
    completion = openai_client(client).chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": VUCIC}]
    )
    content = completion.choices[0].message.content or ""
    assert completion.choices[0].finish_reason == "stop"
    assert "significantly stronger than ours" in content
    assert "\n\nSources:\n[1] " in content and SEED_PATH in content
    citations = (completion.model_extra or {})["citations"]
    assert citations[0]["n"] == 1 and citations[0]["path"] == SEED_PATH
    assert "significantly stronger than ours" in citations[0]["quote"]


def test_v1_earlier_messages_are_the_history(client: TestClient) -> None:
    chat = openai_client(client).chat.completions
    first = chat.create(model=MODEL_NAME, messages=[{"role": "user", "content": VUCIC}])
    followup = chat.create(
        model=MODEL_NAME,
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": VUCIC},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": [{"type": "text", "text": "What did he say about shells?"}]},
        ],
    )
    assert "a huge number of shells" in (followup.choices[0].message.content or "")
    assert (followup.model_extra or {})["rewritten_question"] == "What did Vučić say about shells?"


def test_v1_streaming_with_the_openai_client(client: TestClient) -> None:
    chat = openai_client(client).chat.completions
    whole = chat.create(model=MODEL_NAME, messages=[{"role": "user", "content": VUCIC}])
    chunks = list(chat.create(model=MODEL_NAME, messages=[{"role": "user", "content": VUCIC}], stream=True))

    assert len(chunks) >= 3
    assert all(chunk.object == "chat.completion.chunk" and chunk.model == MODEL_NAME for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert streamed == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"][0]["path"] == SEED_PATH
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])


def test_v1_stream_is_server_sent_events_ending_with_done(client: TestClient) -> None:
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": VUCIC}], "stream": True}
    response = client.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"


def test_v1_abstention_lists_the_closest_passages(client: TestClient) -> None:
    completion = openai_client(client).chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "What did Putin say about the drones?"}]
    )
    content = completion.choices[0].message.content or ""
    assert content.startswith("The articles don't say.")
    assert "Closest passages" in content
    extra = completion.model_extra or {}
    assert extra["abstained"] is True and extra["citations"] == [] and extra["closest"]


def test_v1_errors_reach_the_openai_client(client: TestClient) -> None:
    chat = openai_client(client).chat.completions
    with pytest.raises(openai.NotFoundError, match="unknown model"):
        chat.create(model="gpt-4o", messages=[{"role": "user", "content": VUCIC}])
    with pytest.raises(openai.UnprocessableEntityError, match="last message must have role 'user'"):
        chat.create(model=MODEL_NAME, messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.UnprocessableEntityError, match="the question is empty"):
        chat.create(model=MODEL_NAME, messages=[{"role": "user", "content": "  "}])
    with pytest.raises(openai.UnprocessableEntityError, match="the question is empty"):
        chat.create(model=MODEL_NAME, messages=[{"role": "user", "content": ""}], stream=True)
    with pytest.raises(openai.UnprocessableEntityError):
        chat.create(model=MODEL_NAME, messages=[])


def test_v1_filters_extension(client: TestClient) -> None:
    completion = openai_client(client).chat.completions.create(
        model=MODEL_NAME,
        messages=[{"role": "user", "content": VUCIC}],
        extra_body={"filters": {"date_to": "1999-12-31"}},
    )
    assert (completion.model_extra or {})["abstained"] is True
    assert (completion.choices[0].message.content or "").startswith("No article matches these filters (to 1999-12-31)")
    with pytest.raises(openai.UnprocessableEntityError, match="invalid_filter"):
        openai_client(client).chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": VUCIC}], extra_body={"filters": {"source": ["x"]}}
        )


def test_chat_page_is_mounted_at_the_root(seeded: Assistant) -> None:
    with TestClient(create_app(seeded)) as test_client:
        page = test_client.get("/")
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        assert test_client.get("/api/health").json()["status"] == "ok"


# ------------------------------------------------------------------------------------------------ browser chat


def _respond_handler(assistant: Assistant) -> Any:
    from assistant.server.web import build_ui

    blocks = build_ui(assistant)
    return next(block_fn.fn for block_fn in blocks.fns.values() if block_fn.name == "respond")


def test_chat_shows_generated_text_as_it_streams_then_the_checked_answer(
    seeded: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = seeded.ask(VUCIC)
    deltas = ["The Turkish ", "military industry ", "is <b>stronger</b>"]

    def fake_stream(question: str, **_kwargs: object) -> Iterator[StreamEvent]:
        for delta in deltas:
            yield StreamEvent("delta", text=delta)
        yield StreamEvent("answer", answer=checked)

    monkeypatch.setattr(seeded, "stream", fake_stream)
    respond = _respond_handler(seeded)
    updates = list(respond(VUCIC, {}, None, None, None, None))

    shown = [update[1][-1]["content"] for update in updates]
    # A placeholder, one update per delta with all text so far (escaped), then the rendered, cited answer.
    assert len(shown) == 1 + len(deltas) + 1
    for i in range(1, len(deltas) + 1):
        assert "na-streaming" in shown[i]
        assert render.escape_block("".join(deltas[:i])) in shown[i]
    assert shown[-1] == render.answer_html(checked, turn=1)
    textbox, chat, conversation = updates[-1]
    assert textbox == "" and chat == conversation["messages"]
    assert conversation["turns"] == [
        {"role": "user", "content": VUCIC},
        {"role": "assistant", "content": checked.text},
    ]
    assert conversation["answers"]["1"]["answer"]["text"] == checked.text  # what 👍/👎 on message 1 rates


def test_chat_passes_history_and_filters_to_the_core(seeded: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    real_stream = seeded.stream

    def recording_stream(question: str, **kwargs: Any) -> Iterator[StreamEvent]:
        seen.append({"question": question, **kwargs})
        return real_stream(question, **kwargs)

    monkeypatch.setattr(seeded, "stream", recording_stream)
    respond = _respond_handler(seeded)
    *_, (_, _, conversation) = respond(VUCIC, {}, None, ["seeds"], None, None)
    turns = conversation["turns"]
    *_, (_, chat, _) = respond("What did he say about shells?", conversation, None, None, None, None)
    list(respond(VUCIC, None, None, None, "2020-01-01 00:00:00", "2020-12-31"))

    assert seen[0]["history"] == [] and seen[0]["filters"].source == ["seeds"]
    assert seen[1]["history"] == turns and seen[1]["filters"] is None
    assert (seen[2]["filters"].date_from, seen[2]["filters"].date_to) == ("2020-01-01", "2020-12-31")
    assert "a huge number of shells" in chat[-1]["content"]
    assert 'id="na-src-2-1"' in chat[-1]["content"]  # the second answer's anchors do not clash with the first's


def test_chat_queue_concurrency_comes_from_settings(tmp_path: Path) -> None:
    from assistant.server.web import build_ui

    blocks = build_ui(Assistant(Settings(data_dir=tmp_path / "data", concurrency=3)))
    assert blocks._queue.default_concurrency_limit == 3


def test_chat_asks_for_the_token_when_one_is_set(tmp_path: Path) -> None:
    assistant = Assistant(Settings(data_dir=tmp_path / "data", auth_token=SecretStr(TOKEN)))
    with TestClient(create_app(assistant)) as test_client:
        assert test_client.get("/config").status_code == 401
        assert test_client.post("/login", data={"username": "reader", "password": "wrong"}).status_code == 400
        assert test_client.post("/login", data={"username": "reader", "password": TOKEN}).status_code == 200
        assert test_client.get("/config").status_code == 200


def test_login_failures_are_rate_limited_per_client(tmp_path: Path) -> None:
    """Issue 9, item 6: /login had no rate limit (50 wrong tries in 0.04 s)."""
    from assistant.server.web import LOGIN_FAILURES

    assistant = Assistant(Settings(data_dir=tmp_path / "data", auth_token=SecretStr(TOKEN)))
    with TestClient(create_app(assistant)) as test_client:
        wrong = {"username": "reader", "password": "wrong"}
        assert [test_client.post("/login", data=wrong).status_code for _ in range(LOGIN_FAILURES)] == [400] * 5
        refused = test_client.post("/login", data={"username": "reader", "password": TOKEN})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert test_client.get("/config").status_code == 401  # the refused right password logged nobody in


def test_the_chat_heartbeat_needs_a_logged_in_session(tmp_path: Path) -> None:
    """Issue 9, item 6: /gradio_api/heartbeat/* held streams open unauthenticated."""
    assistant = Assistant(Settings(data_dir=tmp_path / "data", auth_token=SecretStr(TOKEN)))
    with TestClient(create_app(assistant)) as test_client:
        assert test_client.get("/gradio_api/heartbeat/some-session").status_code == 401
        assert test_client.post("/login", data={"username": "reader", "password": TOKEN}).status_code == 200
        with test_client.stream("GET", "/gradio_api/heartbeat/some-session") as stream:
            assert stream.status_code == 200
            assert next(stream.iter_lines()) == "data: ALIVE"


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.delenv("NEWS_ASSISTANT_AUTH_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in " ".join(result.output.split())


def test_chat_reports_an_unexpected_failure_instead_of_hanging(
    seeded: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_stream(question: str, **_kwargs: object) -> Iterator[StreamEvent]:
        raise RuntimeError("bug")

    monkeypatch.setattr(seeded, "stream", broken_stream)
    *_, (_, chat, conversation) = _respond_handler(seeded)(VUCIC, {}, None, None, None, None)
    assert "na-error" in chat[-1]["content"] and "na-streaming" not in chat[-1]["content"]
    assert chat == conversation["messages"] and conversation["turns"] == []


# ------------------------------------------------------------------------------------------------ bad text


@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
def test_a_lone_surrogate_in_the_question_is_answered_not_a_500(client: TestClient, path: str) -> None:
    """Issue 9, item 1: '\\ud800' in JSON reached the tokenizer and raised a TypeError (HTTP 500)."""
    question = "What did Vučić say \ud800 about Turkish industry?"
    body = (
        {"question": question}
        if path == "/api/ask"
        else {"model": MODEL_NAME, "messages": [{"role": "user", "content": question}]}
    )
    response = client.post(path, content=__import__("json").dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert "significantly stronger" in response.text


@pytest.mark.parametrize("token", [" ", "   \t", "short-token", "fifteen-chars-x"])
def test_a_weak_access_token_is_refused_with_a_clear_message(token: str) -> None:
    """Issue 9, item 6: a one-space token was accepted and made /login open with a blank password."""
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings(auth_token=SecretStr(token))


def test_a_strong_token_and_no_token_are_accepted() -> None:
    assert Settings(auth_token=SecretStr("x" * 16)).auth_token is not None
    assert Settings(auth_token=None).auth_token is None
    assert Settings(auth_token=SecretStr("")).auth_token is None  # an empty variable means: no token


def test_v1_content_carries_no_live_links_or_html_from_articles(tmp_path: Path) -> None:
    """Issue 9, item 3: markdown clients rendered [a](javascript:...), <iframe> and <javascript:...> from articles."""
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "ferry.txt": "Ferry carries record crowd\n\nThe harbour ferry carried 312 passengers "
            "[click](javascript:alert(4)) on Monday <iframe src=x></iframe> across the bay <javascript:alert(1)> "
            "in calm weather.\n"
        },
    )
    assistant = Assistant(Settings(data_dir=tmp_path / "data", ingest_seeds_on_first_run=False))
    assistant.ingest([corpus])
    with TestClient(create_app(assistant, with_ui=False), raise_server_exceptions=False) as http:
        completion = openai_client(http).chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "How many passengers did the harbour ferry carry?"}]
        )
        response = http.post("/api/ask", json={"question": "How many passengers did the harbour ferry carry?"})
    content = completion.choices[0].message.content or ""
    assert "312 passengers" in content and "[1]" in content
    live = re.compile(r"(?<!\\)\]\(javascript:|(?<!\\)<iframe|(?<!\\)<javascript:")  # escaped = shown, not rendered
    assert not live.search(content), content
    assert "javascript:alert(4)" in content  # the article's words are still there to read
    assert "<iframe" in response.json()["citations"][0]["quote"]  # the JSON API keeps the article's own text


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(client: TestClient) -> None:
    """Issue 9, item 5: a 100 MB body was read and parsed (RSS 518 -> 830 MB)."""
    huge = b'{"question": "' + b"x" * 2_000_000 + b'"}'
    response = client.post("/api/ask", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
        yield b'{"question": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'"}'

    streamed = client.post("/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/api/ask", json={"question": VUCIC}).status_code == 200  # normal bodies still pass


def test_headers_over_the_limit_are_refused(client: TestClient) -> None:
    """Issue 9, item 5: a 1 MB header was accepted."""
    response = client.post("/api/ask", json={"question": VUCIC}, headers={"X-Padding": "x" * 1_000_000})
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"
    assert client.post("/api/ask", json={"question": VUCIC}, headers={"X-Small": "x" * 1000}).status_code == 200


def test_with_a_token_the_docs_are_off_and_the_schema_needs_the_token(guarded_client: TestClient) -> None:
    """Issue 9, item 6: with a token set, /docs, /redoc and /openapi.json were open."""
    assert guarded_client.get("/docs").status_code == 404
    assert guarded_client.get("/redoc").status_code == 404
    assert guarded_client.get("/openapi.json").status_code == 401
    schema = guarded_client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert schema.status_code == 200 and "/api/ask" in schema.json()["paths"]


def test_without_a_token_on_loopback_the_docs_stay(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]


def test_articles_are_listed_and_removed_over_http(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "wire", TWO_STORIES)
    assistant = Assistant(Settings(data_dir=tmp_path / "d", ingest_seeds_on_first_run=False))
    assistant.ingest([corpus])
    with TestClient(create_app(assistant, with_ui=False), raise_server_exceptions=False) as http:
        listed = http.get("/api/articles").json()
        assert listed["total"] == 2 and {a["path"] for a in listed["articles"]} == {"wire/cup.txt", "wire/rates.txt"}
        (cup,) = http.get("/api/articles", params={"q": "arsenal", "limit": 5}).json()["articles"]
        assert http.get("/api/articles", params={"limit": 0}).status_code == 422

        removed = http.delete(f"/api/articles/{cup['id']}")
        assert removed.status_code == 200 and removed.json()["title"] == "Arsenal win the FA Cup"
        assert http.get("/api/articles").json()["total"] == 1
        again = http.delete(f"/api/articles/{cup['id']}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "article_not_found"
        with assistant.store.writing():  # an ingest holds the collection: a removal waits for nobody
            busy = http.delete(f"/api/articles/{listed['articles'][0]['id']}")
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "ingest_in_progress"
