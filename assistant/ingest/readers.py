"""File -> Article(s): formats, encodings, cleaning and metadata.

Every problem with one file becomes a `ReadError` with a reason a person can act on; the pipeline reports it
and goes on with the next file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from charset_normalizer import from_bytes
from dateutil import parser as date_parser

from assistant.text import clean
from assistant.types import Article

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
MAX_FILE_BYTES = 50 * 1024 * 1024
TEXT_KEYS = ("text", "body", "content", "article", "story")
DATE_KEYS = ("date", "published", "published_at", "publishedAt", "pub_date", "datetime")
WESTERN_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"))


class ReadError(Exception):
    """A file that cannot be turned into articles; the message says why."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    fallback: bool  # True when the bytes were not valid UTF-8


def decode(data: bytes) -> DecodedText:
    """UTF-8 when valid, else the encoding charset-normalizer finds most likely, else cp1252."""
    if b"\x00" in data[:8192]:
        raise ReadError("binary file (NUL bytes), not text")
    try:
        return DecodedText(data.decode("utf-8-sig"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    results = from_bytes(data)
    best = results.best()
    if best is None:
        return DecodedText(data.decode("cp1252", errors="replace"), "cp1252", True)
    # A handful of non-ASCII bytes (a "£" here and there) cannot tell code pages apart: charset-normalizer then
    # picks e.g. cp932 for the BBC's Latin-1 file. News in Latin script is far more often Windows-1252 / Latin-1,
    # so prefer those whenever they decode the bytes about as cleanly as the best guess.
    for match in results:
        if match.encoding in WESTERN_ENCODINGS and match.chaos <= best.chaos + 0.1:
            return DecodedText(str(match), match.encoding, True)
    return DecodedText(str(best), best.encoding, True)


def clean_text(text: str) -> str:
    """Normalise unicode and whitespace; keep paragraph breaks (sentence splitting and citations use them).

    Control characters and terminal escapes go first: article text is printed to terminals and shown in browsers.
    """
    text = unicodedata.normalize("NFC", clean(text)).translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def content_hash(text: str) -> str:
    """Identity of an article: its text with whitespace and case folded, so re-saved copies match."""
    normalised = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:24]


def parse_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date_parser.parse(str(value), fuzzy=False).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return None


def _looks_like_headline(line: str) -> bool:
    # BBC-style files start with a short headline with no final full stop; others start with the story.
    return len(line.split()) <= 20 and not line.rstrip().endswith((".", "?", "!", ":", ";", ",", '"'))


def _title_from_text(text: str, max_words: int = 14) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


@dataclass(frozen=True)
class RawArticle:
    """What a format parser yields before ids and location are attached."""

    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    locator: str = ""  # "" for one-article files, "#3" for the fourth record of a .jsonl


def parse_txt(text: str) -> Iterator[RawArticle]:
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines else ""
    if first and len(lines) > 1 and _looks_like_headline(first):
        yield RawArticle(text="\n".join(lines[1:]), title=first)
    else:
        yield RawArticle(text=text)


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _front_matter(block: str) -> dict[str, str]:
    """YAML front matter as lower-case keys and text values (YAML reads `date: 2005-03-16` as a date, quoted
    or multi-line values as they are meant). Front matter that is not valid YAML is ignored with a warning:
    the article itself is kept."""
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        log.warning("front matter is not valid YAML, ignored: %s", str(exc).splitlines()[0])
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k).strip().lower(): str(v).strip()
        for k, v in data.items()
        if v is not None and not isinstance(v, dict | list)
    }


def parse_markdown(text: str) -> Iterator[RawArticle]:
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = _front_matter(match.group(1))
        text = text[match.end() :]
    title = meta.get("title")
    heading = re.search(r"^#\s+(.+)$", text, re.M)
    if heading and not title:
        title = heading.group(1).strip()
    if heading and heading.start() == 0:
        text = text[heading.end() :]
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.M)  # keep sub-heading words, drop the markup
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links -> their text
    text = re.sub(r"(\*\*|__|`)", "", text)
    yield RawArticle(
        text=text,
        title=title,
        date=parse_date(meta.get("date") or meta.get("published")),
        source=meta.get("source"),
        url=meta.get("url"),
    )


class _HTMLArticleParser(HTMLParser):
    _SKIP = frozenset({"script", "style", "nav", "footer", "header", "aside", "noscript", "form", "svg", "template"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "article", "section", "tr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1 = ""
        self._parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False
        self._in_h1 = False
        self.skipped: set[str] = set()  # the text of menus (<nav>) and footers, one string per text node
        self._skip_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop") or "").lower()
            if key and values.get("content"):
                self.meta.setdefault(key, values["content"])
        elif tag == "time" and values.get("datetime"):
            self.meta.setdefault("time", values["datetime"])
        if tag in self._SKIP:
            self._skip_depth += 1
            self._skip_tags.append(tag)
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self._in_h1 = True
        if tag in self._BLOCK:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
            if self._skip_tags:
                self._skip_tags.pop()
        elif tag == "title":
            self._in_title = False
        elif tag == "h1":
            self._in_h1 = False
        if tag in self._BLOCK:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip_depth:
            if data.strip() and self._skip_tags and self._skip_tags[-1] in ("nav", "footer"):
                self.skipped.add(" ".join(data.split()))
            return
        if self._in_h1:
            self.h1 += data
        self._parts.append(data)

    def text(self) -> str:
        joined = "".join(self._parts)
        paragraphs = [re.sub(r"\s+", " ", p).strip() for p in joined.split("\n")]
        return "\n\n".join(p for p in paragraphs if p)


def parse_html(text: str) -> Iterator[RawArticle]:
    """A web page's article: trafilatura's main text and metadata, which drop menus, cookie banners and "related"
    links that a tag-skipping parser keeps (bench/html_extraction.py); the hand-written parser below reads the
    pages trafilatura finds no article in (short fragments, bare <p> lists)."""
    extracted = _trafilatura_article(text)
    if extracted is not None:
        yield extracted
        return
    yield from _parse_html_by_tags(text)


def _trafilatura_article(text: str) -> RawArticle | None:
    import trafilatura  # imported here: it costs ~0.5 s, which `news-assistant --help` should not pay

    document = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, include_tables=True)
    if document is None or isinstance(document, dict) or not (document.text or "").strip():
        return None
    body = document.text or ""
    tags = _HTMLArticleParser()
    tags.feed(text)
    tags.close()
    fallback = next(_raw_from_tags(tags))
    # On short pages trafilatura may keep a menu line or repeat the headline: a line that is exactly the text of
    # a <nav> or <footer>, or the headline itself, is not article text.
    drop = tags.skipped | {" ".join(tags.h1.split())}
    paragraphs = [" ".join(line.split()) for line in body.split("\n")]
    return RawArticle(
        text="\n\n".join(p for p in paragraphs if p and p not in drop),
        title=fallback.title or (document.title or None),
        date=parse_date(document.date) or fallback.date,
        source=fallback.source or (document.sitename or None),
        url=fallback.url or (document.url or None),
    )


def _parse_html_by_tags(text: str) -> Iterator[RawArticle]:
    parser = _HTMLArticleParser()
    parser.feed(text)
    parser.close()
    yield from _raw_from_tags(parser)


def _raw_from_tags(parser: _HTMLArticleParser) -> Iterator[RawArticle]:
    meta = parser.meta
    title = meta.get("og:title") or meta.get("twitter:title") or parser.h1.strip() or parser.title.strip()
    body = parser.text()
    heading = parser.h1.strip()
    if heading and body.startswith(heading):
        body = body[len(heading) :]
    date = None
    for key in ("article:published_time", "datepublished", "date", "pubdate", "dc.date", "time"):
        date = parse_date(meta.get(key))
        if date:
            break
    yield RawArticle(
        text=body,
        title=title or None,
        date=date,
        source=meta.get("og:site_name") or meta.get("author") or None,
        url=meta.get("og:url") or None,
    )


def _record_to_raw(record: Any, locator: str) -> RawArticle:
    if not isinstance(record, dict):
        raise ReadError(f"record {locator or '0'} is a {type(record).__name__}, expected an object")
    body = next((record[k] for k in TEXT_KEYS if isinstance(record.get(k), str) and record[k].strip()), None)
    if body is None:
        raise ReadError(f"record {locator or '0'} has no text field (one of {', '.join(TEXT_KEYS)})")
    date = next((parse_date(record[k]) for k in DATE_KEYS if record.get(k)), None)
    source = record.get("source")
    if isinstance(source, dict):  # e.g. NewsAPI's {"id": ..., "name": ...}
        source = source.get("name")
    return RawArticle(
        text=body,
        title=str(record["title"]) if record.get("title") else None,
        date=date,
        source=str(source) if source else None,
        url=str(record["url"]) if record.get("url") else None,
        locator=locator,
    )


def parse_json(text: str) -> Iterator[RawArticle]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, list):
        for i, record in enumerate(data):
            yield _record_to_raw(record, f"#{i}")
    else:
        yield _record_to_raw(data, "")


def parse_jsonl(text: str) -> Iterator[RawArticle]:
    """One object per line. A bad line is logged and skipped; the good ones are kept."""
    bad = 0
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            yield _record_to_raw(json.loads(line), f"#{i + 1}")
        except (json.JSONDecodeError, ReadError) as exc:
            bad += 1
            log.warning("skipping line %d of a JSONL file: %s", i + 1, exc)
    if bad:
        log.warning("%d malformed JSONL line(s) skipped", bad)


PARSERS = {
    ".txt": parse_txt,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
}


def read_articles(
    data: bytes, path: str, *, category: str | None, source: str | None
) -> tuple[list[Article], str | None]:
    """Parse the bytes of the file at `path` (relative, used in ids and citations) into articles.

    Returns the articles and, when the file was not UTF-8, the encoding it was decoded with.
    Raises ReadError when the file holds no usable article.
    """
    suffix = Path(path).suffix.lower()
    parse = PARSERS.get(suffix)
    if parse is None:
        raise ReadError(f"unsupported file type {suffix or '(none)'}")
    if not data.strip():
        raise ReadError("empty file")
    decoded = decode(data)
    if decoded.fallback:
        log.warning("%s is not valid UTF-8; decoded as %s", path, decoded.encoding)
    articles = []
    for raw in parse(decoded.text):
        text = clean_text(raw.text)
        if len(text) < 20:
            continue
        title = clean_text(raw.title or "") or _title_from_text(text)
        articles.append(
            Article(
                id=content_hash(text),
                text=text,
                title=title,
                path=path + raw.locator,
                source=raw.source or source,
                category=category,
                date=raw.date,
                url=raw.url,
            )
        )
    if not articles:
        raise ReadError("no article text found")
    return articles, decoded.encoding if decoded.fallback else None
