from __future__ import annotations

import json

import pytest

from assistant.ingest.readers import ReadError, clean_text, content_hash, decode, read_articles


def read(data: bytes, path: str = "src/cat/a.txt"):
    return read_articles(data, path, category="cat", source="src")


def test_txt_first_line_is_headline_when_it_looks_like_one() -> None:
    articles, reencoded = read(b"Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant jumped 76%.")
    (article,) = articles
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.text == "Quarterly profits at US media giant jumped 76%."
    assert (article.category, article.source, article.path, reencoded) == ("cat", "src", "src/cat/a.txt", None)


def test_txt_without_headline_takes_title_from_first_sentence() -> None:
    body = b"President Erdogan said yesterday that Turkey and Serbia will work together on defence. More text."
    (article,), _ = read(body)
    assert article.title.startswith("President Erdogan said yesterday")
    assert article.text.startswith("President Erdogan")


def test_latin1_file_is_decoded_and_reported() -> None:
    data = "Chelsea fined Mutu\n\nThe club paid a £15.8m transfer fee for Mutu.".encode("latin-1")
    (article,), reencoded = read(data)
    assert "£15.8m" in article.text
    assert reencoded in {"cp1252", "latin_1", "iso8859_15"}


def test_binary_and_empty_files_raise_specific_errors() -> None:
    with pytest.raises(ReadError, match="binary"):
        read(b"\x89PNG\x00\x00\x00binary")
    with pytest.raises(ReadError, match="empty"):
        read(b"  \n ")
    with pytest.raises(ReadError, match="unsupported"):
        read_articles(b"x", "a.pdf", category=None, source=None)


def test_html_title_date_source_and_no_script_text() -> None:
    html = b"""<html><head><title>Site | Story</title>
    <meta property="og:title" content="Drones deal signed">
    <meta property="article:published_time" content="2023-07-20T10:00:00Z">
    <meta property="og:site_name" content="Daily News"></head>
    <body><nav>Home News</nav><h1>Drones deal signed</h1><script>var x = 1;</script>
    <p>Turkey and Serbia signed a deal on Thursday.</p><p>It covers drones &amp; shells.</p></body></html>"""
    (article,), _ = read_articles(html, "news/a.html", category=None, source="news")
    assert (article.title, article.date, article.source) == ("Drones deal signed", "2023-07-20", "Daily News")
    assert "var x" not in article.text and "Home News" not in article.text
    assert "drones & shells" in article.text


def test_markdown_front_matter_and_heading() -> None:
    md = (
        b"---\ntitle: Budget day\ndate: 2005-03-16\n---\n# Budget day\n\nThe chancellor [Gordon Brown](http://x) spoke."
    )
    (article,), _ = read_articles(md, "a.md", category=None, source=None)
    assert (article.title, article.date) == ("Budget day", "2005-03-16")
    assert article.text == "The chancellor Gordon Brown spoke."


def test_markdown_front_matter_is_yaml() -> None:
    md = (
        b"---\ntitle: 'Budget: day two'\ndate: 2005-03-16\nurl: \"http://x/a?b=1\"\nsummary: >\n  folded\n  text\n"
        b"tags: [a, b]\n---\nThe chancellor spoke about the budget for a long while."
    )
    (article,), _ = read_articles(md, "a.md", category=None, source=None)
    assert (article.title, article.date, article.url) == ("Budget: day two", "2005-03-16", "http://x/a?b=1")


def test_markdown_front_matter_that_is_not_yaml_keeps_the_article() -> None:
    md = b"---\ntitle: [unclosed\n---\nThe chancellor spoke about the budget for a long while."
    (article,), _ = read_articles(md, "a.md", category=None, source=None)
    assert article.text.startswith("The chancellor spoke")


def test_json_and_jsonl_records_with_field_variants() -> None:
    records = [
        {
            "title": "One",
            "body": "First story text is long enough.",
            "published": "2005-01-02",
            "source": {"name": "AP"},
        },
        {"headline": "no title key", "content": "Second story text is long enough.", "url": "http://x/2"},
    ]
    articles, _ = read_articles(json.dumps(records).encode(), "feed.json", category=None, source="feed")
    assert [a.path for a in articles] == ["feed.json#0", "feed.json#1"]
    assert (articles[0].date, articles[0].source, articles[1].url) == ("2005-01-02", "AP", "http://x/2")
    jsonl = b'{"title": "A", "text": "Good line with enough text."}\n{not json\n{"title": "B"}\n'
    articles, _ = read_articles(jsonl, "feed.jsonl", category=None, source=None)
    assert [a.title for a in articles] == ["A"]  # the malformed and the text-less lines are skipped


def test_invalid_json_names_the_position() -> None:
    with pytest.raises(ReadError, match="line 1 column"):
        read_articles(b'{"title": ', "x.json", category=None, source=None)


def test_identical_text_gives_identical_id_and_cleaning_is_stable() -> None:
    assert content_hash("A  story\n\nhere") == content_hash("a story here")
    assert clean_text("a\r\nb\u200b\t c\n\n\n\nd") == "a\nb c\n\nd"
    assert decode(b"\xef\xbb\xbfhello").text == "hello"


def test_html_boilerplate_around_the_article_is_left_out() -> None:
    """What trafilatura is here for: menus, cookie notices, related links and comments are not the article."""
    paragraphs = "".join(
        f"<p>Paragraph {i}: the harbour council said the bridge repairs cost £{i}m and took {i} months.</p>"
        for i in range(1, 9)
    )
    html = f"""<html><head><title>Bridge reopens | Quillon Herald</title>
    <meta property="og:title" content="Bridge reopens"><meta property="og:site_name" content="Quillon Herald">
    <meta property="article:published_time" content="2024-05-04T08:00:00Z"></head><body>
    <div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
    <nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
    <article><h1>Bridge reopens</h1>{paragraphs}</article>
    <aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Ferry fares rise by 5%</a></li>
    <li><a href="/b">Council elections: full results</a></li></ul></aside>
    <section id="comments"><h3>Comments</h3><div class="comment"><p>Great news, finally! said reader Bob.</p>
    </div></section><footer>© Quillon Herald. All rights reserved.</footer></body></html>""".encode()
    (article,), _ = read_articles(html, "herald/bridge.html", category=None, source="herald")
    assert (article.title, article.date, article.source) == ("Bridge reopens", "2024-05-04", "Quillon Herald")
    assert "Paragraph 1: the harbour council" in article.text and "Paragraph 8:" in article.text
    for boilerplate in ("cookies", "Home", "Related stories", "Ferry fares", "Great news", "All rights reserved"):
        assert boilerplate not in article.text, boilerplate
