"""The OpenAI chat-completions dialect: request models and response/chunk builders for `/v1`.

Only what the official `openai` client needs to query the articles: the last user message is the question,
earlier user/assistant messages are the conversation history, and the answer's citations come back both in
the message text (a "Sources:" list) and as a structured extra field `citations`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from pydantic import BaseModel, ConfigDict, Field

from assistant.server.render import safe_url
from assistant.types import Answer, Citation, Filters, Turn

MODEL_NAME = "news-assistant"
SOURCES_SEPARATOR = "\n\nSources:\n"
CREATED_AT = int(time.time())  # the /v1/models "created" timestamp: when this process started


class ChatMessage(BaseModel):
    # Clients send extra keys (name, tool_calls, ...) that do not matter for answering.
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message text; list content keeps only its text parts."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")


class ChatCompletionRequest(BaseModel):
    # The openai client sends sampling parameters (temperature, top_p, ...) that an extractive or
    # citation-checked answer does not use; they are accepted and ignored rather than rejected.
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    filters: Filters | None = Field(default=None, description="news-assistant extension (send via extra_body).")


class ConversationError(ValueError):
    """The messages do not end with a user question."""


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """Split the messages into the question (the last, a user message) and the history before it.

    System and tool messages are dropped: the assistant's own prompt decides how to answer. The "Sources:"
    list this endpoint appended to earlier answers is removed so the history holds only answer text.
    """
    last = messages[-1]
    if last.role != "user":
        raise ConversationError(f"the last message must have role 'user', not {last.role!r}")
    history: list[Turn] = []
    for message in messages[:-1]:
        if message.role not in {"user", "assistant"}:
            continue
        content = message.text()
        if message.role == "assistant":
            content = content.split(SOURCES_SEPARATOR, 1)[0]
        history.append(Turn(role=message.role, content=content))
    return last.text(), history


# OpenAI-compatible clients render message text as Markdown: article text must not become links, images or HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>!])")  # "_" inside words never emphasises: paths stay readable
_OUR_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")


def inert(text: str) -> str:
    """Article-derived text with Markdown's link, image, HTML and emphasis syntax escaped (shown, not rendered)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _answer_markdown(text: str) -> str:
    """The answer with its article sentences made inert and its own [n] markers left as they are."""
    return _OUR_MARKER.sub(r"[\1]", inert(text))


def sources_text(citations: list[Citation]) -> str:
    """A plain-text list of the citations, one entry per [n], for clients that only show message text."""
    lines: list[str] = []
    for citation in citations:
        meta = ", ".join(value for value in (citation.date, citation.source, citation.category) if value)
        head = f"[{citation.n}] {inert(citation.title)}" + (f" ({inert(meta)})" if meta else "")
        head += f" — {inert(citation.path)}"
        url = safe_url(citation.url)
        if url:
            head += f" <{url}>"
        lines.append(f"{head}\n    “{inert(citation.quote)}”")
    return "\n".join(lines)


def message_text(answer: Answer) -> str:
    """The assistant message: the answer, then its sources (or, when abstaining, the closest passages)."""
    text = _answer_markdown(answer.text)
    if answer.citations:
        return text + SOURCES_SEPARATOR + sources_text(answer.citations)
    if answer.closest:
        return text + "\n\nClosest passages (they do not answer the question):\n" + sources_text(answer.closest)
    return text


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [citation.model_dump() for citation in answer.citations],
        "abstained": answer.abstained,
        "closest": [citation.model_dump() for citation in answer.closest],
        "rewritten_question": answer.rewritten_question,
        "notes": answer.notes,
        "backend": answer.backend,
    }


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def chat_completion(answer: Answer) -> dict[str, Any]:
    """A non-streaming `chat.completion` response, built as the `openai` SDK's own type so it cannot drift from
    the protocol; the news-assistant extras (citations, ...) ride along as extra fields, as OpenAI's do."""
    completion = ChatCompletion(
        id=completion_id(),
        object="chat.completion",
        created=int(time.time()),
        model=MODEL_NAME,
        choices=[
            Choice(
                index=0,
                message=ChatCompletionMessage(role="assistant", content=message_text(answer)),
                finish_reason="stop",
            )
        ],
    )
    return {**completion.model_dump(mode="json", exclude_none=True), **_extras(answer)}


def _chunk(
    chunk_id: str, created: int, delta: ChoiceDelta, finish_reason: Literal["stop"] | None = None
) -> dict[str, Any]:
    chunk = ChatCompletionChunk(
        id=chunk_id,
        object="chat.completion.chunk",
        created=created,
        model=MODEL_NAME,
        choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)],
    )
    body = chunk.model_dump(mode="json", exclude_none=True)
    body["choices"][0]["finish_reason"] = finish_reason  # null until the last chunk, as OpenAI sends it
    return body


def completion_chunks(answer: Answer) -> Iterator[dict[str, Any]]:
    """The `chat.completion.chunk`s of a streamed answer: role, answer text, sources, then the final chunk
    (finish_reason "stop") carrying the structured citations.

    The streamed text is the citation-checked answer: a language model's raw tokens are not forwarded,
    because the check may still drop unsupported sentences and streamed text cannot be taken back.
    """
    chunk_id, created = completion_id(), int(time.time())
    yield _chunk(chunk_id, created, ChoiceDelta(role="assistant", content=""))
    text = _answer_markdown(answer.text)
    yield _chunk(chunk_id, created, ChoiceDelta(content=text))
    sources_part = message_text(answer)[len(text) :]
    if sources_part:
        yield _chunk(chunk_id, created, ChoiceDelta(content=sources_part))
    yield {**_chunk(chunk_id, created, ChoiceDelta(), "stop"), **_extras(answer)}


def models_list() -> dict[str, Any]:
    model = Model(id=MODEL_NAME, object="model", created=CREATED_AT, owned_by="news-assistant")
    return {"object": "list", "data": [model.model_dump(mode="json")]}
