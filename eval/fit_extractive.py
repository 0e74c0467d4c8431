"""Fit the extractive answerer's sentence ranking and abstention threshold on the DEV split (never test).

    python eval/fit_extractive.py --data-dir DIR [--collection eval] [--write]

The collection must already hold the corpora (`news-assistant eval` or `ingest` puts them there). For every
dev question (multi-part questions are answered part by part, so they are left out), the candidate sentences
that passed the answerer's checks (names, slot, speaker) are ranked by a linear score over FEATURES:
1. ranking: a listwise (softmax) fit — the weights that put a sentence holding an accept string first;
2. calibration: a 1-D logistic on the best sentence's score, "is the shown answer right?";
3. threshold: the calibrated probability below which the answerer abstains, chosen to maximise
   right answers + right abstentions - half the wrong answers shown, with at most MAX_FALSE_ABSTENTION of
   the answerable dev questions abstained on.
5-fold cross-validation on dev is printed first: it estimates what the fit does on questions it never saw.
Few weights on hundreds of questions; the dev -> test gap in the eval report is the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import Assistant, Settings  # noqa: E402
from assistant.answering.extractive import FEATURES, MODEL_PATH, SECOND_MARGIN, Candidate  # noqa: E402
from assistant.answering.question import analyze  # noqa: E402
from assistant.evaluation.dataset import default_corpus_roots, load_eval_set  # noqa: E402
from assistant.evaluation.metrics import norm  # noqa: E402
from eval.synthetic import SyntheticItem, generate  # noqa: E402


@dataclass
class Sample:
    answerable: bool
    x: np.ndarray  # passing candidates x FEATURES
    y: np.ndarray  # 1 where the sentence holds an accept string


def _sample(cands: list[Candidate], answerable: bool, accept: list[str]) -> Sample:
    passing = [c for c in cands if c.passed]
    x = np.array([[c.features[f] for f in FEATURES] for c in passing]).reshape(-1, len(FEATURES))
    y = np.array([answerable and any(norm(a) in norm(c.text) for a in accept) for c in passing], dtype=float)
    return Sample(answerable, x, y)


def _without(cands: list[Candidate], answer: str, sentence: str) -> list[Candidate]:
    """The candidates with every sentence that holds the answer (or its last word, a surname) removed, and the
    features that are relative to the best sentence recomputed: the near miss of a synthetic question."""
    keys = {norm(answer), norm(answer.split()[-1])} if len(answer.split()) > 1 else {norm(answer)}
    kept = [c for c in cands if c.text != sentence and not any(k in norm(c.text) for k in keys)]
    for name in ("semantic", "lexical"):
        best = max((c.features[name] for c in kept), default=0.0)
        for c in kept:
            c.features[f"{name}_gap"] = c.features[name] - best
    return kept


def collect_synthetic(assistant: Assistant, items: list[SyntheticItem]) -> tuple[list[Sample], list[Sample]]:
    """(answerable samples, near-miss samples): each generated question with and without its answer."""
    answerer = assistant.extractive
    answerable, near_miss = [], []
    for n, item in enumerate(items, 1):
        retrieved = assistant.retriever.retrieve(item.question, assistant.settings.top_k)
        frame = analyze(item.question)
        cands = answerer.candidates(frame, assistant.reading_passages(retrieved), retrieved.query_embedding)
        answerable.append(_sample(cands, True, [item.answer]))
        near_miss.append(_sample(_without(cands, item.answer, item.sentence), False, []))
        if n % 250 == 0:
            print(f"  {n}/{len(items)} synthetic questions read", flush=True)
    return answerable, near_miss


def collect(assistant: Assistant, split: str) -> list[Sample]:
    answerer = assistant.extractive
    out = []
    for item in load_eval_set(REPO / "eval/sets/news_qa.jsonl"):
        if item.split != split or item.type == "multi":
            continue
        retrieved = assistant.retriever.retrieve(item.question, assistant.settings.top_k)
        frame = analyze(item.question)
        cands = answerer.candidates(frame, assistant.reading_passages(retrieved), retrieved.query_embedding)
        out.append(_sample(cands, item.answerable, list(item.accept)))
    return out


def fit_ranking(samples: list[Sample], l2: float = 5.0, steps: int = 400, rate: float = 0.3) -> np.ndarray:
    data = [s for s in samples if s.answerable and s.y.sum() > 0]
    w = np.zeros(len(FEATURES))
    for _ in range(steps):
        grad = np.zeros_like(w)
        for s in data:
            z = s.x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            target = p * s.y / (p * s.y).sum()
            grad += s.x.T @ (p - target)
        w -= rate * (grad + l2 * w) / len(data)
    return w


def best_scores(samples: list[Sample], w: np.ndarray) -> list[tuple[float, bool] | None]:
    """Per question: (score of the best candidate, is the answer right), or None when nothing passed the checks.

    The answer is the best sentence and, as the answerer does, the runner-up when it is nearly as good.
    """
    out: list[tuple[float, bool] | None] = []
    for s in samples:
        if not len(s.x):
            out.append(None)
            continue
        z = s.x @ w
        order = np.argsort(-z)
        shown = [order[0]] + [k for k in order[1:2] if z[order[0]] - z[k] <= SECOND_MARGIN]
        out.append((float(z[order[0]]), bool(s.answerable and any(s.y[k] > 0 for k in shown))))
    return out


def fit_calibration(samples: list[Sample], w: np.ndarray) -> tuple[float, float]:
    pairs = [b for b in best_scores(samples, w) if b is not None]
    z = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs], dtype=float)
    a, c = 1.0, 0.0
    for _ in range(5000):
        p = 1 / (1 + np.exp(-(a * z + c)))
        a -= 0.5 * float(((p - y) * z).mean())
        c -= 0.5 * float((p - y).mean())
    return a, c


def outcome(samples: list[Sample], w: np.ndarray, a: float, c: float, threshold: float) -> dict[str, float]:
    right = wrong = abstained_right = abstained_wrong = 0
    for s, best in zip(samples, best_scores(samples, w), strict=True):
        if best is None or 1 / (1 + np.exp(-(a * best[0] + c))) < threshold:
            abstained_right += not s.answerable
            abstained_wrong += s.answerable
        elif best[1]:
            right += 1
        else:
            wrong += 1
    answerable = sum(s.answerable for s in samples)
    shown = right + wrong
    return {
        "accept": right / max(answerable, 1),
        "abstain_recall": abstained_right / max(len(samples) - answerable, 1),
        "false_abstention": abstained_wrong / max(answerable, 1),
        "confidently_wrong": wrong / max(shown, 1),
        "utility": (right + abstained_right - 0.5 * wrong) / len(samples),
    }


# A product decision: an answerable question should almost always get its answer; abstain where the evidence
# allows within that budget.
MAX_FALSE_ABSTENTION = 0.10
THRESHOLDS = [round(float(t), 3) for t in np.arange(0.05, 0.95, 0.025)]


def fit_all(samples: list[Sample]) -> tuple[np.ndarray, float, float, float]:
    w = fit_ranking(samples)
    a, c = fit_calibration(samples, w)
    allowed = [t for t in THRESHOLDS if outcome(samples, w, a, c, t)["false_abstention"] <= MAX_FALSE_ABSTENTION]
    threshold = max(allowed or THRESHOLDS[:1], key=lambda t: outcome(samples, w, a, c, t)["utility"])
    return w, a, c, threshold


def cross_validate(samples: list[Sample], folds: int = 5) -> dict[str, float]:
    order = np.random.default_rng(0).permutation(len(samples))
    results = []
    for k in range(folds):
        held = set(order[k::folds].tolist())
        train = [s for i, s in enumerate(samples) if i not in held]
        test = [s for i, s in enumerate(samples) if i in held]
        w, a, c, t = fit_all(train)
        results.append(outcome(test, w, a, c, t))
    return {key: round(float(np.mean([r[key] for r in results])), 3) for key in results[0]}


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in metrics.items()}


def report_synthetic(assistant: Assistant, dev: list[Sample], n_articles: int) -> None:
    """Fit on corpus-generated questions (and their near misses, ~30% of the mix), score on hand-written dev."""
    exclude = {a for item in load_eval_set(REPO / "eval/sets/news_qa.jsonl") for a in item.articles}
    items = generate(default_corpus_roots(REPO)["bbc"], exclude, n_articles)
    answerable, near_miss = collect_synthetic(assistant, items)
    train = answerable + near_miss[: int(len(answerable) * 0.3 / 0.7)]
    w, a, c, threshold = fit_all(train)
    for name, samples in ((f"the {len(items)} synthetic questions", train), ("the hand-written dev questions", dev)):
        print(f"  fitted on synthetic, scored on {name}:", _rounded(outcome(samples, w, a, c, threshold)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="eval")
    parser.add_argument("--write", action="store_true", help="write assistant/resources/extractive_model.json")
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="also fit on questions generated from N corpus articles (eval/synthetic.py) and print how that fit "
        "transfers to the hand-written dev questions",
    )
    args = parser.parse_args()
    assistant = Assistant(Settings(data_dir=args.data_dir, collection=args.collection, ingest_seeds_on_first_run=False))
    samples = collect(assistant, "dev")
    print(f"{len(samples)} dev questions; 5-fold cross-validation:", cross_validate(samples))
    if args.synthetic:
        report_synthetic(assistant, samples, args.synthetic)
    w, a, c, threshold = fit_all(samples)
    for t in THRESHOLDS[::2]:
        print(f"  threshold {t:.3f}", {k: round(v, 3) for k, v in outcome(samples, w, a, c, t).items()})
    print("weights", dict(zip(FEATURES, np.round(a * w, 3).tolist(), strict=True)), "bias", round(c, 3))
    print(f"threshold {threshold}: dev", {k: round(v, 3) for k, v in outcome(samples, w, a, c, threshold).items()})
    if args.write:
        model = {
            "weights": {f: round(float(a * v), 4) for f, v in zip(FEATURES, w, strict=True)},
            "bias": round(c, 4),
            "threshold": threshold,
        }
        MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print("wrote", MODEL_PATH)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
