"""Compare fusion strategies for hybrid retrieval on the eval set (article-level hit@1, hit@5, MRR).

    python eval/fusion.py --data-dir DIR [--collection eval]

BM25 alone, vector alone, reciprocal-rank fusion (k=60) and our weighted score fusion at several BM25 weights,
on the dev split (used to choose the weight) and the held-out test split (reported only).
Writes eval/reports/fusion.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import Assistant, Settings  # noqa: E402
from assistant.evaluation.dataset import load_eval_set  # noqa: E402

CANDIDATES = 40


def article_ranking(assistant: Assistant, chunk_ids: list[str]) -> list[set[str]]:
    passages = assistant.store.passages([(c, {}) for c in chunk_ids])
    ranked: list[set[str]] = []
    seen: set[str] = set()
    for p in passages:
        if p.article_id not in seen:
            seen.add(p.article_id)
            ranked.append({p.path, *p.also_in})
    return ranked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="eval")
    args = parser.parse_args()
    assistant = Assistant(Settings(data_dir=args.data_dir, collection=args.collection, ingest_seeds_on_first_run=False))
    items = [i for i in load_eval_set(REPO / "eval/sets/news_qa.jsonl") if i.answerable]
    lexical = assistant.store.lexical
    runs: dict[str, Callable[[dict[str, float], dict[str, float]], list[str]]] = {}

    def by(scores: dict[str, float]) -> list[str]:
        return sorted(scores, key=lambda k: -scores[k])

    runs["BM25 alone"] = lambda b, v: by(b)
    runs["vector alone"] = lambda b, v: by(v)

    def rrf(b: dict[str, float], v: dict[str, float]) -> list[str]:
        scores: dict[str, float] = {}
        for ranking in (by(b), by(v)):
            for rank, cid in enumerate(ranking):
                scores[cid] = scores.get(cid, 0.0) + 1 / (60 + rank + 1)
        return by(scores)

    runs["reciprocal rank fusion (k=60)"] = rrf

    def weighted(w: float, norm: str) -> Callable[[dict[str, float], dict[str, float]], list[str]]:
        def fuse(b: dict[str, float], v: dict[str, float]) -> list[str]:
            ids = list(dict.fromkeys([*b, *v]))
            bm = np.asarray([b.get(i, 0.0) for i in ids])
            cs = np.asarray([v.get(i, 0.0) for i in ids])
            if norm == "minmax":
                bm = bm / bm.max() if bm.max() > 0 else bm
                lo, hi = cs.min(), cs.max()
                cs = (cs - lo) / (hi - lo) if hi > lo else np.ones_like(cs)
            elif norm == "zscore":
                bm = (bm - bm.mean()) / (bm.std() or 1.0)
                cs = (cs - cs.mean()) / (cs.std() or 1.0)
            fused = w * bm + (1 - w) * cs
            return [ids[j] for j in np.argsort(-fused)]

        return fuse

    for norm in ("minmax", "zscore"):
        for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            runs[f"weighted score fusion ({norm}), BM25 weight {w}"] = weighted(w, norm)

    results: dict[str, dict[str, list[int | None]]] = {name: {"dev": [], "test": []} for name in runs}
    for item in items:
        q_emb = assistant.embedder.embed([item.question])[0]
        scores = lexical.scores(item.question)
        bm25 = dict(lexical.top(scores, CANDIDATES))
        vec = dict(assistant.store.vectors.search(q_emb, CANDIDATES))
        # like the retriever: every candidate gets both scores
        for cid in set(vec) - set(bm25):
            bm25[cid] = lexical.score_of(scores, cid)
        missing = [c for c in bm25 if c not in vec]
        for cid, vector in assistant.store.vectors.embeddings(missing).items():
            vec[cid] = float(vector @ q_emb)
        gold = set(item.articles)
        for name, fuse in runs.items():
            ranked = article_ranking(assistant, fuse(bm25, vec)[:30])
            rank = next((i for i, paths in enumerate(ranked, start=1) if paths & gold), None)
            results[name][item.split].append(rank)

    def row(ranks: list[int | None]) -> str:
        n = len(ranks)
        h1 = sum(r == 1 for r in ranks) / n
        h5 = sum(r is not None and r <= 5 for r in ranks) / n
        mrr = sum(1 / r for r in ranks if r) / n
        return f"{h1:.3f} | {h5:.3f} | {mrr:.3f}"

    lines = [
        "# Fusion strategies (article-level retrieval, answerable questions)",
        "",
        f"Candidates per retriever: {CANDIDATES}. Dev chooses the weight; test is reported only.",
        "",
        "| strategy | dev hit@1 | dev hit@5 | dev MRR | test hit@1 | test hit@5 | test MRR |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_split in results.items():
        lines.append(f"| {name} | {row(by_split['dev'])} | {row(by_split['test'])} |")
    out = REPO / "eval/reports/fusion.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
