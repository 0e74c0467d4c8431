"""Scoring one answer against one eval item, and aggregating scores. Pure functions, no I/O.

Definitions (also in eval/README.md):
- retrieval hit@k / MRR: article level. The ranked list is the retrieved passages' articles, de-duplicated in
  order; an article matches when any of its paths (duplicates included) is a gold article of the item.
- answer correct: not abstained, and the answer text contains one of the item's `accept` strings
  (case- and whitespace-insensitive). Token F1 against the gold `answer` is reported beside it.
- citation precision: over cited passages of answered, answerable items: the share whose passage contains an
  evidence quote (or whose quote overlaps one: an evidence sentence can straddle a chunk boundary).
- citation recall: per answerable item, the share of its evidence quotes found in some cited passage
  (0 when it abstained), averaged.
- abstention: "should abstain" is the positive class (unanswerable items); precision, recall and F1.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.evaluation.dataset import EvalItem


def norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", norm(text))


def token_f1(gold: str, predicted: str) -> float:
    g, p = _tokens(gold), _tokens(predicted)
    if not g or not p:
        return 0.0
    common = 0
    counts: dict[str, int] = {}
    for t in g:
        counts[t] = counts.get(t, 0) + 1
    for t in p:
        if counts.get(t, 0) > 0:
            common += 1
            counts[t] -= 1
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


@dataclass
class CitedPassage:
    paths: list[str]  # path + also_in
    passage: str
    quote: str


@dataclass
class QuestionResult:
    """Everything measured for one question: what the per-question diff and the aggregates are built from."""

    id: str
    type: str
    split: str
    question: str
    answerable: bool
    answer: str
    abstained: bool
    retrieved: list[list[str]]  # ranked articles, each as its list of paths
    citations: list[CitedPassage]
    latency: float
    rank: int | None = None  # 1-based rank of the first gold article, None when not retrieved
    correct: bool = False
    f1: float = 0.0
    citations_precise: int = 0
    evidence_found: float = 0.0
    notes: list[str] = field(default_factory=list)
    subtype: str = ""

    @property
    def outcome_ok(self) -> bool:
        """The single bit the per-question diff compares."""
        return self.correct if self.answerable else self.abstained


def _evidence_in(evidence: str, cited: CitedPassage) -> bool:
    e, p, q = norm(evidence), norm(cited.passage), norm(cited.quote)
    return e in p or (len(q) > 20 and (q in e or e in q))


def accept_groups(item: EvalItem) -> list[list[str]]:
    """The accept strings an answer must cover: one of them, or for a multi item one per evidence quote.

    A two-article question is answered only when both parts are: each evidence quote that holds accept
    strings is a part, and the answer needs one accept string of every part.
    """
    if item.type != "multi":
        return [list(item.accept)]
    groups = []
    for quote in item.evidence:
        group = [a for a in item.accept if norm(a) in norm(quote)]
        if group and group not in groups:
            groups.append(group)
    return groups or [list(item.accept)]


def score(item: EvalItem, result: QuestionResult) -> QuestionResult:
    gold = set(item.articles)
    result.rank = next((i for i, paths in enumerate(result.retrieved, start=1) if gold & set(paths)), None)
    if item.answerable:
        text = norm(result.answer)
        result.correct = not result.abstained and all(
            any(norm(a) in text for a in group) for group in accept_groups(item)
        )
        result.f1 = 0.0 if result.abstained else token_f1(item.answer, result.answer)
        result.citations_precise = sum(any(_evidence_in(e, c) for e in item.evidence) for c in result.citations)
        if not result.abstained and item.evidence:
            found = sum(any(_evidence_in(e, c) for c in result.citations) for e in item.evidence)
            result.evidence_found = found / len(item.evidence)
    return result


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 4)


def aggregate(results: Iterable[QuestionResult]) -> dict[str, float | int | None]:
    rs = list(results)
    answerable = [r for r in rs if r.answerable]
    unanswerable = [r for r in rs if not r.answerable]
    answered = [r for r in answerable if not r.abstained]
    cited = sum(len(r.citations) for r in answered)
    tp = sum(r.abstained for r in unanswerable)
    fp = sum(r.abstained for r in answerable)
    fn = len(unanswerable) - tp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = (
        round(2 * precision * recall / (precision + recall), 4)
        if precision is not None and recall is not None and precision + recall > 0
        else (0.0 if unanswerable else None)
    )
    latencies = [r.latency for r in rs]
    shown = [r for r in rs if not r.abstained]
    wrong_shown = sum(not r.answerable or not r.correct for r in shown)
    return {
        "questions": len(rs),
        "answerable": len(answerable),
        "hit@1": _ratio(sum(r.rank is not None and r.rank <= 1 for r in answerable), len(answerable)),
        "hit@5": _ratio(sum(r.rank is not None and r.rank <= 5 for r in answerable), len(answerable)),
        "hit@10": _ratio(sum(r.rank is not None and r.rank <= 10 for r in answerable), len(answerable)),
        "mrr": _ratio(sum(1 / r.rank for r in answerable if r.rank), len(answerable)),
        "answer_correct": _ratio(sum(r.correct for r in answerable), len(answerable)),
        "token_f1": _ratio(sum(r.f1 for r in answerable), len(answerable)),
        "citation_precision": _ratio(sum(r.citations_precise for r in answered), cited),
        "citation_recall": _ratio(sum(r.evidence_found for r in answerable), len(answerable)),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "abstention_f1": f1,
        "false_abstention": _ratio(fp, len(answerable)),
        "confidently_wrong": _ratio(wrong_shown, len(shown)),
        "latency_p50": _percentile(latencies, 0.5),
        "latency_p95": _percentile(latencies, 0.95),
        "latency_mean": round(statistics.fmean(latencies), 4) if latencies else None,
    }


HEADLINE = ("hit@1", "hit@5", "answer_correct", "citation_precision", "abstention_recall", "abstention_f1")
