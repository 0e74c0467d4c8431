"""Prompt templates, loaded from the prompts/ folder (plain text files with {named} fields)."""

from __future__ import annotations

import functools
from pathlib import Path


class PromptError(RuntimeError):
    pass


@functools.cache
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt template missing: {path} ({exc.strerror})") from None


class Prompts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def render(self, name: str, **fields: object) -> str:
        template = _read(self.folder / f"{name}.md")
        try:
            return template.format_map({k: str(v) for k, v in fields.items()}).strip()
        except KeyError as exc:
            raise PromptError(f"prompt {name}.md uses a field that is not provided: {exc}") from None
