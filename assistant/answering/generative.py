"""The `openai` backend: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp's server).

The model sees numbered passages and must cite them; what it writes then goes through the citation check
(citations.check_generated). Time-outs and retries are bounded by settings; the caller falls back to the
extractive answer when the server fails or nothing supported survives the check.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from assistant.config import Settings
from assistant.prompts import Prompts
from assistant.types import Passage, Turn

READ_TOKENS = 32  # an answer span and "[n]"; the reader never needs more


class LLMUnavailable(RuntimeError):
    """The language model server could not produce an answer (unreachable, time-out, error status)."""


class OpenAIAnswerer:
    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        if not settings.llm_configured:
            raise LLMUnavailable(
                "the openai backend needs NEWS_ASSISTANT_OPENAI_BASE_URL (a local server) or "
                "NEWS_ASSISTANT_OPENAI_API_KEY"
            )
        self.settings = settings
        self.prompts = prompts
        self.model = settings.openai_model
        self.client = openai.OpenAI(
            base_url=settings.openai_base_url,
            # Local servers ignore the key, but the client insists on one.
            api_key=settings.openai_api_key.get_secret_value() or "not-needed",
            timeout=settings.openai_timeout,
            max_retries=settings.openai_max_retries,
        )

    def messages(self, question: str, passages: list[Passage]) -> list[ChatCompletionMessageParam]:
        blocks = [
            self.prompts.render(
                "passage", n=i, title=p.title, date_suffix=f" ({p.date})" if p.date else "", text=p.text
            )
            for i, p in enumerate(passages, start=1)
        ]
        return [
            {"role": "system", "content": self.prompts.render("answer_system")},
            {
                "role": "user",
                "content": self.prompts.render("answer_user", passages="\n\n".join(blocks), question=question),
            },
        ]

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """Text deltas as the model produces them. Raises LLMUnavailable on any server failure."""
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=self.messages(question, passages),
                max_tokens=self.settings.openai_max_tokens,
                temperature=self.settings.openai_temperature,
                stream=True,
            )
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        # A connection that breaks off mid-stream surfaces as a bare httpx error, not an OpenAIError.
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise LLMUnavailable(_describe(exc, self.settings.openai_base_url)) from None
        except ValueError:  # an event the SDK cannot decode (json.JSONDecodeError): no answer to check, fall back
            where = self.settings.openai_base_url or "the OpenAI API"
            raise LLMUnavailable(f"the language model at {where} sent a malformed event stream") from None

    def complete(self, question: str, passages: list[Passage]) -> str:
        return "".join(self.stream(question, passages))

    def read(self, question: str, sentences: list[str]) -> str:
        """The `reader` backend's call: the answer span and its sentence number, or "not stated" (reader.py).
        A few tokens, not streamed."""
        numbered = "\n".join(f"[{i}] {s}" for i, s in enumerate(sentences, start=1))
        response = self._short(self._turns("reader", sentences=numbered, question=question), max_tokens=READ_TOKENS)
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def confirm(self, question: str, title: str, text: str) -> float:
        """The reader backend's second look: P(yes) that `text` (under headline `title`) answers the question,
        from the first token's top logprobs; a server that sends no logprobs gives its word, 1 or 0."""
        response = self._short(
            self._turns("confirm", title=title, text=text, question=question),
            max_tokens=1,
            logprobs=True,
            top_logprobs=10,
        )
        if not response.choices:
            return 0.0
        choice = response.choices[0]
        first = choice.logprobs.content[0].top_logprobs if choice.logprobs and choice.logprobs.content else []
        return yes_share([(t.token, t.logprob) for t in first], choice.message.content or "")

    def condense(self, question: str, history: list[Turn]) -> str:
        transcript = "\n".join(f"{t.role}: {t.content}" for t in history[-6:])
        prompt = self.prompts.render("condense", history=transcript, question=question)
        response = self._short([{"role": "user", "content": prompt}], max_tokens=80)
        text = (response.choices[0].message.content or "").strip().split("\n")[0].strip()
        return text or question

    def _turns(self, prompt: str, **fields: object) -> list[ChatCompletionMessageParam]:
        """The `<prompt>_system` and `<prompt>_user` templates as a system and a user turn."""
        return [
            {"role": "system", "content": self.prompts.render(f"{prompt}_system")},
            {"role": "user", "content": self.prompts.render(f"{prompt}_user", **fields)},
        ]

    def _short(self, messages: list[ChatCompletionMessageParam], max_tokens: int, **options: Any) -> ChatCompletion:
        """One greedy, unstreamed completion of a few tokens; any server failure is LLMUnavailable."""
        try:
            return self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0, **options
            )
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
            raise LLMUnavailable(_describe(exc, self.settings.openai_base_url)) from None


def _describe(exc: Exception, base_url: str | None) -> str:
    where = base_url or "the OpenAI API"
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return f"the language model at {where} timed out"
    if isinstance(exc, httpx.HTTPError):
        return f"the connection to the language model at {where} broke off: {type(exc).__name__}"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect to the language model at {where}"
    if isinstance(exc, openai.AuthenticationError):
        return f"the language model at {where} rejected the API key"
    if isinstance(exc, openai.APIStatusError):
        return f"the language model at {where} answered HTTP {exc.status_code}"
    return f"the language model at {where} failed: {type(exc).__name__}"


def yes_share(top: list[tuple[str, float]], reply: str) -> float:
    """P(yes) / (P(yes) + P(no)) over the first token's alternatives ("Yes", " yes", "NO"...); the reply's own
    word when the alternatives name neither."""
    yes = sum(math.exp(lp) for token, lp in top if token.strip().lower().startswith("yes"))
    no = sum(math.exp(lp) for token, lp in top if token.strip().lower().startswith("no"))
    if yes + no > 0:
        return yes / (yes + no)
    return 1.0 if reply.strip().lower().startswith("yes") else 0.0
