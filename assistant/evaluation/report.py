"""Eval reports: JSON (machine), Markdown (people), PNG plots, and the diff against the baseline."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import HEADLINE, QuestionResult, aggregate


def summarise(results: list[QuestionResult]) -> dict[str, Any]:
    by_type: dict[str, list[QuestionResult]] = defaultdict(list)
    by_split: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        by_type[r.type].append(r)
        by_split[r.split].append(r)
    return {
        "overall": aggregate(results),
        "by_split": {k: aggregate(v) for k, v in sorted(by_split.items())},
        "by_type": {k: aggregate(v) for k, v in sorted(by_type.items())},
    }


def build_report(results: list[QuestionResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        **summarise(results),
        "questions": {r.id: {**asdict(r), "ok": r.outcome_ok} for r in results},
    }


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
    "questions", "hit@1", "hit@5", "hit@10", "mrr", "answer_correct", "token_f1", "citation_precision",
    "citation_recall", "abstention_f1", "latency_p50", "latency_p95",
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
    lines = [
        f"# Eval report: {meta.get('set')}",
        "",
        f"- backend: **{meta.get('backend')}**" + (f" (model `{meta['model']}`)" if meta.get("model") else ""),
        f"- questions: {report['overall']['questions']} (split: {meta.get('split')}); corpus: {meta.get('corpus')}",
        f"- run at {meta.get('time')} in {meta.get('seconds', 0):.0f}s",
        "",
        "## Overall and by split",
        "",
        markdown_table({"all": report["overall"], **report["by_split"]}),
        "",
        "## By question type",
        "",
        markdown_table(report["by_type"]),
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
        "| id | type | split | rank | question | answer |",
        "|---|---|---|---:|---|---|",
    ]
    for q in failures:
        answer = q["answer"].replace("|", "\\|").replace("\n", " ")[:160]
        question = q["question"].replace("|", "\\|")
        lines.append(f"| {q['id']} | {q['type']} | {q['split']} | {q['rank'] or '–'} | {question} | {answer} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
