"""The CLI as a user runs it: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CUP_STORY, REPO, TWO_STORIES, write_corpus

GUARD = Path(__file__).parent / "data" / "no_network.py"


def run_cli(*args: str, data_dir: Path, guard: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWS_ASSISTANT_DATA_DIR": str(data_dir)}
    code = ["-m", "assistant.cli", *args]
    if guard:
        code = [str(GUARD), *args]
    return subprocess.run(
        [sys.executable, *code], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def test_readme_flow_ask_works_on_a_fresh_data_dir_without_any_network(tmp_path: Path) -> None:
    result = run_cli("ask", "What did Vučić say about Turkish industry?", "--json", data_dir=tmp_path, guard=True)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "significantly stronger than ours" in answer["text"]
    assert answer["citations"][0]["path"] == "seeds/000_8c1e59730e0383e1.txt"
    assert "blocked network" not in result.stderr


def test_putin_question_abstains_from_the_cli(tmp_path: Path) -> None:
    result = run_cli("ask", "What did Putin say about the drones?", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("The articles don't say")
    assert "Closest passages" in result.stdout


def test_ingest_prints_the_summary_and_errors_are_clear(tmp_path: Path) -> None:
    corpus = tmp_path / "wire"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Headline here\n\nA story about a football club winning.", encoding="utf-8")
    (corpus / "b.bin").write_bytes(b"\x00\x01")
    result = run_cli("ingest", str(corpus), data_dir=tmp_path / "d")
    assert result.returncode == 0, result.stderr
    assert "2 files: 1 new, 0 updated, 0 unchanged, 0 duplicate, 1 skipped, 0 failed" in result.stdout
    again = run_cli("ingest", str(corpus), data_dir=tmp_path / "d")
    assert "1 unchanged" in again.stdout and "0 embedded" in again.stdout
    missing = run_cli("ingest", str(tmp_path / "nope"), data_dir=tmp_path / "d")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = run_cli("ask", "  ", data_dir=tmp_path / "d")
    assert empty.returncode == 2 and "the question is empty" in empty.stderr
    bad_date = run_cli("ask", "What?", "--date-from", "yesterday", data_dir=tmp_path / "d")
    assert bad_date.returncode == 2 and "date_from" in bad_date.stderr
    status = run_cli("status", "--json", data_dir=tmp_path / "d")
    assert json.loads(status.stdout)["articles"] == 1


def test_the_network_guard_really_blocks() -> None:
    probe = (
        f"exec(open({str(GUARD)!r}).read().split('if __name__')[0])\n"
        "import socket\n"
        "socket.getaddrinfo('example.com', 443)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "blocked network: getaddrinfo 'example.com'" in result.stderr


def test_an_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    env_url = "http://127.0.0.1:9"  # the discard port: nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "What did Vučić say?"],
        env={**os.environ, "NEWS_ASSISTANT_DATA_DIR": str(tmp_path), "NEWS_ASSISTANT_CHROMA_URL": env_url},
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot reach the Chroma server at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_bytes_in_a_question_do_not_crash_the_cli(tmp_path: Path) -> None:
    """Issue 9, item 1: `ask $'What \\xff record?'` printed a traceback (argv decodes \\xff to a lone surrogate)."""
    env = {**os.environ, "NEWS_ASSISTANT_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"assistant.cli", b"ask", b"What did Vu\xff say about Turkish industry?"],
        capture_output=True, env=env, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr


def test_terminal_escapes_in_articles_never_reach_the_terminal(tmp_path: Path) -> None:
    """Issue 9, item 2: an article carrying ESC]0;title BEL and ESC[31m wrote them to the user's terminal."""
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "evil.txt": "Evil \x1b]0;PWNED\x07headline\n\nThe harbour authority said the \x1b[31mred\x1b[0m ferry "
            "carried 312 passengers across the bay on Monday.\x9b2J\n"
        },
    )
    assert run_cli("ingest", str(corpus), data_dir=tmp_path / "data").returncode == 0
    result = run_cli("ask", "How many passengers did the red ferry carry?", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "312 passengers" in result.stdout
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in result.stdout and control not in result.stderr


def test_a_data_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    """Issue 9, item 7: `--data-dir /etc/passwd` printed a traceback."""
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    result = run_cli("ask", "What did Vučić say?", "--data-dir", str(a_file), data_dir=tmp_path / "unused")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "is not a folder" in result.stderr


def test_status_of_a_missing_data_dir_does_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = run_cli("status", "--data-dir", str(missing), data_dir=tmp_path / "unused")
    assert result.returncode == 2 and "nothing has been ingested" in result.stderr
    assert not missing.exists()


def test_settings_errors_are_plain_sentences(tmp_path: Path) -> None:
    env_result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "status"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
        env={**os.environ, "NEWS_ASSISTANT_DATA_DIR": str(tmp_path), "NEWS_ASSISTANT_TOP_K": "0"},
    )  # fmt: skip
    assert env_result.returncode == 2
    assert "top_k" in env_result.stderr and "greater than or equal to 1" in env_result.stderr
    assert "pydantic.dev" not in env_result.stderr and "Traceback" not in env_result.stderr


def test_serve_on_a_busy_port_says_so_before_announcing_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), data_dir=tmp_path)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "chat and API on" not in result.stderr


def test_help_does_not_load_the_heavy_stack() -> None:
    """--help answered in ~5 s because `import assistant` loaded Chroma, onnxruntime, llama-index and spaCy."""
    heavy = ("chromadb", "onnxruntime", "spacy", "llama_index")
    probe = f"import sys, assistant.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_ingest_names_the_source_as_the_user_asks(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "Downloads-2005", {"a.txt": CUP_STORY})
    named = run_cli("ingest", str(corpus), "--source", "  Reuters wire ", data_dir=tmp_path / "d")
    assert named.returncode == 0, named.stderr
    status = json.loads(run_cli("status", "--json", data_dir=tmp_path / "d").stdout)
    assert status["sources"] == ["Reuters wire"]
    answer = json.loads(
        run_cli(
            "ask", "Which club won the FA Cup?", "--source", "Reuters wire", "--json", data_dir=tmp_path / "d"
        ).stdout
    )
    assert answer["citations"] and all(c["source"] == "Reuters wire" for c in answer["citations"])
    blank = run_cli("ingest", str(corpus), "--source", " ", data_dir=tmp_path / "d")
    assert blank.returncode == 2 and "the source name is empty" in blank.stderr


def test_articles_are_listed_searched_and_removed_for_good(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "wire", TWO_STORIES)
    data = tmp_path / "d"
    assert run_cli("ingest", str(corpus), data_dir=data).returncode == 0
    listed = json.loads(run_cli("articles", "--json", data_dir=data).stdout)
    assert listed["total"] == 2
    found = json.loads(run_cli("articles", "fa CUP", "--json", data_dir=data).stdout)  # every word, any case
    assert [a["title"] for a in found["articles"]] == ["Arsenal win the FA Cup"]
    assert json.loads(run_cli("articles", "100%_", "--json", data_dir=data).stdout)["total"] == 0  # no wildcards
    cup = found["articles"][0]["id"]

    removed = run_cli("remove", cup, data_dir=data)
    assert removed.returncode == 0 and "removed Arsenal win the FA Cup (wire/cup.txt)" in removed.stdout
    assert json.loads(run_cli("status", "--json", data_dir=data).stdout)["articles"] == 1
    answer = json.loads(run_cli("ask", "Which club won the FA Cup?", "--json", data_dir=data).stdout)
    assert all(c["article_id"] != cup for c in answer["citations"] + answer["closest"])
    again = run_cli("ingest", str(corpus), data_dir=data)  # the unchanged file does not bring it back
    assert "2 unchanged" in again.stdout
    assert json.loads(run_cli("articles", "--json", data_dir=data).stdout)["total"] == 1

    unknown = run_cli("remove", cup, data_dir=data)
    assert unknown.returncode == 2 and f"no article '{cup}'" in unknown.stderr
