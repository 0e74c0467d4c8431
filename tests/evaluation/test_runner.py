"""The eval runner refuses a bad baseline before the long run, not after it (the run's results were lost)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.evaluation.runner import evaluate, load_baseline


class NeverAsked:
    """Stands in for the Assistant: any use means the run started before the baseline was checked."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the run started ({name}) before the baseline was checked")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is not a readable JSON eval report"),
        ("{not json", "is not a readable JSON eval report"),
        ("[1, 2]", "is not an eval report: it has no 'overall' metrics"),
        ('{"questions": {}}', "is not an eval report: it has no 'overall' metrics"),
    ],
)
def test_a_bad_baseline_is_refused_by_name_before_any_question_is_asked(
    tmp_path: Path, content: str, expected: str
) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="baseline .*baseline.json " + expected):
        evaluate(
            cast(Any, NeverAsked()), tmp_path / "set.jsonl", split="all", corpus_roots={}, out_dir=tmp_path,
            baseline=baseline, tolerance=0.02, check=True, update_baseline=False,
        )  # fmt: skip


def test_a_directory_as_baseline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a readable JSON eval report"):
        load_baseline(tmp_path)


def test_no_baseline_yet_is_not_an_error_and_a_report_loads(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "missing.json") is None
    report = {"overall": {"answer_correct": 0.7}, "questions": {}}
    (tmp_path / "b.json").write_text(json.dumps(report), encoding="utf-8")
    assert load_baseline(tmp_path / "b.json") == report


class ReaderOnly:
    """Stands in for an Assistant whose backend is the reader; any other use means the run started."""

    backend = "reader"

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the run started ({name}) before the baseline was checked")


def test_a_baseline_of_another_backend_is_refused_before_the_run(tmp_path: Path) -> None:
    """`eval --check` on the default (reader) backend against eval/baseline.json (extractive) compared unlike
    things: refused by name, before an hour of questions."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"meta": {"backend": "extractive"}, "overall": {}}), encoding="utf-8")
    with pytest.raises(ValueError, match="report of the extractive backend and this run uses reader: pass --backend"):
        evaluate(
            cast(Any, ReaderOnly()), tmp_path / "set.jsonl", split="all", corpus_roots={}, out_dir=tmp_path,
            baseline=baseline, tolerance=0.02, check=True, update_baseline=False,
        )  # fmt: skip
