"""Our own small types. Library objects (llama-index nodes, Chroma collections) never leave their module.

`Answer` (with `Citation`) is the stable JSON schema of `ask --json`, `POST /api/ask` and the Python API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator


@dataclass(frozen=True)
class Article:
    """One article as read from a file, cleaned, before chunking."""

    id: str  # content hash of the normalised text: identical articles share an id
    text: str
    title: str
    path: str  # relative to the parent of the ingested root, e.g. "bbc/business/001.txt"
    source: str | None = None
    category: str | None = None
    date: str | None = None  # ISO 8601 date, YYYY-MM-DD
    url: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: what gets embedded, indexed and cited."""

    id: str
    article_id: str
    position: int
    start: int  # character offsets of `text` in the article text
    end: int
    text: str
    embed_text: str  # what the embedding model reads (title + text)


@dataclass
class Passage:
    """A retrieved chunk with its article metadata and scores."""

    chunk_id: str
    article_id: str
    text: str
    title: str
    path: str
    start: int
    end: int
    position: int
    source: str | None = None
    category: str | None = None
    date: str | None = None
    url: str | None = None
    also_in: list[str] = field(default_factory=list)  # other paths holding the identical article
    score: float = 0.0  # fused
    bm25: float = 0.0
    cosine: float | None = None
    sentence_vectors: Any = None  # np.ndarray (sentences x 384) aligned with sentence_spans(text), if embedded


class Filters(BaseModel):
    """Optional restrictions on what is retrieved."""

    model_config = {"extra": "forbid"}

    source: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(default=None, max_length=100)
    category: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(default=None, max_length=100)
    # "format: date" tells schema readers (and API fuzzers) that 2005-02-30 is no date, as the validator does
    date_from: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="YYYY-MM-DD, inclusive",
        json_schema_extra={"format": "date"},
    )
    date_to: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="YYYY-MM-DD, inclusive",
        json_schema_extra={"format": "date"},
    )

    @field_validator("date_from", "date_to")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a calendar date") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def is_empty(self) -> bool:
        return not (self.source or self.category or self.date_from or self.date_to)

    def describe(self) -> str:
        """The filters in words: 'category: sport; from 2005-01-01'."""
        parts = []
        if self.source:
            parts.append("source: " + ", ".join(self.source))
        if self.category:
            parts.append("category: " + ", ".join(self.category))
        if self.date_from:
            parts.append(f"from {self.date_from}")
        if self.date_to:
            parts.append(f"to {self.date_to}")
        return "; ".join(parts)


class Citation(BaseModel):
    """A numbered reference from the answer text ("[n]") to the exact passage supporting it."""

    n: int
    article_id: str
    title: str
    path: str
    source: str | None = None
    category: str | None = None
    date: str | None = None
    url: str | None = None
    passage: str = Field(description="The whole retrieved passage (chunk) the answer cites.")
    quote: str = Field(description="The exact span of `passage` that supports the answer.")
    quote_start: int = Field(description="Character offset of `quote` in `passage`.")
    key: str | None = Field(
        default=None,
        description="The asked detail (a name, number, date...) inside `quote`, when the answerer marked one.",
    )
    key_start: int | None = Field(default=None, description="Character offset of `key` in `passage`.")
    chunk_id: str
    also_in: list[str] = Field(default_factory=list, description="Other paths of the identical article.")
    score: float


class Answer(BaseModel):
    """What `ask` returns. Every [n] in `text` refers to `citations[n-1]` (n == citations[i].n)."""

    question: str
    text: str
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    closest: list[Citation] = Field(
        default_factory=list, description="When abstaining: the closest passages, for the reader to judge."
    )
    backend: str = Field(
        description="Who answered: extractive, openai (a language model wrote it) or reader (a language model's "
        "reading agreed with the extractive checks)."
    )
    model: str | None = Field(
        default=None,
        description="The language model that wrote the answer (openai) or read this question's sentences (reader).",
    )
    rewritten_question: str | None = Field(
        default=None, description="The question as retrieved after resolving the conversation history."
    )
    notes: list[str] = Field(default_factory=list, description="E.g. a fallback from the LLM backend.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")


class ArticleMeta(BaseModel):
    """What identifies and describes a stored article."""

    id: str
    title: str
    path: str
    source: str | None = None
    category: str | None = None
    date: str | None = None


class ArticleText(ArticleMeta):
    """A whole stored article, as the chat's article viewer shows it."""

    url: str | None = None
    text: str = Field(description="The article text, rebuilt from its chunks (their offsets into the article).")
    also_in: list[str] = Field(default_factory=list, description="Other paths of the identical article.")


class ArticleSummary(ArticleMeta):
    """One article of the collection, as the article list shows it."""

    chunks: int


class ArticleList(BaseModel):
    """Articles matching a search: how many match, and the first ones (newest first)."""

    total: int
    articles: list[ArticleSummary]


class Turn(BaseModel):
    """One message of the conversation so far."""

    role: str = Field(pattern=r"^(user|assistant)$")
    content: str
