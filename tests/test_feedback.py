"""Readers' 👍/👎: stored with what was asked and answered, and turned into draft eval items."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from assistant import Assistant
from assistant.feedback import Feedback, FeedbackLog, draft_eval_items
from tests.conftest import REPO


def test_ratings_and_comments_are_kept_latest_line_wins(tmp_path: Path, seeded: Assistant) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    answer = seeded.ask("What did Vučić say about Turkish industry?")
    rated = log.add(Feedback.of("down", answer, "default"))
    log.add(Feedback.of("up", seeded.ask("What did Putin say about the drones?"), "default"))
    assert log.comment(rated.id, "  the quote is about shells, not industry  ") is not None
    assert log.comment("no-such-id", "x") is None
    entries = log.read()
    assert [e.rating for e in entries] == ["up", "down"]  # the commented one was written last
    down = entries[1]
    assert down.id == rated.id and down.comment == "the quote is about shells, not industry"
    assert down.question == answer.question and down.answer == answer.text
    assert down.citations and down.citations[0].quote == answer.citations[0].quote
    assert len((tmp_path / "feedback.jsonl").read_text().splitlines()) == 3  # appended, never rewritten


def test_a_damaged_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    good = Feedback(rating="up", question="Q?", answer="A.", abstained=False, backend="extractive", collection="c")
    path.write_text('{"rating": "sideways"}\nnot json\n' + good.model_dump_json() + "\n", encoding="utf-8")
    assert [e.id for e in FeedbackLog(path).read()] == [good.id]


def test_concurrent_ratings_all_land_as_whole_lines(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")

    def rate(n: int) -> None:
        for i in range(25):
            log.add(Feedback(rating="up", question=f"Q{n}-{i}?" + "x" * 3000, answer="A.", abstained=False,
                             backend="extractive", collection="c"))  # fmt: skip

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.read()) == 200


def test_drafts_say_what_a_human_must_confirm(seeded: Assistant) -> None:
    answered = seeded.ask("What did Vučić say about Turkish industry?")
    abstained = seeded.ask("What did Putin say about the drones?")
    drafts = draft_eval_items(
        [Feedback.of("up", answered, "c"), Feedback.of("up", abstained, "c"), Feedback.of("down", answered, "c")]
    )
    confirmed, no_answer, wrong = drafts
    assert confirmed["articles"] == ["seeds/000_8c1e59730e0383e1.txt"]
    assert confirmed["evidence"] == [c.quote for c in answered.citations] and "accept strings" in confirmed["todo"]
    assert no_answer["type"] == "unanswerable" and no_answer["evidence"] == []
    assert wrong["evidence"] == [] and "marked this answer wrong" in wrong["todo"]
    assert wrong["feedback"]["system_answer"] == answered.text


def test_eval_from_feedback_writes_drafts(tmp_path: Path, seeded: Assistant) -> None:
    answer = seeded.ask("What did Vučić say about Turkish industry?")
    seeded.feedback.add(Feedback.of("up", answer, "default"))

    def drafts_from(data_dir: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant.cli", "eval", "--from-feedback",
                   "--data-dir", str(data_dir), "--out", str(tmp_path / "out")]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120, check=False)

    done = drafts_from(seeded.settings.data_dir)
    assert done.returncode == 0, done.stderr
    assert "1 draft eval item(s) from 1 👍 and 0 👎" in done.stdout
    (draft,) = [json.loads(line) for line in (tmp_path / "out" / "feedback-drafts.jsonl").read_text().splitlines()]
    article = (REPO / draft["articles"][0]).read_text(encoding="utf-8")
    assert draft["evidence"][0] in article  # the cited quote is verbatim evidence, as the eval set needs
    (tmp_path / "nothing").mkdir()
    empty = drafts_from(tmp_path / "nothing")
    assert empty.returncode == 0 and "nothing to draft" in empty.stdout, empty.stderr
