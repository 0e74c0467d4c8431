"""Old conversation exports are deleted when a new one is written, so a long-running server keeps few."""

from __future__ import annotations

import os
import time
from pathlib import Path

from assistant.server.web import prune_exports


def export_folder(root: Path, name: str, age_s: float) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "conversation.md").write_text("# News assistant conversation\n", encoding="utf-8")
    then = time.time() - age_s
    os.utime(folder, (then, then))
    return folder


def test_exports_older_than_the_limit_are_deleted_and_newer_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    old = export_folder(root, "0123456789abcdef", age_s=7200)
    recent = export_folder(root, "fedcba9876543210", age_s=60)
    stray = root / "notes.txt"  # not an export folder: never touched
    stray.write_text("keep", encoding="utf-8")
    os.utime(stray, (time.time() - 7200,) * 2)
    assert prune_exports(root, 3600) == 1
    assert not old.exists()
    assert (recent / "conversation.md").is_file() and stray.read_text(encoding="utf-8") == "keep"
    assert prune_exports(root, 3600) == 0


def test_a_missing_exports_folder_is_nothing_to_prune(tmp_path: Path) -> None:
    assert prune_exports(tmp_path / "never-created", 3600) == 0
