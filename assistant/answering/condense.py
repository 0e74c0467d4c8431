"""Follow-up questions: make "What did he say about shells?" stand alone before retrieval.

The extractive backend has no language model, so this is a rule: pronouns that point at a person or thing
are replaced by the most recent name the conversation's questions mentioned. The openai backend asks the
model instead (prompts/condense.md) and falls back to this rule.
"""

from __future__ import annotations

import re

from assistant.answering.question import analyze
from assistant.answering.text import find_entities
from assistant.types import Turn

_PERSON = re.compile(r"\b(he|she|him|her)\b", re.I)
_POSSESSIVE = re.compile(r"\b(his|her)\b", re.I)
_THING = re.compile(r"\b(they|them|it)\b", re.I)


def _recent_names(history: list[Turn]) -> tuple[str | None, list[str]]:
    """(the last speaker asked about, the names of the most recent question that had any)."""
    for turn in reversed(history):
        if turn.role != "user":
            continue
        frame = analyze(turn.content)
        if frame.entities:
            return frame.speaker or frame.subject or frame.entities[0], list(frame.entities)
    return None, []


def rewrite_followup(question: str, history: list[Turn] | None) -> str:
    if not history:
        return question
    person, names = _recent_names(history)
    if not names:
        return question
    if find_entities(question):
        return question  # it names its own subject
    if person and _PERSON.search(question):
        rewritten = _PERSON.sub(person, question, count=1)
        return rewritten
    if person and _POSSESSIVE.search(question):
        return _POSSESSIVE.sub(f"{person}'s", question, count=1)
    if _THING.search(question):
        return _THING.sub(names[0], question, count=1)
    # A bare follow-up ("And about shells?"): carry the previous subject along.
    return f"{question.rstrip('?. ')} ({', '.join(names)})?"
