"""Schemathesis hooks for the API contract test (tests/e2e/test_api_contract.py), loaded via SCHEMATHESIS_HOOKS.

The published schema states every rule JSON Schema can state (types, lengths, the question's pattern, calendar
dates, the roles of /v1 messages, the sources and categories the collection holds). Two rules it cannot state,
each unit-tested in tests/server/test_api.py:
- `date_from` after `date_to` (a relation between two fields) -> 422 invalid_filter;
- /v1: the last message must be the user's question -> 422 invalid_request.
Generated bodies that are schema-valid but break one of these are skipped, so "schema-valid request rejected"
keeps its meaning for everything else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import schemathesis


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _breaks_filter_rules(filters: Any) -> bool:
    if not isinstance(filters, dict):
        return False
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    return bool(start and end and start > end)


def _breaks_conversation_rule(messages: Any) -> bool:
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    last = messages[-1]
    content = last.get("content")
    text = content if isinstance(content, str) else ""
    if isinstance(content, list):
        text = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    printable = "".join(c for c in text if c.isprintable() and not c.isspace())
    return last.get("role") != "user" or not printable


@schemathesis.hook
def filter_body(ctx: Any, body: Any) -> bool:
    if not isinstance(body, dict):
        return True
    if _breaks_filter_rules(body.get("filters")):
        return False
    return not ("messages" in body and _breaks_conversation_rule(body["messages"]))
