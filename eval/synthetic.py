"""Training questions generated from the corpus itself: thousands of slot questions and their near misses.

Why: the answerer's ranking and abstention threshold were fitted on ~240 hand-written dev questions, and
hand-written questions are too few to fit on without learning their quirks (dev -> test gap 0.13). Here every
parsed sentence with a clean clause can become a question about one of its slots:

    "Nike paid $50m for the rights in 2004."  ->  "How much did Nike pay for the rights?"   (answer: $50m)
                                                 "When did Nike pay $50m for the rights?"  (answer: 2004)
    "Chelsea striker Didier Drogba scored twice."  ->  "Who scored twice?"  (needs a name in the rest: skipped)

and every such question also yields a *near miss*: the same question over the same retrieved passages with
every sentence holding the answer removed -- "the story is there, the asked detail is not", the kind of
question the answerer must abstain on. Fitting on these (eval/fit_extractive.py --train synthetic) leaves all
hand-written questions, dev and test, for measuring transfer.

Articles that any eval question cites (and their duplicates) are never used, so no eval answer is trained on.
Nothing generated is committed: the corpus stays outside the repo; generation is deterministic (seeded).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answering.nlp import parse
from assistant.ingest.readers import read_articles
from assistant.text import sentence_spans

# Verbs whose clauses make poor slot questions ("Who said the firm was strong?").
_SKIP_VERBS = frozenset("say tell add claim believe think expect hope want feel know see seem appear".split())
_WH_FOR_LABEL = {"PERSON": "Who", "ORG": "Which organisation"}
_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
_STOP_AT = frozenset({",", ";", ":", "(", "-", "--", "—", "–", '"', "“", "”"})
_SPECIFIC_DATE_WORDS = frozenset(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday".split()
)
MAX_REST_TOKENS = 12


@dataclass(frozen=True)
class SyntheticItem:
    question: str
    answer: str  # the filler, verbatim from the sentence
    sentence: str
    article: str  # path, e.g. "bbc/business/001.txt"
    slot: str  # the slot the template asks: person, org, date, money, count, place


def _clause(doc: Any) -> tuple[Any, Any, list[Any]] | None:
    """(root verb, subject, auxiliaries) of a simple declarative main clause, or None."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ not in ("VERB", "AUX") or root.lemma_.lower() in _SKIP_VERBS:
        return None
    subj = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass") and c.i < root.i), None)
    if subj is None or subj.pos_ == "PRON":
        return None
    auxes = [c for c in root.children if c.dep_ in ("aux", "auxpass", "neg") and c.i < root.i and c.i > subj.i]
    return root, subj, auxes


def _rest(root: Any, drop: set[int]) -> list[Any] | None:
    """The words after the verb up to the clause's first break, without the dropped tokens."""
    out = []
    for tok in root.doc[root.i + 1 : root.right_edge.i + 1]:
        if tok.text in _STOP_AT or tok.dep_ in ("cc", "mark") or tok.lower_ in ("which", "who", "while", "but"):
            break
        if tok.i not in drop and not tok.is_punct:
            out.append(tok)
    while out and out[-1].pos_ in ("ADP", "CCONJ", "DET", "PART", "SCONJ"):
        out.pop()  # "paid for" after the object was dropped
    if len(out) > MAX_REST_TOKENS:
        return None
    return out


def _text(tokens: list[Any]) -> str:
    return " ".join(t.text for t in tokens).replace(" 's", "'s").replace(" n't", "n't").replace(" %", "%")


def _subject_text(subj: Any) -> str:
    tokens = list(subj.subtree)
    if tokens[0].ent_type_ == "" and tokens[0].pos_ != "PROPN":
        first = tokens[0].text[0].lower() + tokens[0].text[1:]
        return " ".join([first] + [t.text for t in tokens[1:]]).replace(" 's", "'s")
    return _text(tokens)


def _inverted(wh: str, root: Any, subj: Any, auxes: list[Any], rest: list[Any]) -> str | None:
    """'When did Nike pay ...', 'Where was the film shot ...': the wh-word, auxiliary, subject, verb, rest."""
    subject = _subject_text(subj)
    if len(list(subj.subtree)) > 8:
        return None
    if auxes:
        first, *more = auxes
        verb = [*(a.text for a in more), root.text]
        return f"{wh} {first.text} {subject} {' '.join(verb)} {_text(rest)}".strip() + "?"
    if root.lemma_.lower() == "be":
        return f"{wh} {root.text} {subject} {_text(rest)}".strip() + "?"
    do = _DO.get(root.tag_)
    if do is None:
        return None
    return f"{wh} {do} {subject} {root.lemma_} {_text(rest)}".strip() + "?"


def _identifiable(tokens: list[Any]) -> bool:
    """The question names something: a proper noun or a number, not just 'Who won the game?'."""
    return any(t.pos_ in ("PROPN", "NUM") for t in tokens)


def _ent_of(token: Any) -> Any:
    return next((e for e in token.doc.ents if e.start <= token.i < e.end), None)


def questions(doc: Any) -> Iterator[tuple[str, str, str]]:
    """(question, answer, slot) pairs a parsed sentence supports."""
    clause = _clause(doc)
    if clause is None:
        return
    root, subj, auxes = clause
    subj_tokens = list(subj.subtree)
    # 1. the subject is a person or organisation: "Who <verb> <rest>?"
    ent = _ent_of(subj)
    if ent is not None and ent.label_ in _WH_FOR_LABEL and ent.root.i == subj.i:
        rest = _rest(root, set())
        if rest and _identifiable(rest):
            verb = " ".join([*(a.text for a in auxes), root.text])
            yield f"{_WH_FOR_LABEL[ent.label_]} {verb} {_text(rest)}?", ent.text, ent.label_.lower()
    # 2. a number counts the subject: "How many people died in the blast?"
    num = next((c for c in subj.children if c.dep_ == "nummod" and c.like_num), None)
    if num is not None and subj.pos_ == "NOUN" and subj.tag_ == "NNS":
        rest = _rest(root, set())
        if rest and _identifiable(rest + subj_tokens):
            verb = " ".join([*(a.text for a in auxes), root.text])
            yield f"How many {subj.text} {verb} {_text(rest)}?", num.text, "count"
    subject_named = any(t.pos_ == "PROPN" for t in subj_tokens)
    if not subject_named:
        return
    for child in root.children:
        if child.i < root.i:
            continue
        # 3. the object is an amount of money or a counted noun
        if child.dep_ == "dobj":
            ent = _ent_of(child)
            span = doc[child.left_edge.i : child.right_edge.i + 1]
            if any(e.label_ == "MONEY" for e in span.ents) and len(span) <= 5:  # "$ 50 m": NER tags only "50"
                rest = _rest(root, {t.i for t in child.subtree})
                q = _inverted("How much", root, subj, auxes, rest) if rest is not None else None
                if q:
                    yield q, span.text.replace("$ ", "$").replace("£ ", "£").replace(" m", "m"), "money"
            num = next((c for c in child.children if c.dep_ == "nummod" and c.like_num), None)
            if num is not None and child.tag_ == "NNS" and (ent is None or ent.label_ == "CARDINAL"):
                rest = _rest(root, {t.i for t in child.subtree})
                q = _inverted(f"How many {child.text}", root, subj, auxes, rest) if rest is not None else None
                if q:
                    yield q, num.text, "count"
            if ent is not None and ent.label_ == "PERSON" and ent.root.i == child.i:
                rest = _rest(root, {t.i for t in child.subtree})
                q = _inverted("Who", root, subj, auxes, rest) if rest is not None else None
                if q:
                    yield q, ent.text, "person"
        # 4. a date or a place in a prepositional phrase or as a bare time expression
        if child.dep_ in ("prep", "npadvmod") and child.i > root.i:
            obj = child if child.dep_ == "npadvmod" else next((c for c in child.children if c.dep_ == "pobj"), None)
            ent = _ent_of(obj) if obj is not None else None
            if ent is None:
                continue
            drop = {t.i for t in child.subtree}
            if ent.label_ == "DATE" and (
                any(t.like_num for t in ent) or any(t.lower_ in _SPECIFIC_DATE_WORDS for t in ent)
            ):
                rest = _rest(root, drop)
                q = _inverted("When", root, subj, auxes, rest) if rest is not None else None
                if q:
                    yield q, ent.text, "date"
            elif ent.label_ in ("GPE", "LOC", "FAC") and child.lower_ in ("in", "at"):
                rest = _rest(root, drop)
                q = _inverted("Where", root, subj, auxes, rest) if rest is not None else None
                if q:
                    yield q, ent.text, "place"


def corpus_articles(root: Path, exclude: set[str]) -> Iterator[tuple[str, str, str]]:
    """(path, title, body) of every article under `root` (a corpus folder), skipping the excluded paths and any
    article whose text equals an excluded one."""
    files = sorted(p for p in root.rglob("*.txt") if p.name.lower() != "readme.txt")
    texts: dict[str, list[tuple[str, str, str]]] = {}
    excluded_ids: set[str] = set()
    for path in files:
        rel = f"{root.name}/{path.relative_to(root).as_posix()}"
        category = path.parent.name
        articles, _ = read_articles(path.read_bytes(), rel, category=category, source=root.name)
        for article in articles:
            if rel in exclude:
                excluded_ids.add(article.id)
            texts.setdefault(article.id, []).append((rel, article.title, article.text))
    for article_id, copies in texts.items():
        if article_id not in excluded_ids:
            yield copies[0]


def generate(
    corpus: Path, exclude: set[str], n_articles: int, per_article: int = 3, seed: int = 0
) -> list[SyntheticItem]:
    """Up to `per_article` questions (of distinct slots, where possible) from each of `n_articles` articles."""
    rng = random.Random(seed)
    articles = list(corpus_articles(corpus, exclude))
    rng.shuffle(articles)
    items: list[SyntheticItem] = []
    for path, _title, body in articles[:n_articles]:
        spans = sentence_spans(body)
        sentences = [body[s:e] for s, e in spans[1:]]  # the first line is the headline
        sentences = [s for s in sentences if 40 <= len(s) <= 300 and "\n" not in s.strip()]
        found: list[SyntheticItem] = []
        for sentence, doc in zip(sentences, parse(sentences), strict=True):
            for question, answer, slot in questions(doc):
                found.append(SyntheticItem(question, answer, sentence, path, slot))
        rng.shuffle(found)
        by_slot: dict[str, SyntheticItem] = {}
        for item in found:
            by_slot.setdefault(item.slot, item)
        items += list(by_slot.values())[:per_article]
    return items
