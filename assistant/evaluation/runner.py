"""Run an eval set through the same `Assistant.ask` users call, and score it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.assistant import Assistant
from assistant.evaluation.dataset import EvalItem, check_fraction, in_sample, load_eval_set, split_digest
from assistant.evaluation.metrics import CitedPassage, QuestionResult, score
from assistant.evaluation.report import (
    build_report,
    check_against,
    diff_against,
    restrict,
    write_json,
    write_markdown,
    write_plots,
)

RETRIEVAL_DEPTH = 10  # for hit@10


def ingest_corpora(assistant: Assistant, corpus_roots: Mapping[str, Path], progress: object | None = None) -> list[str]:
    """Ingest every corpus root the set refers to (unchanged files cost a hash: reruns are quick)."""
    lines = []
    for name, root in corpus_roots.items():
        if not root.is_dir():
            raise FileNotFoundError(
                f"corpus {name!r} not found at {root}: pass --corpus {name}=FOLDER, the folder the set's "
                f"'{name}/...' article paths are relative to"
            )
        if root.name != name:
            raise ValueError(f"corpus folder must be named {name!r} so paths read {name}/...; got {root}")
        summary = assistant.ingest([root], progress=progress)  # type: ignore[arg-type]
        lines.append(f"{name}: {summary.line()}")
    return lines


def run_items(
    assistant: Assistant,
    items: list[EvalItem],
    on_result: Callable[[QuestionResult], None] | None = None,
) -> list[QuestionResult]:
    results = []
    for item in items:
        retrieval = assistant.retriever.retrieve(item.question, RETRIEVAL_DEPTH)
        ranked: list[list[str]] = []
        seen: set[str] = set()
        for passage in retrieval.passages:
            if passage.article_id not in seen:
                seen.add(passage.article_id)
                ranked.append([passage.path, *passage.also_in])
        started = time.perf_counter()
        answer = assistant.ask(item.question)
        latency = time.perf_counter() - started
        result = QuestionResult(
            id=item.id,
            type=item.type,
            split=item.split,
            question=item.question,
            answerable=item.answerable,
            answer=answer.text,
            abstained=answer.abstained,
            retrieved=ranked,
            citations=[CitedPassage([c.path, *c.also_in], c.passage, c.quote) for c in answer.citations],
            latency=latency,
            notes=list(answer.notes),
            subtype=item.subtype,
        )
        results.append(score(item, result))
        if on_result is not None:
            on_result(result)
    return results


@dataclass
class EvalOutcome:
    report: dict[str, Any]
    report_path: Path
    diff: dict[str, list[str]] | None
    regressions: list[str] | None  # None when not checked
    baseline_found: bool


def load_baseline(path: Path) -> dict[str, Any] | None:
    """The baseline report, None when there is none yet; ValueError naming the file when it is not one."""
    if not path.exists():
        return None
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"baseline {path} is not a readable JSON eval report ({exc})") from None
    if not isinstance(baseline, dict) or not isinstance(baseline.get("overall"), dict):
        raise ValueError(f"baseline {path} is not an eval report: it has no 'overall' metrics")
    return baseline


def evaluate(
    assistant: Assistant,
    eval_set: Path,
    *,
    split: str,
    corpus_roots: Mapping[str, Path],
    out_dir: Path,
    baseline: Path,
    tolerance: float,
    check: bool,
    update_baseline: bool,
    sample: float = 1.0,
    progress_factory: Callable[[], Any] | None = None,
    on_ingested: Callable[[str], None] | None = None,
) -> EvalOutcome:
    """Ingest, ask every question (of a `sample` fraction, drawn by id), score, write the reports, diff and
    (optionally) check against the baseline: a sampled run against the baseline's same questions."""
    check_fraction(sample)  # refused before the long run
    if sample < 1 and update_baseline:
        raise ValueError("a sampled run cannot become the baseline: it would drop the questions outside the sample")
    old = load_baseline(baseline)  # before the long run: a bad baseline must not cost its results
    measured = (old or {}).get("meta", {}).get("backend")
    if old and measured and measured != assistant.backend and not update_baseline:
        # Backends differ by design (the reader abstains more): comparing them would fail or pass for nothing.
        if check:
            raise ValueError(
                f"baseline {baseline} is a report of the {measured} backend and this run uses {assistant.backend}: "
                f"pass --backend {measured}, or --baseline a report of the {assistant.backend} backend"
            )
        old = None  # no diff across backends
    items = load_eval_set(eval_set)
    test_digest = split_digest(items, "test")
    items = [i for i in items if split in ("all", i.split) and in_sample(i.id, sample)]
    needed = sorted({article.split("/", 1)[0] for item in items for article in item.articles} - set(corpus_roots))
    if needed:
        raise FileNotFoundError(
            f"the set's articles are in corpus {', '.join(map(repr, needed))}, which was not given: pass "
            + " ".join(f"--corpus {name}=FOLDER" for name in needed)
        )
    started = time.perf_counter()
    for line in ingest_corpora(assistant, corpus_roots, progress=progress_factory() if progress_factory else None):
        if on_ingested:
            on_ingested(line)
    progress = progress_factory() if progress_factory else None
    if progress:
        progress.start("questions", len(items))
    results = run_items(assistant, items, on_result=lambda _r: progress.advance() if progress else None)
    if progress:
        progress.finish()
    settings = assistant.settings
    meta = {
        "set": eval_set.name,
        "split": split,
        "sample": sample,
        "backend": assistant.backend,
        "model": settings.openai_model if assistant.backend != "extractive" else None,
        "corpus": ", ".join(f"{k}={v}" for k, v in corpus_roots.items()) + " (whole corpora, no subset)",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": time.perf_counter() - started,
        "test_digest": test_digest,
        "settings": {k: settings.model_dump()[k] for k in ("chunk_size", "chunk_overlap", "top_k", "bm25_weight")},
    }
    report = build_report(results, meta)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{eval_set.stem}-{assistant.backend}-{split}" + (f"-sample{sample:g}" if sample < 1 else "")
    diff = diff_against(report, old) if old else None
    plots = write_plots(report, out_dir, stem)
    write_json(report, out_dir / f"{stem}.json")
    write_markdown(report, diff, plots, out_dir / f"{stem}.md")
    if update_baseline:
        write_json(report, baseline)
    regressions = gate_regressions(report, old, tolerance) if check and old else None
    return EvalOutcome(report, out_dir / f"{stem}.md", diff, regressions, old is not None)


def gate_regressions(report: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> list[str]:
    """Headline drops on the whole run and on the frozen test split (questions never tuned on), over the
    questions both runs asked: a sampled run, or a set grown since the baseline, is compared like with like."""
    asked, known = set(report["questions"]), set(baseline.get("questions", {}))
    if known and asked != known:
        common = asked & known
        report, baseline = restrict(report, common), restrict(baseline, common)
    return check_against(report, baseline, tolerance) + [
        f"test split: {r}" for r in check_against(report, baseline, tolerance, "test")
    ]
