"""Eval reports: JSON (machine), Markdown (people), PNG plots, and the diff against the baseline."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.evaluation.metrics import HEADLINE, CitedPassage, QuestionResult, aggregate


def summarise(results: list[QuestionResult]) -> dict[str, Any]:
    by_type: dict[str, list[QuestionResult]] = defaultdict(list)
    by_split: dict[str, list[QuestionResult]] = defaultdict(list)
    by_type_split: dict[str, list[QuestionResult]] = defaultdict(list)
    by_subtype: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        by_type[r.type].append(r)
        by_split[r.split].append(r)
        by_type_split[f"{r.type} ({r.split})"].append(r)
        if r.subtype:
            by_subtype[f"{r.type}/{r.subtype}"].append(r)
    return {
        "overall": aggregate(results),
        "by_split": {k: aggregate(v) for k, v in sorted(by_split.items())},
        "by_type": {k: aggregate(v) for k, v in sorted(by_type.items())},
        "by_type_split": {k: aggregate(v) for k, v in sorted(by_type_split.items())},
        "by_subtype": {k: aggregate(v) for k, v in sorted(by_subtype.items())},
    }


GAP_LIMIT = 0.05  # a dev -> test drop above this is a defect to explain (overfitting to dev)


def split_gaps(report: dict[str, Any]) -> dict[str, float]:
    """Headline metric drops from dev to test (positive = test is worse)."""
    dev, test = report["by_split"].get("dev"), report["by_split"].get("test")
    if not dev or not test:
        return {}
    gaps = {}
    for metric in (*HEADLINE, "abstention_recall", "confidently_wrong"):
        a, b = dev.get(metric), test.get(metric)
        if a is not None and b is not None:
            gaps[metric] = round((b - a) if metric == "confidently_wrong" else (a - b), 4)
    return gaps


def failure_cause(q: dict[str, Any], top_k: int) -> str:
    """Why a question failed, in the terms of the answering stages (`top_k`: passages the answerer read)."""
    if not q["answerable"]:
        return f"near miss answered ({q.get('subtype') or 'unanswerable'})"
    if q["abstained"]:
        if q["rank"] is None or q["rank"] > top_k:
            return "abstained; gold article not among the passages"
        return "abstained although the gold article was retrieved (checks or threshold)"
    if q["rank"] is None or q["rank"] > top_k:
        return "retrieval: gold article not among the passages"
    if q["type"] == "multi":
        return "multi: a part unanswered or answered from the wrong sentence"
    if q["citations_precise"]:
        return "right passage, sentence without the asked detail"
    return "wrong sentence chosen"


def build_report(results: list[QuestionResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        **summarise(results),
        "questions": {r.id: {**asdict(r), "ok": r.outcome_ok} for r in results},
    }


def restrict(report: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    """The report as if it had asked only the questions in `ids`: a sampled run compares against its baseline's
    same questions, its aggregates recomputed from the stored per-question results."""
    results = [_result_from_json(q) for qid, q in report.get("questions", {}).items() if qid in ids]
    return {**report, **summarise(results), "questions": {r.id: report["questions"][r.id] for r in results}}


def _result_from_json(question: dict[str, Any]) -> QuestionResult:
    """A per-question entry of a report (as build_report wrote it) back as the result it was made from."""
    fields = {k: v for k, v in question.items() if k != "ok"}  # "ok" is derived (outcome_ok)
    return QuestionResult(**{**fields, "citations": [CitedPassage(**c) for c in fields["citations"]]})


def diff_against(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, list[str]]:
    """Per-question: which got better or worse than in the baseline."""
    better, worse, new = [], [], []
    old = baseline.get("questions", {})
    for qid, q in report["questions"].items():
        if qid not in old:
            new.append(qid)
        elif q["ok"] and not old[qid]["ok"]:
            better.append(qid)
        elif not q["ok"] and old[qid]["ok"]:
            worse.append(qid)
    return {"better": better, "worse": worse, "new": new}


def check_against(
    report: dict[str, Any], baseline: dict[str, Any], tolerance: float, scope: str = "overall"
) -> list[str]:
    """Headline metrics that dropped below the baseline by more than `tolerance` (absolute)."""
    now = report[scope] if scope == "overall" else report["by_split"].get(scope, {})
    then = baseline[scope] if scope == "overall" else baseline["by_split"].get(scope, {})
    failures = []
    for metric in HEADLINE:
        a, b = now.get(metric), then.get(metric)
        if a is None or b is None:
            continue
        if a < b - tolerance:
            failures.append(f"{metric} fell from {b:.3f} to {a:.3f} (tolerance {tolerance:.3f})")
    return failures


_COLUMNS = (
    "questions", "hit@1", "hit@5", "answer_correct", "citation_precision", "citation_recall",
    "abstention_recall", "abstention_f1", "false_abstention", "confidently_wrong", "latency_p50", "latency_p95",
)  # fmt: skip


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown_table(rows: dict[str, dict[str, Any]]) -> str:
    head = "| | " + " | ".join(_COLUMNS) + " |\n|---|" + "---:|" * len(_COLUMNS) + "\n"
    return head + "\n".join(
        f"| {name} | " + " | ".join(_fmt(m.get(c)) for c in _COLUMNS) + " |" for name, m in rows.items()
    )


def write_plots(report: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    paths = []
    types = list(report["by_type"])
    metrics = ["hit@5", "answer_correct", "citation_precision"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [report["by_type"][t].get(metric) or 0 for t in types]
        ax.bar([x + i * width for x in range(len(types))], values, width, label=metric)
    # Abstention recall only means something for the unanswerable questions.
    abst = [(x, report["by_type"][t].get("abstention_recall")) for x, t in enumerate(types)]
    abst = [(x, v) for x, v in abst if v is not None and types[x] == "unanswerable"]
    if abst:
        ax.scatter(
            [x + width for x, _ in abst], [v for _, v in abst], marker="D", color="black",
            label="abstention recall", zorder=3,
        )  # fmt: skip
    ax.set_xticks([x + width for x in range(len(types))], types)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Metrics by question type ({report['meta'].get('backend')})")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = out_dir / f"{stem}-by-type.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)

    latencies = [q["latency"] * 1000 for q in report["questions"].values()]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(latencies, bins=30, color="#4c72b0")
    for q, style in (("latency_p50", "--"), ("latency_p95", ":")):
        value = report["overall"].get(q)
        if value is not None:
            ax.axvline(value * 1000, color="black", linestyle=style, label=f"{q[-3:]} {value * 1000:.0f} ms")
    ax.set_xlabel("ms per question (Assistant.ask, warm)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend()
    fig.tight_layout()
    path = out_dir / f"{stem}-latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths


def write_markdown(report: dict[str, Any], diff: dict[str, list[str]] | None, plots: list[Path], path: Path) -> None:
    meta = report["meta"]
    top_k = meta.get("settings", {}).get("top_k", Settings.model_fields["top_k"].default)
    lines = [
        f"# Eval report: {meta.get('set')}",
        "",
        f"- backend: **{meta.get('backend')}**" + (f" (model `{meta['model']}`)" if meta.get("model") else ""),
        f"- questions: {report['overall']['questions']} (split: {meta.get('split')}"
        + (f", a {meta['sample']:g} sample drawn by id" if meta.get("sample", 1) < 1 else "")
        + f"); corpus: {meta.get('corpus')}",
        f"- run at {meta.get('time')} in {meta.get('seconds', 0):.0f}s",
        "",
        *([f"- test split frozen at sha256 `{meta['test_digest']}`"] if meta.get("test_digest") else []),
        "",
        "## Overall and by split",
        "",
        markdown_table({"all": report["overall"], **report["by_split"]}),
        "",
        "`answer_correct`: answerable questions whose answer contains an accept string (a multi-article question",
        "needs one for each part); `abstention_recall`: unanswerable questions answered with *The articles don't",
        "say*; `false_abstention`: answerable questions abstained on; `confidently_wrong`: shown (non-abstained)",
        "answers that are wrong, over all shown answers.",
        "",
    ]
    gaps = split_gaps(report)
    if gaps:
        flagged = {k: v for k, v in gaps.items() if v > GAP_LIMIT}
        lines += [
            "### Dev -> test gap",
            "",
            "| " + " | ".join(gaps) + " |",
            "|" + "---:|" * len(gaps),
            "| " + " | ".join(f"{v:+.3f}" for v in gaps.values()) + " |",
            "",
            (
                f"Gaps above {GAP_LIMIT}: {', '.join(flagged)} (see the README's evaluation section)."
                if flagged
                else f"No headline gap above {GAP_LIMIT}."
            ),
            "",
        ]
    lines += [
        "## By question type",
        "",
        markdown_table(report["by_type"]),
        "",
        "## By question type and split",
        "",
        markdown_table(report.get("by_type_split", {})),
        "",
        "## By subtype (kind of near miss, kind of multi-article question, asked slot)",
        "",
        markdown_table(report.get("by_subtype", {})),
        "",
    ]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    if diff is not None:
        lines += ["", "## Against the baseline", ""]
        lines.append(f"- better: {', '.join(diff['better']) or 'none'}")
        lines.append(f"- worse: {', '.join(diff['worse']) or 'none'}")
        if diff["new"]:
            lines.append(f"- new questions: {', '.join(diff['new'])}")
    failures = [q for q in report["questions"].values() if not q["ok"]]
    lines += [
        "",
        f"## Failures ({len(failures)})",
        "",
        "| id | type | split | rank | cause | question | answer |",
        "|---|---|---|---:|---|---|---|",
    ]
    for q in failures:
        answer = q["answer"].replace("|", "\\|").replace("\n", " ")[:160]
        question = q["question"].replace("|", "\\|")
        cells = [q["id"], q["type"], q["split"], q["rank"] or "–", failure_cause(q, top_k), question, answer]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
