"""news-assistant: question answering over news articles, every claim cited to its passage."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.assistant import Assistant, StreamEvent
    from assistant.config import Settings
    from assistant.types import Answer, Citation, Filters, Turn

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Settings", "StreamEvent", "Turn"]
__version__ = "0.1.0"

# Loaded on first use: `from assistant import Assistant` is unchanged, but `news-assistant --help` and any
# `import assistant.<module>` no longer pay for Chroma, onnxruntime, llama-index and spaCy up front (2+ s).
_WHERE = {
    "Assistant": "assistant.assistant",
    "StreamEvent": "assistant.assistant",
    "Settings": "assistant.config",
    "Answer": "assistant.types",
    "Citation": "assistant.types",
    "Filters": "assistant.types",
    "Turn": "assistant.types",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
