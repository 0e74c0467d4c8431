"""The openai backend without a model: prompt rendering, and how server failures become LLMUnavailable.

Failures come from small HTTP servers on loopback that misbehave on purpose (refuse, answer an error status, rate
limit with Retry-After, stall, break off mid-stream, send undecodable events); the real model server is exercised
in tests/e2e/test_openai_backend.py (unreachable, a wrong path, killed mid-answer).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import Settings
from assistant.answering.generative import LLMUnavailable, OpenAIAnswerer, yes_share
from assistant.prompts import Prompts
from assistant.resources import PROMPTS_DIR
from assistant.types import Passage, Turn
from tests.e2e.llm_server import free_port

Behaviour = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def passage(n: int, text: str, date: str | None = None) -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        article_id=f"a{n}",
        text=text,
        title=f"Title {n}",
        path=f"p/{n}.txt",
        start=0,
        end=1,
        position=0,
        date=date,
    )


PASSAGES = [
    passage(1, "Erdogan visited Belgrade.", "2022-09-08"),
    passage(2, "Vučić spoke about shells."),
    passage(3, "Baykar exports drones to about 30 countries.", "2022-09-07"),
]


def answerer(base_url: str | None = "http://127.0.0.1:9/v1", **overrides: object) -> OpenAIAnswerer:
    settings = Settings(**{"openai_base_url": base_url, "openai_api_key": "", "openai_max_retries": 0, **overrides})
    return OpenAIAnswerer(settings, Prompts(PROMPTS_DIR))


def test_messages_carry_the_rules_and_the_numbered_passages() -> None:
    system, user = answerer().messages("What did Vučić say about shells?", PASSAGES)
    assert system["role"] == "system" and user["role"] == "user"
    assert "ONLY the numbered passages" in system["content"]
    assert "The articles don't say." in system["content"]
    content = user["content"]
    assert re.findall(r"^\[(\d+)\]", content, re.M) == ["1", "2", "3"]
    assert "[1] Title 1 (2022-09-08)\nErdogan visited Belgrade." in content
    assert "[2] Title 2\nVučić spoke about shells." in content  # no date, no empty "()"
    assert "[3] Title 3 (2022-09-07)\nBaykar exports drones to about 30 countries." in content
    assert content.index("[1]") < content.index("[2]") < content.index("[3]") < content.index("Question:")
    assert "Question: What did Vučić say about shells?" in content
    assert "{" not in content  # every template field was filled


def test_a_backend_with_neither_server_nor_key_is_unavailable() -> None:
    with pytest.raises(LLMUnavailable, match="NEWS_ASSISTANT_OPENAI_BASE_URL"):
        answerer(base_url=None)


@contextmanager
def misbehaving_server(behaviour: Behaviour) -> Iterator[str]:
    """An HTTP server on loopback whose every POST runs `behaviour`; yields the base URL for an OpenAI client."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # type: ignore[attr-defined]
            behaviour(self, release)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def status(code: int) -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler, _release: threading.Event) -> None:
        body = json.dumps({"error": {"message": "no", "type": "server_error"}}).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def stall(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
    release.wait(10)


def _first_chunk(handler: BaseHTTPRequestHandler) -> None:
    delta = {"index": 0, "delta": {"content": "Erdogan"}, "finish_reason": None}
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [delta]}
    event = f"data: {json.dumps(chunk)}\n\n".encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
    handler.wfile.flush()


def break_off(handler: BaseHTTPRequestHandler, _release: threading.Event) -> None:
    _first_chunk(handler)
    handler.close_connection = True  # the chunked body never ends: the connection just closes


def stall_mid_stream(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
    _first_chunk(handler)
    release.wait(10)
    handler.close_connection = True


def too_many_requests(handler: BaseHTTPRequestHandler, _release: threading.Event) -> None:
    body = json.dumps({"error": {"message": "slow down", "type": "rate_limit_error"}}).encode()
    handler.send_response(429)
    handler.send_header("Retry-After", "1")
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def malformed_events(handler: BaseHTTPRequestHandler, _release: threading.Event) -> None:
    body = b"data: {this is not json\n\ndata: [DONE]\n\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_rate_limit_is_retried_as_told_then_given_up_within_the_budget() -> None:
    """429 with Retry-After: the configured retries wait as told, then LLMUnavailable (the caller falls back)."""
    with misbehaving_server(too_many_requests) as base_url:
        llm = answerer(base_url, openai_timeout=2.0, openai_max_retries=2)
        started = time.monotonic()
        with pytest.raises(LLMUnavailable, match="answered HTTP 429"):
            list(llm.stream("What did Vučić say?", PASSAGES))
        elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 2 * 1.0 + 3 * 2.0  # two waits of Retry-After: 1 s; within retries x (wait + timeout)


def test_malformed_server_sent_events_become_llm_unavailable() -> None:
    with misbehaving_server(malformed_events) as base_url, pytest.raises(LLMUnavailable, match="malformed"):
        list(answerer(base_url, openai_timeout=2.0).stream("What did Vučić say?", PASSAGES))


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        (status(400), "answered HTTP 400"),  # llama.cpp's answer to a prompt over its context length
        (status(500), "answered HTTP 500"),
        (status(503), "answered HTTP 503"),
        (status(404), "answered HTTP 404"),
        (status(401), "rejected the API key"),
        (stall, "timed out"),
    ],
)
def test_server_failures_before_any_text_become_llm_unavailable(behaviour: Behaviour, expected: str) -> None:
    with misbehaving_server(behaviour) as base_url:
        llm = answerer(base_url, openai_timeout=1.0)
        with pytest.raises(LLMUnavailable) as raised:
            list(llm.stream("What did Vučić say?", PASSAGES))
    assert str(raised.value) == f"the language model at {base_url} {expected}"


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        (break_off, "the connection to the language model at {url} broke off: RemoteProtocolError"),
        (stall_mid_stream, "the language model at {url} timed out"),
    ],
)
def test_server_failures_mid_stream_become_llm_unavailable(behaviour: Behaviour, expected: str) -> None:
    with misbehaving_server(behaviour) as base_url:
        llm = answerer(base_url, openai_timeout=1.0)
        received: list[str] = []
        with pytest.raises(LLMUnavailable) as raised:
            received.extend(llm.stream("What did Erdogan say?", PASSAGES))
    assert received == ["Erdogan"]  # the first words had arrived before the failure
    assert str(raised.value) == expected.format(url=base_url)


def test_a_refused_connection_becomes_llm_unavailable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    llm = answerer(base_url)
    with pytest.raises(LLMUnavailable, match=re.escape(f"cannot connect to the language model at {base_url}")):
        llm.complete("What did Erdogan say?", PASSAGES)
    with pytest.raises(LLMUnavailable, match="cannot connect"):
        llm.condense("What did he say?", [Turn(role="user", content="Who visited Belgrade?")])


@pytest.mark.parametrize(
    ("top", "reply", "expected"),
    [
        ([("Yes", -0.1), ("No", -2.4), (" yes", -5.0)], "Yes", 0.9),  # every spelling of yes counts
        ([("no", -0.05), ("Yes", -3.0)], "no", 0.05),
        ([("Maybe", -0.1)], "Yes", 1.0),  # no yes/no among the alternatives: the reply's own word
        ([], "No.", 0.0),  # a server that sends no logprobs
    ],
)
def test_the_second_look_is_the_share_of_yes_among_yes_and_no(
    top: list[tuple[str, float]], reply: str, expected: float
) -> None:
    assert yes_share(top, reply) == pytest.approx(expected, abs=0.01)


def completion_with_logprobs(seen: list[dict[str, object]], top: list[tuple[str, float]] | None) -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler, _release: threading.Event) -> None:
        seen.append(json.loads(handler.body))  # type: ignore[attr-defined]
        logprobs = (
            {
                "content": [
                    {
                        "token": top[0][0],
                        "logprob": top[0][1],
                        "bytes": None,
                        "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in top],
                    }
                ]
            }
            if top
            else None
        )
        choice = {
            "index": 0,
            "finish_reason": "length",
            "logprobs": logprobs,
            "message": {"role": "assistant", "content": top[0][0] if top else "No"},
        }
        body = json.dumps(
            {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def test_confirm_asks_one_token_with_its_alternatives_and_reads_them() -> None:
    seen: list[dict[str, object]] = []
    with misbehaving_server(completion_with_logprobs(seen, [("Yes", -0.2), ("No", -1.8)])) as url:
        p = answerer(url).confirm("How many countries?", "Baykar grows", "It sold to about 30 countries.")
    assert p == pytest.approx(0.83, abs=0.01)
    (request,) = seen
    assert (request["max_tokens"], request["logprobs"], request["top_logprobs"]) == (1, True, 10)
    user = request["messages"][1]["content"]  # type: ignore[index]
    assert "Baykar grows\nIt sold to about 30 countries." in user and "Question: How many countries?" in user
    with misbehaving_server(completion_with_logprobs([], None)) as url:
        assert answerer(url).confirm("How many countries?", "t", "s") == 0.0  # no logprobs: its word, "No"


def test_confirm_failures_become_llm_unavailable() -> None:
    with misbehaving_server(status(500)) as url, pytest.raises(LLMUnavailable, match="HTTP 500"):
        answerer(url).confirm("q", "t", "s")
