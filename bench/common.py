"""Shared helpers of the benchmark: paths, questions, statistics, memory readings and a `chroma run` server."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.dataset import EvalItem

REPO = Path(__file__).resolve().parents[1]
BBC_DIR = REPO.parent / "shared" / "corpora" / "bbc"
SEEDS_DIR = REPO / "seeds"
EVAL_SET = REPO / "eval" / "sets" / "news_qa.jsonl"
RESULTS_DIR = REPO / "bench" / "results"

# Perturbations for the second and later passes over the eval questions, so a repeated question is never
# byte-identical (nothing in the assistant caches answers today, but a benchmark should not depend on that).
_PREFIXES = ("Please tell me: ", "Quick question: ", "I'd like to know: ", "Can you check: ", "From the news: ")


def latency_questions(items: Sequence[EvalItem], n: int, seed: int) -> list[str]:
    """`n` questions: the eval questions in order, then cycled with a seeded prefix and a lower-cased start."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        question = items[i % len(items)].question
        if i >= len(items):
            question = rng.choice(_PREFIXES) + question[:1].lower() + question[1:]
        out.append(question)
    return out


def percentiles(values: Iterable[float]) -> dict[str, float]:
    """p50 / p95 / max / mean in milliseconds, from seconds."""
    arr = np.asarray(list(values), dtype=np.float64) * 1000.0
    if arr.size == 0:
        return {"n": 0}
    return {
        "n": int(arr.size),
        "p50_ms": round(float(np.percentile(arr, 50)), 1),
        "p95_ms": round(float(np.percentile(arr, 95)), 1),
        "max_ms": round(float(arr.max()), 1),
        "mean_ms": round(float(arr.mean()), 1),
    }


def hit(gold: Iterable[str], retrieved_paths: Iterable[str]) -> bool:
    return bool(set(gold) & set(retrieved_paths))


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process in bytes, from /proc (Linux)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def wait_healthy(base_url: str, process: subprocess.Popen[Any], log_path: Path, timeout: float = 180) -> None:
    """Until `news-assistant serve` at `base_url` answers /api/health; RuntimeError if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with code {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"serve gave no /api/health in {timeout:.0f} s; see {log_path}")


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chroma_executable() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else "chroma"


class ChromaServer:
    """`chroma run --path PATH` on a free loopback port, as a context manager."""

    def __init__(self, path: Path, log_path: Path) -> None:
        self.path = path
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ChromaServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [chroma_executable(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with code {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"chroma run gave no heartbeat in 120 s; see {self.log_path}")

    def peak_rss(self) -> int | None:
        return proc_status(self.process.pid).get("VmHWM") if self.process else None

    def __exit__(self, *exc: object) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
