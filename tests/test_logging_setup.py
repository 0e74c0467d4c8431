from __future__ import annotations

import logging

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


def test_a_library_that_sets_its_logger_to_debug_after_setup_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(verbose=False)
    library = logging.getLogger("bm25s")
    library.setLevel(logging.DEBUG)  # what `import bm25s` does, lazily, after the CLI set logging up
    library.debug("Building index from IDs objects")
    library.info("an info line")
    library.warning("a real warning")
    assert capsys.readouterr().err.strip().splitlines() == ["level=warning logger=bm25s msg='a real warning'"]
