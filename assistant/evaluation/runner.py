"""Run an eval set through the same `Assistant.ask` users call, and score it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from assistant.assistant import Assistant
from assistant.evaluation.dataset import EvalItem
from assistant.evaluation.metrics import CitedPassage, QuestionResult, score

RETRIEVAL_DEPTH = 10  # for hit@10


def ingest_corpora(assistant: Assistant, corpus_roots: Mapping[str, Path], progress: object | None = None) -> list[str]:
    """Ingest every corpus root the set refers to (unchanged files cost a hash: reruns are quick)."""
    lines = []
    for name, root in corpus_roots.items():
        if not root.is_dir():
            raise FileNotFoundError(f"corpus {name!r} not found at {root}")
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
        )
        results.append(score(item, result))
        if on_result is not None:
            on_result(result)
    return results
