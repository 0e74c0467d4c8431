"""Structured logs on stderr: one `key=value` line per event. Secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(r"(sk-[A-Za-z0-9_-]{8,}|(?i:bearer)\s+[A-Za-z0-9._-]{8,}|(?i:api[_-]?key)=\S+)")


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = _SECRET.sub("[redacted]", record.getMessage())
        return f"level={record.levelname.lower()} logger={record.name} msg={message!r}"


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("httpx", "chromadb", "urllib3", "bm25s", "gradio", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
