"""news-assistant: question answering over news articles, every claim cited to its passage."""

from assistant.assistant import Assistant, StreamEvent
from assistant.config import Settings
from assistant.types import Answer, Citation, Filters, Turn

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Settings", "StreamEvent", "Turn"]
__version__ = "0.1.0"
