"""The eval runner refuses a bad baseline before the long run, not after it (the run's results were lost)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.evaluation.dataset import in_sample
from assistant.evaluation.metrics import QuestionResult
from assistant.evaluation.report import build_report
from assistant.evaluation.runner import evaluate, gate_regressions, load_baseline


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


@pytest.mark.parametrize(
    ("sample", "update", "expected"),
    [
        (0.0, False, "a sample is a fraction in"),
        (1.5, False, "a sample is a fraction in"),
        (0.5, True, "a sampled run cannot become the baseline"),
    ],
)
def test_a_bad_sample_is_refused_before_any_question_is_asked(
    tmp_path: Path, sample: float, update: bool, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        evaluate(
            cast(Any, NeverAsked()), tmp_path / "set.jsonl", split="test", corpus_roots={}, out_dir=tmp_path,
            baseline=tmp_path / "b.json", tolerance=0.02, check=True, update_baseline=update, sample=sample,
        )  # fmt: skip


def test_a_sampled_check_asks_only_its_questions_and_compares_the_baselines_same_ones(tmp_path: Path) -> None:
    """`eval --sample 0.5 --check` end to end (CLI, real ingest, extractive backend): the run asks only the
    sampled questions; against a full baseline of the same code it passes; against a baseline whose sampled
    questions were all right, it fails, though the same baseline's whole-set numbers would pass it."""
    repo = Path(__file__).resolve().parents[2]
    seed = "seeds/000_8c1e59730e0383e1.txt"
    evidence = "Vučić said that Serbia recently renewed export permits for Turkey and exported"
    ids = [f"s{n:02d}" for n in range(60)]
    inside = [i for i in ids if in_sample(i, 0.5)][:3]
    outside = [i for i in ids if not in_sample(i, 0.5)][:6]
    item = {"answer": "-", "articles": [seed], "evidence": [evidence], "type": "fact", "split": "test"}
    lines = [
        # an accept string no answer can hold: the sample's answer_correct is below 1 whatever the answerer does
        {**item, "id": inside[0], "question": "What did Vučić say about exports of shells?", "accept": ["zzqx"]},
        {**item, "id": inside[1], "question": "What did Vučić say about export permits?", "accept": ["permits"]},
        {**item, "id": inside[2], "question": "What did Vučić say about Turkey?", "accept": ["Turkey"]},
        *(
            {**item, "id": i, "question": "Who renewed export permits for Turkey?", "accept": ["Vučić"]}
            for i in outside
        ),
    ]
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    (tmp_path / "bbc").mkdir()  # the set names no BBC article: an empty corpus keeps the run small

    def run(*more: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant.cli", "eval", "--set", str(eval_set), "--backend", "extractive",
                   "--corpus", f"bbc={tmp_path / 'bbc'}", "--corpus", f"seeds={repo / 'seeds'}",
                   "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"), *more]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)

    baseline = tmp_path / "baseline.json"
    full = run("--update-baseline", "--baseline", str(baseline))
    assert full.returncode == 0, full.stderr
    sampled = run("--sample", "0.5", "--check", "--baseline", str(baseline))
    assert sampled.returncode == 0, sampled.stdout + sampled.stderr
    report = json.loads((tmp_path / "out" / "set-extractive-all-sample0.5.json").read_text(encoding="utf-8"))
    assert sorted(report["questions"]) == sorted(inside) and report["meta"]["sample"] == 0.5
    assert "a 0.5 sample drawn by id" in (tmp_path / "out" / "set-extractive-all-sample0.5.md").read_text()

    perfect = json.loads(baseline.read_text(encoding="utf-8"))
    for qid in inside:
        perfect["questions"][qid].update(correct=True, abstained=False, ok=True)
    baseline.write_text(json.dumps(perfect), encoding="utf-8")
    worse = run("--sample", "0.5", "--check", "--baseline", str(baseline))
    assert worse.returncode == 1 and "answer_correct fell from 1.000" in worse.stderr, worse.stdout + worse.stderr


def test_the_gate_compares_only_the_questions_both_runs_asked() -> None:
    """A set grown since its baseline (new test questions the baseline never asked) is gated on the old
    questions alone: a new question answered wrongly is no regression, an old one answered wrongly is."""

    def run(**correct: bool) -> dict[str, Any]:
        results = [
            QuestionResult(
                id=qid,
                type="fact",
                split="test",
                question="?",
                answerable=True,
                answer="a",
                abstained=False,
                retrieved=[],
                citations=[],
                latency=0.1,
                correct=ok,
            )
            for qid, ok in correct.items()
        ]
        return json.loads(json.dumps(build_report(results, {})))

    baseline = run(q1=True, q2=True)
    assert gate_regressions(run(q1=True, q2=True, q3=False), baseline, 0.02) == []
    fell = gate_regressions(run(q1=True, q2=False, q3=True), baseline, 0.02)
    assert fell and fell[0].startswith("answer_correct fell from 1.000 to 0.500")
