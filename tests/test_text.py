"""assistant.text.clean: what may reach the tokenizer and the terminal."""

from __future__ import annotations

import pytest

from assistant.text import clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc \ud800 def", "abc \ufffd def"),  # a lone surrogate (JSON "\ud800", or argv's undecodable \xff)
        ("title \x1b]0;PWNED\x07 end", "title  end"),  # OSC: set the terminal title
        ("the \x1b[31mred\x1b[0m ferry", "the red ferry"),  # CSI colour codes
        ("clear \x9b2J screen", "clear  screen"),  # 8-bit CSI
        ("nul\x00 del\x7f bell\x07", "nul del bell"),
        ("tabs\tand\nnewlines stay", "tabs\tand\nnewlines stay"),
        ("Vučić, 北京, مرحبا, emoji 🎉", "Vučić, 北京, مرحبا, emoji 🎉"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected
    assert clean(clean(raw)) == clean(raw)
    clean(raw).encode("utf-8")  # always encodable
