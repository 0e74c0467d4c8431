from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.logging_setup import setup_logging


def test_log_lines_are_structured_and_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=True)
    logging.getLogger("assistant.test").info(
        "calling http://x with api_key=sk-live-1234567890abcdef and Authorization: Bearer abcdefgh12345678"
    )
    line = capsys.readouterr().err.strip()
    assert line.startswith("level=info logger=assistant.test msg=")
    assert "sk-live-1234567890abcdef" not in line and "abcdefgh12345678" not in line
    assert line.count("[redacted]") == 2


def test_a_first_ingest_prints_no_debug_lines_of_a_library(tmp_path: Path) -> None:
    """bm25s sets its own logger to DEBUG when imported, and the CLI imports it after setting logging up: every
    first ingest printed "level=debug logger=bm25s msg='Building index from IDs objects'"."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour festival\n\nThe festival drew record crowds on Saturday.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    env["NEWS_ASSISTANT_INGEST_SEEDS_ON_FIRST_RUN"] = "false"
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "level=debug" not in result.stderr and "bm25s" not in result.stderr, result.stderr
