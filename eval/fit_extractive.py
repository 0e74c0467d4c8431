"""Fit the extractive answerer's sentence scorer on the DEV split of the eval set (never the test split).

    python eval/fit_extractive.py --data-dir DIR [--collection eval]

The collection must already hold the corpora (`news-assistant eval` or `ingest` puts them there). For every dev
question, each sentence of the retrieved passages is a sample: positive when it contains one of the item's
accept strings and comes from a gold article. A logistic regression (numpy, L2) learns the feature weights;
the abstention threshold and the extra-sentence ratio are then chosen on the same dev questions to maximise
answer accuracy + abstention F1 + citation precision. Writes assistant/resources/extractive_model.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import Assistant, Settings  # noqa: E402
from assistant.answering.extractive import (  # noqa: E402
    FEATURES,
    MODEL_PATH,
    ExtractiveAnswerer,
    select_sentences,
)
from assistant.evaluation.dataset import load_eval_set  # noqa: E402
from assistant.evaluation.metrics import norm  # noqa: E402
from assistant.text import fold  # noqa: E402


@dataclass
class Sample:
    """One dev question: a row per candidate sentence."""

    id: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray  # the sentence holds an accept string and comes from a gold article
    passages: list[int]  # which retrieved passage each sentence is from
    texts: list[str]  # folded sentence texts (the answerer takes a repeated text once)
    eligible: np.ndarray  # the answerer's hard evidence rules
    precise: np.ndarray  # the sentence's passage holds an evidence quote (what citation precision counts)


def collect(assistant: Assistant, split: str) -> list[Sample]:
    """The candidate sentences of every question of `split`, as the answerer sees them."""
    answerer: ExtractiveAnswerer = assistant.extractive
    out = []
    for item in load_eval_set(REPO / "eval/sets/news_qa.jsonl"):
        if item.split != split:
            continue
        retrieved = assistant.retriever.retrieve(item.question, assistant.settings.top_k)
        candidates = answerer.candidates(item.question, retrieved.passages, retrieved.query_embedding)
        if not candidates:
            continue
        x = np.asarray([[c.features[f] for f in FEATURES] for c in candidates], dtype=np.float64)
        gold = set(item.articles)
        labels = []
        precise = []  # does the sentence's passage contain an evidence quote (what citation precision counts)
        for c in candidates:
            passage = retrieved.passages[c.passage_index]
            in_gold = bool(gold & {passage.path, *passage.also_in})
            labels.append(in_gold and any(norm(a) in norm(c.text) for a in item.accept))
            precise.append(any(norm(e) in norm(passage.text) for e in item.evidence))
        out.append(
            Sample(
                id=item.id,
                answerable=item.answerable,
                features=x,
                labels=np.asarray(labels, dtype=np.float64),
                passages=[c.passage_index for c in candidates],
                texts=[fold(c.text) for c in candidates],
                eligible=np.asarray([c.eligible for c in candidates], dtype=np.float64),
                precise=np.asarray(precise, dtype=np.float64),
            )
        )
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.05, steps: int = 4000, lr: float = 0.5) -> np.ndarray:
    """Weights (bias last) by gradient descent on the class-balanced log loss."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    pos = max(y.sum(), 1.0)
    sample_weight = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1.0)))
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ ((p - y) * sample_weight) / len(y) + l2 * np.r_[w[:-1], 0.0]
        w -= lr * grad
    return w


def choose_selection(data: list[Sample], w: np.ndarray, n: int) -> tuple[float, float, dict]:
    """Threshold and extra-sentence ratio maximising answer accuracy + abstention F1 + citation precision."""
    probabilities = [
        (d.eligible / (1 + np.exp(-(np.hstack([d.features, np.ones((len(d.features), 1))]) @ w)))).tolist()
        for d in data
    ]
    best: tuple[float, float, float, dict] = (-1.0, 0.5, 0.8, {})
    for ratio in (0.5, 0.6, 0.7, 0.8, 0.9):
        for t in np.arange(0.05, 0.96, 0.01):
            correct = answerable = tp = fp = fn = cited = cited_precise = 0
            for d, p in zip(data, probabilities, strict=True):
                chosen = select_sentences(
                    p, d.passages, d.texts, threshold=float(t), extra_ratio=ratio, max_sentences=n
                )
                if d.answerable:
                    answerable += 1
                    correct += any(d.labels[k] > 0 for k in chosen)
                    cited += len(chosen)
                    cited_precise += sum(d.precise[k] > 0 for k in chosen)
                    fp += not chosen
                else:
                    tp += not chosen
                    fn += bool(chosen)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            accuracy = correct / max(answerable, 1)
            citation_precision = cited_precise / max(cited, 1)
            objective = accuracy + f1 + citation_precision  # the eval's headline answer metrics
            if objective > best[0]:
                scores = {
                    "answer_accuracy": round(accuracy, 3),
                    "abstention_f1": round(f1, 3),
                    "citation_precision": round(citation_precision, 3),
                }
                best = (objective, float(t), ratio, scores)
    return best[1], best[2], best[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="eval")
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    assistant = Assistant(Settings(data_dir=args.data_dir, collection=args.collection, ingest_seeds_on_first_run=False))
    data = collect(assistant, "dev")
    x = np.vstack([d.features for d in data])
    y = np.concatenate([d.labels for d in data])
    w = fit_logistic(x, y, l2=args.l2)
    threshold, ratio, dev_scores = choose_selection(data, w, assistant.settings.max_answer_sentences)
    model = {
        "weights": {name: round(float(v), 4) for name, v in zip(FEATURES, w[:-1], strict=True)},
        "bias": round(float(w[-1]), 4),
        "threshold": round(threshold, 2),
        "extra_ratio": ratio,
        "note": (
            f"fitted by eval/fit_extractive.py on the dev split ({len(data)} questions, {len(y)} sentences, "
            f"{int(y.sum())} positive) on {time.strftime('%Y-%m-%d')}; dev: {json.dumps(dev_scores)}"
        ),
    }
    MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(model, indent=2))


if __name__ == "__main__":
    main()
