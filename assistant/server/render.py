"""Answers as HTML for the browser chat. Pure functions: no Gradio, no I/O.

Article text is untrusted. Every piece of it is escaped here, before it reaches a Markdown/HTML component:
HTML-significant characters become entities, and so do the characters Markdown gives meaning to (links,
images, emphasis, LaTeX), so an article can neither run script nor inject a link or an image.

The Gradio Chatbot renders its messages as Markdown. A message that starts with a block-level tag and contains
no blank line is an HTML block, which Markdown passes through without interpreting, so every fragment built
here is one line: newlines inside text become ``<br>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from assistant.ingest.pipeline import IngestSummary
from assistant.store import StoreStats
from assistant.types import Answer, ArticleList, ArticleText, Citation

# One pass of str.translate, so nothing is escaped twice. The Markdown set covers links and images ([]()!),
# emphasis and code (*_`~), headings and tables (#|), LaTeX ($), escapes (\), braces ({}) and the ":" of
# autolinks.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    **{char: f"&#{ord(char)};" for char in "[]()!*_`~#|$\\{}:"},
}
_ESCAPE_TABLE = str.maketrans(_ENTITIES)
_MARKER = re.compile(r"\[(\d+)\]")
_NEWLINES = re.compile(r"\r\n|\r|\n")

ARTICLE_LINK_PREFIX = "na-article-"  # a source title links to "#na-article-<id>"; the page script opens the viewer
ABSTAIN_HEADING = "Closest passages — they do not answer the question; judge for yourself"
SOURCES_HEADING = "Sources"


def escape_text(text: str) -> str:
    """Escape untrusted text for HTML and Markdown. Newlines are kept (use `escape_block` in rendered HTML)."""
    return text.translate(_ESCAPE_TABLE)


def escape_block(text: str) -> str:
    """Escape untrusted text and turn its line breaks into <br>, so the fragment stays one line."""
    return "<br>".join(escape_text(line) for line in _NEWLINES.split(text))


def anchor_id(turn: int, n: int) -> str:
    """The element id of source [n] of the answer given in `turn` (unique on the page)."""
    return f"na-src-{turn}-{n}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (no javascript:, data: or relative URLs)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url.strip()


CITATION_COLOURS = 4  # [1] and its quote share one colour, [2] and its quote another (cycling)


def colour(n: int) -> str:
    """The colour class of citation [n]: its marker, its label and its highlighted quote wear it."""
    return f"na-c{(n - 1) % CITATION_COLOURS}"


def _marker_link(n: int, turn: int) -> str:
    return f'<a class="na-ref {colour(n)}" href="#{anchor_id(turn, n)}" title="Go to source {n}">&#91;{n}&#93;</a>'


def answer_text_html(text: str, turn: int, cited: Sequence[int]) -> str:
    """The answer text, escaped, with each [n] that refers to a citation turned into a link to its source."""
    known = set(cited)
    parts: list[str] = []
    position = 0
    for match in _MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:  # e.g. a bracketed number quoted from an article: plain text
            continue
        parts.append(escape_block(text[position : match.start()]))
        parts.append(_marker_link(n, turn))
        position = match.end()
    parts.append(escape_block(text[position:]))
    return "".join(parts)


def _quote_span(citation: Citation) -> tuple[int, int] | None:
    """Where the quote lies in the passage: at quote_start if it matches there, else its first occurrence."""
    passage, quote = citation.passage, citation.quote
    if not quote:
        return None
    start = citation.quote_start
    if passage[start : start + len(quote)] != quote:
        start = passage.find(quote)
    return (start, start + len(quote)) if start >= 0 else None


def _mark(text: str, numbers: Sequence[int], keys: Sequence[tuple[int, int]] = ()) -> str:
    """A highlighted quote in the colour of the (first) citation it backs, with a class na-q<n> for every [n] it
    backs (classes, not data- attributes: the chat's Markdown sanitiser keeps only the former). `keys` (offsets
    in `text`) are the asked details inside it, drawn bold."""
    tags = " ".join(f"na-q{n}" for n in numbers)
    return f'<mark class="{colour(numbers[0])} {tags}">{_with_keys(text, keys)}</mark>'


def _with_keys(text: str, keys: Sequence[tuple[int, int]]) -> str:
    parts: list[str] = []
    position = 0
    for start, end in sorted(keys):
        if start < position:
            continue  # two citations marking overlapping details: the first one drawn
        parts += [
            escape_block(text[position:start]),
            f'<strong class="na-key">{escape_block(text[start:end])}</strong>',
        ]
        position = end
    parts.append(escape_block(text[position:]))
    return "".join(parts)


def _key_span(citation: Citation) -> tuple[int, int] | None:
    """Where the asked detail lies in the passage, if the citation has one and it is really there."""
    if citation.key is None or citation.key_start is None:
        return None
    start, end = citation.key_start, citation.key_start + len(citation.key)
    return (start, end) if citation.passage[start:end] == citation.key else None


def highlighted_passage(citations: Sequence[Citation]) -> str:
    """The passage the citations share, escaped, with each supporting quote in a <mark> of its citation's colour.

    Overlapping quotes are highlighted as one (tagged with both numbers); a quote that is not a span of the
    passage is shown beside it rather than guessed at.
    """
    passage = citations[0].passage
    spans: list[tuple[int, int, int]] = []
    unplaced: list[Citation] = []
    for citation in citations:
        span = _quote_span(citation)
        if span is None:
            if citation.quote:
                unplaced.append(citation)
        else:
            spans.append((*span, citation.n))
    keys = [span for span in map(_key_span, citations) if span]

    def mark(start: int, end: int, numbers: list[int]) -> str:
        inside = [(s - start, e - start) for s, e in keys if start <= s and e <= end]
        return _mark(passage[start:end], numbers, inside)

    beside = "".join(f'<div class="na-quote">{_mark(c.quote, [c.n])}</div>' for c in unplaced)
    return _with_marks(passage, spans, mark) + beside


def _with_marks(text: str, spans: Sequence[tuple[int, int, int]], mark: Callable[[int, int, list[int]], str]) -> str:
    """`text` escaped, each span (start, end, n) drawn by `mark(start, end, numbers)`; overlapping spans become
    one mark for all their numbers."""
    merged: list[tuple[int, int, list[int]]] = []
    for start, end, n in sorted(spans):
        if merged and start <= merged[-1][1]:
            last_start, last_end, numbers = merged[-1]
            merged[-1] = (last_start, max(last_end, end), [*numbers, n])
        else:
            merged.append((start, end, [n]))
    parts: list[str] = []
    position = 0
    for start, end, numbers in merged:
        parts.append(escape_block(text[position:start]))
        parts.append(mark(start, end, numbers))
        position = end
    parts.append(escape_block(text[position:]))
    return "".join(parts)


def source_meta(citation: Citation) -> str:
    """Date · source · category · path, escaped."""
    fields = [citation.date, citation.source, citation.category, citation.path]
    meta = " · ".join(escape_text(value) for value in fields if value)
    if citation.also_in:
        meta += f" · also in {len(citation.also_in)} other file{'s' if len(citation.also_in) > 1 else ''}"
    return meta


def source_entry(citations: Sequence[Citation], turn: int) -> str:
    """One entry of a sources panel: the [n]s citing one passage, title, meta line and the passage with its
    highlighted quotes. The entry carries the anchor of its first [n]; further [n]s anchor on their labels."""
    first = citations[0]
    url = safe_url(first.url)
    link = (
        f' <a class="na-article-link" href="{escape_text(url)}" target="_blank" rel="noopener noreferrer nofollow">'
        "open article</a>"
        if url
        else ""
    )
    labels = "".join(
        f'<span class="na-n {colour(citation.n)}">&#91;{citation.n}&#93;</span>'
        if citation is first
        else f'<span class="na-n {colour(citation.n)}" id="{anchor_id(turn, citation.n)}">&#91;{citation.n}&#93;</span>'
        for citation in citations
    )
    title = (
        f'<a class="na-open" href="#{ARTICLE_LINK_PREFIX}{escape_text(first.article_id)}" '
        f'title="Read the whole article">{escape_text(first.title)}</a>'
    )
    return (
        f'<li class="na-source" id="{anchor_id(turn, first.n)}">'
        f'<div class="na-source-head">{labels} '
        f'<span class="na-source-title">{title}</span></div>'
        f'<div class="na-meta">{source_meta(first)}{link}</div>'
        f'<blockquote class="na-passage">{highlighted_passage(citations)}</blockquote>'
        "</li>"
    )


def by_passage(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by the passage (chunk) they cite, in order of first citation: one entry each."""
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.chunk_id, []).append(citation)
    return list(groups.values())


def sources_panel(
    citations: Sequence[Citation], turn: int, heading: str = SOURCES_HEADING, *, evidence: bool = True
) -> str:
    """The sources panel of one answer (empty string when there is nothing to show). `evidence=False` for an
    abstention's closest passages: drawn grey and dashed, so they never look like support."""
    if not citations:
        return ""
    groups = by_passage(citations)
    entries = "".join(source_entry(group, turn) for group in groups)
    kind = "na-sources" if evidence else "na-sources na-closest"
    return (
        f'<details class="{kind}" open><summary>{escape_text(heading)} ({len(groups)})</summary>'
        f"<ol>{entries}</ol></details>"
    )


COPY_TITLE = "Copy the answer and its sources as text"


def answer_html(answer: Answer, turn: int) -> str:
    """A whole assistant message: the answer (or the abstention), notes, and its sources panel."""
    if answer.abstained:
        body = f'<p class="na-answer-text na-abstention">{escape_block(answer.text)}</p>'
        panel = sources_panel(answer.closest, turn, ABSTAIN_HEADING, evidence=False)
        kind = "na-abstained"
    else:
        cited = [citation.n for citation in answer.citations]
        body = f'<p class="na-answer-text">{answer_text_html(answer.text, turn, cited)}</p>'
        panel = sources_panel(answer.citations, turn)
        kind = "na-answered"
    understood = (
        f'<p class="na-note">Understood as: {escape_text(answer.rewritten_question)}</p>'
        if answer.rewritten_question
        else ""
    )
    notes = "".join(f'<p class="na-note">Note: {escape_text(note)}</p>' for note in answer.notes)
    if answer.backend == "reader" and answer.model:  # the reader should know a second reading stands behind it
        found = "found no answer that passed the checks" if answer.abstained else "names the same answer"
        notes += (
            f'<p class="na-note">Double-checked: {escape_text(answer.model)} read the best sentences and {found}.</p>'
        )
    elif answer.backend == "reader":  # and when none does, not claim one
        notes += (
            '<p class="na-note">Not double-checked: quotations, and questions no sentence answers, are decided by '
            "the checks alone.</p>"
        )

    # The page script copies the answer and its sources as plain text (Gradio's own copy button would copy
    # this message's HTML).
    copy = f'<p class="na-tools"><a class="na-copy" href="#na-copy-{turn}" title="{COPY_TITLE}">Copy</a></p>'
    return f'<div class="na-answer {kind}">{body}{understood}{notes}{panel}{copy}</div>'


def article_html(article: ArticleText | None, quotes: Sequence[str]) -> str:
    """The article viewer: the whole article, escaped, with the cited quotes marked (the first one is where the
    viewer scrolls to), its metadata and the other paths holding the same article."""
    if article is None:
        return '<div class="na-viewer-body"><p class="na-note">That article is no longer in the collection.</p></div>'
    found = [(article.text.find(quote), quote) for quote in quotes if quote]
    spans = [(at, at + len(quote), n) for n, (at, quote) in enumerate(found, start=1) if at >= 0]
    body = _with_marks(
        article.text, spans, lambda start, end, _: f'<mark class="na-c0">{escape_block(article.text[start:end])}</mark>'
    )
    fields = [article.date, article.source, article.category, article.path]
    meta = " · ".join(escape_text(value) for value in fields if value)
    url = safe_url(article.url)
    if url:
        meta += f' · <a href="{escape_text(url)}" target="_blank" rel="noopener noreferrer nofollow">original page</a>'
    copies = (
        '<p class="na-meta">Also in: ' + ", ".join(escape_text(path) for path in article.also_in) + "</p>"
        if article.also_in
        else ""
    )
    return (
        # focusable: a scrolling region must be reachable by keyboard (WCAG 2.1.1)
        f'<div class="na-viewer-body" tabindex="0" role="region" aria-label="Article: {escape_text(article.title)}">'
        f'<h2 class="na-viewer-title">{escape_text(article.title)}</h2>'
        f'<p class="na-meta">{meta}</p>{copies}<div class="na-article-text">{body}</div></div>'
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~$])")


def escape_markdown(text: str) -> str:
    """Untrusted text for a Markdown file: every character Markdown or HTML gives meaning to is backslashed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def conversation_markdown(answers: Sequence[Answer], exported: str) -> str:
    """A conversation as a Markdown document: each question, its answer and its numbered sources with quotes."""
    lines = ["# News assistant conversation", "", f"Exported {escape_markdown(exported)}.", ""]
    for number, answer in enumerate(answers, start=1):
        lines += [f"## {number}. {escape_markdown(answer.question)}", "", escape_markdown(answer.text), ""]
        cited = answer.citations or answer.closest
        if cited:
            lines += ["Sources:" if answer.citations else "Closest passages (they do not answer it):", ""]
            for citation in cited:
                meta = " · ".join(v for v in (citation.date, citation.source, citation.path) if v)
                lines += [
                    f"{citation.n}. {escape_markdown(citation.title)} ({escape_markdown(meta)})",
                    f"   > {escape_markdown(citation.quote)}",
                ]
            lines.append("")
    return "\n".join(lines)


def streaming_html(partial_text: str) -> str:
    """An answer while it is being generated (not yet citation-checked); before any text, a searching note."""
    note = "Citations are checked when the answer is complete…" if partial_text else "Searching the articles…"
    return (
        f'<div class="na-answer na-streaming"><p class="na-answer-text">{escape_block(partial_text)}'
        f'<span class="na-cursor">▍</span></p><p class="na-note">{note}</p></div>'
    )


def question_html(question: str) -> str:
    """The reader's question, shown as typed (escaped too: it is echoed into the page)."""
    return f'<div class="na-question">{escape_block(question)}</div>'


def feedback_note_html(rating: str | None, question: str, message: str = "") -> str:
    """The line confirming a 👍/👎 (or a comment): polite to screen readers, the question escaped."""
    if rating is not None:
        verdict = "helpful" if rating == "up" else "wrong or unhelpful"
        short = question if len(question) <= 80 else question[:80] + "…"
        message = f"Recorded: the answer to “{short}” was {verdict}. Add a comment below if you like."
    return f'<div class="na-feedback-note" role="status" aria-live="polite">{escape_text(message)}</div>'


def upload_html(
    summary: IngestSummary | None, refused: dict[str, str], failures: Sequence[tuple[str, str]], source: str = ""
) -> str:
    """What an upload did: the ingest summary, and every file refused before or failing during ingest."""
    if summary is None and not refused:
        return '<div class="na-upload-result" role="status"><p class="na-note">Choose files first.</p></div>'
    lines = []
    if summary is not None:
        lines.append(
            f"<p>Added to source “{escape_text(source)}”: {summary.new} new, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {summary.duplicate} duplicate; {summary.chunks_added:,} passages "
            f"added, {summary.chunks_embedded:,} embedded in {summary.seconds:.1f} s.</p>"
        )
    problems = [*refused.items(), *failures]
    if problems:
        items = "".join(f"<li>{escape_text(name)}: {escape_text(reason)}</li>" for name, reason in problems)
        lines.append(f'<p class="na-error-text">Not added ({len(problems)}):</p><ul>{items}</ul>')
    return f'<div class="na-upload-result" role="status">{"".join(lines)}</div>'


def counter_html(length: int, limit: int) -> str:
    """The question's length against the limit (the page script updates it as the reader types)."""
    over = length > limit
    text = f"{length:,} / {limit:,} characters" + (
        f": too long by {length - limit:,}, shorten the question" if over else ""
    )
    return f'<div class="na-count{" na-over" if over else ""}" role="status" aria-live="polite">{text}</div>'


def error_html(message: str) -> str:
    """A failure to answer (not an abstention): e.g. the store is unavailable."""
    text = f"Could not answer: {escape_text(message)}"
    return f'<div class="na-answer na-error"><p class="na-answer-text">{text}</p></div>'


def _readable_time(iso: str) -> str:
    """ "2026-11-26T09:36:50+0000" -> "2026-11-26 09:36 UTC" (other offsets are kept as given)."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", iso)
    if not match:
        return iso
    date, time, offset = match.groups()
    zone = "UTC" if offset in {None, "Z", "+0000", "+00:00"} else offset
    return f"{date} {time} {zone}"


def _named(values: Sequence[str], one: str, many: str, shown: int = 4) -> str:
    """ "2 sources (bbc, seeds)", "9 categories (business, entertainment, ... 5 more)"."""
    names = ", ".join(escape_text(v) for v in values[:shown]) + (
        f", … {len(values) - shown} more" if len(values) > shown else ""
    )
    return f"{len(values)} {one if len(values) == 1 else many} ({names})"


def status_html(stats: StoreStats) -> str:
    """The corpus in one line: articles from which sources and categories, their date range and how many have
    no date, chunks, last ingest (and embedding progress when incomplete)."""
    last = _readable_time(stats.last_ingest) if stats.last_ingest else "never"
    what = f"<b>{stats.articles:,}</b> article{'s' if stats.articles != 1 else ''}"
    if stats.sources:
        what += f" from {_named(stats.sources, 'source', 'sources')}"
    parts = [what]
    if stats.categories:
        parts.append(_named(stats.categories, "category", "categories"))
    if stats.date_min and stats.date_max:
        dated = f"dated {escape_text(stats.date_min)} – {escape_text(stats.date_max)}"
        parts.append(dated + (f" ({stats.undated:,} undated)" if stats.undated else ""))
    elif stats.articles:
        parts.append("no dates")
    parts += [
        f"<b>{stats.chunks:,}</b> chunks",
        f"last ingest {escape_text(last)}",
        f"collection “{escape_text(stats.collection)}”",
    ]
    if not stats.fully_embedded:
        parts.append(f"embedding {stats.embedded_chunks:,}/{stats.chunks:,} (keyword search meanwhile)")
    return f'<div class="na-status">{" · ".join(parts)}</div>'


ARTICLE_REMOVE_PREFIX = "na-remove-"


def article_list_html(found: ArticleList, query: str, note: str = "") -> str:
    """The searchable article list: each title opens the article viewer, each "Remove" asks before taking the
    article out of the collection. Every value is escaped (titles and paths come from the articles)."""
    rows = "".join(
        "<li>"
        f'<a class="na-open" href="#{ARTICLE_LINK_PREFIX}{escape_text(a.id)}" title="Read the whole article">'
        f"{escape_text(a.title)}</a>"
        f'<div class="na-meta">{" · ".join(escape_text(v) for v in (a.date or "undated", a.source, a.path) if v)}'
        f' · <a class="na-remove" href="#{ARTICLE_REMOVE_PREFIX}{escape_text(a.id)}">Remove</a></div>'
        "</li>"
        for a in found.articles
    )
    shown = len(found.articles)
    matching = f" matching “{escape_text(query)}”" if query.strip() else ""
    count = f"{found.total:,} article{'s' if found.total != 1 else ''}{matching}"
    if shown < found.total:
        count += f", newest {shown:,} shown"
    status = f'<p class="na-note" role="status">{escape_text(note)}</p>' if note else ""
    return f'<div class="na-article-list">{status}<p class="na-note">{count}</p><ul>{rows}</ul></div>'
