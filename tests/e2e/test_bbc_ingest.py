"""The whole BBC corpus through the real CLI: summary line, the Latin-1 file, duplicates, incremental re-ingest.

Embedding 2,225 articles takes ~12 minutes on 2 cores, so the collection lives in NEWS_ASSISTANT_BBC_TEST_DIR
when set (.ci/run shares it with the eval gate, which ingests the same folders); otherwise in a temp dir.
On that warm cache the first ingest finds nothing new, so what only a fresh ingest reports (duplicates recognised
on the way in, the note about the Latin-1 file) is checked on a few of the corpus's files in a fresh collection.
"""

from __future__ import annotations

import os
import re
import shutil
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


def ingest(data_dir: Path, *folders: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    folders = folders or (BBC, REPO / "seeds")
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", *map(str, folders), "--collection", "eval"],
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
    files, new, updated, unchanged, duplicate, skipped, failed, _rm, _added, _emb = map(
        int,
        SUMMARY.search(first.stdout).groups(),  # type: ignore[union-attr]
    )
    assert files == 2225 + 1 + 1  # articles, the corpus's README.TXT (skipped: not an article), the seed
    assert failed == 0 and skipped == 1
    assert new + updated + unchanged + duplicate == 2225 + 1  # every article accounted for, warm cache or cold

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


# Byte-identical copies, and copies whose headline differs ("$100m share" / "$100m-share") but whose text is the same.
DUPLICATE_GROUPS = [("business/007.txt", "business/253.txt"), ("business/267.txt", "business/365.txt")]
LATIN1 = "sport/199.txt"  # the corpus's one cp1252 file: "a \xa315.8m signing from Parma"


def test_duplicates_and_latin1_file_in_a_fresh_collection(tmp_path: Path) -> None:
    """Runs warm or cold: a fresh collection of a few BBC files, so every one of them is new to it."""
    require(BBC.is_dir(), f"the BBC corpus is expected at {BBC}")
    corpus = tmp_path / "bbc"
    names = [name for group in DUPLICATE_GROUPS for name in group] + [LATIN1]
    for name in names:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BBC / name, corpus / name)
    assert (BBC / LATIN1).read_bytes().count(b"\xa315.8m") == 1  # the pound sign as one Latin-1 byte

    result, _ = ingest(tmp_path / "data", corpus)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = SUMMARY.search(result.stdout)
    assert counts is not None, result.stdout
    files, new, updated, unchanged, duplicate, skipped, failed = map(int, counts.groups()[:7])
    assert (files, new, updated, unchanged, duplicate, skipped, failed) == (5, 3, 0, 0, 2, 0, 0)
    assert "bbc/sport/199.txt is not UTF-8" in result.stderr

    assistant = Assistant(Settings(data_dir=tmp_path / "data", collection="eval", ingest_seeds_on_first_run=False))
    stats = assistant.status()
    assert (stats.documents, stats.articles) == (5, 3) and stats.fully_embedded
    latin1 = assistant.ask("How much did Chelsea pay for Mutu?")
    passages = [c.passage for c in latin1.citations + latin1.closest]
    assert any("£15.8m" in p for p in passages) and not any("\ufffd" in p for p in passages)
