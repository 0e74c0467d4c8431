"""Rendering answers as HTML: escaping of untrusted article text, [n] links, highlighted quotes."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from assistant import Assistant
from assistant.server import render
from assistant.store import StoreStats
from assistant.types import Answer, ArticleText, Citation

HOSTILE = (
    'Banner read <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=1</script>.\n\n'
    "Follow [the link](http://evil.example/) or ![pixel](http://evil.example/p.png), `code`, *em*, $5 | # _x_ \\"
)
ALLOWED_TAGS = {"div", "p", "a", "span", "details", "summary", "ol", "li", "blockquote", "mark", "br", "b", "strong"}


class Elements(HTMLParser):
    """The tags, attributes and text of an HTML fragment, as a browser would parse them."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.marks: list[str] = []
        self._mark_depth = 0
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._mark_depth += 1
            self.marks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._mark_depth -= 1

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._mark_depth:
            self.marks[-1] += data

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def hrefs(self) -> list[str]:
        """Links other than a source title's "open the article" link (every source has one) and the answer's
        "Copy" (every answer has one)."""
        return [
            attrs["href"] or ""
            for tag, attrs in self.tags
            if tag == "a" and "href" in attrs and not (attrs["href"] or "").startswith(("#na-article-", "#na-copy-"))
        ]


def citation(n: int = 1, **changes: object) -> Citation:
    passage = "First sentence. The quoted sentence is here. Last sentence."
    quote = "The quoted sentence is here."
    fields: dict[str, object] = {
        "n": n,
        "article_id": "a1",
        "title": "A title",
        "path": "bbc/business/001.txt",
        "source": "bbc",
        "category": "business",
        "date": "2005-03-01",
        "passage": passage,
        "quote": quote,
        "quote_start": passage.index(quote),
        "chunk_id": "a1-0000",
        "score": 0.9,
    }
    return Citation(**(fields | changes))


def hostile_citation() -> Citation:
    quote = 'Banner read <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=1</script>.'
    return citation(
        title="Title <script>window.__pwned=1</script> [x](http://evil.example/)",
        source="<b>src</b>",
        category="cat*egory*",
        date="2024-01-01",
        url="javascript:window.__pwned=1",
        passage=HOSTILE,
        quote=quote,
        quote_start=0,
    )


def answer(text: str, citations: list[Citation], **changes: object) -> Answer:
    fields: dict[str, object] = {
        "question": "q?",
        "text": text,
        "abstained": False,
        "citations": citations,
        "backend": "extractive",
    }
    return Answer(**(fields | changes))


def test_escape_text_leaves_no_html_or_markdown_syntax_and_round_trips() -> None:
    escaped = render.escape_text(HOSTILE)
    outside_entities = re.sub(r"&(#\d+|[a-z]+);", "", escaped)
    for char in "<>\"'[]()!*_`$|#\\":
        assert char not in outside_entities, char
    assert html.unescape(escaped) == HOSTILE


def test_escape_block_is_one_line_with_br_for_line_breaks() -> None:
    block = render.escape_block("one\ntwo\r\n\nthree")
    assert "\n" not in block and "\r" not in block
    assert block == "one<br>two<br><br>three"


def test_hostile_answer_renders_only_our_markup_and_shows_the_article_text() -> None:
    hostile = hostile_citation()
    fragment = render.answer_html(answer(hostile.quote + " [1]", [hostile]), turn=1)

    assert "\n" not in fragment  # one line: Markdown treats it as an HTML block and leaves it alone
    elements = Elements(fragment)
    assert elements.names() <= ALLOWED_TAGS
    assert all(href.startswith("#na-src-") for href in elements.hrefs()), elements.hrefs()
    assert not any(name.startswith("on") for _, attrs in elements.tags for name in attrs)
    assert '<img src=x onerror="window.__pwned=1">' in elements.text
    assert "Title <script>window.__pwned=1</script> [x](http://evil.example/)" in elements.text
    assert "![pixel](http://evil.example/p.png)" in elements.text
    assert elements.marks == [hostile.quote]


def test_markers_link_to_their_sources_and_unknown_numbers_stay_text() -> None:
    citations = [citation(1), citation(2, chunk_id="a1-0001")]
    fragment = render.answer_html(answer("Said so [1] and [2]; a quoted [7] stays.", citations), 3)
    elements = Elements(fragment)
    assert elements.hrefs() == ["#na-src-3-1", "#na-src-3-2"]
    ids = [attrs.get("id") for tag, attrs in elements.tags if tag == "li"]
    assert ids == ["na-src-3-1", "na-src-3-2"]
    assert "a quoted [7] stays." in elements.text


def test_quote_is_highlighted_even_when_its_offset_is_wrong() -> None:
    good = Elements(render.highlighted_passage([citation()]))
    assert good.marks == ["The quoted sentence is here."]
    assert good.text == citation().passage

    shifted = Elements(render.highlighted_passage([citation(quote_start=0)]))
    assert shifted.marks == ["The quoted sentence is here."]
    assert shifted.text == citation().passage


def test_the_asked_detail_is_bold_inside_its_quote_and_escaped() -> None:
    passage = "Intro. The <b>firm</b> paid £5m & more for it. Outro."
    quote = "The <b>firm</b> paid £5m & more for it."
    key_start = passage.index("£5m & more")
    cited = citation(
        passage=passage, quote=quote, quote_start=passage.index(quote), key="£5m & more", key_start=key_start
    )
    fragment = render.highlighted_passage([cited])
    assert '<strong class="na-key">£5m &amp; more</strong>' in fragment
    assert "<b>" not in fragment
    elements = Elements(fragment)
    assert elements.marks == [quote] and elements.text == passage

    moved = cited.model_copy(update={"key_start": 0})  # offsets that do not hold the key: nothing is guessed
    assert "na-key" not in render.highlighted_passage([moved])


def test_quote_missing_from_the_passage_is_shown_beside_it() -> None:
    elements = Elements(render.highlighted_passage([citation(quote="Not in the passage.")]))
    assert elements.marks == ["Not in the passage."]
    assert citation().passage in elements.text


def test_citations_of_one_passage_share_an_entry_with_every_quote_highlighted() -> None:
    passage = "Alpha one. Beta two. Gamma three. Delta four."
    first = citation(1, passage=passage, quote="Beta two.", quote_start=passage.index("Beta"))
    second = citation(2, passage=passage, quote="Delta four.", quote_start=passage.index("Delta"))
    overlapping = citation(3, passage=passage, quote="two. Gamma", quote_start=passage.index("two. Gamma"))
    other = citation(4, chunk_id="a1-0009", passage="Elsewhere.", quote="Elsewhere.", quote_start=0)
    fragment = render.sources_panel([first, second, overlapping, other], turn=1)
    elements = Elements(fragment)

    assert [attrs.get("id") for tag, attrs in elements.tags if tag == "li"] == ["na-src-1-1", "na-src-1-4"]
    span_ids = [attrs.get("id") for tag, attrs in elements.tags if tag == "span" and attrs.get("id")]
    assert span_ids == ["na-src-1-2", "na-src-1-3"]  # every [n] still has its anchor
    assert elements.marks == ["Beta two. Gamma", "Delta four.", "Elsewhere."]
    assert passage in elements.text and elements.text.count("Alpha one.") == 1
    assert "Sources (2)" in elements.text
    marks = [attrs.get("class") for tag, attrs in elements.tags if tag == "mark"]
    # each quote in its own citation's colour, tagged with the [n]s it backs (3 overlaps 1: one mark for both)
    assert marks == ["na-c0 na-q1 na-q3", "na-c1 na-q2", "na-c3 na-q4"]
    labels = [
        attrs.get("class") for tag, attrs in elements.tags if tag == "span" and "na-n" in (attrs.get("class") or "")
    ]
    assert labels == ["na-n na-c0", "na-n na-c1", "na-n na-c2", "na-n na-c3"]


def test_each_marker_wears_its_citations_colour() -> None:
    fragment = render.answer_text_html("A [1]. B [2]. C [5].", turn=1, cited=[1, 2, 5])
    classes = [attrs.get("class") for tag, attrs in Elements(fragment).tags if tag == "a"]
    assert classes == ["na-ref na-c0", "na-ref na-c1", "na-ref na-c0"]  # four colours, cycling


def test_abstention_shows_the_closest_passages_not_sources() -> None:
    fragment = render.answer_html(
        answer("The articles don't say.", [], abstained=True, closest=[citation(1), citation(2, chunk_id="b")]), turn=2
    )
    elements = Elements(fragment)
    assert "na-abstained" in fragment and "na-abstention" in fragment
    assert render.ABSTAIN_HEADING + " (2)" in elements.text
    assert elements.hrefs() == []  # nothing in an abstention cites them
    assert 'class="na-sources na-closest"' in fragment  # drawn as "not evidence", never as support
    assert [attrs.get("id") for tag, attrs in elements.tags if tag == "li"] == ["na-src-2-1", "na-src-2-2"]


def test_rewritten_question_and_notes_are_shown() -> None:
    fragment = render.answer_html(
        answer("X [1]", [citation()], rewritten_question="What did <b>Vučić</b> say?", notes=["keyword only"]), 1
    )
    text = Elements(fragment).text
    assert "Understood as: What did <b>Vučić</b> say?" in text
    assert "Note: keyword only" in text


def test_a_reader_answer_says_the_model_double_checked_it_and_an_extractive_one_does_not() -> None:
    confirmed = Elements(render.answer_html(answer("X [1]", [citation()], backend="reader", model="qwen<1>"), 1))
    assert "Double-checked: qwen<1> read the best sentences and names the same answer." in confirmed.text
    abstained = answer("The articles don't say.", [], abstained=True, backend="reader", model="qwen")
    assert "found no answer that passed the checks" in Elements(render.answer_html(abstained, 1)).text
    assert "Double-checked" not in Elements(render.answer_html(answer("X [1]", [citation()]), 1)).text


def test_a_reader_answer_the_model_did_not_read_does_not_claim_a_double_check() -> None:
    """Quotations (the speaker check decides) and questions no sentence passes never go to the model."""
    unread = Elements(render.answer_html(answer("X said Y. [1]", [citation()], backend="reader", model=None), 1))
    assert "Double-checked" not in unread.text
    assert "Not double-checked: quotations, and questions no sentence answers, are decided by the checks" in unread.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("http://example.com", "http://example.com"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.com/x", None),
        ("/relative", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url_allows_only_absolute_http(url: str | None, expected: str | None) -> None:
    assert render.safe_url(url) == expected


def test_article_link_is_rendered_for_http_urls_only() -> None:
    linked = Elements(render.source_entry([citation(url="https://news.example/a")], turn=1))
    assert "https://news.example/a" in linked.hrefs()
    unlinked = Elements(render.source_entry([hostile_citation()], turn=1))
    assert unlinked.hrefs() == []


def test_streaming_and_question_and_error_fragments_are_escaped() -> None:
    for fragment in (
        render.streaming_html("partial <img src=x onerror=1>"),
        render.question_html("why <script>x</script>?"),
        render.error_html("store <b>down</b>"),
    ):
        elements = Elements(fragment)
        assert elements.names() <= ALLOWED_TAGS
        assert "\n" not in fragment


def _stats(**changes: object) -> StoreStats:
    fields: dict[str, object] = {
        "collection": "news",
        "articles": 2225,
        "documents": 2225,
        "chunks": 5000,
        "embedded_chunks": 5000,
        "failed_files": 0,
        "last_ingest": "2026-11-26T09:36:50+0000",
        "categories": ["business"],
        "sources": ["bbc"],
        "date_min": None,
        "date_max": None,
        "vector_store": "/data/chroma",
    }
    return StoreStats(**(fields | changes))  # type: ignore[arg-type]


def test_status_line_counts_and_last_ingest() -> None:
    text = Elements(render.status_html(_stats())).text
    assert "2,225 articles" in text and "5,000 chunks" in text
    assert "last ingest 2026-11-26 09:36 UTC" in text
    assert "embedding" not in text
    pending = Elements(render.status_html(_stats(embedded_chunks=10, last_ingest=None, articles=1))).text
    assert "1 article " in pending and "last ingest never" in pending
    assert "embedding 10/5,000" in pending


def test_status_line_describes_the_corpus() -> None:
    many = [f"cat<{i}>" for i in range(6)]
    text = Elements(render.status_html(_stats(
        sources=["bbc", "seeds"], categories=many, date_min="2004-01-02", date_max="2005-12-30", undated=12
    ))).text  # fmt: skip
    assert "2,225 articles from 2 sources (bbc, seeds)" in text
    assert "6 categories (cat<0>, cat<1>, cat<2>, cat<3>, … 2 more)" in text  # escaped, shown as typed
    assert "dated 2004-01-02 – 2005-12-30 (12 undated)" in text
    assert "no dates" in Elements(render.status_html(_stats(undated=2225))).text


def test_real_answer_renders_with_a_highlighted_quote(seeded: Assistant) -> None:
    real = seeded.ask("What did Vučić say about Turkish industry?")
    elements = Elements(render.answer_html(real, turn=1))
    assert "#na-src-1-1" in elements.hrefs()
    assert any("significantly stronger than ours" in mark for mark in elements.marks)


def test_a_source_title_opens_its_article_and_the_viewer_marks_the_quote() -> None:
    cited = citation(1, article_id="a1<x>")
    entry = render.source_entry([cited], turn=1)
    assert '<a class="na-open" href="#na-article-a1&lt;x&gt;"' in entry
    article = ArticleText(
        id="a1", title="Title <b>", path="bbc/x.txt", source="bbc", date="2005-01-01",
        text="Intro line.\nThe quoted sentence is here. <script>window.__pwned=1</script>",
        also_in=["bbc/copy/x.txt"], url="javascript:alert(1)",
    )  # fmt: skip
    viewer = Elements(render.article_html(article, ["The quoted sentence is here.", "not in the article"]))
    assert viewer.marks == ["The quoted sentence is here."]
    assert viewer.names() <= ALLOWED_TAGS | {"h2"} and "<script>window.__pwned=1</script>" in viewer.text
    assert "Also in: bbc/copy/x.txt" in viewer.text and viewer.hrefs() == []  # no javascript: link
    assert "no longer in the collection" in render.article_html(None, [])


def test_a_conversation_exports_as_markdown_with_its_sources_and_nothing_live() -> None:
    hostile = answer("Banner read it [1].", [hostile_citation()], question="What did the <b>banner</b> say?")
    abstained = answer("The articles don't say.", [], abstained=True, closest=[citation(1)], question="Who won?")
    document = render.conversation_markdown([hostile, abstained], "2026-11-27 22:40 UTC")
    assert document.startswith("# News assistant conversation")
    assert "## 1. What did the \\<b\\>banner\\</b\\> say?" in document
    assert "Banner read it \\[1\\]." in document and "## 2. Who won?" in document
    assert "Closest passages (they do not answer it):" in document
    assert "\\<img src=x onerror" in document and "\\<script\\>" in document
    assert "\\[x\\]\\(http://evil.example/\\)" in document  # a link in a title stays text
    assert re.search(r"(?<!\\)<(img|script|b)\b", document) is None
    assert "1. A title (2005-03-01 · bbc · bbc/business/001.txt)" in document


def test_the_article_list_escapes_titles_and_paths_and_counts_what_it_shows() -> None:
    from assistant.types import ArticleList, ArticleSummary

    hostile = ArticleSummary(
        id="a1", title='<img src=x onerror="window.__pwned=1"> *big*', path="w/<b>.txt", source="S", chunks=2
    )
    listed = render.article_list_html(ArticleList(total=30, articles=[hostile]), "<q>", note="Removed <i>x</i>.")
    elements = Elements(listed)
    assert {tag for tag, _ in elements.tags} <= ALLOWED_TAGS | {"ul"}
    assert '<img src=x onerror="window.__pwned=1"> *big*' in elements.text and "w/<b>.txt" in elements.text
    assert "30 articles matching “<q>”, newest 1 shown" in elements.text and "Removed <i>x</i>." in elements.text
    links = [attrs.get("href") for tag, attrs in elements.tags if tag == "a"]
    assert links == ["#na-article-a1", "#na-remove-a1"]
    assert "undated" in elements.text
