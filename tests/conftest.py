"""Shared fixtures. Services that a test needs are started by fixtures (see tests/e2e/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import Assistant, Settings

pytest_plugins = ["tests.e2e.llm_fixtures"]
REPO = Path(__file__).resolve().parents[1]
BBC = REPO.parent / "shared" / "corpora" / "bbc"
SEED = REPO / "seeds" / "000_8c1e59730e0383e1.txt"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The default backend is "auto": the reader when its model is installed, as it is in CI. Tests (and the servers and
# CLIs they start, which inherit this) answer extractively unless they name a backend: a 1.5B model behind every
# answer would take CI past its time. The auto choice itself is tested in tests/test_backend_choice.py.
os.environ.setdefault("NEWS_ASSISTANT_BACKEND", "extractive")


def require(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing on a developer machine; fail in CI, where `.ci/run` provides it."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI must provide this: {reason}")
        pytest.skip(reason)


# Two short stories on unrelated subjects: a corpus small enough to ingest in a second.
CUP_STORY = "Arsenal win the FA Cup\n\nArsenal won the FA Cup on Sunday, beating Manchester United on penalties."
RATES_STORY = "Bank raises rates\n\nThe Bank of England raised interest rates to 4.75% on Thursday."
TWO_STORIES = {"cup.txt": CUP_STORY, "rates.txt": RATES_STORY}


def write_corpus(folder: Path, articles: dict[str, str]) -> Path:
    """A folder holding one UTF-8 text file per article (file name -> text): a corpus to ingest."""
    folder.mkdir(parents=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a private, empty collection under tmp_path (seeds are not auto-ingested)."""
    return Settings(data_dir=tmp_path / "data", ingest_seeds_on_first_run=False)


def seeded_assistant(data_dir: Path) -> Assistant:
    """An assistant whose collection holds the shipped seed article (module fixtures share one: ingest costs
    seconds)."""
    assistant = Assistant(Settings(data_dir=data_dir))
    assistant.ensure_seeded()
    return assistant


@pytest.fixture
def seeded(tmp_path: Path) -> Assistant:
    """An assistant whose collection holds the shipped seed article."""
    return seeded_assistant(tmp_path / "data")
