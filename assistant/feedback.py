"""Readers' verdicts on answers: 👍 / 👎 and an optional comment, kept with what was asked and answered.

One JSON object per line in `<data_dir>/feedback.jsonl`, appended (never rewritten), so a crash loses at most
the line being written. `draft_eval_items` turns the marks into draft eval items for a human to confirm: a 👍
answer becomes an answerable item whose evidence is the cited quote; a 👎 becomes an item to research (the
right answer, or "the articles don't say").
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.types import Answer, Filters

log = logging.getLogger(__name__)

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 2000


class CitedQuote(BaseModel):
    n: int
    path: str
    title: str
    quote: str


class Feedback(BaseModel):
    """One rating of one answer (a comment sent later is a second line with the same `id`)."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    time: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    rating: Rating
    question: str
    answer: str
    abstained: bool
    citations: list[CitedQuote] = Field(default_factory=list)
    backend: str
    collection: str
    filters: dict[str, Any] | None = None
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)

    @classmethod
    def of(cls, rating: Rating, answer: Answer, collection: str, filters: Filters | None = None) -> Feedback:
        return cls(
            rating=rating,
            question=answer.question,
            answer=answer.text,
            abstained=answer.abstained,
            citations=[CitedQuote(n=c.n, path=c.path, title=c.title, quote=c.quote) for c in answer.citations],
            backend=answer.backend,
            collection=collection,
            filters=filters.model_dump(exclude_none=True) if filters is not None else None,
        )


class FeedbackLog:
    """Append-only JSON Lines; safe for the server's threads (one lock) and readable while written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, feedback: Feedback) -> Feedback:
        line = feedback.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        log.info("feedback recorded", extra={"id": feedback.id, "rating": feedback.rating})
        return feedback

    def comment(self, feedback_id: str, comment: str) -> Feedback | None:
        """Add a comment to a recorded rating (a new line; the latest comment wins when read)."""
        original = next((f for f in self.read() if f.id == feedback_id), None)
        if original is None:
            return None
        return self.add(original.model_copy(update={"comment": comment.strip()[:MAX_COMMENT_CHARS]}))

    def read(self) -> list[Feedback]:
        """Every rating, latest line per id (so a later comment replaces the bare rating); bad lines skipped."""
        if not self.path.exists():
            return []
        latest: dict[str, Feedback] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                feedback = Feedback.model_validate_json(line)
            except ValidationError as exc:
                log.warning("skipping line %d of %s: %s", number, self.path, exc.errors()[0]["msg"])
                continue
            latest.pop(feedback.id, None)  # keep file order by the latest line
            latest[feedback.id] = feedback
        return list(latest.values())


def draft_eval_items(entries: list[Feedback]) -> list[dict[str, Any]]:
    """Draft items in the eval set's shape (eval/README.md) for a human to finish; `todo` says what is left.

    Not valid items yet on purpose: a reader's 👍 is not a gold answer until someone picks the accept strings,
    and a 👎 says only that this answer was wrong.
    """
    drafts = []
    for n, fb in enumerate(entries, start=1):
        base: dict[str, Any] = {
            "id": f"draft{n:03d}",
            "question": fb.question,
            "answer": "",
            "accept": [],
            "articles": [],
            "evidence": [],
            "type": "",
            "split": "dev",
            "feedback": {
                "id": fb.id,
                "rating": fb.rating,
                "comment": fb.comment,
                "system_answer": fb.answer,
                "abstained": fb.abstained,
                "collection": fb.collection,
                "time": fb.time,
            },
        }
        if fb.rating == "up" and not fb.abstained:
            base |= {
                "answer": fb.answer,
                "articles": list(dict.fromkeys(c.path for c in fb.citations)),
                "evidence": list(dict.fromkeys(c.quote for c in fb.citations)),
                "todo": "confirm the answer; pick 1-4 short accept strings from the evidence; set type; "
                "list every copy of the article (python eval/validate_set.py finds missing ones)",
            }
        elif fb.rating == "up":
            base |= {
                "type": "unanswerable",
                "answer": "The articles don't say.",
                "todo": "confirm that no article answers this (search the corpus for its names)",
            }
        else:
            base |= {
                "todo": "the reader marked this answer wrong: find the answer and its evidence in the corpus, "
                "or make it an unanswerable item if no article answers it",
            }
        drafts.append(base)
    return drafts


def write_drafts(entries: list[Feedback], path: Path) -> int:
    drafts = draft_eval_items(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts), encoding="utf-8")
    return len(drafts)
