"""Browser uploads: what lands where, and what is refused (unsafe zip paths, wrong types, sizes)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.server import uploads
from assistant.server.uploads import save_upload, source_folder


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return path


def test_files_and_zip_members_land_under_the_source_folder(tmp_path: Path) -> None:
    article = tmp_path / "story.txt"
    article.write_text("Title\n\nText.", encoding="utf-8")
    archive = _zip(tmp_path / "batch.zip", {"wire/a.json": b'{"title": "A", "text": "B."}', "b.md": b"# B\n\nC."})
    plan = save_upload([article, archive], tmp_path / "uploads", "Reuters wire")
    assert plan.folder == tmp_path / "uploads" / "Reuters wire"
    assert sorted(plan.saved) == ["batch.zip:b.md", "batch.zip:wire/a.json", "story.txt"]
    assert (plan.folder / "wire" / "a.json").read_bytes() == b'{"title": "A", "text": "B."}'
    assert plan.refused == {}


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../escape.txt", "unsafe path"),
        ("/etc/passwd.txt", "unsafe path"),
        ("ok/../../escape.txt", "unsafe path"),
        (".hidden/a.txt", "unsafe path"),
        ("report.pdf", "not a supported type"),
    ],
)
def test_unsafe_or_unsupported_zip_members_are_refused(tmp_path: Path, member: str, why: str) -> None:
    archive = _zip(tmp_path / "x.zip", {member: b"Title\n\nText.", "fine.txt": b"Title\n\nText."})
    plan = save_upload([archive], tmp_path / "uploads", "s")
    assert plan.saved == ["x.zip:fine.txt"]
    assert why in plan.refused[f"x.zip:{member}"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "uploads" / "escape.txt").exists()


def test_sizes_and_broken_zips_are_refused_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    inflating = _zip(tmp_path / "bomb.zip", {"big.txt": b"x" * 10_000})  # 10 kB unpacked from a few bytes
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    plan = save_upload([big, inflating, broken, tmp_path / "big.txt"], tmp_path / "uploads", "s")
    assert plan.saved == []
    assert "too large" in plan.refused["big.txt"] and "too large" in plan.refused["bomb.zip:big.txt"]
    assert "not a readable zip" in plan.refused["broken.zip"]
    assert list((tmp_path / "uploads" / "s").iterdir()) == []


def test_a_source_name_becomes_a_safe_folder_name(tmp_path: Path) -> None:
    assert source_folder(tmp_path, "../../etc").name == "etc"
    assert source_folder(tmp_path, "   ").name == "uploads"
    assert source_folder(tmp_path, "Le Monde/économie").name == "Le Monde-économie"
    assert source_folder(tmp_path, "  Quillon   Herald ").name == "Quillon Herald"
    assert source_folder(tmp_path, "x" * 500).name == "x" * 60
