"""The whole BBC corpus through the real CLI: summary line, the Latin-1 file, duplicates, incremental re-ingest.

Embedding 2,225 articles takes ~12 minutes on 2 cores, so the collection lives in NEWS_ASSISTANT_BBC_TEST_DIR
when set (.ci/run shares it with the eval gate, which ingests the same folders); otherwise in a temp dir.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from tests.conftest import BBC, REPO, require

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bbc_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(BBC.is_dir(), f"the BBC corpus is expected at {BBC}")
    configured = os.environ.get("NEWS_ASSISTANT_BBC_TEST_DIR")
    return Path(configured) if configured else tmp_path_factory.mktemp("bbc-data")


def ingest(data_dir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(BBC), str(REPO / "seeds"), "--collection", "eval"],
        env={**os.environ, "NEWS_ASSISTANT_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    return result, time.perf_counter() - started


SUMMARY = re.compile(
    r"(\d+) files: (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) duplicate, (\d+) skipped, (\d+) failed, "
    r"(\d+) removed; (\d+) chunks added, (\d+) embedded in [\d.]+s"
)


def test_bbc_ingest_then_reingest_embeds_nothing(bbc_data_dir: Path) -> None:
    first, _ = ingest(bbc_data_dir)
    assert first.returncode == 0, first.stderr[-2000:]
    files, new, _upd, _unchanged, duplicate, skipped, failed, _rm, _added, _emb = map(
        int,
        SUMMARY.search(first.stdout).groups(),  # type: ignore[union-attr]
    )
    assert files == 2225 + 1 + 1  # articles, the corpus's README.TXT (skipped: not an article), the seed
    assert failed == 0 and skipped == 1
    if new:  # a fresh collection: every duplicate group was recognised on the way in
        assert duplicate >= 90 and "sport/199.txt is not UTF-8" in first.stderr

    second, seconds = ingest(bbc_data_dir)
    print(f"unchanged re-ingest of the BBC corpus: {seconds:.1f}s (process start included)")
    counts = SUMMARY.search(second.stdout)
    assert counts is not None, second.stdout
    assert int(counts.group(2)) == 0 and int(counts.group(10)) == 0  # nothing new, nothing embedded
    assert int(counts.group(4)) + int(counts.group(5)) >= 2225

    assistant = Assistant(Settings(data_dir=bbc_data_dir, collection="eval", ingest_seeds_on_first_run=False))
    stats = assistant.status()
    assert stats.fully_embedded and stats.documents - stats.articles >= 90  # duplicates stored once
    assert set(stats.categories) >= {"business", "entertainment", "politics", "sport", "tech"}
    latin1 = assistant.ask("How much did Chelsea pay for Mutu?")
    assert any("£15.8m" in c.passage for c in latin1.citations + latin1.closest)
