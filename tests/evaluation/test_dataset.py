"""The shipped evaluation set and its loader/validator (standard library only, no corpus needed for most)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.dataset import (
    QUESTION_TYPES,
    EvalItem,
    default_corpus_roots,
    find_unlisted_duplicates,
    load_eval_set,
    validate_eval_set,
)
from tests.conftest import require

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SET = REPO_ROOT / "eval" / "sets" / "news_qa.jsonl"
SEED_ID = "seeds/000_8c1e59730e0383e1.txt"

QUOTE_A = "The widget factory in Springfield doubled its output to 4,000 widgets a day."
QUOTE_B = "Mayor Jane Quimby said the new bridge would open to traffic on 3 March."


# --------------------------------------------------------------------------------------------- helpers


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "q001",
        "question": "How many widgets a day does the Springfield factory make?",
        "answer": "4,000 widgets a day.",
        "accept": ["4,000"],
        "articles": ["news/a.txt"],
        "evidence": [QUOTE_A],
        "type": "number",
        "split": "dev",
    }
    base.update(overrides)
    return base


def item(**overrides: Any) -> EvalItem:
    rec = record(**overrides)
    return EvalItem(
        id=rec["id"],
        question=rec["question"],
        answer=rec["answer"],
        accept=tuple(rec["accept"]),
        articles=tuple(rec["articles"]),
        evidence=tuple(rec["evidence"]),
        type=rec["type"],
        split=rec["split"],
    )


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    """A tiny corpus 'news' with two articles and an exact duplicate of the first under another path."""
    root = tmp_path / "news"
    (root / "dup").mkdir(parents=True)
    text_a = f"Widgets boom\n\nSpringfield is busy.  {QUOTE_A}\nWorkers are happy.\n"
    (root / "a.txt").write_text(text_a, encoding="utf-8")
    (root / "dup" / "a_copy.txt").write_text(text_a, encoding="utf-8")
    (root / "b.txt").write_bytes(f"Bridge news\n\nCaf\xe9 owners cheered. {QUOTE_B}\n".encode("latin-1"))
    return {"news": root}


@pytest.fixture(scope="module")
def shipped() -> list[EvalItem]:
    return load_eval_set(SHIPPED_SET)


# --------------------------------------------------------------------------------------------- shipped set


def test_shipped_set_shape(shipped: list[EvalItem]) -> None:
    assert len(shipped) >= 90
    types = Counter(i.type for i in shipped)
    assert set(types) == QUESTION_TYPES
    assert types["unanswerable"] / len(shipped) >= 0.15
    assert types["quote"] >= 12 and types["number"] >= 12
    assert types["date"] >= 8 and types["who"] >= 8 and types["multi"] >= 6
    splits = Counter(i.split for i in shipped)
    assert set(splits) == {"dev", "test"}
    assert 0.5 <= splits["dev"] / len(shipped) <= 0.7
    for qtype in QUESTION_TYPES:
        assert {i.split for i in shipped if i.type == qtype} == {"dev", "test"}, qtype


def test_shipped_set_covers_seed_and_all_bbc_categories(shipped: list[EvalItem]) -> None:
    seed_items = [i for i in shipped if SEED_ID in i.articles]
    assert len(seed_items) >= 6
    assert any("significantly stronger" in i.accept for i in seed_items)
    categories = {a.split("/")[1] for i in shipped for a in i.articles if a.startswith("bbc/")}
    assert categories == {"business", "entertainment", "politics", "sport", "tech"}


def test_shipped_set_is_consistent_with_corpora(shipped: list[EvalItem]) -> None:
    roots = default_corpus_roots(REPO_ROOT)
    require(roots["bbc"].is_dir(), f"the BBC corpus is expected at {roots['bbc']}")
    assert validate_eval_set(shipped, roots) == []
    assert find_unlisted_duplicates(shipped, roots) == []


def test_default_corpus_roots() -> None:
    roots = default_corpus_roots(Path("/x/repo"))
    assert roots == {"bbc": Path("/x/shared/corpora/bbc"), "seeds": Path("/x/repo/seeds")}


# --------------------------------------------------------------------------------------------- loader


def test_load_round_trip(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [json.dumps(record()), "", json.dumps(record(id="q002"))])
    items = load_eval_set(path)
    assert [i.id for i in items] == ["q001", "q002"]
    assert items[0].accept == ("4,000",) and items[0].articles == ("news/a.txt",)
    assert items[0].answerable


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "q002", "question": ', "invalid JSON"),
        ('["not", "an", "object"]', "expected a JSON object"),
        (json.dumps({k: v for k, v in record(id="q002").items() if k != "evidence"}), "missing field"),
        (json.dumps({**record(id="q002"), "extra": 1}), "unknown field"),
        (json.dumps(record(id="q002", type="trivia")), "bad type"),
        (json.dumps(record(id="q002", split="train")), "bad split"),
        (json.dumps(record(id="q002", accept="4,000")), "'accept' must be a list"),
        (json.dumps(record(id="q002", question="")), "'question' must be a non-empty string"),
        (json.dumps(record()), "duplicate id 'q001'"),
    ],
)
def test_load_rejects_malformed_lines_with_line_number(tmp_path: Path, bad_line: str, message: str) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [json.dumps(record()), "", bad_line])
    with pytest.raises(ValueError, match=message) as info:
        load_eval_set(path)
    assert f"{path}:3:" in str(info.value)


# --------------------------------------------------------------------------------------------- validator


def test_valid_items_pass(corpus: dict[str, Path]) -> None:
    items = [
        item(articles=["news/a.txt", "news/dup/a_copy.txt"]),
        item(
            id="q002",
            type="multi",
            accept=["4,000", "3 March"],
            articles=["news/a.txt", "news/dup/a_copy.txt", "news/b.txt"],
            evidence=[QUOTE_A, QUOTE_B],
        ),
        item(id="q003", type="unanswerable", accept=[], articles=[], evidence=[]),
    ]
    assert validate_eval_set(items, corpus) == []
    assert find_unlisted_duplicates(items, corpus) == []


def test_quotes_match_across_whitespace_and_latin1(corpus: dict[str, Path]) -> None:
    spaced = QUOTE_B.replace(" the new ", "\n  the   new ")
    assert validate_eval_set([item(articles=["news/b.txt"], accept=["3 March"], evidence=[spaced])], corpus) == []


def test_catches_bad_quote(corpus: dict[str, Path]) -> None:
    bad = QUOTE_A.replace("doubled", "tripled")
    problems = validate_eval_set([item(evidence=[bad])], corpus)
    assert any("evidence quote not found" in p for p in problems)


def test_catches_missing_file_and_bad_ids(corpus: dict[str, Path]) -> None:
    problems = validate_eval_set([item(articles=["news/a.txt", "news/missing.txt"])], corpus)
    assert any("article file missing: news/missing.txt" in p for p in problems)
    problems = validate_eval_set([item(articles=["other/a.txt"]), item(id="q002", articles=["news/../x"])], corpus)
    assert sum("bad article id" in p for p in problems) == 2


def test_catches_accept_not_in_evidence(corpus: dict[str, Path]) -> None:
    problems = validate_eval_set([item(accept=["5,000"])], corpus)
    assert any("accept string '5,000'" in p for p in problems)


def test_catches_article_without_evidence(corpus: dict[str, Path]) -> None:
    problems = validate_eval_set([item(articles=["news/a.txt", "news/b.txt"])], corpus)
    assert any("news/b.txt contains none of the evidence quotes" in p for p in problems)


def test_catches_shape_problems(corpus: dict[str, Path]) -> None:
    items = [
        item(type="unanswerable"),
        item(id="q002", accept=[], articles=[], evidence=[]),
        item(id="q003", evidence=["Springfield is busy."], accept=["busy"]),
        item(id="q004", type="multi"),
        item(id="q004"),
    ]
    problems = validate_eval_set(items, corpus)
    assert any(p.startswith("q001: unanswerable item must have an empty") for p in problems)
    assert any("q002: answerable item lists no articles" in p for p in problems)
    assert any("q002: answerable item has no evidence" in p for p in problems)
    assert any("q003: evidence quote is shorter" in p for p in problems)
    assert any(p.startswith("q004: multi-article item") for p in problems)
    assert "q004: duplicate id" in problems


def test_finds_unlisted_duplicate(corpus: dict[str, Path]) -> None:
    items = [item()]
    assert validate_eval_set(items, corpus) == []
    problems = find_unlisted_duplicates(items, corpus)
    assert len(problems) == 1
    assert "news/dup/a_copy.txt" in problems[0] and problems[0].startswith("q001:")


def test_test_split_is_frozen():
    """The held-out split is the one recorded when it was frozen (eval/README.md, 'Split policy')."""
    from assistant.evaluation.dataset import split_digest

    items = load_eval_set(REPO_ROOT / "eval" / "sets" / "news_qa.jsonl")
    # one line per freeze: "<sha256>  q001-q439"; a later freeze adds items, never changes earlier ones
    freezes = [line.split() for line in (REPO_ROOT / "eval" / "sets" / "news_qa.test.sha256").read_text().splitlines()]
    assert [ids for _, ids in freezes] == [
        "q001-q439",
        "q001-q539",
        "q001-q639",
        "q001-q739",
        "q001-q839",
        "q001-q939",
        "q001-q1039",
        "q001-q1139",
        "q001-q1339",
        "q001-q1439",
        "q001-q1539",
        "q001-q1639",
        "q001-q1739",
        "q001-q1839",
        "q001-q1939",
    ]
    for digest, ids in freezes:
        first, last = (int(i[1:]) for i in ids.split("-"))
        assert split_digest([i for i in items if first <= int(i.id[1:]) <= last], "test") == digest, ids
    assert split_digest(items, "test") == freezes[-1][0]  # nothing past the last freeze is in test
    assert sum(i.split == "test" for i in items) == 722
