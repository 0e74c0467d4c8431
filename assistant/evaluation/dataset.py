"""The question-answering evaluation set: schema, loading and validation against the corpora.

The set is a JSON Lines file (``eval/sets/news_qa.jsonl``), one question per line. Every answerable item
points at the article(s) that answer it and carries verbatim evidence quotes from them, so the set can be
checked mechanically against the corpora: :func:`validate_eval_set` checks each item against the articles it
lists, and :func:`find_unlisted_duplicates` scans whole corpora for evidence that also occurs in articles the
item does not list (the BBC corpus has many duplicated stories).

Article ids are ``"<corpus>/<path relative to the corpus root>"``, e.g. ``"bbc/business/001.txt"`` or
``"seeds/000_8c1e59730e0383e1.txt"``; :func:`default_corpus_roots` maps corpus names to directories.

Standard library only, so the validator runs before the application's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

QUESTION_TYPES: frozenset[str] = frozenset({"fact", "number", "quote", "date", "who", "multi", "unanswerable"})
SPLITS: frozenset[str] = frozenset({"dev", "test"})
FIELDS: tuple[str, ...] = ("id", "question", "answer", "accept", "articles", "evidence", "type", "split")
LIST_FIELDS: tuple[str, ...] = ("accept", "articles", "evidence")
# Optional: what kind of near-miss an unanswerable item is (missing_name, missing_number, missing_place,
# missing_date, not_quoted, false_premise, later_event, out_of_corpus, ...) or how a multi item joins its
# articles (bridge, compare, follow_up). Reports break results down by it.
OPTIONAL_FIELDS: tuple[str, ...] = ("subtype",)
MIN_EVIDENCE_WORDS = 8
MAX_ACCEPT = 4
_QUOTE_PREVIEW = 60


@dataclass(frozen=True)
class EvalItem:
    """One question of the evaluation set (see ``eval/README.md`` for the meaning of each field)."""

    id: str
    question: str
    answer: str
    accept: tuple[str, ...]
    articles: tuple[str, ...]
    evidence: tuple[str, ...]
    type: str
    split: str
    subtype: str = ""

    @property
    def answerable(self) -> bool:
        """False for items whose correct response is that the corpus does not say."""
        return self.type != "unanswerable"


# --------------------------------------------------------------------------------------------- loading


def _item_from_record(record: Any, where: str) -> EvalItem:
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise ValueError(f"{where}: missing field(s): {', '.join(missing)}")
    unknown = sorted(set(record) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ValueError(f"{where}: unknown field(s): {', '.join(unknown)}")
    for name in FIELDS:
        value = record[name]
        if name in LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ValueError(f"{where}: field {name!r} must be a list of non-empty strings")
        elif not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: field {name!r} must be a non-empty string")
    subtype = record.get("subtype", "")
    if not isinstance(subtype, str):
        raise ValueError(f"{where}: field 'subtype' must be a string")
    if record["type"] not in QUESTION_TYPES:
        raise ValueError(f"{where}: bad type {record['type']!r} (expected one of {', '.join(sorted(QUESTION_TYPES))})")
    if record["split"] not in SPLITS:
        raise ValueError(f"{where}: bad split {record['split']!r} (expected one of {', '.join(sorted(SPLITS))})")
    return EvalItem(
        id=record["id"],
        question=record["question"],
        answer=record["answer"],
        accept=tuple(record["accept"]),
        articles=tuple(record["articles"]),
        evidence=tuple(record["evidence"]),
        type=record["type"],
        split=record["split"],
        subtype=subtype,
    )


def load_eval_set(path: Path) -> list[EvalItem]:
    """Read and schema-check an evaluation set.

    Blank lines are ignored. Raises ``ValueError`` naming the file and line number for invalid JSON, a
    line that is not an object, missing/unknown fields, wrongly typed values, an unknown ``type`` or
    ``split``, and duplicate ids. Consistency with the corpora is checked by :func:`validate_eval_set`.
    """
    items: list[EvalItem] = []
    first_line_of: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
            item = _item_from_record(record, where)
            if item.id in first_line_of:
                raise ValueError(f"{where}: duplicate id {item.id!r} (first used on line {first_line_of[item.id]})")
            first_line_of[item.id] = lineno
            items.append(item)
    return items


# --------------------------------------------------------------------------------------------- corpora


def default_corpus_roots(repo_root: Path) -> dict[str, Path]:
    """Corpus name -> directory, for a checkout at ``repo_root`` (the BBC corpus lives beside the repo)."""
    return {"bbc": repo_root.parent / "shared" / "corpora" / "bbc", "seeds": repo_root / "seeds"}


def normalize_whitespace(text: str) -> str:
    """Collapse every run of whitespace to one space; quotes are compared in this form."""
    return " ".join(text.split())


def read_article(path: Path) -> str:
    """An article's text: UTF-8, falling back to Latin-1 (one BBC file is Latin-1)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def resolve_article(article_id: str, corpus_roots: Mapping[str, Path]) -> Path | None:
    """The file behind ``"<corpus>/<relative path>"``, or None if the id is malformed or the corpus unknown.

    The file itself may not exist; callers check that.
    """
    corpus, sep, relative = article_id.partition("/")
    if not sep or corpus not in corpus_roots or not relative:
        return None
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    return corpus_roots[corpus].joinpath(*rel.parts)


def iter_corpus(corpus_roots: Mapping[str, Path]) -> Iterator[tuple[str, Path]]:
    """Every file of every corpus as ``(article id, path)``, in a stable order; hidden files are skipped."""
    for corpus in sorted(corpus_roots):
        root = corpus_roots[corpus]
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                yield f"{corpus}/{relative.as_posix()}", path


def _preview(quote: str) -> str:
    text = normalize_whitespace(quote)
    return text if len(text) <= _QUOTE_PREVIEW else text[: _QUOTE_PREVIEW - 1] + "…"


# --------------------------------------------------------------------------------------------- validation


def _check_shape(item: EvalItem) -> list[str]:
    problems: list[str] = []
    if not item.answerable:
        for name in LIST_FIELDS:
            if getattr(item, name):
                problems.append(f"{item.id}: unanswerable item must have an empty {name!r} list")
        return problems
    if not item.articles:
        problems.append(f"{item.id}: answerable item lists no articles")
    if not item.evidence:
        problems.append(f"{item.id}: answerable item has no evidence quotes")
    if not 1 <= len(item.accept) <= MAX_ACCEPT:
        problems.append(f"{item.id}: needs 1-{MAX_ACCEPT} accept strings, has {len(item.accept)}")
    if len(set(item.articles)) != len(item.articles):
        problems.append(f"{item.id}: an article is listed twice")
    if item.type == "multi" and len(item.evidence) < 2:
        problems.append(f"{item.id}: multi-article item needs one evidence quote per article (has < 2)")
    for quote in item.evidence:
        if len(quote.split()) < MIN_EVIDENCE_WORDS:
            problems.append(
                f"{item.id}: evidence quote is shorter than {MIN_EVIDENCE_WORDS} words: {_preview(quote)!r}"
            )
    evidence_text = [normalize_whitespace(q).casefold() for q in item.evidence]
    for accept in item.accept:
        needle = normalize_whitespace(accept).casefold()
        if not any(needle in quote for quote in evidence_text):
            problems.append(f"{item.id}: accept string {accept!r} is not in any evidence quote")
    return problems


def validate_eval_set(items: Iterable[EvalItem], corpus_roots: Mapping[str, Path]) -> list[str]:
    """Human-readable problems with ``items`` checked against the articles they list ([] if none).

    Checks: unanswerable items have no accept/articles/evidence and answerable ones have them; accept
    strings occur (case-insensitively) in an evidence quote; evidence quotes have at least
    ``MIN_EVIDENCE_WORDS`` words; article ids resolve to existing files; every evidence quote occurs
    verbatim (after collapsing whitespace) in at least one of the item's articles; every listed article
    contains at least one of the quotes; a multi item's quotes come from at least two articles; ids unique.
    """
    problems: list[str] = []
    texts: dict[str, str | None] = {}

    def text_of(article_id: str) -> str | None:
        if article_id not in texts:
            path = resolve_article(article_id, corpus_roots)
            texts[article_id] = (
                normalize_whitespace(read_article(path)) if path is not None and path.is_file() else None
            )
        return texts[article_id]

    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)
        problems.extend(_check_shape(item))

        available: dict[str, str] = {}
        for article_id in item.articles:
            path = resolve_article(article_id, corpus_roots)
            if path is None:
                problems.append(f"{item.id}: bad article id {article_id!r} (known corpora: {sorted(corpus_roots)})")
                continue
            text = text_of(article_id)
            if text is None:
                problems.append(f"{item.id}: article file missing: {article_id} ({path})")
                continue
            available[article_id] = text
        if not available:
            continue  # nothing to check quotes against; the missing files are already reported

        quotes = [normalize_whitespace(q) for q in item.evidence]
        sources: set[str] = set()
        for raw, quote in zip(item.evidence, quotes, strict=True):
            found = [article_id for article_id, text in available.items() if quote in text]
            if not found:
                problems.append(f"{item.id}: evidence quote not found in any of its articles: {_preview(raw)!r}")
            sources.update(found)
        if len(available) == len(item.articles):
            for article_id in item.articles:
                if article_id not in sources:
                    problems.append(f"{item.id}: listed article {article_id} contains none of the evidence quotes")
        if item.type == "multi" and len(sources) < 2:
            problems.append(f"{item.id}: multi-article item's evidence comes from fewer than two articles")
    return problems


def find_unlisted_duplicates(items: Iterable[EvalItem], corpus_roots: Mapping[str, Path]) -> list[str]:
    """Problems for evidence quotes that also occur in a corpus article the item does not list.

    Reads every file of every corpus, so it takes a few seconds on the BBC corpus. A hit usually means a
    duplicated story whose other copy must be added to ``articles``.
    """
    corpus = [(article_id, normalize_whitespace(read_article(path))) for article_id, path in iter_corpus(corpus_roots)]
    problems: list[str] = []
    for item in items:
        listed = set(item.articles)
        for raw in item.evidence:
            quote = normalize_whitespace(raw)
            unlisted = [article_id for article_id, text in corpus if article_id not in listed and quote in text]
            if unlisted:
                problems.append(
                    f"{item.id}: evidence quote {_preview(raw)!r} also appears in unlisted article(s): "
                    + ", ".join(unlisted)
                )
    return problems


def split_digest(items: Iterable[EvalItem], split: str) -> str:
    """SHA-256 over the items of one split (canonical JSON, in file order): freezes the test split.

    `eval/sets/<set>.test.sha256` records the digest of the test split when it was frozen; a test fails if
    any test item is edited, added or removed, so the held-out questions cannot drift toward the system.
    """
    digest = hashlib.sha256()
    for item in items:
        if item.split == split:
            digest.update(json.dumps(asdict(item), ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
    return digest.hexdigest()


def check_fraction(fraction: float) -> None:
    """ValueError unless `fraction` is a sample size in (0, 1]."""
    if not 0 < fraction <= 1:
        raise ValueError(f"a sample is a fraction in (0, 1], not {fraction}")


def in_sample(item_id: str, fraction: float) -> bool:
    """Whether an item belongs to a `fraction` sample of its set, drawn by a hash of its id.

    Why a hash, not every k-th line: a set that grows (new ids appended) keeps every earlier item's membership,
    so a sampled gate keeps comparing the same questions against its baseline."""
    check_fraction(fraction)
    return fraction == 1 or int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) < fraction * 2**32
