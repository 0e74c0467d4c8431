"""Real services for end-to-end tests: the news-assistant server (a `news-assistant serve` subprocess on a free
loopback port) and headless Chromium driven by Playwright.

Reuse: `news_server` is a fresh, seeded server shared by a test session; `run_server(data_dir, log_path)` starts
one over a collection you prepared (e.g. with `ingest_cli`); `browser_page` is a page that can only reach
loopback addresses and records every attempt to go elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO, require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 180.0  # seconds; loading the embedding model and Gradio on a slow CI machine
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    data_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A port nothing listens on right now (the server binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_env(data_dir: Path, extra: dict[str, str] | None) -> dict[str, str]:
    # Inherited NEWS_ASSISTANT_* settings (a developer's backend, token, ...) would change what the tests see.
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWS_ASSISTANT_")}
    env |= {
        "NEWS_ASSISTANT_DATA_DIR": str(data_dir),
        # "auto" would put the 1.5B reader behind every answer where it is installed (tests/conftest.py); a test
        # of the reader or of "auto" says so in `extra`
        "NEWS_ASSISTANT_BACKEND": "extractive",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    return env | (extra or {})


def ingest_cli(data_dir: Path, *paths: Path) -> None:
    """Ingest with the CLI in its own process, so the server later opens a store no other process holds."""
    env = _server_env(data_dir, None)
    command = [sys.executable, "-m", "assistant.cli", "ingest", *map(str, paths), "--data-dir", str(data_dir)]
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"ingest failed:\n{result.stdout}\n{result.stderr}"


@contextmanager
def run_server(
    data_dir: Path,
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[RunningServer]:
    """Start `news-assistant serve` on a free loopback port (or `port`, to restart a server where a browser
    expects it); yield once /api/health answers; stop it after."""
    port = port or free_port()
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--data-dir", str(data_dir), *args]
    server = RunningServer(f"http://127.0.0.1:{port}", data_dir, log_path)
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            command, env=_server_env(data_dir, env), cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _wait_until_healthy(server: RunningServer, process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with code {process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/api/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server did not answer /api/health within {SERVER_START_TIMEOUT:.0f}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def news_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server over a fresh collection, seeded at startup with the bundled article."""
    root = tmp_path_factory.mktemp("server")
    with run_server(root / "data", root / "server.log") as running:
        yield running


@dataclass
class NetworkGuard:
    """Requests the page tried to send off the machine (and that were aborted)."""

    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Headless Chromium from the Debian package (Playwright cannot download browsers here)."""
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (apt-get install chromium; .ci/setup.d/10-chromium.sh)")
    require(importlib.util.find_spec("playwright") is not None, "the Python package playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def confined_context(chromium_browser: Any, guard: NetworkGuard, **options: Any) -> Any:
    """A browser context (own cookies and storage) that may only talk to loopback addresses; `options` go to
    Playwright's new_context (e.g. a phone: viewport, has_touch, is_mobile)."""
    context = chromium_browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | options))

    def confine(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
            route.continue_()
        else:
            guard.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", confine)
    return context


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[tuple[Any, NetworkGuard]]:
    """A fresh page in a confined context, and the guard recording what it tried to reach elsewhere."""
    guard = NetworkGuard()
    context = confined_context(chromium_browser, guard)
    try:
        yield context.new_page(), guard
    finally:
        context.close()
