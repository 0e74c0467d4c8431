"""The default backend, "auto": the reader when a model is there to read with, else extractive."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import assistant.assistant as facade
from assistant import Assistant, Settings
from assistant.local_llm import LocalModelUnavailable, qwen_parts
from tests.conftest import REPO, SEED, require
from tests.e2e.conftest import ingest_cli, run_server
from tests.e2e.llm_fixtures import require_llama_server


def _no_local_model() -> list[Path]:
    raise LocalModelUnavailable("not installed here")


def test_the_default_setting_is_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWS_ASSISTANT_BACKEND", raising=False)
    assert Settings().backend == "auto"


def test_auto_is_extractive_when_no_model_is_installed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facade, "qwen_parts", _no_local_model)
    assistant = Assistant(settings, backend="auto")
    assert assistant.backend == "extractive" and assistant.settings.backend == "extractive"


def test_auto_is_the_reader_with_a_gguf_or_a_server(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "qwen_parts", _no_local_model)
    gguf = tmp_path / "model.gguf"
    assert Assistant(settings, backend="auto", reader_gguf=gguf).backend == "extractive"  # named but missing
    gguf.write_bytes(b"GGUF")
    assert Assistant(settings, backend="auto", reader_gguf=gguf).backend == "reader"  # nothing loaded to decide
    assert Assistant(settings, backend="auto", openai_base_url="http://127.0.0.1:9/v1").backend == "reader"


def test_a_named_backend_is_kept(settings: Settings, tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    assert Assistant(settings, backend="extractive", reader_gguf=gguf).backend == "extractive"


def require_local_model() -> None:
    try:
        qwen_parts()
    except LocalModelUnavailable as exc:
        require(False, f"the local model is not installed: {exc}")


def test_the_readme_ask_answers_with_the_reader_where_its_model_is_installed(tmp_path: Path) -> None:
    """The README's two commands as a new user runs them, with the model installed (a dependency): no backend
    named, so the local Qwen model is joined, started, and reads the answer."""
    require_local_model()
    env = {k: v for k, v in os.environ.items() if k != "NEWS_ASSISTANT_BACKEND"}
    env["NEWS_ASSISTANT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "Which company makes the Bayraktar TB2 drones?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["backend"], answer["abstained"], answer["notes"]) == ("reader", False, [])
    assert answer["model"].startswith("qwen2.5")
    assert "Baykar" in answer["text"] and answer["citations"][0]["path"] == "seeds/000_8c1e59730e0383e1.txt"


def test_a_server_left_on_auto_starts_the_model_and_answers_with_the_reader(tmp_path: Path) -> None:
    """`news-assistant serve` with no backend named: the local model reads, and the answer says so."""
    require_local_model()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / SEED.name).write_bytes(SEED.read_bytes())
    data_dir = tmp_path / "data"
    ingest_cli(data_dir, seeds)
    with run_server(data_dir, tmp_path / "server.log", env={"NEWS_ASSISTANT_BACKEND": "auto"}) as server:
        reply = httpx.post(
            f"{server.base_url}/api/ask",
            json={"question": "Which company makes the Bayraktar TB2 drones?"},
            timeout=120,
        )
        assert reply.status_code == 200, reply.text
        answer = reply.json()
        assert (answer["backend"], answer["abstained"]) == ("reader", False)
        assert answer["model"].startswith("qwen2.5") and "Baykar" in answer["text"]


def test_a_reader_ask_on_a_terminal_says_it_is_waiting_for_the_model(tmp_path: Path) -> None:
    """The model loads with each CLI process: on a terminal the wait is announced; piped, stderr stays clean."""
    gguf = require_llama_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    env |= {"NEWS_ASSISTANT_DATA_DIR": str(tmp_path / "data"), "NEWS_ASSISTANT_BACKEND": "reader"}
    env |= {"NEWS_ASSISTANT_READER_GGUF": str(gguf), "TERM": "xterm"}
    command = [sys.executable, "-m", "assistant.cli", "ask", "Which company makes the Bayraktar TB2 drones?"]
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=follower, env=env, cwd=REPO, timeout=300, check=False
        )
        os.close(follower)
        follower = -1
        shown = b""
        ready = select.poll()  # not select.select: under a full test run the pty's fd can be above FD_SETSIZE
        ready.register(leader, select.POLLIN)
        while ready.poll(500):
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert process.returncode == 0, shown.decode(errors="replace")
    assert "a local language model double-checks the answer" in shown.decode(errors="replace")
    piped = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert piped.returncode == 0 and "double-checks" not in piped.stderr, piped.stderr
