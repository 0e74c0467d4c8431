"""axe-core audits of the chat in headless Chromium: light and dark, desktop and phone, with an answer, its
sources, an abstention and the article viewer on the page (the WCAG 2.x A/AA rules axe checks by default:
contrast, names, order, keyboard reach)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SEED
from tests.e2e.conftest import NetworkGuard, RunningServer, confined_context, ingest_cli, run_server

pytestmark = pytest.mark.e2e
ANSWER_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def seed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("a11y")
    (root / "seeds").mkdir()
    shutil.copy(SEED, root / "seeds" / SEED.name)
    ingest_cli(root / "data", root / "seeds")
    with run_server(root / "data", root / "server.log") as server:
        yield server


@pytest.mark.parametrize(
    ("viewport", "theme"),
    [((1366, 900), "light"), ((390, 844), "light"), ((1366, 900), "dark"), ((390, 844), "dark")],
    ids=["desktop-light", "phone-light", "desktop-dark", "phone-dark"],
)
def test_the_chat_has_no_axe_violations(
    seed_server: RunningServer, chromium_browser: Any, viewport: tuple[int, int], theme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    network = NetworkGuard()
    context = confined_context(chromium_browser, network)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.goto(f"{seed_server.base_url}/?__theme={theme}", wait_until="load")
        box = page.locator("#na-question textarea")
        box.wait_for()
        page.wait_for_selector("#na-articles li", state="attached")  # the empty chat (examples, list) first
        audits = [("the empty page", Axe().run(page))]
        for question, done in (
            ("What did Vučić say about Turkish industry?", ".na-answered"),
            ("What did Putin say about the drones?", ".na-abstained"),
        ):
            box.fill(question)
            box.press("Enter")
            page.wait_for_selector(done, timeout=ANSWER_TIMEOUT_MS)
        page.locator("details.na-sources").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
        page.locator("a.na-open").first.click()  # the article viewer is audited too
        page.wait_for_selector("#na-viewer .na-article-text mark")
        drawer = page.locator("#na-side > button")  # closed on a phone: open it, so the filters are audited
        if drawer.get_attribute("aria-expanded") == "false":
            drawer.click()
            page.get_by_label("Category").wait_for()
        box.fill("x" * 1200)  # the counter's "too long" state is audited too
        page.wait_for_selector("#na-count .na-over")
        audits.append(("answers, viewer, filters and counter", Axe().run(page)))
        found = [
            f"{where}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]} "
            f"{v['nodes'][0].get('failureSummary')}"
            for where, results in audits
            for v in results.response["violations"]
        ]
        assert found == [], "\n".join(found)
        assert network.blocked == []
    finally:
        context.close()
