"""The browser chat: a Gradio Blocks app over the shared `Assistant`.

Conversation state lives only in per-session `gr.State` values (the displayed messages and the turns sent to
the core as history), never in module globals, so concurrent readers never see each other's conversations.
All HTML shown is built by `assistant.server.render`, which escapes the untrusted article text.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Gradio reports usage to its servers unless told not to; nothing here may leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from gradio.components.chatbot import ExampleMessage
from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import Mount

from assistant.assistant import Assistant
from assistant.config import Backend, Settings
from assistant.errors import AssistantError, IngestInProgress, InvalidFilters, InvalidQuestion
from assistant.feedback import MAX_COMMENT_CHARS, Feedback, Rating
from assistant.server import render
from assistant.server.api import configured_token
from assistant.server.uploads import save_upload
from assistant.store import StoreUnavailable
from assistant.types import Answer, Filters

log = logging.getLogger(__name__)

SEED_EXAMPLES = [  # shown while the shipped seed article is in the collection
    "What did Vučić say about Turkish industry?",
    "What did Erdogan say about Turkish drones?",
    "Which countries signed export contracts for Turkish drones?",
]
EXAMPLES_SHOWN = 3
ARTICLE_LIST_LIMIT = 20  # newest matches shown in the article list; the search narrows the rest

PLACEHOLDER = (
    "## Ask the news\n"
    "Answers come only from the ingested articles. Every sentence cites its source: "
    "click a **[n]** to see the passage it comes from. Follow-up questions keep the context."
)

Message = dict[str, str]  # {"role": "user" | "assistant", "content": html}
Turn = dict[str, str]  # {"role": ..., "content": plain text}: the history the core sees

CSS = """
.na-title h1 { margin-bottom: 0; }
.na-filters-title h2 { font-size: 1.1em; margin: 0; }
.na-status, .na-side-note { font-size: .9em; color: var(--body-text-color-subdued); }
.na-answer-text { margin: 0 0 .4em; }
.na-abstention { font-style: italic; font-weight: 600; }
.na-error .na-answer-text { color: var(--error-text-color, #b91c1c); }
.na-ref { color: var(--color-accent) !important; text-decoration: none !important; font-weight: 700;
  font-size: .8em; vertical-align: super; padding: 0 .1em; position: relative; }
/* on touch screens a [n] answers a finger anywhere in a 44 x 44 px box around it, without moving the text */
@media (pointer: coarse) {
  .na-ref::after { content: ""; position: absolute; left: 50%; top: 50%; width: 44px; height: 44px;
    transform: translate(-50%, -50%); }
}
.na-note { font-size: .82em; color: var(--body-text-color-subdued); margin: .2em 0; }
.na-sources { margin-top: .6em; }
.na-sources > summary { font-weight: 600; cursor: pointer; font-size: .9em; }
.na-sources > ol { list-style: none; padding-left: 0 !important; margin: .3em 0 0 !important; }
.na-source { padding: .5em .7em !important; margin: .45em 0 !important; border-radius: 8px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
.na-source.na-active { outline: 2px solid var(--color-accent); }
.na-source-title { font-weight: 600; }
.na-n { font-weight: 700; color: var(--color-accent); }
.na-n + .na-n { margin-left: .15em; }
.na-meta { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .1em; }
.na-passage { margin: .4em 0 0 !important; padding: 0 0 0 .7em !important; border-left: 3px solid
  var(--border-color-accent) !important; font-size: .88em; font-style: normal !important; quotes: none; }
.na-passage mark, .na-quote mark { color: #1f2937; padding: 0 .1em; border-radius: 2px; }
/* one colour per citation: [n], its label and its quote (backgrounds under dark text, AA either way) */
.na-passage mark.na-c0, .na-quote mark.na-c0 { background: #fde68a; }
.na-passage mark.na-c1, .na-quote mark.na-c1 { background: #bae6fd; }
.na-passage mark.na-c2, .na-quote mark.na-c2 { background: #d9f99d; }
.na-passage mark.na-c3, .na-quote mark.na-c3 { background: #fbcfe8; }
.na-passage mark .na-key { font-weight: 700; text-decoration: underline; text-underline-offset: 2px; }
.na-passage mark.na-active { outline: 2px solid #1f2937; outline-offset: 1px; }
.na-closest .na-passage mark { background: transparent; color: inherit; border-bottom: 2px dashed #64748b; }
.na-closest .na-source { border-style: dashed; }
.na-hidden { display: none !important; }
#na-viewer .na-viewer-body { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .9em;
  max-height: 60vh; overflow-y: auto; background: var(--background-fill-secondary); }
.na-viewer-title { font-size: 1.15em; margin: 0 0 .2em; }
.na-article-text mark { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 2px; }
a.na-open { color: inherit; text-decoration: underline; text-underline-offset: 2px; }
.na-cursor { opacity: .6; }
/* WCAG AA (4.5:1) on the chat's own text, light and dark; Gradio draws bot messages at 0.8 opacity, which
   took every colour below AA
   (one selector per dark rule: Gradio's scoping of a ".dark a, .dark b" list mangles the second selector) */
#na-chat .md.chatbot { opacity: 1 !important; }
.na-ref, .na-n { color: #92400e !important; }
.na-ref.na-c1, .na-n.na-c1 { color: #075985 !important; }
.na-ref.na-c2, .na-n.na-c2 { color: #3f6212 !important; }
.na-ref.na-c3, .na-n.na-c3 { color: #9d174d !important; }
.na-status, .na-side-note, .na-note, .na-meta, .na-count { color: #334155; }
.dark .na-ref { color: #fcd34d !important; }
.dark .na-n { color: #fcd34d !important; }
.dark .na-ref.na-c1 { color: #7dd3fc !important; }
.dark .na-n.na-c1 { color: #7dd3fc !important; }
.dark .na-ref.na-c2 { color: #bef264 !important; }
.dark .na-n.na-c2 { color: #bef264 !important; }
.dark .na-ref.na-c3 { color: #f9a8d4 !important; }
.dark .na-n.na-c3 { color: #f9a8d4 !important; }
.dark .na-status { color: #cbd5e1; }
.dark .na-side-note { color: #cbd5e1; }
.dark .na-note { color: #cbd5e1; }
.dark .na-meta { color: #cbd5e1; }
.dark .na-count { color: #cbd5e1; }
.na-count { font-size: .8em; text-align: right; margin-top: -.3em; }
.na-tools { margin: .3em 0 0; font-size: .82em; }
.na-article-list ul { list-style: none; padding-left: 0 !important; margin: .2em 0 0 !important; }
.na-article-list li { margin: 0 0 .5em !important; font-size: .9em; }
a.na-remove { color: inherit; text-decoration: underline; }
/* the date fields' calendar buttons were cut off at the panel edge: the input gives way instead */
#na-side .timebox { display: flex; }
#na-side .timebox input.time { min-width: 0; flex: 1 1 0; width: 100%; }
#na-side .timebox button.calendar { flex: none; }
/* a phone scrolls the page only: the chat grows with the conversation instead of scrolling inside it */
@media (max-width: 720px) {
  #na-chat { height: auto !important; max-height: none !important; }
  #na-chat .bubble-wrap { height: auto !important; max-height: none !important; overflow: visible !important; }
}
a.na-copy { color: inherit; text-decoration: underline; text-underline-offset: 2px; position: relative; }
@media (pointer: coarse) {
  a.na-copy { display: inline-block; min-height: 44px; min-width: 44px; line-height: 44px; }
}
.na-count.na-over { color: var(--error-text-color, #b91c1c); font-weight: 600; }
"""

# [n] links jump to their source entry. Handled in script rather than by the browser's fragment navigation:
# the page has <base href="./">, under which "#id" can resolve to another URL and reload the page.
# A new question is scrolled to the top of the chat (instead of Gradio's scroll-to-bottom), so the reader
# sees the answer from its first line while the sources follow below.
JS = """
() => {
  const scroller = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  };
  const reveal = (element, margin) => {
    const box = scroller(element);
    if (!box) { element.scrollIntoView({ block: "start" }); return; }
    const offset = element.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - margin;
  };
  // Gradio events start only from components: a link's request is written into a hidden box, whose hidden
  // button is then pressed (the article viewer, "Remove").
  const request = (name, value) => {
    const box = document.querySelector(`#na-${name}-request textarea, #na-${name}-request input`);
    if (!box) return false;
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => document.querySelector(`#na-${name}-open`)?.click(), 50);
    return true;
  };
  // A source title opens the whole article in the viewer, scrolled to the cited quote.
  document.addEventListener("click", (event) => {
    const open = event.target.closest ? event.target.closest("a.na-open") : null;
    if (!open) return;
    event.preventDefault();
    const id = (open.getAttribute("href") || "").replace(/^#na-article-/, "");
    const marks = open.closest(".na-source")?.querySelectorAll(".na-passage mark") || [];
    const quotes = [...marks].map((m) => m.textContent);
    if (request("article", [id, ...quotes].join("\u0001"))) window.naViewerPending = true;
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.na-ref") : null;
    if (!link) return;
    const target = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!target) return;
    event.preventDefault();
    const entry = target.closest(".na-source") || target;
    const panel = entry.closest("details");
    if (panel) panel.open = true;
    document.querySelectorAll(".na-active").forEach((el) => el.classList.remove("na-active"));
    entry.classList.add("na-active");
    // outline only the quote that backs this [n], not every quote of the passage
    const n = (link.getAttribute("href") || "").split("-").pop();
    entry.querySelectorAll(`mark.na-q${n}`).forEach((mark) => mark.classList.add("na-active"));
    reveal(entry, 40);
  });
  // "Remove" in the article list: asked first, then sent through the hidden request box.
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.na-remove") : null;
    if (!link) return;
    event.preventDefault();
    const id = (link.getAttribute("href") || "").replace(/^#na-remove-/, "");
    const title = link.closest("li")?.querySelector("a.na-open")?.textContent || "this article";
    const question = `Remove “${title}” from the collection? ` +
      "It will no longer be searched or cited; its file is not touched.";
    if (window.confirm(question)) request("remove", id);
  });
  // "Copy": the answer, then each source with its quotes, as plain text (what a reader pastes into a story).
  const plainAnswer = (answer) => {
    const lines = [(answer.querySelector(".na-answer-text")?.innerText || "").trim()];
    const closest = answer.querySelector(".na-closest");
    const sources = answer.querySelectorAll(".na-sources .na-source");
    if (sources.length) lines.push("", closest ? "Closest passages (not evidence):" : "Sources:");
    sources.forEach((source) => {
      const numbers = [...source.querySelectorAll(".na-n")].map((n) => n.innerText.trim()).join("");
      const title = (source.querySelector(".na-source-title")?.innerText || "").trim();
      const meta = (source.querySelector(".na-meta")?.innerText || "").replace(/\\s*open article$/, "").trim();
      lines.push(`${numbers} ${title} (${meta})`.trim());
      source.querySelectorAll(".na-passage mark").forEach((mark) => lines.push(`    "${mark.innerText.trim()}"`));
    });
    return lines.join("\\n");
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.na-copy") : null;
    if (!link) return;
    event.preventDefault();
    const answer = link.closest(".na-answer");
    if (!answer || !navigator.clipboard) return;
    navigator.clipboard.writeText(plainAnswer(answer)).then(
      () => { link.textContent = "Copied"; setTimeout(() => { link.textContent = "Copy"; }, 2000); },
      () => { link.textContent = "Copy failed"; },
    );
  });
  // Gradio's date pickers have icon-only calendar buttons: give each a name from its field's label.
  const nameCalendarButtons = () => {
    document.querySelectorAll("button.calendar:not([aria-label])").forEach((button) => {
      const label = button.closest(".block")?.querySelector('[data-testid="block-info"]');
      button.setAttribute("aria-label", `Choose the ${label ? label.textContent.trim().toLowerCase() : "date"}`);
    });
  };
  nameCalendarButtons();
  // On a phone the drawer (filters, uploads) starts closed: the chat comes first and stays one scroll area.
  // Gradio's accordion button says nothing of its state to a screen reader: aria-expanded mirrors its class.
  const syncDrawer = () => {
    const toggle = document.querySelector("#na-side > button");
    if (toggle) toggle.setAttribute("aria-expanded", toggle.classList.contains("open") ? "true" : "false");
  };
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#na-side > button")) setTimeout(syncDrawer, 0);
  });
  let drawerSettled = false;
  const settleDrawer = () => {
    const toggle = document.querySelector("#na-side > button");
    if (drawerSettled || !toggle) return;
    drawerSettled = true;
    if (window.matchMedia("(max-width: 720px)").matches && toggle.classList.contains("open")) toggle.click();
    setTimeout(syncDrawer, 0);
  };
  settleDrawer();
  // Gradio gives the chat's example questions a list role with buttons for children (axe: a list holds list
  // items only): a named group says what they are.
  const nameExamples = () => {
    document.querySelectorAll("#na-chat .examples[role]:not([aria-label])").forEach((box) => {
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Example questions");
    });
  };
  nameExamples();
  let questionsSeen = 0;
  new MutationObserver(() => {
    nameCalendarButtons();
    nameExamples();
    settleDrawer();
    const mark = window.naViewerPending && document.querySelector("#na-viewer .na-article-text mark");
    const opened = window.naViewerPending && document.querySelector("#na-viewer .na-viewer-body");
    if (opened) {
      window.naViewerPending = false;
      document.querySelector("#na-viewer").scrollIntoView({ block: "start" });
      if (mark) mark.scrollIntoView({ block: "center" });
    }
    const questions = document.querySelectorAll("#na-chat .na-question");
    if (questions.length > questionsSeen) reveal(questions[questions.length - 1], 12);
    questionsSeen = questions.length;
  }).observe(document.body, { childList: true, subtree: true });
}
"""


# The question's length as the reader types (code points, as the server counts), said politely to screen readers.
COUNTER_JS = """
(q) => {
  const box = document.querySelector("#na-question textarea");  // the typed text as it is now (q can lag)
  const n = [...((box && box.value) || q || "")].length, over = n > LIMIT, fmt = (x) => x.toLocaleString("en");
  const excess = over ? `: too long by ${fmt(n - LIMIT)}, shorten the question` : "";
  const text = `${fmt(n)} / ${fmt(LIMIT)} characters${excess}`;
  return `<div class="na-count${over ? " na-over" : ""}" role="status" aria-live="polite">${text}</div>`;
}
"""


# Deleting a kept conversation asks first: it is gone for good. Throwing cancels the event.
CONFIRM_DELETE_JS = """
(...args) => {
  if (!window.confirm("Delete the chosen conversation? It cannot be brought back.")) {
    throw new Error("delete cancelled");
  }
  return args;
}
"""

# An export is a file the browser downloads at once; older ones are deleted when the next is written (and Gradio's
# copies by its own cache cleaner), so a long-running server does not fill the temp dir.
EXPORTS_DIR = Path(tempfile.gettempdir()) / "news-assistant-exports"
EXPORT_MAX_AGE_S = 3600


def prune_exports(root: Path, max_age_s: float) -> int:
    """Delete the export folders under `root` older than `max_age_s`; how many. Another request may be deleting
    the same folders: what is already gone is skipped."""
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age_s
    removed = 0
    for folder in root.iterdir():
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_mtime >= cutoff:
                continue
            for entry in folder.iterdir():
                entry.unlink()
            folder.rmdir()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not delete the old export %s: %s", folder, exc)
    return removed


class ExampleQuestions:
    """Questions this collection answers: the seed's, while it is loaded, then one per recent article headline
    that the assistant really answers (tried once per state of the collection, ~150 ms each)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._cache: dict[str, list[str]] = {}
        # Page loads run in parallel: one of them tries the questions, the others wait for its list (each would
        # otherwise ask them all again, and one's clear() could empty the cache under another's read).
        self._lock = threading.Lock()

    def __call__(self) -> list[str]:
        try:
            stats = self.assistant.status()
        except StoreUnavailable:
            return []
        key = f"{stats.articles}/{stats.last_ingest}"
        with self._lock:
            if key not in self._cache:
                self._cache = {key: self._tried(seeded="seeds" in stats.sources)}
            return self._cache[key]

    def _tried(self, seeded: bool) -> list[str]:
        chosen = list(SEED_EXAMPLES) if seeded else []
        for title in self.assistant.store.manifest.recent_titles(limit=4 * EXAMPLES_SHOWN):
            if len(chosen) >= EXAMPLES_SHOWN:
                break
            question = f"What does the article “{' '.join(title.split())[:120]}” report?"
            try:
                if not self.assistant.ask(question).abstained:
                    chosen.append(question)
            except Exception:  # an example is never worth a broken page
                log.warning("could not try the example question %r", question, exc_info=True)
        return chosen[:EXAMPLES_SHOWN]


SAVED_CONVERSATIONS = 20  # kept in the browser's storage (a few MB at most), oldest dropped first
Conversation = dict[str, Any]  # {"messages": [...], "turns": [...], "answers": {index: answer record}}


def _conversation(value: Any) -> Conversation:
    """A stored conversation, or an empty one when the browser has none (or something malformed)."""
    if not isinstance(value, dict):
        return {"messages": [], "turns": [], "answers": {}}
    messages = [
        m for m in value.get("messages") or [] if isinstance(m, dict) and m.get("role") in ("user", "assistant")
    ]
    turns = [t for t in value.get("turns") or [] if isinstance(t, dict) and t.get("role") in ("user", "assistant")]
    answers = value.get("answers") if isinstance(value.get("answers"), dict) else {}
    return {"messages": messages, "turns": turns, "answers": answers}


Saved = list[dict[str, Any]]  # [{"id", "title", "at", "conversation"}], most recent first


def _saved(value: Any) -> Saved:
    """The conversations this browser keeps besides the open one ([] when it has none, or something malformed)."""
    items = value.get("saved") if isinstance(value, dict) else None
    return [
        {**item, "conversation": _conversation(item.get("conversation"))}
        for item in items or []
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("title"), str)
    ][:SAVED_CONVERSATIONS]


def _title(conversation: Conversation) -> str:
    """A conversation's name until the reader renames it: its first question."""
    first = next((t.get("content", "") for t in conversation["turns"] if t.get("role") == "user"), "")
    return " ".join(str(first).split())[:80] or "Conversation"


def _choices(saved: Saved) -> list[tuple[str, str]]:
    return [(f"{item['title']} · {item.get('at', '')}".rstrip(" ·"), item["id"]) for item in saved]


def _listed(saved: Saved, chosen: str | None = None) -> Any:
    """The "Earlier conversations" dropdown showing `saved`, with `chosen` selected."""
    return gr.Dropdown(choices=_choices(saved), value=chosen)


def _keep(conversation: Conversation, saved: Saved) -> Saved:
    """`saved` with `conversation` first (when it has anything in it)."""
    if not conversation["messages"]:
        return saved
    item = {
        "id": secrets.token_hex(6),
        "title": _title(conversation),
        "at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "conversation": conversation,
    }
    kept = [item, *saved]
    for dropped in kept[SAVED_CONVERSATIONS:]:
        # The reader should know, not find it gone later; gr.Info renders HTML, and a title is their question.
        gr.Info(
            f"Only the {SAVED_CONVERSATIONS} most recent conversations are kept: "
            f"“{render.escape_text(dropped['title'])}” ({render.escape_text(str(dropped.get('at', '')))}) was removed. "
            "Export a conversation to keep it longer.",
            title="Conversation removed",
        )
    return kept[:SAVED_CONVERSATIONS]


def _browser_secret(settings: Settings) -> str:
    """The key the browser-stored conversation is encrypted with: made once per data dir, so it outlives restarts."""
    path = settings.data_dir / "chat-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = secrets.token_hex(32)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secret, encoding="utf-8")
        path.chmod(0o600)
        return secret


class GradioProgress:
    """The ingest pipeline's Progress, shown as the chat's progress bar (reading, embedding...)."""

    def __init__(self, progress: gr.Progress) -> None:
        self.progress = progress
        self.phase, self.total, self.done = "", 0, 0

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self.progress((0, total), desc=phase)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.progress((self.done, self.total), desc=self.phase)

    def finish(self) -> None:
        self.progress((self.total, self.total), desc=self.phase)


def theme() -> gr.themes.Base:
    # System fonts: the default theme would have the browser fetch web fonts from the internet.
    # Soft's amber-500 labels, links and button and its slate-400 secondary text measure 1.8-2.6:1 against their
    # backgrounds; these shades give every text at least WCAG AA's 4.5:1 in light and dark (axe-core audits it:
    # tests/e2e/test_accessibility.py).
    return gr.themes.Soft(
        primary_hue="amber",
        neutral_hue="slate",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    ).set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        block_label_text_color="*primary_800",
        block_title_text_color="*primary_800",
        block_info_text_color="*neutral_600",
        block_info_text_color_dark="*neutral_300",
        color_accent="*primary_700",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        block_label_background_fill_dark="*primary_800",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
    )


def _filters(categories: list[str] | None, sources: list[str] | None, date_from: Any, date_to: Any) -> Filters | None:
    """The filters from the side panel; a DateTime may carry a time of day, of which only the date counts."""
    filters = Filters(
        category=list(categories) if categories else None,
        source=list(sources) if sources else None,
        date_from=str(date_from).strip()[:10] if date_from else None,
        date_to=str(date_to).strip()[:10] if date_to else None,
    )
    return None if filters.is_empty() else filters


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The chat page. Queue concurrency comes from `settings.concurrency`."""
    settings = assistant.settings

    def refresh_status() -> tuple[str, Any, Any, Any, Any]:
        """The status line, the filters' choices, and under the date fields the dates the articles span (Gradio's
        calendar cannot be told which month to open at, so the fields say it)."""
        try:
            stats = assistant.status()
        except StoreUnavailable as exc:
            message = render.error_html(f"the article store is unavailable ({exc})")
            return message, gr.Dropdown(), gr.Dropdown(), gr.DateTime(), gr.DateTime()
        span = (
            f"The articles are dated {stats.date_min} to {stats.date_max}."
            if stats.date_min and stats.date_max
            else "No article has a date."
        )
        return (
            render.status_html(stats),
            gr.Dropdown(choices=stats.categories, interactive=bool(stats.categories)),
            gr.Dropdown(choices=stats.sources, interactive=bool(stats.sources)),
            gr.DateTime(info=span),
            gr.DateTime(info=span),
        )

    def add_articles(
        files: list[Any] | None,
        source: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects the page's progress bar through this default
    ) -> tuple[Any, ...]:
        """Uploaded files -> uploads/<source>/ -> the same incremental ingest as the CLI; a summary with every
        refused or failed file, then fresh status and filter choices."""
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        if not paths:
            return (render.upload_html(None, {}, []), *refresh_status())
        plan = save_upload(paths, settings.data_dir / "uploads", source or "uploads")
        summary = None
        if plan.saved:
            try:
                summary = assistant.ingest([plan.folder], progress=GradioProgress(progress))
            except IngestInProgress as exc:
                plan.refused["(ingest)"] = str(exc)
        failures = summary.failures if summary is not None else []
        return (render.upload_html(summary, plan.refused, failures, plan.folder.name), *refresh_status())

    def list_articles(query: str, note: str = "") -> str:
        try:
            found = assistant.articles(query or "", ARTICLE_LIST_LIMIT)
        except StoreUnavailable as exc:
            return render.error_html(f"the article store is unavailable ({exc})")
        return render.article_list_html(found, query or "", note)

    def remove_article(article_id: str, query: str) -> tuple[Any, ...]:
        """Remove the article the reader confirmed; the list, status line and filter choices are refreshed."""
        article_id = (article_id or "").strip()[:200]
        note = ""
        if article_id:
            try:
                removed = assistant.remove_article(article_id)
                note = f"Removed “{removed.title}” ({removed.path})."
            except AssistantError as exc:
                note = f"Not removed: {exc}"
        return (list_articles(query, note), *refresh_status())

    def respond(
        question: str,
        conversation: Any,
        categories: list[str] | None,
        sources: list[str] | None,
        date_from: Any,
        date_to: Any,
        careful: bool = False,
    ) -> Iterator[tuple[str, list[Message], Conversation]]:
        """Yields (textbox, chatbot, stored conversation) as the answer is produced. `careful`: the reader ticked
        "double-check", so the reader backend answers this question."""
        stored = _conversation(conversation)
        backend: Backend | None = "reader" if careful and careful_offered else None
        for typed, shown, messages, turns, answers in _answer(
            question, stored["messages"], stored["turns"], stored["answers"], categories, sources, date_from, date_to,
            backend=backend,
        ):  # fmt: skip
            yield typed, shown, {"messages": messages, "turns": turns, "answers": answers}

    def _answer(
        question: str,
        messages: list[Message],
        turns: list[Turn],
        answers: dict[str, Any],
        categories: list[str] | None,
        sources: list[str] | None,
        date_from: Any,
        date_to: Any,
        backend: Backend | None = None,
    ) -> Iterator[tuple[str, list[Message], list[Message], list[Turn], dict[str, Any]]]:
        """Yields (textbox, chatbot, messages, turns, answers) as the answer is produced: `messages` are the
        settled chat messages, `turns` the history the core sees, `answers` maps a message's index to the
        answer shown there (and its filters), for 👍/👎."""
        question = question or ""
        if not question.strip():
            return
        # A refused question or filter is said in the conversation, as the turn it would have been, and the
        # question stays in the box to fix: a toast would hide the chat and the text would be lost.
        refusal = None
        try:
            assistant.validate_question(question)
            filters = _filters(categories, sources, date_from, date_to)
        except InvalidQuestion as exc:
            refusal = str(exc)
        except ValidationError as exc:
            refusal = f"invalid filter: {exc.errors()[0].get('msg', exc)}"
        if refusal is not None:
            shown = question if len(question) <= 300 else question[:300] + "…"
            messages = [
                *messages,
                {"role": "user", "content": render.question_html(shown)},
                {"role": "assistant", "content": render.error_html(refusal)},
            ]
            yield question, messages, messages, turns, answers
            return
        turn = len(turns) // 2 + 1  # numbers this answer's source anchors, unique on the page
        messages = [*messages, {"role": "user", "content": render.question_html(question)}]
        pending = {"role": "assistant", "content": render.streaming_html("")}
        yield "", [*messages, pending], messages, turns, answers

        streamed = ""
        try:
            for event in assistant.stream(question, filters=filters, history=turns, backend=backend):
                if event.kind == "delta":
                    streamed += event.text
                    partial = {"role": "assistant", "content": render.streaming_html(streamed)}
                    yield "", [*messages, partial], messages, turns, answers
                elif event.kind == "answer" and event.answer is not None:
                    answer = event.answer
                    messages = [*messages, {"role": "assistant", "content": render.answer_html(answer, turn)}]
                    record = {
                        "answer": answer.model_dump(mode="json"),
                        "filters": filters.model_dump() if filters else None,
                    }
                    answers = {**answers, str(len(messages) - 1): record}
                    turns = [
                        *turns,
                        {"role": "user", "content": question},
                        {"role": "assistant", "content": answer.text},
                    ]
                    yield "", messages, messages, turns, answers
        except InvalidQuestion as exc:
            messages = [*messages, {"role": "assistant", "content": render.error_html(str(exc))}]
            yield question, messages, messages, turns, answers
        except InvalidFilters as exc:  # shown in the turn that caused it; the conversation stays
            messages = [*messages, {"role": "assistant", "content": render.error_html(f"invalid filter: {exc}")}]
            yield "", messages, messages, turns, answers
        except StoreUnavailable as exc:
            log.error("store unavailable while answering: %s", exc)
            messages = [*messages, {"role": "assistant", "content": render.error_html(str(exc))}]
            yield "", messages, messages, turns, answers
        except Exception:  # a bug: say so in the chat instead of leaving the answer pending forever
            log.exception("failed to answer %r", question)
            failure = render.error_html("an unexpected error; the server log has details")
            messages = [*messages, {"role": "assistant", "content": failure}]
            yield "", messages, messages, turns, answers

    def use_example(event: gr.SelectData) -> str:
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def new_chat(conversation: Any, saved: Any) -> tuple[list[Message], Conversation, dict[str, Saved], Any]:
        """A fresh conversation; the one that was open is kept in the list of earlier conversations."""
        kept = _keep(_conversation(conversation), _saved(saved))
        return [], _conversation(None), {"saved": kept}, _listed(kept)

    def open_saved(
        conversation: Any, saved: Any, chosen: str | None
    ) -> tuple[list[Message], Conversation, dict[str, Saved], Any]:
        """Open a kept conversation; the one that was open takes its place in the list."""
        items = _saved(saved)
        picked = next((item for item in items if item["id"] == chosen), None)
        if picked is None:
            current = _conversation(conversation)
            return current["messages"], current, {"saved": items}, _listed(items, chosen)
        rest = [item for item in items if item["id"] != chosen]
        kept = _keep(_conversation(conversation), rest)
        opened = picked["conversation"]
        return opened["messages"], opened, {"saved": kept}, _listed(kept)

    def rename_saved(saved: Any, chosen: str | None, name: str) -> tuple[dict[str, Saved], Any, str]:
        items = _saved(saved)
        name = " ".join((name or "").split())[:80]
        if name:
            items = [{**item, "title": name} if item["id"] == chosen else item for item in items]
        return {"saved": items}, _listed(items, chosen), ""

    def delete_saved(saved: Any, chosen: str | None) -> tuple[dict[str, Saved], Any]:
        items = [item for item in _saved(saved) if item["id"] != chosen]
        return {"saved": items}, _listed(items)

    def list_saved(saved: Any) -> Any:
        return _listed(_saved(saved))

    example_questions = ExampleQuestions(assistant)
    careful_offered = assistant.backend == "extractive" and assistant.reader_available()
    reader_answers = assistant.backend == "reader"

    def restore(conversation: Any) -> Any:
        """The conversation this browser kept (a reload or a server restart loses nothing), and example questions
        for the collection as it is now."""
        examples: list[ExampleMessage] = [{"text": question} for question in example_questions()]
        return gr.Chatbot(value=_conversation(conversation)["messages"], examples=examples or None)

    def export(conversation: Any) -> Any:
        """The conversation as a Markdown file to download (the button is off while there is nothing to save)."""
        stored = _conversation(conversation)["answers"]
        answers = [Answer.model_validate(stored[k]["answer"]) for k in sorted(stored, key=int)]
        if not answers:
            return gr.DownloadButton(value=None, interactive=False)
        exported = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        prune_exports(EXPORTS_DIR, EXPORT_MAX_AGE_S)
        folder = EXPORTS_DIR / secrets.token_hex(8)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "conversation.md"
        path.write_text(render.conversation_markdown(answers, exported), encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    def open_article(request: str) -> tuple[str, Any]:
        """The viewer for "<article id>\x01<quote>\x01<quote>..." (sent by the page script when a source title
        is clicked): the whole article with the cited quotes marked."""
        article_id, *quotes = (request or "").split("\x01")
        if not article_id.strip():
            return "", gr.Button(visible=False)
        article = assistant.article(article_id.strip()[:200])
        return render.article_html(article, quotes[:10]), gr.Button(visible=True)

    def rate(conversation: Any, event: gr.LikeData) -> tuple[str, Any, Any, str]:
        """👍/👎 on an answer: stored at once with the question, answer, citations and settings; the comment
        box opens for an optional reason. Returns (note, comment box, send button, rated feedback id)."""
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        shown = _conversation(conversation)["answers"].get(str(index))
        if shown is None or event.liked not in (True, False):  # an error turn, or a rating taken back
            return "", gr.Textbox(visible=False), gr.Button(visible=False), ""
        answer = Answer.model_validate(shown["answer"])
        filters = Filters.model_validate(shown["filters"]) if shown.get("filters") else None
        rating: Rating = "up" if event.liked else "down"
        feedback = assistant.feedback.add(Feedback.of(rating, answer, settings.collection, filters))
        note = render.feedback_note_html(rating, answer.question)
        return note, gr.Textbox(value="", visible=True), gr.Button(visible=True), feedback.id

    def send_comment(feedback_id: str, comment: str) -> tuple[str, Any, Any]:
        if not feedback_id or not comment.strip():
            return (
                render.feedback_note_html(None, "", "Write a comment first, or leave it: the rating is kept."),
                gr.Textbox(),
                gr.Button(),
            )
        assistant.feedback.comment(feedback_id, comment)
        return (
            render.feedback_note_html(None, "", "Comment recorded. Thank you."),
            gr.Textbox(value="", visible=False),
            gr.Button(visible=False),
        )

    with gr.Blocks(
        title="News assistant",
        analytics_enabled=False,
        fill_height=True,
        delete_cache=(EXPORT_MAX_AGE_S, EXPORT_MAX_AGE_S),  # Gradio's copies of exports and uploads
    ) as blocks:
        # The conversation lives in the browser (localStorage, encrypted with a key kept in the data dir): a
        # reload or a server restart keeps it, and each question sends it back, so the core still sees the
        # history after a restart instead of silently starting over.
        secret = _browser_secret(settings)
        conversation_state = gr.BrowserState(
            _conversation(None), storage_key="news-assistant-conversation", secret=secret
        )
        # Earlier conversations, kept the same way: "New chat" puts the open one here instead of deleting it.
        saved_state = gr.BrowserState({"saved": []}, storage_key="news-assistant-saved-conversations", secret=secret)
        rated_state = gr.State("")  # the id of the last rating, for its comment
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=360):
                gr.Markdown("# News assistant", elem_classes=["na-title"])
                status_line = gr.HTML(
                    '<div class="na-status">Loading the collection status…</div>', elem_id="na-status"
                )
                chatbot = gr.Chatbot(
                    value=[],
                    label="Conversation",
                    show_label=False,
                    height="68vh",
                    placeholder=PLACEHOLDER,
                    examples=[{"text": question} for question in SEED_EXAMPLES],
                    autoscroll=False,  # the page script scrolls each new question to the top instead
                    latex_delimiters=[],  # "$" in an article is money, not maths
                    buttons=[],  # copying would copy the message HTML
                    feedback_options=["Like", "Dislike"],
                    elem_id="na-chat",
                )
                with gr.Row(equal_height=True):
                    question_box = gr.Textbox(
                        placeholder="Ask about the news in these articles",
                        label="Your question",  # its accessible name (was "Textbox")
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        # no max_length: the browser would cut a long paste silently; the counter says
                        # when it is too long and the server refuses it with the reason
                        scale=8,
                        autofocus=True,
                        elem_id="na-question",
                    )
                    ask_button = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="na-ask")
                counter = gr.HTML(render.counter_html(0, settings.max_question_chars), elem_id="na-count")
                feedback_note = gr.HTML("", elem_id="na-feedback-note")
                # The article viewer: filled when a source title is clicked (the page script writes the request
                # into the hidden box and presses the hidden button: Gradio events only start from components).
                viewer = gr.HTML("", elem_id="na-viewer")
                close_viewer = gr.Button("Close article", visible=False, size="sm", elem_id="na-close-viewer")
                article_request = gr.Textbox(elem_id="na-article-request", elem_classes=["na-hidden"], show_label=False)
                article_button = gr.Button("open", elem_id="na-article-open", elem_classes=["na-hidden"])
                with gr.Row(equal_height=True):
                    comment_box = gr.Textbox(
                        label=f"What was right or wrong? (optional, up to {MAX_COMMENT_CHARS:,} characters)",
                        max_lines=3,
                        max_length=MAX_COMMENT_CHARS,
                        visible=False,
                        scale=8,
                        elem_id="na-comment",
                    )
                    comment_button = gr.Button("Send comment", visible=False, scale=1, elem_id="na-send-comment")
            with gr.Column(scale=1, min_width=240):
                # A drawer: open beside the chat on a wide screen; on a phone (below the chat) the page script
                # closes it at load, so the conversation is not followed by a screen of filters.
                with gr.Accordion("Filters and articles", open=True, elem_id="na-side"):
                    gr.Markdown("## Filters", elem_classes=["na-filters-title"])
                    category_filter = gr.Dropdown(
                        label="Category", choices=[], multiselect=True, allow_custom_value=False, interactive=True
                    )
                    source_filter = gr.Dropdown(
                        label="Source", choices=[], multiselect=True, allow_custom_value=False, interactive=True
                    )
                    date_from = gr.DateTime(label="From date", include_time=False, type="string")
                    date_to = gr.DateTime(label="To date", include_time=False, type="string")
                    gr.Markdown("## Add articles", elem_classes=["na-filters-title"])
                    upload = gr.File(
                        label=".txt .md .html .json .jsonl, or a .zip of them",
                        file_count="multiple",
                        file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".zip"],
                        elem_id="na-upload",
                    )
                    upload_source = gr.Textbox(
                        label="Source name (what the Source filter will call them)", value="uploads", max_lines=1
                    )
                    upload_button = gr.Button("Add to the collection", elem_id="na-add-articles")
                    upload_result = gr.HTML("", elem_id="na-upload-result")
                    gr.Markdown("## Articles", elem_classes=["na-filters-title"])
                    article_query = gr.Textbox(
                        label="Search the articles",
                        placeholder="words of a title, path, source or category",
                        max_lines=1,
                        elem_id="na-article-query",
                    )
                    article_list = gr.HTML("", elem_id="na-articles")
                    # "Remove" in the list: the page script asks first, then writes the id here and presses the
                    # hidden button (as for the article viewer)
                    remove_request = gr.Textbox(
                        elem_id="na-remove-request", elem_classes=["na-hidden"], show_label=False
                    )
                    remove_button = gr.Button("remove", elem_id="na-remove-open", elem_classes=["na-hidden"])
                    gr.Markdown(
                        f"Answers by the **{assistant.backend}** backend"
                        + (": a local language model double-checks each one (about 5 s). " if reader_answers else ". ")
                        + "Only the articles are used; when they do not say, the assistant says so.",
                        elem_classes=["na-side-note"],
                    )
                    # The reader backend for the questions that matter, without restarting the server: on the
                    # frozen test split it cut wrong shown answers 0.38 -> 0.24, at ~25x the latency.
                    careful_box = gr.Checkbox(
                        label="Double-check answers with the local language model",
                        info="Slower (about 5 s an answer); fewer wrong answers, and more often "
                        "“The articles don't say.”",
                        value=False,
                        visible=careful_offered,
                        elem_id="na-careful",
                    )
                with gr.Row():  # outside the drawer: a phone keeps them in reach
                    new_chat_button = gr.Button("New chat", variant="secondary", min_width=120, elem_id="na-new-chat")
                    export_button = gr.DownloadButton(
                        "Export as Markdown",
                        value=None,
                        interactive=False,
                        variant="secondary",
                        min_width=120,
                        elem_id="na-export",
                    )
                saved_list = gr.Dropdown(
                    label="Earlier conversations", choices=[], value=None, interactive=True, elem_id="na-saved"
                )
                with gr.Row():
                    open_saved_button = gr.Button("Open", size="sm", min_width=60, elem_id="na-open-saved")
                    delete_saved_button = gr.Button("Delete", size="sm", min_width=60, elem_id="na-delete-saved")
                with gr.Row(equal_height=True):
                    saved_name = gr.Textbox(
                        label="New name for it", max_lines=1, max_length=80, scale=3, elem_id="na-saved-name"
                    )
                    rename_saved_button = gr.Button(
                        "Rename", size="sm", min_width=60, scale=1, elem_id="na-rename-saved"
                    )

        inputs = [question_box, conversation_state, category_filter, source_filter, date_from, date_to, careful_box]
        outputs = [question_box, chatbot, conversation_state]
        asked = gr.on(
            triggers=[question_box.submit, ask_button.click],
            fn=respond,
            inputs=inputs,
            outputs=outputs,
            concurrency_id="answer",
            show_progress="hidden",
        )
        # Counted in the browser as the reader types: no request per keystroke.
        limit = settings.max_question_chars
        question_box.change(
            None,
            question_box,
            counter,
            js=COUNTER_JS.replace("LIMIT", str(limit)),
            queue=False,
        )
        example_asked = chatbot.example_select(use_example, None, question_box, queue=False).then(
            respond, inputs, outputs, concurrency_id="answer", show_progress="hidden"
        )
        for event in (asked, example_asked):
            event.then(export, conversation_state, export_button, queue=False)
        swapped = [chatbot, conversation_state, saved_state, saved_list]
        for started in (
            new_chat_button.click(new_chat, [conversation_state, saved_state], swapped, queue=False),
            # the chat's own trash button: the same, nothing is lost
            chatbot.clear(new_chat, [conversation_state, saved_state], swapped, queue=False),
            open_saved_button.click(open_saved, [conversation_state, saved_state, saved_list], swapped, queue=False),
        ):
            started.then(export, conversation_state, export_button, queue=False)
        rename_saved_button.click(
            rename_saved, [saved_state, saved_list, saved_name], [saved_state, saved_list, saved_name], queue=False
        )
        delete_saved_button.click(
            delete_saved,
            [saved_state, saved_list],
            [saved_state, saved_list],
            queue=False,
            js=CONFIRM_DELETE_JS,
            show_progress="hidden",  # a cancelled delete would leave the list under Gradio's error overlay
        )
        blocks.load(list_saved, saved_state, saved_list, queue=False)
        article_button.click(open_article, article_request, [viewer, close_viewer], queue=False)
        close_viewer.click(lambda: ("", gr.Button(visible=False)), None, [viewer, close_viewer], queue=False)
        chatbot.like(rate, conversation_state, [feedback_note, comment_box, comment_button, rated_state], queue=False)
        comment_io = ([rated_state, comment_box], [feedback_note, comment_box, comment_button])
        comment_button.click(send_comment, *comment_io, queue=False)
        comment_box.submit(send_comment, *comment_io, queue=False)
        status_outputs = [status_line, category_filter, source_filter, date_from, date_to]  # refresh_status's
        blocks.load(refresh_status, None, status_outputs, queue=False)
        blocks.load(restore, conversation_state, chatbot, queue=False)
        blocks.load(export, conversation_state, export_button, queue=False)
        upload_button.click(
            add_articles,
            [upload, upload_source],
            [upload_result, *status_outputs],
            concurrency_id="ingest",
            concurrency_limit=1,
        ).then(list_articles, article_query, article_list, queue=False)
        blocks.load(list_articles, article_query, article_list, queue=False)
        article_query.change(list_articles, article_query, article_list, queue=False, trigger_mode="always_last")
        remove_button.click(
            remove_article,
            [remove_request, article_query],
            [article_list, *status_outputs],
            concurrency_id="ingest",
            concurrency_limit=1,
        )

    # Answers share one slot pool across the whole page: at most `concurrency` run at once, others wait in line.
    blocks.queue(default_concurrency_limit=settings.concurrency, max_size=max(64, settings.concurrency * 16))
    return blocks


def mount_ui(app: FastAPI, assistant: Assistant) -> FastAPI:
    """Mount the chat at "/" of `app`. With an auth token set, the page asks for it (any user name)."""
    token = configured_token(assistant.settings)

    def token_matches(_username: str, password: str) -> bool:
        return token is not None and secrets.compare_digest(password.encode(), token.encode())

    mounted = gr.mount_gradio_app(
        app,
        build_ui(assistant),
        path="/",
        server_name=assistant.settings.host,
        server_port=assistant.settings.port,
        auth=token_matches if token else None,
        auth_message="Enter any user name and the server's access token as the password." if token else None,
        theme=theme(),
        css=CSS,
        js=JS,
        footer_links=[],
        run_history=False,  # would keep every question in the browser's storage
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        show_error=True,
        max_file_size=assistant.settings.max_upload_bytes,
    )
    if token:
        chat = next(r.app for r in mounted.routes if isinstance(r, Mount) and hasattr(r.app, "tokens"))
        mounted.add_middleware(ChatGuard, chat=chat)
    return mounted


LOGIN_FAILURES, LOGIN_WINDOW_SECONDS = 5, 60.0


class ChatGuard:
    """What Gradio's own auth leaves open, with a token set:
    - /gradio_api/heartbeat/* held event streams open for anyone: it now needs a logged-in chat session (the
      cookie Gradio's /login sets, checked against Gradio's session tokens, as its other routes do);
    - /login had no rate limit (50 wrong tries in 0.04 s): after LOGIN_FAILURES wrong passwords within
      LOGIN_WINDOW_SECONDS a client gets 429 with Retry-After until the window has passed.
    """

    def __init__(self, app: Any, chat: Any) -> None:
        self.app = app
        self.chat = chat  # Gradio's App: its `tokens` and `cookie_id` are how its own routes know a session
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def _logged_in(self, scope: Any) -> bool:
        cookies = Request(scope).cookies
        names = (f"access-token-{self.chat.cookie_id}", f"access-token-unsecure-{self.chat.cookie_id}")
        return any(cookies.get(name) in self.chat.tokens for name in names)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/gradio_api/heartbeat/") and not self._logged_in(scope):
            await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
            return
        if path.rstrip("/") != "/login" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        recent = self.failures[client]
        now = time.monotonic()
        while recent and now - recent[0] > LOGIN_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= LOGIN_FAILURES:
            wait = int(LOGIN_WINDOW_SECONDS - (now - recent[0])) + 1
            message = f"too many wrong passwords; try again in {wait} s"
            refusal = JSONResponse({"detail": message}, status_code=429, headers={"Retry-After": str(wait)})
            await refusal(scope, receive, send)
            return

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 400:  # Gradio's "Incorrect credentials."
                    recent.append(time.monotonic())
                elif message["status"] == 200:
                    recent.clear()
            await send(message)

        await self.app(scope, receive, watch)
