"""Fit the extractive answerer's relevance score on the DEV split of the eval set (never the test split).

    python eval/fit_extractive.py --data-dir DIR [--collection eval] [--write]

The collection must already hold the corpora (`news-assistant eval` or `ingest` puts them there). For every
dev question, each candidate sentence that passed the answerer's checks (names, slot, speaker) is a sample,
positive when it holds an accept string of the item. A logistic regression (numpy, L2) over the six FEATURES
learns the weights; the threshold is then chosen on the same dev questions to maximise
answer accuracy + abstention recall - 2 x confidently-wrong share. Six weights and one threshold on hundreds
of questions leave little room to overfit; the dev -> test gap in the report checks that.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import Assistant, Settings  # noqa: E402
from assistant.answering.extractive import FEATURES, MODEL_PATH  # noqa: E402
from assistant.answering.question import analyze  # noqa: E402
from assistant.evaluation.dataset import load_eval_set  # noqa: E402
from assistant.evaluation.metrics import norm  # noqa: E402


def collect(assistant: Assistant, split: str) -> list[tuple[bool, np.ndarray, np.ndarray]]:
    """Per question: (answerable, features of passing candidates, labels)."""
    answerer = assistant.extractive
    out = []
    for item in load_eval_set(REPO / "eval/sets/news_qa.jsonl"):
        if item.split != split or item.type == "multi":
            continue
        retrieved = assistant.retriever.retrieve(item.question, assistant.settings.top_k)
        cands = [
            c
            for c in answerer.candidates(analyze(item.question), retrieved.passages, retrieved.query_embedding)
            if c.passed
        ]
        x = np.array([[c.features[f] for f in FEATURES] for c in cands]).reshape(-1, len(FEATURES))
        y = np.array([any(norm(a) in norm(c.text) for a in item.accept) for c in cands], dtype=float)
        out.append((item.answerable, x, y))
    return out


def fit(samples: list[tuple[bool, np.ndarray, np.ndarray]], l2: float = 1.0, steps: int = 3000) -> np.ndarray:
    x = np.vstack([s[1] for s in samples if len(s[1])])
    y = np.concatenate([s[2] for s in samples if len(s[1])])
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x1 @ w)))
        grad = x1.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0] / len(y)
        w -= 0.5 * grad
    return w


def outcome(samples: list[tuple[bool, np.ndarray, np.ndarray]], w: np.ndarray, threshold: float) -> dict[str, float]:
    right = wrong = abstain_ok = answerable = unanswerable = shown = 0
    for ok, x, y in samples:
        answerable += ok
        unanswerable += not ok
        if not len(x):
            abstain_ok += not ok
            continue
        p = 1 / (1 + np.exp(-(np.hstack([x, np.ones((len(x), 1))]) @ w)))
        k = int(np.argmax(p))
        if p[k] < threshold:
            abstain_ok += not ok
            continue
        shown += 1
        good = ok and y[k] > 0
        right += good
        wrong += not good
    return {
        "accept": right / max(answerable, 1),
        "abstain_recall": abstain_ok / max(unanswerable, 1),
        "confidently_wrong": wrong / max(shown, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="eval")
    parser.add_argument("--write", action="store_true", help="write assistant/resources/extractive_model.json")
    args = parser.parse_args()
    assistant = Assistant(Settings(data_dir=args.data_dir, collection=args.collection, ingest_seeds_on_first_run=False))
    samples = collect(assistant, "dev")
    w = fit(samples)
    best = max(
        (float(t) for t in np.arange(0.05, 0.9, 0.025)),
        key=lambda t: (lambda o: o["accept"] + o["abstain_recall"] - 2 * o["confidently_wrong"])(outcome(samples, w, t)),
    )
    print(dict(zip([*FEATURES, "bias"], np.round(w, 3), strict=True)), "threshold", round(best, 3))
    print("dev:", {k: round(v, 3) for k, v in outcome(samples, w, best).items()})
    if args.write:
        model = {
            "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w[:-1], strict=True)},
            "bias": round(float(w[-1]), 4),
            "threshold": round(best, 3),
        }
        MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print("wrote", MODEL_PATH)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
