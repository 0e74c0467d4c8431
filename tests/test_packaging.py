"""`pip install .` (not only an editable install) must carry every module and the data files it reads."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_the_wheel_holds_every_module_the_model_tokenizer_prompts_and_seeds(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("news_assistant-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "assistant").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    for required in (
        "assistant/resources/minilm/tokenizer.json",
        "assistant/resources/extractive_model.json",
        "assistant/resources/prompts/answer_system.md",
        "assistant/resources/seeds/000_8c1e59730e0383e1.txt",
        "assistant/resources/eval/news_qa.jsonl",
    ):
        assert required in names


def test_the_shipped_eval_set_is_the_repos_set() -> None:
    shipped = REPO / "assistant/resources/eval/news_qa.jsonl"
    assert shipped.read_bytes() == (REPO / "eval/sets/news_qa.jsonl").read_bytes(), "cp eval/sets/news_qa.jsonl there"


def test_eval_outside_a_checkout_names_the_corpus_it_needs(tmp_path: Path) -> None:
    """From a wheel, eval's defaults pointed under the repo root: 'corpus bbc not found' with no way forward."""
    import os

    probe = (
        "import sys, pathlib, assistant.cli as cli; cli.REPO_ROOT = pathlib.Path(sys.argv[1]); "
        "sys.argv = ['news-assistant', 'eval', '--data-dir', sys.argv[2]]; cli.main()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "not-a-checkout"), str(tmp_path / "data")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "corpus 'bbc', which was not given: pass --corpus bbc=FOLDER" in message
