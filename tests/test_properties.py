"""Property tests (Hypothesis): arbitrary Unicode -- lone surrogates, controls, terminal escapes, right-to-left
marks, NUL -- through `Assistant.ask`, `ingest` of generated files and the CLI printer, without an exception.

Issue 9: a lone surrogate crashed the answer path and ESC sequences from articles reached the terminal; these
properties hold for any text, not only the cases the tables in tests/server/test_bad_input_matrix.py list.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import assistant.cli as cli
from assistant import Answer, Assistant, Citation, Settings
from assistant.errors import InvalidQuestion
from tests.conftest import seeded_assistant

# Every code point, surrogates included, weighted towards the troublesome ones.
NASTY = st.sampled_from(
    ["\x00", "\x1b", "\x1b[31m", "\x1b]0;t\x07", "\x9b", "\ud800", "\udcff", "\u202e", "\u200d", "\r"]
)
TEXT = st.lists(st.one_of(st.text(max_size=20), st.characters(), NASTY), max_size=30).map("".join)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # what reaches a terminal as a control


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return seeded_assistant(tmp_path_factory.mktemp("properties") / "data")


@PROPERTY
@given(question=TEXT)
def test_ask_answers_or_refuses_any_text(assistant: Assistant, question: str) -> None:
    try:
        answer = assistant.ask(question)
    except InvalidQuestion as exc:  # empty after cleaning, or too long: a clear refusal is fine
        assert str(exc)
        return
    assert answer.text and not UNSAFE.search(answer.question)
    assert all(c.quote in c.passage for c in answer.citations)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, body=TEXT, raw=st.binary(max_size=300))
def test_ingest_takes_any_file_content(tmp_path: Path, title: str, body: str, raw: bytes) -> None:
    corpus = Path(tempfile.mkdtemp(dir=tmp_path))  # one tmp_path serves every example
    (corpus / "text.txt").write_text(f"{title}\n\n{body} and some words about a ferry", "utf-8", errors="surrogatepass")
    (corpus / "bytes.txt").write_bytes(raw)
    assistant = Assistant(Settings(data_dir=corpus / "data", ingest_seeds_on_first_run=False))
    summary = assistant.ingest([corpus / "text.txt", corpus / "bytes.txt"])
    assert summary.files == 2
    assert summary.failed + summary.skipped + summary.new + summary.duplicate + summary.unchanged + summary.updated == 2
    for passage in assistant.retriever.retrieve("ferry", 5).passages:  # what answers would quote and cite
        assert not UNSAFE.search(passage.title) and not UNSAFE.search(passage.text)


@PROPERTY
@given(text=TEXT, title=TEXT, quote=TEXT, path=TEXT, note=TEXT)
def test_the_cli_printer_writes_no_control_characters(text: str, title: str, quote: str, path: str, note: str) -> None:
    citation = Citation(
        n=1, article_id="a", title=title, path=path, passage=quote, quote=quote, quote_start=0, chunk_id="c", score=1.0
    )
    answer = Answer(question="q", text=text, abstained=False, citations=[citation], backend="extractive", notes=[note])
    buffer = io.StringIO()
    saved = cli.out
    cli.out = Console(file=buffer, force_terminal=False, color_system=None, soft_wrap=True)
    try:
        cli._render(answer)
    finally:
        cli.out = saved
    assert not UNSAFE.search(buffer.getvalue())
