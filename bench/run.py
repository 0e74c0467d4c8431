"""The performance benchmark (issue 4): throughput, re-ingest, latency, memory and scale, side by side in one run.

    python -m bench.run            # full: BBC + seed, 200 questions, 100k chunks (~45-60 min on 2 cores)
    python -m bench.run --quick    # smoke: 200 articles, 50 questions, 10k chunks (~5 min)

Writes JSON + a Markdown table (full run: bench/results/latest.{json,md}; --quick: bench/results/quick.*).
Targets are reported, never asserted: the exit status is 0 whenever every phase ran. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.embedding import MODEL_WINDOW, get_embedder
from assistant.evaluation.dataset import EvalItem, load_eval_set
from assistant.ingest.chunking import Chunker
from assistant.ingest.pipeline import discover
from assistant.ingest.readers import ReadError, read_articles
from bench.common import (
    BBC_DIR,
    EVAL_SET,
    REPO,
    RESULTS_DIR,
    SEEDS_DIR,
    ChromaServer,
    free_port,
    latency_questions,
    load_average,
    percentiles,
    proc_status,
    wait_healthy,
    write_json,
)

PHASES = ("raw", "ingest", "latency", "reader", "reingest", "serve", "server", "naive", "scale")
GB = 1024**3


@dataclass
class Run:
    args: argparse.Namespace
    work: Path
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    _worker_n: int = 0

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def worker(self, name: str, spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run `bench.workers <name>` in a fresh process; its result, plus the process's wall time."""
        self._worker_n += 1
        tag = f"{self._worker_n:02d}-{name}"
        spec_path = self.work / "specs" / f"{tag}.json"
        out_path = self.work / "specs" / f"{tag}.result.json"
        log_path = self.work / "logs" / f"{tag}.log"
        write_json(spec_path, spec)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            done = subprocess.run(
                [sys.executable, "-m", "bench.workers", name, str(spec_path), str(out_path)],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                check=False,
            )
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(f"worker {name} failed (exit {done.returncode}); log {log_path}:\n{tail}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
        result["process_wall_seconds"] = round(wall, 2)
        return result

    def phase(self, name: str, label: str) -> bool:
        if name in self.args.skip:
            self.log(f"skipping {label}")
            return False
        self.log(label)
        return True


# ------------------------------------------------------------------------------------------------ corpus
@dataclass
class Corpus:
    bbc: Path
    seeds: Path
    items: list[EvalItem]  # the eval items of this run (a subset with --quick)
    articles: int

    @property
    def paths(self) -> list[str]:
        return [str(self.bbc), str(self.seeds)]

    @property
    def parent(self) -> Path:
        return self.bbc.parent

    def hit_items(self) -> list[dict[str, Any]]:
        return [{"id": i.id, "question": i.question, "articles": list(i.articles)} for i in self.items if i.answerable]


def prepare_corpus(run: Run) -> Corpus:
    """Copy the corpus (or --quick's subset) and the seed to the work dir: the 10-changed re-ingest edits it."""
    args = run.args
    items = load_eval_set(EVAL_SET)
    rng = random.Random(args.seed)
    if args.eval_questions < len(items):
        items = sorted(rng.sample(items, args.eval_questions), key=lambda i: i.id)
    target = run.work / "corpus"
    shutil.rmtree(target, ignore_errors=True)
    bbc = target / args.bbc.name
    all_articles = sorted(p.relative_to(args.bbc).as_posix() for p in args.bbc.glob("*/*.txt"))
    if args.articles and args.articles < len(all_articles):
        prefix = f"{args.bbc.name}/"
        gold = sorted({a[len(prefix) :] for i in items for a in i.articles if a.startswith(prefix)})
        rest = [a for a in all_articles if a not in set(gold)]
        chosen = gold + rng.sample(rest, max(0, args.articles - len(gold)))
        for rel in chosen:
            (bbc / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(args.bbc / rel, bbc / rel)
        n = len(chosen)
    else:  # the articles only: the README.TXT beside them is no article, for either pipeline
        for rel in all_articles:
            (bbc / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(args.bbc / rel, bbc / rel)
        n = len(all_articles)
    seeds = target / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    return Corpus(bbc, seeds, items, n)


def chunk_texts(corpus: Corpus) -> tuple[list[str], float]:
    """What our ingest will embed (each distinct article once), computed with the same reader and chunker."""
    embedder = get_embedder()
    chunker = Chunker(embedder.token_ids, 200, 32)
    t0 = time.perf_counter()
    files, _, _ = discover([corpus.bbc, corpus.seeds])
    seen: set[str] = set()
    texts: list[str] = []
    for file in files:
        try:
            articles, _ = read_articles(file.abs_path.read_bytes(), file.rel_path, category=file.category, source="x")
        except ReadError:
            continue
        for article in articles:
            if article.id not in seen:
                seen.add(article.id)
                texts += [c.embed_text for c in chunker.chunk(article)]
    return texts, time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------ raw model
def raw_batches(texts: list[str], batch: int, passages: int) -> tuple[list[list[str]], list[list[str]]]:
    """Every k-th batch of the length-sorted texts, batched exactly as the ingest batches them, in two halves
    (measured before and after the ingest, to bracket the load other processes put on the machine)."""
    ordered = sorted(texts, key=len)
    batches = [ordered[i : i + batch] for i in range(0, len(ordered), batch)]
    step = max(1, len(batches) * batch // max(passages, 1))
    picked = batches[::step]
    return picked[0::2], picked[1::2]


def run_raw(batches: list[list[str]], pieces: dict[str, int]) -> dict[str, Any]:
    import onnxruntime

    from bench.workers import Timers

    embedder = get_embedder()
    embedder.embed(batches[0][:4])  # warm
    n = sum(len(b) for b in batches)
    wp = sum(pieces[t] for b in batches for t in b)
    timers = Timers()
    original = onnxruntime.InferenceSession.run
    timers.wrap(onnxruntime.InferenceSession, "run", "onnx")
    load_before = load_average()
    t0 = time.perf_counter()
    try:
        for b in batches:
            embedder.embed(b)
    finally:
        seconds = time.perf_counter() - t0
        onnxruntime.InferenceSession.run = original  # type: ignore[method-assign]
    return {
        "passages": n,
        "word_pieces": wp,
        "seconds": round(seconds, 2),
        "passages_per_s": round(n / seconds, 2),
        "word_pieces_per_s": round(wp / seconds, 1),
        "onnx_seconds": round(timers.seconds["onnx"], 2),
        "load_average": {"before": load_before, "after": load_average()},
    }


def combine_raw(halves: list[dict[str, Any]]) -> dict[str, Any]:
    n = sum(h["passages"] for h in halves)
    wp = sum(h["word_pieces"] for h in halves)
    seconds = sum(h["seconds"] for h in halves)
    return {
        "onnx_share": round(sum(h["onnx_seconds"] for h in halves) / seconds, 4),
        "passages": n,
        "word_pieces": wp,
        "seconds": round(seconds, 2),
        "passages_per_s": round(n / seconds, 2),
        "word_pieces_per_s": round(wp / seconds, 1),
        "halves": halves,
    }


# ------------------------------------------------------------------------------------------------ serve
def cli_executable() -> list[str]:
    script = Path(sys.executable).with_name("news-assistant")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def _where(data_dir: Path, port: int) -> list[str]:
    return ["--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]


def measure_serve(run: Run, data_dir: Path, questions: list[str]) -> dict[str, Any]:
    """Peak RSS (and HTTP latency) of `news-assistant serve` answering the questions over POST /api/ask."""
    help_check = subprocess.run([*cli_executable(), "serve", "--help"], capture_output=True, check=False)
    if help_check.returncode != 0:
        raise RuntimeError("`news-assistant serve` is not available")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWS_ASSISTANT_")}
    env["NEWS_ASSISTANT_INGEST_SEEDS_ON_FIRST_RUN"] = "false"
    log_path = run.work / "logs" / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            # the extractive backend by name, as in every latency phase: "auto" would load the reader's 1.5B model
            # (~2.9 GB RSS serving the scale collection) and time it instead; phase `reader` measures that one
            [*cli_executable(), "serve", "--backend", "extractive", *_where(data_dir, port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    peak = {"rss": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["rss"] = max(peak["rss"], proc_status(process.pid).get("VmRSS", 0))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wait_healthy(base, process, log_path)
        startup_rss = proc_status(process.pid).get("VmRSS")
        seconds: list[float] = []
        for question in questions:
            body = json.dumps({"question": question}).encode()
            request = urllib.request.Request(
                f"{base}/api/ask", data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:
                json.loads(response.read())
            seconds.append(time.perf_counter() - t0)
        status = proc_status(process.pid)
    finally:
        stop.set()
        sampler.join()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return {
        "questions": len(questions),
        "peak_rss_bytes": max(status.get("VmHWM", 0), peak["rss"]),
        "rss_after_startup_bytes": startup_rss,
        "http_answer": percentiles(seconds),
    }


# ------------------------------------------------------------------------------------------------ phases
def run_benchmark(run: Run) -> None:
    args = run.args
    res = run.results
    corpus = prepare_corpus(run)
    questions = latency_questions(corpus.items, args.questions, args.seed)
    res["corpus"] = {
        "bbc_articles": corpus.articles,
        "seed_articles": len(list(corpus.seeds.glob("*"))),
        "eval_items": len(corpus.items),
        "answerable_items": len(corpus.hit_items()),
        "latency_questions": len(questions),
    }
    ours = run.work / "ours"
    embedder = get_embedder()
    texts, chunk_seconds = chunk_texts(corpus)
    pieces = {t: min(embedder.count_tokens(t) + 2, MODEL_WINDOW) for t in texts}
    over = sum(embedder.count_tokens(t) + 2 > MODEL_WINDOW for t in texts)
    res["chunking"] = {
        "chunks": len(texts),
        "seconds_read_and_chunk": round(chunk_seconds, 2),
        "chunks_per_s": round(len(texts) / chunk_seconds, 1),
        "truncated_by_model": over,
        "max_word_pieces": max(embedder.count_tokens(t) + 2 for t in texts),
        "word_pieces_total": sum(pieces.values()),
    }
    first_half, second_half = raw_batches(texts, args.batch_size, args.raw_passages)
    raw_halves: list[dict[str, Any]] = []
    if run.phase("raw", f"raw model throughput, first half ({sum(map(len, first_half))} passages)"):
        raw_halves.append(run_raw(first_half, pieces))

    if run.phase("ingest", f"our ingest of {corpus.articles} BBC articles + seed (embedding everything)"):
        ingest = run.worker(
            "ingest", {"data_dir": str(ours), "paths": corpus.paths, "profile": profile(args, "ingest")}
        )
        summary = ingest["summary"]
        wall = ingest["wall_seconds"]
        wp = res["chunking"]["word_pieces_total"] if summary["chunks_embedded"] == len(texts) else None
        res["ingest"] = {
            **ingest,
            "articles": summary["new"] + summary["duplicate"],
            "articles_per_s": round((summary["new"] + summary["duplicate"]) / wall, 2),
            "chunks_per_s": round(summary["chunks_embedded"] / wall, 2),
            "word_pieces_per_s": round(wp / wall, 1) if wp else None,
            "time_to_first_answer_lexical_seconds": summary["lexical_ready_seconds"],
            "time_to_full_hybrid_seconds": summary["seconds"],
        }
        if wp is None:
            run.notes.append("the ingest embedded a different chunk count than the chunk pass predicted")

    if raw_halves and run.phase("raw", f"raw model throughput, second half ({sum(map(len, second_half))} passages)"):
        raw_halves.append(run_raw(second_half, pieces))
    if raw_halves:
        res["raw_model"] = combine_raw(raw_halves) | {"batch_size": args.batch_size, "threads": "all cores (0)"}
    if "raw_model" in res and "ingest" in res and res["ingest"]["word_pieces_per_s"]:
        raw, ing = res["raw_model"], res["ingest"]
        res["ratio_ours_over_raw"] = {
            "passages_per_s": round(ing["chunks_per_s"] / raw["passages_per_s"], 3),
            "word_pieces_per_s": round(ing["word_pieces_per_s"] / raw["word_pieces_per_s"], 3),
        }
        onnx = ing["breakdown"].get("  of which onnx session.run", {}).get("seconds")
        if onnx:
            # Both sides slow down alike when other processes load the machine; the share of wall time spent in
            # the model's forward pass does not (much): a load-robust estimate of the same ratio.
            share = onnx / ing["wall_seconds"]
            res["ratio_ours_over_raw"]["onnx_share_ingest"] = round(share, 4)
            res["ratio_ours_over_raw"]["onnx_share_raw"] = raw["onnx_share"]
            res["ratio_ours_over_raw"]["load_normalised"] = round(share / raw["onnx_share"], 3)

    hit_items = corpus.hit_items()
    if "ingest" in res or "ingest" in args.skip:
        if run.phase("latency", f"latency at BBC scale, embedded Chroma ({len(questions)} questions)"):
            res.setdefault("latency", {})["bbc_embedded"] = run.worker(
                "latency",
                {
                    "data_dir": str(ours),
                    "questions": questions,
                    "hit_items": hit_items,
                    "profile": profile(args, "bbc"),
                },
            )
        reader_questions = questions[: args.reader_questions]
        if run.phase("reader", f"reader backend vs extractive, {len(reader_questions)} questions interleaved"):
            res["reader"] = run.worker("reader", {"data_dir": str(ours), "questions": reader_questions})
        if run.phase("reingest", "re-ingest of the unchanged corpus"):
            unchanged = run.worker("ingest", {"data_dir": str(ours), "paths": corpus.paths})
            t0 = time.perf_counter()
            cli = subprocess.run(
                [*cli_executable(), "ingest", "--data-dir", str(ours), *corpus.paths],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "NEWS_ASSISTANT_INGEST_SEEDS_ON_FIRST_RUN": "false"},
            )
            res["reingest_unchanged"] = {
                "seconds": unchanged["summary"]["seconds"],
                "chunks_embedded": unchanged["summary"]["chunks_embedded"],
                "unchanged": unchanged["summary"]["unchanged"],
                "process_wall_seconds": unchanged["process_wall_seconds"],
                "cli_wall_seconds": round(time.perf_counter() - t0, 2),
                "cli_exit": cli.returncode,
                "cli_output": cli.stdout.strip()[-300:],
                "breakdown": unchanged["breakdown"],
            }
        if run.phase("serve", f"peak RSS while answering {len(questions)} questions"):
            memory: dict[str, Any] = {}
            try:
                memory["serve"] = measure_serve(run, ours, questions)
            except (RuntimeError, OSError) as exc:
                memory["serve"] = {"error": str(exc)}
                run.todo.append(
                    f"`serve` peak RSS not measured ({exc}): measure it once `news-assistant serve` works; "
                    "until then the Assistant.ask process stands in for it"
                )
            memory["assistant_ask_process"] = run.worker("answer_rss", {"data_dir": str(ours), "questions": questions})
            res["memory"] = memory
        if run.phase("server", "latency at BBC scale through a `chroma run` server"):
            with ChromaServer(ours / "chroma", run.work / "logs" / "chroma-bbc.log") as server:
                result = run.worker(
                    "latency",
                    {"data_dir": str(ours), "chroma_url": server.url, "questions": questions, "hit_items": hit_items},
                )
                result["chroma_server_peak_rss_bytes"] = server.peak_rss()
            res.setdefault("latency", {})["bbc_server"] = result
    if run.phase("naive", "naive LlamaIndex pipeline (VectorStoreIndex.from_documents, default splitter)"):
        res["naive_llamaindex"] = run.worker(
            "naive",
            {
                "paths": corpus.paths,
                "corpus_parent": str(corpus.parent),
                "chroma_dir": str(run.work / "naive-chroma"),
                "hit_items": hit_items,
            },
        )

    if ("ingest" in res or "ingest" in args.skip) and run.phase(
        "scale", f"scale: ~{args.scale_chunks} chunks (real + synthetic, model replaced by stored vectors)"
    ):
        scale_dir = run.work / "scale"
        exclude = sorted({a for i in load_eval_set(EVAL_SET) for a in i.articles})
        res["scale_build"] = run.worker(
            "build_scale",
            {
                "source_data_dir": str(ours),
                "data_dir": str(scale_dir),
                "paths": corpus.paths,
                "bbc_dir": str(corpus.bbc),
                "synth_dir": str(run.work / "synth-corpus" / "synth"),
                "exclude": exclude,
                "target_chunks": args.scale_chunks,
                "seed": args.seed,
            },
        )
        res.setdefault("latency", {})["scale_embedded"] = run.worker(
            "latency",
            {
                "data_dir": str(scale_dir),
                "questions": questions,
                "hit_items": hit_items,
                "profile": profile(args, "scale"),
            },
        )
        with ChromaServer(scale_dir / "chroma", run.work / "logs" / "chroma-scale.log") as server:
            result = run.worker(
                "latency",
                {"data_dir": str(scale_dir), "chroma_url": server.url, "questions": questions, "hit_items": hit_items},
            )
            result["chroma_server_peak_rss_bytes"] = server.peak_rss()
        res.setdefault("latency", {})["scale_server"] = result
        if "serve" not in args.skip:
            try:
                res.setdefault("memory", {})["serve_scale"] = measure_serve(run, scale_dir, questions)
            except (RuntimeError, OSError) as exc:
                res.setdefault("memory", {})["serve_scale"] = {"error": str(exc)}

    # Last: it edits the corpus copy and the collection the scale phase replays vectors from.
    if ("ingest" in res or "ingest" in args.skip) and run.phase(
        "reingest", f"re-ingest with {args.changed} articles changed"
    ):
        rng = random.Random(args.seed + 7)
        changed = rng.sample(sorted(corpus.bbc.glob("*/*.txt")), args.changed)
        for i, path in enumerate(changed):
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"\n\nThis article was revised for the benchmark (revision {i + 1}).\n")
        result = run.worker("ingest", {"data_dir": str(ours), "paths": corpus.paths})
        res["reingest_changed"] = {
            "articles_changed": [p.relative_to(corpus.parent).as_posix() for p in changed],
            "seconds": result["summary"]["seconds"],
            "updated": result["summary"]["updated"],
            "removed": result["summary"]["removed"],
            "chunks_embedded": result["summary"]["chunks_embedded"],
            "lexical_ready_seconds": result["summary"]["lexical_ready_seconds"],
            "process_wall_seconds": result["process_wall_seconds"],
            "breakdown": result["breakdown"],
        }


def profile(args: argparse.Namespace, name: str) -> str | None:
    return str(args.profile_dir / f"{name}.html") if args.profile_dir else None


# ------------------------------------------------------------------------------------------------ report
def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    lat = res.get("latency", {})
    rows: list[dict[str, Any]] = []

    def add(name: str, value: Any, target: str, ok: bool | None, unit: str = "") -> None:
        rows.append({"metric": name, "value": value, "unit": unit, "target": target, "met": ok})

    ratio = res.get("ratio_ours_over_raw", {}).get("word_pieces_per_s")
    add("ingest / raw model, word pieces/s", ratio, ">= 0.95", None if ratio is None else ratio >= 0.95, "x")
    ratio = res.get("ratio_ours_over_raw", {}).get("load_normalised")
    add("same, load-normalised (ONNX time share)", ratio, ">= 0.95", None if ratio is None else ratio >= 0.95, "x")
    truncated = res.get("chunking", {}).get("truncated_by_model")
    add("chunks truncated by the model", truncated, "0", None if truncated is None else truncated == 0)
    unchanged = res.get("reingest_unchanged", {})
    if unchanged:
        add("unchanged re-ingest (pipeline)", round(unchanged["seconds"], 2), "< 5", unchanged["seconds"] < 5, "s")
        cli = unchanged["cli_wall_seconds"]
        add("unchanged re-ingest (`news-assistant ingest`, whole process)", cli, "< 5", cli < 5, "s")
        add(
            "unchanged re-ingest: chunks embedded", unchanged["chunks_embedded"], "0", unchanged["chunks_embedded"] == 0
        )
    ingest = res.get("ingest", {})
    if ingest:
        ttfa = ingest["time_to_first_answer_lexical_seconds"]
        add("time to first answer after ingest (lexical)", round(ttfa, 1), "< 30", ttfa < 30, "s")
        add("time to full hybrid (ingest total)", round(ingest["time_to_full_hybrid_seconds"], 1), "-", None, "s")
    for key, label in (("bbc_embedded", "BBC"), ("bbc_server", "BBC, Chroma server")):
        if key in lat:
            answer = lat[key]["answer"]
            add(f"answer p50 ({label})", answer["p50_ms"], "< 150", answer["p50_ms"] < 150, "ms")
            add(f"answer p95 ({label})", answer["p95_ms"], "< 400", answer["p95_ms"] < 400, "ms")
    for key, label in (("scale_embedded", "embedded"), ("scale_server", "Chroma server")):
        if key in lat:
            chunks = lat[key]["chunks"]
            answer = lat[key]["answer"]
            add(f"answer p95 ({chunks:,} chunks, {label})", answer["p95_ms"], "< 600", answer["p95_ms"] < 600, "ms")
    memory = res.get("memory", {})
    scale_chunks = res.get("latency", {}).get("scale_embedded", {}).get("chunks", 0)
    for key, label in (
        ("serve", "`serve` peak RSS"),
        ("serve_scale", f"`serve` peak RSS ({scale_chunks:,} chunks)"),
        ("assistant_ask_process", "Assistant.ask process peak RSS"),
    ):
        peak = memory.get(key, {}).get("peak_rss_bytes")
        if peak:
            add(label, round(peak / GB, 2), "< 1.5", peak < 1.5 * GB, "GB")
    return rows


def _ms(d: dict[str, Any] | None, key: str) -> str:
    return "-" if not d or key not in d else f"{d[key]:.0f}"


def _gb(value: int | None) -> str:
    return "-" if not value else f"{value / GB:.2f}"


def markdown(report: dict[str, Any]) -> str:
    res = report["results"]
    meta = report["meta"]
    corpus = res.get("corpus", {"bbc_articles": "?", "latency_questions": "?", "answerable_items": "?"})
    lines = [
        f"# Benchmark results ({'QUICK smoke run' if meta['quick'] else 'full run'})",
        "",
        f"{meta['started']}, commit `{meta['commit'][:10]}`{' (dirty tree)' if meta['dirty'] else ''}, "
        f"{meta['cpus']} cores, Python {meta['python']}. Load average at start {meta['load_average_start']}, "
        f"at end {meta['load_average_end']} (the benchmark itself accounts for ~2 while the model runs; other "
        "engineers' jobs share the machine, so treat differences under ~20% as noise). "
        f"Total {meta['seconds'] / 60:.1f} min. Corpus: {corpus['bbc_articles']} BBC articles + the seed; "
        f"{corpus['latency_questions']} latency questions; hit@5 over {corpus['answerable_items']} "
        "answerable eval items (dev and test).",
        "",
        "## Targets (reported, not asserted)",
        "",
        "| metric | value | target | met |",
        "|---|---:|---:|:---:|",
    ]
    for row in report["targets"]:
        met = {True: "yes", False: "**NO**", None: "-"}[row["met"]]
        target = row["target"] if row["target"] == "-" else f"{row['target']} {row['unit']}"
        lines.append(f"| {row['metric']} | {row['value']} {row['unit']} | {target} | {met} |")

    lines += ["", "## Throughput (wall clock, files to a persisted, queryable store)", ""]
    lines += [
        "| pipeline | seconds | articles/s | chunks/s | word pieces/s | chunks | hit@5 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    raw = res.get("raw_model")
    if raw:
        lines.append(
            f"| raw model (embed() only, batch {raw['batch_size']}, sample of {raw['passages']} passages) "
            f"| {raw['seconds']} | - | {raw['passages_per_s']} | {raw['word_pieces_per_s']:.0f} | - | - |"
        )
    ing = res.get("ingest")
    hits = res.get("latency", {}).get("bbc_embedded", {}).get("hits", {})
    if ing:
        lines.append(
            f"| ours (`Assistant.ingest`) | {ing['wall_seconds']:.1f} | {ing['articles_per_s']} "
            f"| {ing['chunks_per_s']} | {ing['word_pieces_per_s'] or 0:.0f} | {ing['summary']['chunks_embedded']} "
            f"| {hits.get('hit_at_5', '-')} |"
        )
    naive = res.get("naive_llamaindex")
    if naive:
        lines.append(
            f"| naive LlamaIndex (`from_documents`, default splitter) | {naive['wall_seconds']:.1f} "
            f"| {naive['documents'] / naive['wall_seconds']:.2f} | {naive['nodes'] / naive['wall_seconds']:.2f} | - "
            f"| {naive['nodes']} | {naive['hits']['hit_at_5']} |"
        )
    if "ratio_ours_over_raw" in res:
        r = res["ratio_ours_over_raw"]
        lines += [
            "",
            f"Ours / raw: **{r['word_pieces_per_s']}x** in word pieces/s, {r['passages_per_s']}x in passages/s.",
        ]
    if raw:
        halves = ", ".join(f"{h['word_pieces_per_s']:.0f}" for h in raw["halves"])
        lines.append(f"Raw model word pieces/s measured before / after our ingest: {halves}.")
    if naive:
        lines.append(
            f"Naive: {naive['nodes_truncated_by_model']} of {naive['nodes']} nodes exceed the model's 256-piece "
            f"window ({naive['word_pieces_never_read']:,} word pieces never read); splitter {naive['splitter']}."
        )
    if ing:
        lines += [
            "",
            "Our ingest, where the time went (s): "
            + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in ing["breakdown"].items() if v["seconds"] >= 0.05)
            + ".",
        ]

    lines += [
        "",
        "## Re-ingest",
        "",
        "| case | seconds (pipeline) | CLI / process wall s | chunks embedded |",
        "|---|---:|---:|---:|",
    ]
    un = res.get("reingest_unchanged")
    if un:
        lines.append(
            f"| unchanged corpus | {un['seconds']:.2f} | {un['cli_wall_seconds']} (CLI) | {un['chunks_embedded']} |"
        )
    ch = res.get("reingest_changed")
    if ch:
        lines.append(
            f"| {len(ch['articles_changed'])} articles changed | {ch['seconds']:.2f} "
            f"| {ch['process_wall_seconds']} (process) | {ch['chunks_embedded']} |"
        )

    lines += [
        "",
        "## Query latency (warm process; ms)",
        "",
        "| collection | Chroma | chunks | retrieval p50 | p95 | max | answer p50 | p95 | max | hit@5 | peak RSS GB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in (
        ("bbc_embedded", "BBC + seed"),
        ("bbc_server", "BBC + seed"),
        ("scale_embedded", "scale"),
        ("scale_server", "scale"),
    ):
        lat = res.get("latency", {}).get(key)
        if not lat:
            continue
        chroma = "server" if "server" in key else "embedded"
        r, a = lat["retrieval"], lat["answer"]
        lines.append(
            f"| {label} | {chroma} | {lat['chunks']:,} | {_ms(r, 'p50_ms')} | {_ms(r, 'p95_ms')} | {_ms(r, 'max_ms')} "
            f"| {_ms(a, 'p50_ms')} | {_ms(a, 'p95_ms')} | {_ms(a, 'max_ms')} | {lat['hits'].get('hit_at_5', '-')} "
            f"| {_gb(lat['peak_rss_bytes'])} |"
        )
    misses = {
        name: lat["hits"].get("misses")
        for name, lat in {**res.get("latency", {}), "naive": res.get("naive_llamaindex", {})}.items()
        if lat and lat.get("hits", {}).get("misses")
    }
    if misses:
        lines += ["", "hit@5 misses (eval ids): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in misses.items()) + "."]
    reader = res.get("reader")
    if reader and "skipped" in reader:
        lines += ["", f"Reader backend: not measured ({reader['skipped']})."]
    elif reader:
        e, r, ratio = reader["extractive"], reader["reader"], reader["ratio_reader_over_extractive"]
        lines += [
            "",
            f"Reader backend (`{reader['model']}`, started in {reader['model_start_seconds']} s), the same "
            f"{r['n']} questions, interleaved in one process: extractive p50 {_ms(e, 'p50_ms')} / p95 "
            f"{_ms(e, 'p95_ms')} ms, reader p50 {_ms(r, 'p50_ms')} / p95 {_ms(r, 'p95_ms')} ms "
            f"({ratio.get('p50_ms', '-')}x / {ratio.get('p95_ms', '-')}x); the model was asked for "
            f"{reader['model_consulted']} of them.",
        ]
    bbc = res.get("latency", {}).get("bbc_embedded")
    if bbc:
        stages = ", ".join(
            f"{k} p50 {v['p50_ms']:.0f} / p95 {v['p95_ms']:.0f}" for k, v in bbc["answer_stages"].items()
        )
        lines += ["", f"Answer stages at BBC scale (ms): {stages}."]
    scale = res.get("scale_build")
    if scale:
        lines += [
            "",
            f"Scale collection: {scale['chunks']:,} chunks = {scale['real_chunks']:,} real (real vectors) + "
            f"{scale['synthetic_articles']:,} synthetic articles ({scale['synthetic_vectors']:,} perturbed copies of "
            f"real vectors; no model run). Built in {scale['ingest_without_model_seconds']:.0f} s; BM25 rebuild "
            f"alone {scale['bm25_rebuild_seconds']:.1f} s; lexical ready after {scale['lexical_ready_seconds']:.0f} s.",
        ]

    memory = res.get("memory", {})
    if memory:
        lines += ["", "## Memory", ""]
        for key, label in (("serve", "BBC + seed"), ("serve_scale", "the ~100k-chunk collection")):
            serve = memory.get(key, {})
            if serve.get("peak_rss_bytes"):
                lines.append(
                    f"- `news-assistant serve` on {label}, {serve['questions']} questions over POST /api/ask: peak "
                    f"RSS {_gb(serve['peak_rss_bytes'])} GB (after startup {_gb(serve['rss_after_startup_bytes'])} "
                    f"GB); HTTP answer p50 {serve['http_answer']['p50_ms']:.0f} ms, "
                    f"p95 {serve['http_answer']['p95_ms']:.0f} ms."
                )
            elif serve.get("error"):
                lines.append(f"- `serve` on {label}: not measured: {serve['error']}")
        ask = memory.get("assistant_ask_process", {})
        if ask:
            lines.append(
                f"- a process answering {ask['questions']} questions through `Assistant.ask`: peak RSS "
                f"{_gb(ask['peak_rss_bytes'])} GB."
            )
    if report["notes"] or report["todo"] or report["errors"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in report["notes"]]
        lines += [f"- TODO: {t}" for t in report["todo"]]
        lines += [f"- ERROR in {k}: {v.splitlines()[0]}" for k, v in report["errors"].items()]
    lines += ["", "Method: bench/README.md. Raw data: the JSON beside this file."]
    return "\n".join(lines) + "\n"


STANDING_NOTES = [
    "Throughput excludes interpreter start-up and the model load (~0.3 s), both paid once per process.",
    "The scale collection replaces the model by stored vectors (see bench/synth.py): its ingest time is not an "
    "ingest benchmark, and its hit@5 uses synthetic vectors for the distractors.",
    "hit@5 is article-level: a hit when any gold article (or a byte-identical copy listed in `also_in`) is among "
    "the top-5 passages' articles. No tuning was done on the test split.",
]


def git_info() -> tuple[str, bool]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout)
        return commit or "unknown", dirty
    except OSError:
        return "unknown", False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 200 articles, 50 questions, 10k chunks")
    p.add_argument("--bbc", type=Path, default=BBC_DIR, help="the BBC corpus folder (read only; copied to --workdir)")
    p.add_argument("--articles", type=int, help="BBC articles to use (default: all; --quick: 200)")
    p.add_argument("--questions", type=int, help="latency questions, eval questions cycled (default 200; quick 50)")
    p.add_argument("--reader-questions", type=int, help="questions asked of the reader backend (default 40; quick 8)")
    p.add_argument("--scale-chunks", type=int, help="chunks of the scale collection (default 100000; quick 10000)")
    p.add_argument("--raw-passages", type=int, help="passages of the raw-model sample (default 2048; quick 640)")
    p.add_argument("--batch-size", type=int, default=32, help="embedding batch (Settings.embed_batch_size)")
    p.add_argument("--changed", type=int, default=10, help="articles changed for the incremental re-ingest")
    p.add_argument("--seed", type=int, default=13, help="seed of every random choice")
    p.add_argument("--skip", default="", help=f"comma-separated phases to skip: {', '.join(PHASES)}")
    p.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one, deleted at the end)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--profile-dir", type=Path, help="write pyinstrument profiles of ingest and answering here")
    p.add_argument("--out", type=Path, help="result JSON (default bench/results/latest.json; quick: quick.json)")
    p.add_argument("--render", type=Path, metavar="JSON", help="only rewrite the Markdown of an existing result JSON")
    args = p.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(PHASES)
    if unknown:
        p.error(f"unknown phase(s) in --skip: {', '.join(sorted(unknown))}")
    if args.articles is None:
        args.articles = 200 if args.quick else 0
    if args.questions is None:
        args.questions = 50 if args.quick else 200
    if args.reader_questions is None:
        args.reader_questions = 8 if args.quick else 40
    args.eval_questions = 50 if args.quick else 10**9
    if args.scale_chunks is None:
        args.scale_chunks = 10_000 if args.quick else 100_000
    if args.raw_passages is None:
        args.raw_passages = 640 if args.quick else 2048
    if args.out is None:
        args.out = RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
    if not args.bbc.is_dir():
        p.error(f"no BBC corpus at {args.bbc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        report = json.loads(args.render.read_text(encoding="utf-8"))
        report["targets"] = targets(report["results"])
        args.render.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="news-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    run = Run(args, work)
    commit, dirty = git_info()
    started = time.time()
    meta = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(started)),
        "quick": args.quick,
        "commit": commit,
        "dirty": dirty,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_start": load_average(),
        "args": {
            k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
        },
        "workdir": str(work),
    }
    run.log(f"work directory {work}")
    try:
        run_benchmark(run)
    except Exception as exc:  # keep what was measured; say what failed
        run.errors["benchmark"] = f"{type(exc).__name__}: {exc}"
        run.log(f"ERROR: {exc}")
    finally:
        meta["seconds"] = round(time.time() - started, 1)
        meta["load_average_end"] = load_average()
        report = {
            "meta": meta,
            "targets": targets(run.results),
            "results": run.results,
            "notes": STANDING_NOTES + run.notes,
            "todo": run.todo,
            "errors": run.errors,
        }
        write_json(args.out, report)
        args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
        run.log(f"wrote {args.out} and {args.out.with_suffix('.md')}")
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
