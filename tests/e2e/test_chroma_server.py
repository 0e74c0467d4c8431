"""Chroma server mode: a real `chroma run` started by the test, and the vectors survive a server restart."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from tests.conftest import SEED, require
from tests.e2e.processes import stop_process

pytestmark = pytest.mark.e2e

QUESTION = "What did Vučić say about Turkish industry?"
EXPECTED = "significantly stronger"


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """`chroma run` on a loopback port with a persistent path; stop() and start() again keep the path."""

    def __init__(self, executable: str, path: Path, log_path: Path) -> None:
        self.executable = executable
        self.path = path
        self.log_path = log_path
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        assert self.process is None, "already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.executable, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                pytest.fail(f"chroma run exited with code {code}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"chroma run gave no heartbeat within {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    executable = _chroma_executable()
    require(executable is not None, "the `chroma` CLI (package chromadb) is not installed")
    assert executable is not None
    server = ChromaServer(executable, tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_server_mode_answers_and_keeps_vectors_across_a_restart(chroma_server: ChromaServer, tmp_path: Path) -> None:
    require(SEED.is_file(), f"the seed article is missing: {SEED}")
    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_server.url, ingest_seeds_on_first_run=False)

    first = Assistant(settings)
    summary = first.ingest([SEED])
    assert summary.new == 1 and summary.failed == 0, summary.line()
    assert summary.chunks_added > 0
    assert summary.chunks_embedded == summary.chunks_added, summary.line()
    assert first.status().vector_store == chroma_server.url
    assert not settings.chroma_dir.exists(), "server mode must not open a local Chroma directory"
    assert first.store.vectors.count() == summary.chunks_added

    answer = first.ask(QUESTION)
    assert not answer.abstained, answer.text
    assert EXPECTED in answer.text
    assert first.retriever.retrieve(QUESTION, settings.top_k).mode == "hybrid"

    chroma_server.restart()

    second = Assistant(settings)
    assert second.store.vectors.count() == summary.chunks_added, "vectors lost in the server restart"
    again = second.ingest([SEED])
    assert again.unchanged == 1 and again.new == 0, again.line()
    assert again.chunks_embedded == 0, "the restart lost vectors: the second ingest re-embedded chunks"
    retrieved = second.retriever.retrieve(QUESTION, settings.top_k)
    assert retrieved.mode == "hybrid"
    assert any(p.cosine is not None for p in retrieved.passages)
    answer = second.ask(QUESTION)
    assert not answer.abstained, answer.text
    assert EXPECTED in answer.text
    assert not any("keyword search only" in note for note in answer.notes), answer.notes  # hybrid, not lexical
