from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.evaluation.dataset import EvalItem, in_sample
from assistant.evaluation.metrics import CitedPassage, QuestionResult, aggregate, score, token_f1
from assistant.evaluation.report import build_report, check_against, diff_against, restrict

ITEM = EvalItem(
    id="q1", question="How much?", answer="Profits rose 76% to $1.13bn.", accept=("76%", "$1.13bn"),
    articles=("bbc/business/001.txt", "bbc/business/002.txt"),
    evidence=("Profits jumped 76% to $1.13bn in the quarter",),
    type="number", split="dev",
)  # fmt: skip
NONE = EvalItem(
    id="q2", question="Who?", answer="Not said.", accept=(), articles=(), evidence=(), type="unanswerable", split="test"
)


def result(item: EvalItem, answer: str, abstained: bool, retrieved: list[list[str]], cites: list[CitedPassage]):
    r = QuestionResult(
        id=item.id, type=item.type, split=item.split, question=item.question, answerable=item.answerable,
        answer=answer, abstained=abstained, retrieved=retrieved, citations=cites, latency=0.1,
    )  # fmt: skip
    return score(item, r)


def test_scoring_an_answer_with_a_duplicate_path_hit_and_a_precise_citation() -> None:
    good = CitedPassage(["bbc/x.txt"], "Intro. Profits jumped 76% to  $1.13bn in the quarter. More.", "Profits jumped")
    bad = CitedPassage(["bbc/y.txt"], "Unrelated passage.", "Unrelated passage.")
    r = result(
        ITEM,
        "Profits jumped 76% [1]. Other [2].",
        False,
        [["bbc/z.txt"], ["bbc/a", "bbc/business/002.txt"]],
        [good, bad],
    )
    assert r.rank == 2 and r.correct and r.citations_precise == 1 and r.evidence_found == 1.0
    assert r.outcome_ok


def test_abstaining_on_an_answerable_question_is_wrong_and_right_on_an_unanswerable_one() -> None:
    missed = result(ITEM, "The articles don't say.", True, [], [])
    assert not missed.correct and missed.rank is None and missed.evidence_found == 0
    abstained = result(NONE, "The articles don't say.", True, [], [])
    answered = result(NONE, "Someone [1].", False, [], [])
    assert abstained.outcome_ok and not answered.outcome_ok
    metrics = aggregate([missed, abstained, answered])
    assert metrics["abstention_precision"] == 0.5 and metrics["abstention_recall"] == 0.5
    assert metrics["answer_correct"] == 0.0 and metrics["hit@5"] == 0.0


def test_token_f1() -> None:
    assert token_f1("profits rose 76%", "Profits rose 76%") == 1.0
    assert token_f1("a b", "c d") == 0.0


def test_check_flags_drops_beyond_tolerance_and_diff_lists_changes() -> None:
    baseline = {"overall": {"hit@1": 0.9, "hit@5": 1.0, "answer_correct": 0.8, "citation_precision": 0.95,
                            "abstention_f1": 0.9}, "questions": {"q1": {"ok": True}, "q2": {"ok": False}}}  # fmt: skip
    report = {"overall": {**baseline["overall"], "answer_correct": 0.79, "hit@1": 0.85},
              "questions": {"q1": {"ok": False}, "q2": {"ok": True}, "q3": {"ok": True}}}  # fmt: skip
    failures = check_against(report, baseline, tolerance=0.02)
    assert len(failures) == 1 and failures[0].startswith("hit@1 fell from 0.900 to 0.850")
    assert diff_against(report, baseline) == {"better": ["q2"], "worse": ["q1"], "new": ["q3"]}


def test_a_restricted_report_is_the_report_of_its_questions_alone() -> None:
    """A sampled gate compares against its baseline's same questions: aggregates recomputed from the stored
    per-question results (read back from JSON, as the committed report is) equal a run of those questions."""
    cite = CitedPassage(["bbc/business/001.txt"], "Profits jumped 76% to $1.13bn in the quarter.", "Profits jumped")
    right = result(ITEM, "Profits rose 76% to $1.13bn.", False, [["bbc/business/001.txt"]], [cite])
    wrong = result(EvalItem(**{**ITEM.__dict__, "id": "q3"}), "Sales fell.", False, [["bbc/x/9.txt"]], [])
    abstained = result(NONE, "The articles don't say.", True, [], [])
    full = json.loads(json.dumps(build_report([right, wrong, abstained], {"backend": "reader"})))
    kept = restrict(full, {"q3", "q2", "q-unknown"})
    alone = build_report([wrong, abstained], {"backend": "reader"})
    assert kept["meta"] == full["meta"]
    assert kept["overall"] == alone["overall"] and kept["by_split"] == alone["by_split"]
    assert sorted(kept["questions"]) == ["q2", "q3"]
    assert kept["overall"]["answer_correct"] == 0.0 and full["overall"]["answer_correct"] == 0.5


@given(st.lists(st.text(min_size=1, max_size=8), max_size=40), st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_a_smaller_sample_is_inside_a_larger_one(ids: list[str], a: float, b: float) -> None:
    small, large = sorted((a, b))
    assert {i for i in ids if in_sample(i, small)} <= {i for i in ids if in_sample(i, large)}
    assert all(in_sample(i, 1.0) for i in ids)


def test_a_sample_draws_about_its_fraction_and_refuses_a_bad_one() -> None:
    drawn = sum(in_sample(f"q{n:03d}", 0.5) for n in range(2000))
    assert 900 < drawn < 1100
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match=r"a sample is a fraction in \(0, 1\]"):
            in_sample("q1", bad)
