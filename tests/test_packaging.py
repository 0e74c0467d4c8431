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
    ):
        assert required in names
