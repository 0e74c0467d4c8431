"""news-assistant inside real LlamaIndex objects: query engines, synthesizers, postprocessors, a vector index.

Nothing of LlamaIndex is mocked. Where LlamaIndex wants an LLM, it gets its own `MockLLM` (which echoes the
prompt), so nothing is downloaded and no external model is called; the openai backend talks to a canned
OpenAI-compatible server on loopback.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Settings as LlamaSettings
from llama_index.core import VectorStoreIndex, get_response_synthesizer
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor import SimilarityPostprocessor
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import Document, QueryBundle

from assistant import Assistant, Filters
from assistant.errors import InvalidFilters, InvalidQuestion
from assistant.ingest.readers import ReadError
from assistant.integrations.llama_index import (
    NewsArticleReader,
    NewsQueryEngine,
    NewsRetriever,
    NewsStreamingResponse,
)
from tests.conftest import REPO, seeded_assistant, write_corpus

QUESTION = "What did Vučić say about Turkish industry?"
QUOTE = "significantly stronger than ours"
SEED_PATH = "seeds/000_8c1e59730e0383e1.txt"
NODE_KEYS = {"article_id", "title", "path", "source", "category", "date", "url", "start", "end", "also_in"}


@pytest.fixture(autouse=True)
def mock_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex's default LLM is OpenAI's: the "no_text" synthesizer resolves it even though it never calls it
    (it ignores an `llm` argument), so the default becomes the MockLLM for each test, and is restored after it."""
    monkeypatch.setattr(LlamaSettings, "_llm", MockLLM())


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The seeded assistant, shared by the tests that only read."""
    return seeded_assistant(tmp_path_factory.mktemp("llama-index") / "data")


@pytest.fixture(scope="module")
def seed_document(assistant: Assistant) -> Document:
    (document,) = NewsArticleReader().load_data(assistant.settings.seeds_dir)
    return document


def no_text_engine(retriever: NewsRetriever, **kwargs: Any) -> RetrieverQueryEngine:
    """LlamaIndex's own query engine around our retriever; "no_text" synthesizes nothing, so no LLM runs."""
    synthesizer = get_response_synthesizer(response_mode="no_text")
    return RetrieverQueryEngine(retriever=retriever, response_synthesizer=synthesizer, **kwargs)


# --- NewsRetriever


def test_retriever_feeds_llama_index_query_engine_with_hybrid_nodes(
    assistant: Assistant, seed_document: Document
) -> None:
    response = no_text_engine(NewsRetriever(assistant, top_k=3)).query(QUESTION)
    nodes = response.source_nodes
    assert len(nodes) == 3  # top_k honoured (the seed has four chunks)
    best = nodes[0]
    assert QUOTE in best.node.get_content()
    assert best.node.metadata["path"] == SEED_PATH and best.node.metadata["source"] == "seeds"
    assert set(best.node.metadata) == NODE_KEYS
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True) and all(s is not None and 0 <= s <= 1 for s in scores)
    assert len({n.node.node_id for n in nodes}) == 3
    for n in nodes:
        # Node ids are chunk ids of the seed article, which is the node's source document ...
        assert n.node.node_id.startswith(n.node.metadata["article_id"] + "-")
        assert n.node.ref_doc_id == n.node.metadata["article_id"] == seed_document.id_
        # ... and start/end locate the passage in the article text exactly.
        start, end = n.node.metadata["start"], n.node.metadata["end"]
        assert seed_document.text[start:end] == n.node.get_content()


def test_retriever_scores_work_with_llama_index_postprocessors(assistant: Assistant) -> None:
    retriever = NewsRetriever(assistant)
    everything = retriever.retrieve(QUESTION)
    scores = [n.score for n in everything if n.score is not None]
    cutoff = (scores[0] + scores[-1]) / 2
    engine = no_text_engine(retriever, node_postprocessors=[SimilarityPostprocessor(similarity_cutoff=cutoff)])
    kept = engine.query(QUESTION).source_nodes
    assert 0 < len(kept) < len(everything)
    assert kept[0].node.node_id == everything[0].node.node_id
    assert all(n.score is not None and n.score >= cutoff for n in kept)


def test_retrieved_passages_reach_an_llm_prompt_without_ids_or_offsets(assistant: Assistant) -> None:
    synthesizer = get_response_synthesizer(llm=MockLLM(), response_mode="compact")  # MockLLM echoes the prompt
    engine = RetrieverQueryEngine(retriever=NewsRetriever(assistant, top_k=2), response_synthesizer=synthesizer)
    prompt = str(engine.query(QUESTION))
    assert QUOTE in prompt
    assert "title: President Tayyip Erdogan" in prompt and "source: seeds" in prompt
    assert "article_id" not in prompt and "also_in" not in prompt and "start:" not in prompt


def test_retriever_rejects_an_empty_question(assistant: Assistant) -> None:
    with pytest.raises(InvalidQuestion):
        NewsRetriever(assistant).retrieve(QueryBundle("   "))


# --- filters


def test_filters_are_honoured(seeded: Assistant, tmp_path: Path) -> None:
    wire = write_corpus(
        tmp_path / "wire" / "sport",
        {"x.txt": "Serbia football\n\nVučić said the Serbian football team is significantly stronger than last year."},
    )
    seeded.ingest([wire.parent])
    unfiltered = NewsRetriever(seeded).retrieve(QUESTION)
    assert unfiltered[0].node.metadata["path"] == SEED_PATH
    assert {n.node.metadata["path"] for n in unfiltered} == {SEED_PATH, "wire/sport/x.txt"}

    for filters in ({"category": ["sport"]}, {"source": ["wire"]}):
        nodes = no_text_engine(NewsRetriever(seeded, filters=filters)).query(QUESTION).source_nodes
        assert [n.node.metadata["path"] for n in nodes] == ["wire/sport/x.txt"], filters
        response = NewsQueryEngine(seeded, filters=filters).query(QUESTION)
        assert all(n.node.metadata["path"] == "wire/sport/x.txt" for n in response.source_nodes)
        assert QUOTE not in str(response)
    seeds_only = no_text_engine(NewsRetriever(seeded, filters=Filters(source=["seeds"]))).query(QUESTION)
    assert {n.node.metadata["path"] for n in seeds_only.source_nodes} == {SEED_PATH}

    # Neither article has a date: a date range excludes both.
    assert NewsRetriever(seeded, filters={"date_to": "1990-12-31"}).retrieve(QUESTION) == []
    dated = NewsQueryEngine(seeded, filters={"date_to": "1990-12-31"}).query(QUESTION)
    assert dated.metadata is not None and dated.metadata["abstained"] is True and dated.source_nodes == []

    with pytest.raises(InvalidFilters, match="did you mean 'sport'"):
        NewsRetriever(seeded, filters={"category": ["Sport"]}).retrieve(QUESTION)


# --- NewsQueryEngine


def test_query_engine_answers_with_citations_and_cited_source_nodes(
    assistant: Assistant, seed_document: Document
) -> None:
    response = NewsQueryEngine(assistant).query(QUESTION)
    assert isinstance(response, Response)
    assert QUOTE in str(response) and "[1]" in str(response)
    assert response.metadata is not None
    assert response.metadata["abstained"] is False and response.metadata["backend"] == "extractive"
    citations = response.metadata["citations"]
    assert citations[0]["n"] == 1 and QUOTE in citations[0]["quote"] and citations[0]["path"] == SEED_PATH
    assert response.source_nodes and response.source_nodes[0].node.metadata["path"] == SEED_PATH
    nodes = {n.node.node_id: n.node for n in response.source_nodes}
    assert len(nodes) == len(response.source_nodes)  # one node per cited passage
    for c in citations:
        passage = nodes[c["chunk_id"]].get_content()
        assert passage[c["quote_start"] : c["quote_end"]] == c["quote"]
        assert seed_document.text[c["article_start"] : c["article_end"]] == c["quote"]
        assert f"[{c['n']}]" in str(response)


def test_query_engine_abstains_when_the_articles_do_not_say(assistant: Assistant) -> None:
    response = NewsQueryEngine(assistant).query("What did Putin say about the drones?")
    assert str(response) == "The articles don't say."
    assert response.metadata is not None and response.metadata["abstained"] is True
    assert response.metadata["citations"] == [] and response.source_nodes == []
    assert response.metadata["closest"] and response.metadata["closest"][0]["path"] == SEED_PATH


def test_query_engine_retrieve_and_async_query(assistant: Assistant) -> None:
    engine = NewsQueryEngine(assistant)
    assert QUOTE in engine.retrieve(QueryBundle(QUESTION))[0].node.get_content()
    # in a thread of its own: in the full suite the browser tests' sync Playwright keeps a loop running here
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, engine.aquery(QUESTION)).result()
    assert QUOTE in str(response)


def test_streaming_extractive_answer(assistant: Assistant) -> None:
    response = NewsQueryEngine(assistant, streaming=True).query(QUESTION)
    assert isinstance(response, StreamingResponse) and isinstance(response, NewsStreamingResponse)
    assert response.source_nodes == []  # known when the stream ends
    tokens = list(response.response_gen)
    assert len(tokens) == 1 and QUOTE in tokens[0]  # the extractive backend answers in one piece
    assert response.response_txt == tokens[0] == str(response)
    assert response.metadata is not None and response.metadata["citations"][0]["path"] == SEED_PATH
    assert response.source_nodes[0].node.metadata["path"] == SEED_PATH


# A generated answer: one sentence the seed supports, one it does not (the citation check must drop it).
SUPPORTED = '"The Turkish military industry is significantly stronger than ours," said Vučić. [{n}]'
UNSUPPORTED = " He also announced that Serbia will buy 40 Bayraktar submarines. [{n}]"


def canned_llm_server() -> tuple[ThreadingHTTPServer, str]:
    """An OpenAI-compatible chat endpoint on loopback that streams the canned answer, citing the seed's passage."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            prompt = body["messages"][-1]["content"]
            blocks = re.split(r"^\[(\d+)\] ", prompt, flags=re.M)
            n = next(blocks[i] for i in range(1, len(blocks), 2) if QUOTE in blocks[i + 1])
            answer = SUPPORTED.format(n=n) + UNSUPPORTED.format(n=n)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for token in re.findall(r"\S+\s*", answer):  # HTTP/1.0: the body ends when the connection closes
                choice = {"index": 0, "delta": {"content": token}, "finish_reason": None}
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.fixture
def llm_url() -> Iterator[str]:
    server, url = canned_llm_server()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_streaming_generated_answer_ends_with_the_checked_text(assistant: Assistant, llm_url: str) -> None:
    generative = Assistant(assistant.settings, openai_base_url=llm_url, openai_max_retries=0, openai_model="m")
    response = NewsQueryEngine(generative, backend="openai", streaming=True).query(QUESTION)
    assert isinstance(response, NewsStreamingResponse)
    tokens = list(response.response_gen)
    streamed = "".join(tokens)
    assert len(tokens) > 5 and "submarines" in streamed  # the model's tokens, live
    assert isinstance(response.response_txt, str)
    assert QUOTE in response.response_txt and "submarines" not in response.response_txt  # then the checked answer
    assert str(response) == response.response_txt == response.get_response().response
    assert response.metadata is not None and response.metadata["backend"] == "openai", response.metadata["notes"]
    assert any("dropped" in note for note in response.metadata["notes"])
    assert response.source_nodes[0].node.metadata["path"] == SEED_PATH

    plain = NewsQueryEngine(generative, backend="openai").query(QUESTION)
    assert str(plain) == response.response_txt and plain.metadata == response.metadata


def test_a_generated_stream_consumed_at_once_is_the_checked_text(
    assistant: Assistant, llm_url: str, capsys: pytest.CaptureFixture
) -> None:
    generative = Assistant(assistant.settings, openai_base_url=llm_url, openai_max_retries=0, openai_model="m")
    engine = NewsQueryEngine(generative, backend="openai", streaming=True)
    text = str(engine.query(QUESTION))  # LlamaIndex's own StreamingResponse would return the raw stream here
    assert QUOTE in text and "submarines" not in text
    printed = engine.query(QUESTION)
    assert isinstance(printed, NewsStreamingResponse)
    printed.print_response_stream()  # prints the live tokens ...
    assert "submarines" in capsys.readouterr().out
    assert printed.response_txt == text  # ... and keeps the checked answer


# --- NewsArticleReader


def test_reader_builds_a_vector_store_index_with_the_minilm_embedding(assistant: Assistant, tmp_path: Path) -> None:
    seed_text = (REPO / SEED_PATH).read_text(encoding="utf-8")
    corpus = write_corpus(
        tmp_path / "news",
        {
            "000_seed.txt": seed_text,
            "copy_of_seed.txt": seed_text,  # identical article: one Document
            "README.txt": "About this folder: not an article, never read.",
            "empty.txt": "",  # unreadable: skipped with a warning
            "budget.md": "---\ntitle: Budget day\ndate: 2005-03-16\nsource: wire\n---\n"
            "The chancellor said taxes on pensions would not rise before the election.",
            "feed.jsonl": json.dumps(
                {"title": "Mutu transfer", "text": "Chelsea paid £15.8m for Romanian striker Adrian Mutu in 2003."}
            )
            + "\n"
            + json.dumps({"title": "Port strike", "text": "Dockers in Antwerp walked out over pay for a second week."}),
        },
    )
    (corpus / "sport").mkdir()
    (corpus / "sport" / "derby.txt").write_text(
        "Derby drawn\n\nThe derby ended goalless after ninety minutes of rain.", encoding="utf-8"
    )
    docs = NewsArticleReader().load_data(corpus)
    by_title = {d.metadata["title"]: d for d in docs}
    assert len(docs) == 5 and len({d.id_ for d in docs}) == 5
    assert by_title["Budget day"].metadata == {
        "title": "Budget day",
        "path": "news/budget.md",
        "source": "wire",
        "date": "2005-03-16",
    }
    assert by_title["Mutu transfer"].metadata["path"] == "news/feed.jsonl#1"
    assert by_title["Derby drawn"].metadata["category"] == "sport"
    seed = next(d for d in docs if QUOTE in d.text)
    assert seed.id_ == NewsRetriever(assistant).retrieve(QUESTION)[0].node.ref_doc_id  # same ids as ingest

    index = VectorStoreIndex.from_documents(docs, embed_model=assistant.embedder)
    retriever = index.as_retriever(similarity_top_k=1)
    (hit,) = retriever.retrieve("How much did Chelsea pay for Mutu?")
    assert hit.node.ref_doc_id == by_title["Mutu transfer"].id_ and "£15.8m" in hit.node.get_content()
    (hit,) = retriever.retrieve("Which country has a stronger military industry than Serbia?")
    assert hit.node.ref_doc_id == seed.id_ and hit.node.metadata["path"] == seed.metadata["path"]


def test_reader_raises_on_request(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "bad", {"empty.txt": ""})
    assert NewsArticleReader().load_data(corpus) == []
    with pytest.raises(ReadError, match="empty file"):
        NewsArticleReader(raise_on_error=True).load_data(corpus)


# --- layering and the README


def test_nothing_below_integrations_imports_them() -> None:
    package = REPO / "assistant"
    offenders = []
    for module in package.rglob("*.py"):
        if "integrations" in module.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
            if any(name.startswith("assistant.integrations") for name in names):
                offenders.append(str(module.relative_to(REPO)))
    assert offenders == []


def readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Use from LlamaIndex\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None, "the section has no python example"
    return block.group(1)


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    code = readme_example()
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    monkeypatch.setenv("HOME", str(tmp_path))  # its "~/news-index" is a fresh collection under tmp_path
    assert Path("~/news-index").expanduser() == tmp_path / "news-index"
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert QUOTE in out and SEED_PATH in out and "[1]" in out
    assert (tmp_path / "news-index").is_dir()
