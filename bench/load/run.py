"""Load test: 50 simulated readers for 2 minutes against a real `news-assistant serve`, through /api/ask, /v1 and
the chat (Gradio's queue), with locust. One command:

    python -m bench.load.run            # writes bench/results/load.{json,md}
    python -m bench.load.run --users 10 --time 30s --out /tmp/load.json

The server answers over the seed plus the BBC articles the eval set asks about (copied into a work directory,
never into the repo). Reported: per door and overall request count, failures, p50/p95 (ms), requests/s, and the
server's RSS at the start, the end and its peak. Numbers are reported, not asserted; the exit status is 1 only
when a request failed or the run crashed.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.dataset import load_eval_set
from bench.common import BBC_DIR, EVAL_SET, REPO, RESULTS_DIR, free_port, proc_status, wait_healthy


def _corpus(workdir: Path, bbc: Path) -> Path:
    corpus = workdir / "corpus" / "bbc"
    for item in load_eval_set(EVAL_SET):
        for article in item.articles:
            if article.startswith("bbc/"):
                target = corpus / article.removeprefix("bbc/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(bbc / article.removeprefix("bbc/"), target)
    return corpus


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    return round((proc_status(pid).get(key) or 0) / 2**20, 1)


def _stats(csv_path: Path) -> list[dict[str, Any]]:
    rows = []
    with csv_path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "rps": round(float(row["Requests/s"]), 2),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", default="2m", help="locust --run-time (e.g. 2m, 30s)")
    parser.add_argument("--bbc", type=Path, default=BBC_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "load.json")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="news-load-"))
    data_dir = workdir / "data"
    corpus = _corpus(workdir, args.bbc)
    print(f"ingesting {sum(1 for _ in corpus.rglob('*.txt'))} BBC articles + the seed into {data_dir}", flush=True)
    cli = [sys.executable, "-m", "assistant.cli"]
    subprocess.run([*cli, "ingest", str(corpus), "--data-dir", str(data_dir)], check=True, cwd=REPO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        # the extractive backend by name: the load is about the server, and "auto" would put a 1.5B model behind it
        [*cli, "serve", "--port", str(port), "--data-dir", str(data_dir), "--backend", "extractive"],
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    try:
        wait_healthy(url, server, workdir / "server.log")
        rss_start = _rss_mb(server.pid)
        prefix = workdir / "locust"
        command = [
            sys.executable, "-m", "locust", "-f", str(REPO / "bench/load/locustfile.py"), "--headless",
            "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", args.time,
            "--host", url, "--csv", str(prefix), "--only-summary",
        ]  # fmt: skip
        print("running:", " ".join(command[2:]), flush=True)
        started = time.monotonic()
        subprocess.run(command, cwd=REPO, check=False)
        seconds = round(time.monotonic() - started, 1)
        rss_end, rss_peak = _rss_mb(server.pid), _rss_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    rows = _stats(Path(f"{prefix}_stats.csv"))
    result = {
        "users": args.users,
        "run_time": args.time,
        "seconds": seconds,
        "server_rss_mb": {"start": rss_start, "end": rss_end, "peak": rss_peak},
        "requests": rows,
        "machine": {"cores": __import__("os").cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Load test: {args.users} users, {args.time} (`python -m bench.load.run`)",
        "",
        f"Server RSS: start {rss_start} MB, end {rss_end} MB, peak {rss_peak} MB.",
        "",
        "| requests | count | failures | p50 ms | p95 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['name']} | {r['requests']} | {r['failures']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['rps']} |"
            for r in rows
        ),
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    shutil.rmtree(workdir, ignore_errors=True)
    failures = next((r["failures"] for r in rows if r["name"] == "Aggregated"), 1)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
