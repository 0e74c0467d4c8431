"""The browser chat, end to end: a real `news-assistant serve` and headless Chromium typing into the page."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SEED, TWO_STORIES, write_corpus
from tests.e2e.conftest import NetworkGuard, RunningServer, confined_context, free_port, ingest_cli, run_server
from tests.e2e.llm_fixtures import require_llama_server

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "test-artifacts"
ANSWER_TIMEOUT_MS = 120_000  # the first question also loads the embedding model in the server
FINAL_ANSWER = ".na-answered, .na-abstained, .na-error"

HOSTILE_ARTICLE = {
    "title": "Harbour festival <script>window.__pwned=1</script> draws record crowds",
    "date": "2024-05-04",
    "source": "Hostile Gazette",
    "url": "javascript:window.__pwned=1",
    "text": (
        "The harbour master of Port Quillon said the lighthouse festival banner read "
        '<img src=x onerror="window.__pwned=1"> in bright letters. '
        "Organisers added <script>window.__pwned=1</script> to the programme as a joke, the harbour master said.\n\n"
        "Visitors were told to follow [the festival link](http://evil.example/phish) and "
        "![a photo](http://evil.example/pixel.png) for updates. Tickets cost $5 and *everyone* was welcome."
    ),
}


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server over the seed article plus a hostile one (markup and Markdown in title, text and URL)."""
    root = tmp_path_factory.mktemp("chat")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    hostile = root / "gazette" / "local" / "festival.json"
    hostile.parent.mkdir(parents=True)
    hostile.write_text(json.dumps(HOSTILE_ARTICLE), encoding="utf-8")
    data_dir = root / "data"
    ingest_cli(data_dir, seeds, root / "gazette")
    with run_server(data_dir, root / "server.log") as server:
        yield server


def open_chat(page: Any, server: RunningServer) -> None:
    # A Gradio page keeps a connection open and never reaches "networkidle".
    page.goto(f"{server.base_url}/", wait_until="load")
    page.wait_for_selector("#na-question textarea")


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for the final (checked) answer and return its element."""
    from playwright.sync_api import expect

    answers = page.locator(FINAL_ANSWER)
    before = answers.count()
    page.locator("#na-question textarea").fill(question)
    page.locator("#na-question textarea").press("Enter")
    expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    return answers.nth(before)


def test_chat_answers_with_a_working_citation_and_follows_up(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, network = browser_page
    open_chat(page, chat_server)
    expect(page.locator("#na-status")).to_contain_text("2 articles")

    answer = ask(page, "What did Vučić say about Turkish industry?")
    expect(answer).to_have_class("na-answer na-answered")
    expect(answer.locator(".na-answer-text")).to_contain_text("significantly stronger than ours")

    marker = answer.locator("a.na-ref").first
    expect(marker).to_have_text("[1]")
    source_id = marker.get_attribute("href")
    assert source_id == "#na-src-1-1"
    source = page.locator(source_id)
    expect(source).to_have_count(1)
    expect(source).to_contain_text("President Tayyip Erdogan said yesterday")
    expect(source).to_contain_text("seeds/000_8c1e59730e0383e1.txt")
    expect(source.locator("mark").filter(has_text="significantly stronger than ours")).to_have_count(1)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    marker.click()
    expect(source).to_have_class("na-source na-active")  # set only by the [n] click handler
    expect(source).to_be_in_viewport()

    followup = ask(page, "What did he say about shells?")
    expect(followup.locator(".na-answer-text")).to_contain_text("a huge number of shells")
    expect(followup).to_contain_text("Understood as: What did Vučić say about shells?")
    followup_marker = followup.locator("a.na-ref").first
    assert followup_marker.get_attribute("href") == "#na-src-2-1"  # distinct from the first answer's anchors
    expect(page.locator("#na-src-2-1 mark").filter(has_text="a huge number of shells")).to_have_count(1)

    page.set_viewport_size({"width": 1280, "height": 1400})  # tall enough to show both answers
    page.screenshot(path=str(ARTIFACTS / "chat-followup.png"))
    assert network.blocked == [], f"the page tried to leave the machine: {network.blocked}"


def test_hostile_article_renders_as_text(chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]) -> None:
    from playwright.sync_api import expect

    page, network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "What did the harbour master say about the lighthouse festival banner?")
    # Whether the answerer cites the article or abstains and offers it as a closest passage, its text is shown.
    expect(answer).not_to_have_class("na-answer na-error")
    source = answer.locator(".na-source").filter(has_text="Harbour festival")
    expect(source).to_have_count(1)
    expect(source).to_contain_text("Harbour festival <script>window.__pwned=1</script> draws record crowds")
    expect(answer).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(source).to_contain_text("local")  # the category, from the folder
    expect(source).to_contain_text("2024-05-04")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-article.png"))
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator("img[src='x']")).to_have_count(0)
    expect(page.locator("#na-chat img")).to_have_count(0)
    expect(page.locator("#na-chat script")).to_have_count(0)
    # Neither the article's Markdown nor its javascript: URL became a link or an image.
    expect(page.locator("a[href*='evil.example']")).to_have_count(0)
    expect(page.locator("a[href^='javascript']")).to_have_count(0)
    passage = source.locator(".na-passage")
    expect(passage).to_contain_text("[the festival link](http://evil.example/phish)")
    expect(passage).to_contain_text("![a photo](http://evil.example/pixel.png)")
    expect(passage).to_contain_text("Tickets cost $5 and *everyone* was welcome.")
    assert network.blocked == [], f"the page tried to leave the machine: {network.blocked}"


def test_abstention_is_shown_with_the_closest_passages(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "What did Putin say about the drones?")
    expect(answer).to_have_class("na-answer na-abstained")
    expect(answer.locator(".na-abstention")).to_have_text("The articles don't say.")
    expect(answer.locator(".na-sources summary")).to_contain_text("Closest passages")
    assert answer.locator(".na-source").count() >= 1
    expect(answer.locator("a.na-ref")).to_have_count(0)
    expect(page.locator(".na-error")).to_have_count(0)


def test_example_question_on_the_empty_chat_is_answered(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    example = page.locator("#na-chat").get_by_role("button", name="What did Vučić say about Turkish industry?")
    expect(example).to_be_visible()
    example.click()
    answer = page.locator(FINAL_ANSWER)
    expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(answer.locator(".na-answer-text")).to_contain_text("significantly stronger than ours")


def test_two_sessions_do_not_share_their_history(chat_server: RunningServer, chromium_browser: Any) -> None:
    """A follow-up in one browser session is resolved against that session's history only."""
    from playwright.sync_api import expect

    network = NetworkGuard()
    first_context = confined_context(chromium_browser, network)
    second_context = confined_context(chromium_browser, network)
    try:
        first, second = first_context.new_page(), second_context.new_page()
        open_chat(first, chat_server)
        open_chat(second, chat_server)
        ask(first, "What did Vučić say about Turkish industry?")
        with_history = ask(first, "What did he say about shells?")
        without_history = ask(second, "What did he say about shells?")
        expect(with_history).to_contain_text("Understood as: What did Vučić say about shells?")
        expect(without_history.locator(".na-answer-text")).to_be_visible()
        expect(without_history).not_to_contain_text("Understood as")
        expect(second.locator(".na-question")).to_have_count(1)
        assert network.blocked == [], f"the page tried to leave the machine: {network.blocked}"
    finally:
        first_context.close()
        second_context.close()


def test_a_too_long_paste_is_counted_refused_in_the_turn_and_kept(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """5,000 pasted characters are not cut to 1,000 silently: the counter says so as it is pasted, the refusal
    is a turn of the conversation (which stays), and the text stays in the box to shorten."""
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    ask(page, "What did Vučić say about Turkish industry?")
    box = page.locator("#na-question textarea")
    long_question = "What did Vučić say about drones? " * 152  # 5,016 characters
    box.fill(long_question)
    expect(page.locator("#na-count")).to_contain_text("5,016 / 1,000 characters: too long by 4,016")
    expect(page.locator("#na-count .na-over")).to_have_count(1)
    box.press("Enter")
    expect(page.locator(".na-error")).to_contain_text("the question is 5,016 characters long; the limit is 1,000")
    expect(page.locator(".na-answered")).to_have_count(1)  # the earlier answer is still there
    expect(page.locator(".na-question")).to_have_count(2)
    assert box.input_value() == long_question
    box.fill("What did Vučić say about shells?")
    expect(page.locator("#na-count")).to_have_text("32 / 1,000 characters")


def test_a_reader_marks_an_answer_wrong_with_a_comment(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """👎 on an answer stores it at once (question, answer, citations) in the data dir; the optional comment
    joins the same record; `eval --from-feedback` can then draft an eval item from it."""
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "What did Vučić say about Turkish industry?")
    log = chat_server.data_dir / "feedback.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    page.locator("#na-chat").get_by_role("button", name="Dislike").last.click()
    note = page.locator("#na-feedback-note")
    expect(note).to_contain_text("was wrong or unhelpful")
    comment = page.locator("#na-comment textarea")
    expect(comment).to_be_visible()
    comment.fill("It should quote what he said about drones.")
    page.locator("#na-send-comment").click()
    expect(note).to_contain_text("Comment recorded")
    expect(comment).to_be_hidden()
    lines = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    assert [line["rating"] for line in lines] == ["down", "down"] and lines[0]["id"] == lines[1]["id"]
    assert lines[1]["comment"] == "It should quote what he said about drones."
    assert lines[0]["question"] == "What did Vučić say about Turkish industry?"
    assert lines[0]["citations"][0]["path"] == "seeds/000_8c1e59730e0383e1.txt"
    expect(answer).to_be_visible()  # rating changes nothing in the conversation


def test_the_conversation_survives_a_reload_and_a_server_restart(
    tmp_path: Path, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """The conversation is kept in the browser: after a reload, and after the server restarts (same address),
    it is still shown and a follow-up is still resolved against it; after "New chat" the new one is."""
    from playwright.sync_api import expect

    page, network = browser_page
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    ingest_cli(tmp_path / "data", tmp_path / "seeds")
    port = free_port()
    with run_server(tmp_path / "data", tmp_path / "first.log", port=port) as server:
        open_chat(page, server)
        ask(page, "What did Vučić say about Turkish industry?")
        page.reload(wait_until="load")
        expect(page.locator(".na-answered")).to_have_count(1)
        expect(page.locator(".na-question")).to_have_text(["What did Vučić say about Turkish industry?"])
    with run_server(tmp_path / "data", tmp_path / "second.log", port=port) as server:
        page.reload(wait_until="load")
        expect(page.locator(".na-answered")).to_have_count(1)  # shown again after the restart
        follow_up = ask(page, "What did he say about shells?")
        expect(follow_up).to_contain_text("Understood as: What did Vučić say about shells?")
        expect(page.locator(".na-question")).to_have_count(2)

        page.get_by_role("button", name="New chat").click()
        expect(page.locator(".na-question")).to_have_count(0)
        page.reload(wait_until="load")
        page.wait_for_selector("#na-question textarea")
        expect(page.locator(".na-question")).to_have_count(0)  # the new chat is the open one after a reload
    assert network.blocked == []


def test_earlier_conversations_are_kept_reopened_renamed_and_deleted_after_asking(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """ "New chat" keeps the open conversation in a list (in the browser, like the open one): it can be opened
    again (the follow-up still resolves against it), renamed, and deleted after a confirmation."""
    from playwright.sync_api import expect

    page, network = browser_page
    open_chat(page, chat_server)
    ask(page, "What did Vučić say about Turkish industry?")
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".na-question")).to_have_count(0)
    ask(page, "What did Putin say about the drones?")

    page.get_by_label("Earlier conversations").click()
    page.get_by_role("option", name=re.compile(r"^What did Vučić say about Turkish industry\? · ")).click()
    page.get_by_role("button", name="Open").click()
    expect(page.locator(".na-question")).to_have_text(["What did Vučić say about Turkish industry?"])
    follow_up = ask(page, "What did he say about shells?")  # the reopened conversation's history is back
    expect(follow_up).to_contain_text("Understood as: What did Vučić say about shells?")

    page.get_by_label("Earlier conversations").click()  # the Putin conversation took its place in the list
    page.get_by_role("option", name=re.compile(r"^What did Putin say about the drones\? · ")).click()
    page.get_by_label("New name for it").fill("Drones, <b>Putin</b>")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_label("Earlier conversations")).to_have_value(re.compile(r"^Drones, <b>Putin</b> · "))
    page.reload(wait_until="load")  # the list is kept in the browser like the open conversation
    page.wait_for_selector("#na-question textarea")
    expect(page.locator(".na-question")).to_have_count(2)
    page.get_by_label("Earlier conversations").click()
    expect(page.get_by_role("option")).to_have_count(1)
    page.get_by_role("option").filter(has_text="Drones, <b>Putin</b> · ").click()

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_timeout(500)
    page.get_by_label("Earlier conversations").click()
    expect(page.get_by_role("option")).to_have_count(1)  # dismissed: still there
    page.keyboard.press("Escape")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_timeout(500)
    page.get_by_label("Earlier conversations").click()
    expect(page.get_by_role("option")).to_have_count(0)
    assert network.blocked == []


def test_each_citation_has_its_own_colour_and_outlines_only_its_quote(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """Vučić's answer cites two sentences of one passage: [1] and [2] get different colours, and clicking [2]
    outlines the quote backing [2], not the one backing [1]."""
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "What did Vučić say about Turkish industry?")
    markers = answer.locator("a.na-ref")
    expect(markers).to_have_count(2)
    marks = answer.locator(".na-passage mark")
    expect(marks).to_have_count(2)
    backgrounds = marks.evaluate_all("(all) => all.map((m) => getComputedStyle(m).backgroundColor)")
    assert len(set(backgrounds)) == 2, backgrounds
    markers.nth(1).click()
    expect(answer.locator("mark.na-active.na-q2")).to_have_count(1)
    expect(answer.locator("mark.na-active")).to_have_count(1)
    markers.nth(0).click()
    expect(answer.locator("mark.na-active.na-q1")).to_have_count(1)
    expect(answer.locator("mark.na-active")).to_have_count(1)


def test_the_asked_detail_is_marked_inside_its_quote(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """A "how many" answer: the count is bold inside the highlighted quote (the Markdown sanitiser keeps it)."""
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "With how many countries did Baykar sign export contracts?")
    key = answer.locator(".na-passage mark.na-q1 strong.na-key")
    expect(key).to_have_count(1)
    expect(key).to_contain_text("30")
    assert key.evaluate("(k) => getComputedStyle(k).fontWeight") == "700"


def test_closest_passages_of_an_abstention_do_not_look_like_evidence(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    page, _network = browser_page
    open_chat(page, chat_server)
    answer = ask(page, "What did Putin say about the drones?")
    mark = answer.locator(".na-closest .na-passage mark").first
    style = mark.evaluate("(m) => [getComputedStyle(m).backgroundColor, getComputedStyle(m).borderBottomStyle]")
    assert style == ["rgba(0, 0, 0, 0)", "dashed"], style


def test_a_source_title_opens_the_whole_article_at_the_cited_quote(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, network = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    open_chat(page, chat_server)
    answer = ask(page, "What did Vučić say about Turkish industry?")
    answer.locator("a.na-open").first.click()
    viewer = page.locator("#na-viewer .na-viewer-body")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".na-viewer-title")).to_contain_text("Erdogan")
    expect(viewer.locator(".na-meta").first).to_contain_text("seeds/000_8c1e59730e0383e1.txt")
    shown = viewer.locator(".na-article-text").inner_text()
    seed = SEED.read_text(encoding="utf-8")
    assert " ".join(shown.split()) == " ".join(seed.split())  # the whole article, not the cited passage
    mark = viewer.locator(".na-article-text mark").first
    expect(mark).to_contain_text("significantly stronger than ours")
    expect(mark).to_be_in_viewport()
    page.get_by_role("button", name="Close article").click()
    expect(viewer).to_have_count(0)
    assert network.blocked == []


def test_articles_uploaded_in_the_browser_are_answered_from_and_named_as_their_source(
    tmp_path: Path, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """An article file and a zip (one good member, one trying to escape with ../) uploaded from the page go
    through the CLI's ingest: the summary names what was refused, the Source filter offers the typed name,
    and the new article answers a question."""
    import zipfile

    from playwright.sync_api import expect

    page, network = browser_page
    story = tmp_path / "lighthouse.txt"
    story.write_text(
        "Port Quillon lighthouse reopens\n\nThe Port Quillon lighthouse reopened on Saturday after a £2.4m "
        "restoration paid for by the Harbour Trust, its keeper Maren Olsby said.",
        encoding="utf-8",
    )
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ferries.json", '{"title": "Ferry timetable", "text": "Ferries run hourly from May."}')
        zipped.writestr("../escape.txt", "Title\n\nShould never be written.")
    with run_server(tmp_path / "data", tmp_path / "server.log") as server:
        open_chat(page, server)
        page.locator("#na-upload input[type=file]").set_input_files([str(story), str(archive)])
        page.get_by_label("Source name (what the Source filter will call them)").fill("Quillon Herald")
        page.locator("#na-add-articles").click()
        result = page.locator("#na-upload-result")
        expect(result).to_contain_text("2 new", timeout=ANSWER_TIMEOUT_MS)
        expect(result).to_contain_text("batch.zip:../escape.txt: unsafe path")
        assert not (tmp_path / "data" / "uploads" / "escape.txt").exists()
        assert (tmp_path / "data" / "uploads" / "Quillon Herald" / "lighthouse.txt").exists()
        page.get_by_label("Source", exact=True).click()
        expect(page.get_by_role("option", name="Quillon Herald")).to_be_visible()
        page.keyboard.press("Escape")
        page.locator("#na-question textarea").click()
        answer = ask(page, "How much did the Port Quillon lighthouse restoration cost?")
        expect(answer.locator(".na-answer-text")).to_contain_text("£2.4m")
        expect(answer.locator(".na-meta").first).to_contain_text("Quillon Herald")
    assert network.blocked == []


def test_the_conversation_exports_as_markdown_with_citations(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    export = page.locator("#na-export")
    expect(export).to_be_disabled()  # nothing to export yet
    ask(page, "What did Vučić say about Turkish industry?")
    ask(page, "What did Putin say about the drones?")
    expect(export).to_be_enabled()
    with page.expect_download() as download_info:
        export.click()
    document = download_info.value.path().read_text(encoding="utf-8")
    assert "## 1. What did Vučić say about Turkish industry?" in document
    assert "significantly stronger than ours" in document and "seeds/000\\_8c1e59730e0383e1.txt" in document
    assert "## 2. What did Putin say about the drones?" in document and "The articles don't say." in document


def test_example_questions_come_from_the_loaded_articles(
    tmp_path: Path, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """Without the seed article the examples are not about it: they are built from headlines of the collection
    that the assistant really answers, and one click answers them."""
    from playwright.sync_api import expect

    page, _network = browser_page
    wire = tmp_path / "wire" / "local"
    wire.mkdir(parents=True)
    (wire / "bridge.txt").write_text(
        "Quillon bridge reopens after repairs\n\nThe Quillon bridge reopened on Monday after six months of repairs "
        "costing £3m, the harbour council said.",
        encoding="utf-8",
    )
    (wire / "ferry.txt").write_text(
        "Ferry fares rise by 5%\n\nFerry fares between Quillon and Marsk will rise by 5% in April, the operator "
        "Marsk Lines announced on Tuesday.",
        encoding="utf-8",
    )
    ingest_cli(tmp_path / "data", tmp_path / "wire")
    with run_server(tmp_path / "data", tmp_path / "server.log") as server:
        open_chat(page, server)
        examples = page.locator("#na-chat").get_by_role("button", name=re.compile("What does the article"))
        expect(examples.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        names = examples.all_inner_texts()
        assert not any("Vučić" in name for name in names)
        assert any("Quillon bridge reopens after repairs" in name for name in names), names
        examples.first.click()
        answer = page.locator(FINAL_ANSWER)
        expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        expect(answer).to_have_class(re.compile("na-answered"))


def test_citation_markers_take_a_44px_tap_on_a_phone(chat_server: RunningServer, chromium_browser: Any) -> None:
    """On a touch screen a tap up to 20 px beside a [n] still lands on it (a 23 x 15 px target before)."""
    from playwright.sync_api import expect

    network = NetworkGuard()
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    context = confined_context(chromium_browser, network, **phone)
    try:
        page = context.new_page()
        open_chat(page, chat_server)
        answer = ask(page, "What did Vučić say about Turkish industry?")
        marker = answer.locator("a.na-ref").first
        box = marker.bounding_box()
        assert box is not None and box["height"] < 44  # the text itself stays small
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y + 18)?.closest('a.na-ref')?.textContent || null", [x, y]
        )
        assert hit == marker.text_content()
        expect(marker).to_be_visible()
        assert network.blocked == []
    finally:
        context.close()


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard_as_text(
    chat_server: RunningServer, chromium_browser: Any
) -> None:
    from playwright.sync_api import expect

    network = NetworkGuard()
    context = confined_context(chromium_browser, network, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        open_chat(page, chat_server)
        answer = ask(page, "What did Vučić say about Turkish industry?")
        copy = answer.locator("a.na-copy")
        expect(copy).to_have_count(1)
        copy.click()
        expect(copy).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        shown = answer.locator(".na-answer-text").inner_text().strip()
        assert copied.startswith(shown), copied
        assert "<" not in copied and "significantly stronger than ours" in copied  # text, not the message HTML
        assert "\nSources:\n[1]" in copied and "seeds/000_8c1e59730e0383e1.txt" in copied
        quotes = answer.locator(".na-passage mark").all_inner_texts()
        assert quotes and all(f'"{quote.strip()}"' in copied for quote in quotes)
        assert page.url.endswith("/")  # the link did not navigate
        assert network.blocked == []
    finally:
        context.close()


def test_on_a_phone_the_filters_are_a_closed_drawer_and_the_page_is_the_one_scroll_area(
    chat_server: RunningServer, chromium_browser: Any
) -> None:
    from playwright.sync_api import expect

    network = NetworkGuard()
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    context = confined_context(chromium_browser, network, **phone)
    try:
        page = context.new_page()
        open_chat(page, chat_server)
        drawer = page.locator("#na-side > button")
        expect(drawer).to_have_attribute("aria-expanded", "false")
        category = page.get_by_label("Category")
        expect(category).to_be_hidden()
        expect(page.get_by_role("button", name="New chat")).to_be_visible()  # kept out of the drawer
        for question in ("What did Vučić say about Turkish industry?", "What did Putin say about the drones?"):
            ask(page, question)
        nested = page.locator("#na-chat").evaluate(
            """(chat) => [chat, ...chat.querySelectorAll("*")].filter((el) => {
                 const style = getComputedStyle(el);
                 return /(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
               }).map((el) => el.className)"""
        )
        assert nested == [], nested  # the answers make the page longer; nothing scrolls inside the chat
        drawer.tap()
        expect(drawer).to_have_attribute("aria-expanded", "true")
        expect(category).to_be_visible()
        assert network.blocked == []
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_drawer_is_open(
    chat_server: RunningServer, browser_page: tuple[Any, NetworkGuard]
) -> None:
    from playwright.sync_api import expect

    page, _network = browser_page
    open_chat(page, chat_server)
    expect(page.locator("#na-side > button")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Category")).to_be_visible()
    # the calendar cannot be opened at the articles' dates, so the date fields say which they are
    expect(page.locator("#na-side").get_by_text("The articles are dated 2024-05-04 to 2024-05-04.")).to_have_count(2)
    calendars = page.locator("button.calendar")
    expect(calendars).to_have_count(2)
    for i in range(2):  # each calendar button lies inside its field, not cut off at the panel's edge
        inside = calendars.nth(i).evaluate(
            "(b) => b.getBoundingClientRect().right <= b.closest('.block').getBoundingClientRect().right"
        )
        assert inside


@pytest.mark.parametrize(
    ("name", "device"),
    [
        ("screenshot-chat.png", {"viewport": {"width": 1366, "height": 900}}),
        ("screenshot-phone.png", {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}),
    ],
)
def test_the_readme_screenshots_show_an_answer_with_its_sources(
    chat_server: RunningServer, chromium_browser: Any, name: str, device: dict[str, Any]
) -> None:
    """The README's screenshots are taken here: into test-artifacts/, or into docs/ with
    NEWS_ASSISTANT_UPDATE_SCREENSHOTS=1 (then commit them)."""
    import os

    from playwright.sync_api import expect

    network = NetworkGuard()
    context = confined_context(chromium_browser, network, **device)
    try:
        page = context.new_page()
        open_chat(page, chat_server)
        answer = ask(page, "What did Vučić say about Turkish industry?")
        expect(answer.locator(".na-passage mark")).to_have_count(2)
        expect(page.locator(".na-question").last).to_be_in_viewport()  # the question is scrolled into view
        folder = REPO / "docs" if os.environ.get("NEWS_ASSISTANT_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS
        folder.mkdir(exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # the title and status line too; the chat keeps its own scroll
        # a phone scrolls the page only, so its picture is the whole page
        picture = page.screenshot(path=str(folder / name), full_page=device.get("is_mobile", False))
        width = int.from_bytes(picture[16:20], "big")  # PNG header: IHDR width
        assert picture[:8] == b"\x89PNG\r\n\x1a\n" and width == device["viewport"]["width"]
        assert network.blocked == []
    finally:
        context.close()


def test_the_article_list_is_searched_read_and_an_article_removed_after_asking(
    tmp_path: Path, chromium_browser: Any
) -> None:
    from playwright.sync_api import expect

    wire = write_corpus(tmp_path / "wire", TWO_STORIES)
    ingest_cli(tmp_path / "data", SEED.parent, wire)
    network = NetworkGuard()
    with run_server(tmp_path / "data", tmp_path / "server.log") as server:
        context = confined_context(chromium_browser, network)
        try:
            page = context.new_page()
            open_chat(page, server)
            articles = page.locator("#na-articles")
            expect(articles).to_contain_text("3 articles")
            page.get_by_label("Search the articles").fill("arsenal CUP")
            expect(articles).to_contain_text("1 article matching “arsenal CUP”")
            item = articles.locator("li")
            expect(item).to_have_count(1)
            expect(item).to_contain_text("wire/cup.txt")
            item.locator("a.na-open").click()  # the title opens the whole article
            expect(page.locator("#na-viewer")).to_contain_text("beating Manchester United on penalties")

            page.once("dialog", lambda dialog: dialog.dismiss())  # "Remove" asks first; No keeps it
            item.locator("a.na-remove").click()
            page.wait_for_timeout(500)
            expect(item).to_have_count(1)
            page.once("dialog", lambda dialog: dialog.accept())
            item.locator("a.na-remove").click()
            expect(articles).to_contain_text("Removed “Arsenal win the FA Cup” (wire/cup.txt).")
            expect(articles).to_contain_text("0 articles matching")
            expect(page.locator("#na-status")).to_contain_text("2 articles")
            answer = ask(page, "Which club won the FA Cup on penalties?")
            expect(answer).not_to_contain_text("wire/cup.txt")
            assert network.blocked == []
        finally:
            context.close()


def test_uploading_the_seed_and_50_bbc_files_in_the_browser_makes_the_same_store_as_the_cli(
    tmp_path: Path, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """The same 51 files, uploaded from the page under a source name, and ingested with the CLI from a folder of
    that name: the same articles (ids, titles, dates, paths, sources) cut into the same chunks, all embedded."""
    import sqlite3

    from playwright.sync_api import expect

    from tests.conftest import BBC, require

    require(BBC.is_dir(), f"the BBC corpus is expected at {BBC}")
    page, network = browser_page
    files = tmp_path / "Newsdesk"
    files.mkdir()
    shutil.copy(SEED, files / SEED.name)
    for category in sorted(p.name for p in BBC.iterdir() if p.is_dir()):
        for article in sorted((BBC / category).glob("*.txt"))[:10]:  # 10 per category; names repeat across them
            shutil.copy(article, files / f"{category}-{article.name}")
    uploaded = sorted(files.iterdir())
    assert len(uploaded) == 51

    ingest_cli(tmp_path / "cli", files)
    # an empty collection, as the CLI's was (the server would otherwise add the bundled seed on first use)
    no_seeds = {"NEWS_ASSISTANT_INGEST_SEEDS_ON_FIRST_RUN": "false"}
    with run_server(tmp_path / "web", tmp_path / "server.log", env=no_seeds) as server:
        open_chat(page, server)
        page.locator("#na-upload input[type=file]").set_input_files([str(f) for f in uploaded])
        page.get_by_label("Source name (what the Source filter will call them)").fill("Newsdesk")
        page.locator("#na-add-articles").click()
        expect(page.locator("#na-upload-result")).to_contain_text("51 new", timeout=ANSWER_TIMEOUT_MS)

    def store(data_dir: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        (manifest,) = data_dir.glob("collections/*/manifest.sqlite3")
        with sqlite3.connect(manifest) as db:
            articles = db.execute("SELECT id, title, path, source, category, date FROM articles ORDER BY id").fetchall()
            chunks = db.execute('SELECT id, start, "end", text, embedded FROM chunks ORDER BY id').fetchall()
        return articles, chunks

    cli_articles, cli_chunks = store(tmp_path / "cli")
    web_articles, web_chunks = store(tmp_path / "web")
    assert len(cli_articles) >= 50 and cli_articles == web_articles
    assert cli_chunks == web_chunks and all(embedded == 1 for *_, embedded in web_chunks)
    assert network.blocked == []


def test_double_check_has_the_local_model_read_the_question_ticked(
    tmp_path: Path, browser_page: tuple[Any, NetworkGuard]
) -> None:
    """The reader backend for chosen questions, from the chat of an extractive server: the model (here the small
    SmolLM2, served by the server itself from NEWS_ASSISTANT_READER_GGUF) is asked only while the box is ticked,
    and the answer says it was."""
    from playwright.sync_api import expect

    gguf = require_llama_server()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    data_dir = tmp_path / "data"
    ingest_cli(data_dir, seeds)
    page, network = browser_page
    env = {"NEWS_ASSISTANT_READER_GGUF": str(gguf)}
    with run_server(data_dir, tmp_path / "server.log", env=env) as server:
        open_chat(page, server)
        question = "Which countries signed export contracts for Turkish drones?"
        plain = ask(page, question)
        expect(plain).not_to_contain_text("Double-checked")
        page.locator("#na-careful input[type=checkbox]").check()
        checked = ask(page, question)
        expect(checked).to_contain_text(f"Double-checked: {gguf.name.removesuffix('.gguf')} read the best sentences")
        page.locator("#na-careful input[type=checkbox]").uncheck()
        expect(ask(page, question)).not_to_contain_text("Double-checked")
    assert network.blocked == []
