"""`news-assistant`: a thin command line over `assistant.Assistant`."""

from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from assistant.config import Settings
from assistant.errors import AssistantError, StoreUnavailable
from assistant.logging_setup import setup_logging
from assistant.text import clean
from assistant.types import Answer, Filters

if TYPE_CHECKING:
    from assistant.assistant import Assistant

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Ask questions about news articles; get cited answers."
)
out = Console(soft_wrap=True)  # no hard wrapping: answers and tables stay copyable
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the index lives (env NEWS_ASSISTANT_DATA_DIR).")
]
Collection = Annotated[
    str | None, typer.Option("--collection", help="Collection name (env NEWS_ASSISTANT_COLLECTION).")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")]
BACKEND_HELP = "auto | extractive | openai | reader (env NEWS_ASSISTANT_BACKEND; auto: reader when its model is there)."


def escape(text: str) -> str:
    """Untrusted text (articles, questions, paths) for the terminal: no control characters, no rich markup."""
    return _markup_escape(clean(text))


def _settings_problem(exc: ValueError) -> str:
    """Pydantic's report as plain sentences ("top_k: Input should be greater than or equal to 1"), no links."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)


def _assistant(data_dir: Path | None, collection: str | None, *, must_exist: bool = False, **more: object) -> Assistant:
    overrides: dict[str, Any] = {
        k: v for k, v in {"data_dir": data_dir, "collection": collection, **more}.items() if v is not None
    }
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        err.print(f"[red]error:[/] invalid settings: {escape(_settings_problem(exc))}")
        raise typer.Exit(2) from None
    where = settings.data_dir
    if where.exists() and not where.is_dir():
        err.print(f"[red]error:[/] the data dir {escape(str(where))} is not a folder")
        raise typer.Exit(2)
    if must_exist and not settings.collection_dir.is_dir():
        err.print(
            f"[red]error:[/] nothing has been ingested into collection {escape(settings.collection)} "
            f"in {escape(str(where))} (run `news-assistant ingest FOLDER` first)"
        )
        raise typer.Exit(2)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot use the data dir {escape(str(where))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from None
    from assistant.assistant import Assistant  # loaded here: --help and errors before this stay fast

    return Assistant(settings)


class RichProgress:
    """Progress bars with counts and rate on a terminal; a line per phase otherwise."""

    def __init__(self) -> None:
        self.tty = err.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = ""
        self._started = 0.0
        self._total = 0

    def start(self, phase: str, total: int) -> None:
        self._phase, self._total, self._started = phase, total, time.perf_counter()
        if self.tty:
            self._progress = Progress(
                TextColumn("{task.description:>10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=err,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(phase, total=total, rate="")

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[0]
            elapsed = max(time.perf_counter() - self._started, 1e-6)
            rate = f"{(task.completed + n) / elapsed:.1f}/s"
            self._progress.update(self._task, advance=n, rate=rate)

    def finish(self) -> None:
        elapsed = time.perf_counter() - self._started
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        elif self._total:
            err.print(f"{self._phase}: {self._total} in {elapsed:.1f}s ({self._total / max(elapsed, 1e-6):.1f}/s)")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    prune: Annotated[bool, typer.Option(help="Delete articles whose files are gone from these folders.")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="When another ingest is writing to the collection: wait for it (default), or fail at once.",
        ),
    ] = True,
    source: Annotated[
        str | None,
        typer.Option(
            help="The source the filters and citations show for articles that name none themselves (default: "
            "the folder's name). Files ingested before keep the source they were ingested with.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    verbose: Verbose = False,
) -> None:
    """Add articles (.txt .md .html .json .jsonl) to the collection. Unchanged files are skipped."""
    setup_logging(verbose)
    assistant = _assistant(data_dir, collection)
    # `kill PID` stops like Ctrl-C: the embeddings computed so far are stored before exiting.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        summary = assistant.ingest(paths, prune=prune, progress=RichProgress(), wait=wait, source=source)
    except (FileNotFoundError, ValueError, AssistantError, StoreUnavailable) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print(
            "\n[yellow]interrupted:[/] what was embedded so far is saved; "
            "run the same ingest again to resume where it stopped."
        )
        raise typer.Exit(130) from None
    for path, reason in summary.failures[:20]:
        err.print(f"[yellow]skipped[/] {escape(path)}: {escape(reason)}")
    if len(summary.failures) > 20:
        err.print(f"[yellow]... and {len(summary.failures) - 20} more failed files[/]")
    for path, encoding in summary.reencoded:
        err.print(f"[yellow]note[/] {escape(path)} is not UTF-8; read as {encoding}")
    out.print(summary.line(), highlight=False)


def _render(answer: Answer) -> None:
    style = "yellow" if answer.abstained else "bold"
    out.print(escape(answer.text), style=style, highlight=False)
    if answer.rewritten_question:
        out.print(f"[dim](understood as: {escape(answer.rewritten_question)})[/]")
    cites = answer.citations or answer.closest
    if cites:
        out.print("\n[bold]Sources[/]" if answer.citations else "\n[bold]Closest passages (they do not answer it)[/]")
    for c in cites:
        meta = " · ".join(x for x in (c.date, c.source, c.category) if x)
        out.print(f"[{c.n}] [bold]{escape(c.title)}[/] [dim]{escape(meta)} — {escape(c.path)}[/]", highlight=False)
        out.print(f"    “{escape(c.quote)}”", highlight=False)
    for note in answer.notes:
        out.print(f"[dim]note: {escape(note)}[/]")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer as JSON (schema: `schema` command).")
    ] = False,
    backend: Annotated[
        str | None,
        typer.Option(help=BACKEND_HELP),
    ] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only these categories (repeatable).")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these sources (repeatable).")] = None,
    date_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    verbose: Verbose = False,
) -> None:
    """Answer a question from the articles, citing the passages. Ingests the bundled seeds on first use."""
    setup_logging(verbose)
    assistant = _assistant(data_dir, collection, backend=backend)
    try:
        filters = Filters(category=category or None, source=source or None, date_from=date_from, date_to=date_to)
        # The reader's model loads with each CLI process (~5 s; the first time also joins 1.1 GB): on a terminal
        # say so, rather than sit silent for 10-20 s. Rich draws nothing here when stderr is not a terminal.
        waiting = "Reading the articles; a local language model double-checks the answer (~5-20 s)…"
        with err.status(waiting) if assistant.backend == "reader" else nullcontext():
            answer = assistant.ask(question, filters=None if filters.is_empty() else filters)
    except (AssistantError, StoreUnavailable) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except ValueError as exc:  # pydantic validation of filters
        err.print(f"[red]error:[/] invalid filter: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    else:
        _render(answer)


@app.command()
def status(
    data_dir: DataDir = None, collection: Collection = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """What the collection holds."""
    setup_logging(False)
    stats = _assistant(data_dir, collection, must_exist=True).status()
    data = {**stats.__dict__, "fully_embedded": stats.fully_embedded}
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for key, value in data.items():
        out.print(f"{key:>16}: {escape(str(value))}", highlight=False)


@app.command()
def articles(
    query: Annotated[
        str, typer.Argument(help="Words every listed article has in its title, path, source or category.")
    ] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Show at most this many (newest first).")] = 50,
    data_dir: DataDir = None,
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the collection's articles (id, date, source, path, title)."""
    setup_logging(False)
    found = _assistant(data_dir, collection, must_exist=True).articles(query, limit)
    if as_json:
        sys.stdout.write(found.model_dump_json(indent=2) + "\n")
        return
    for article in found.articles:
        meta = " · ".join(v for v in (article.date or "undated", article.source, article.path) if v)
        out.print(f"{article.id}  {escape(meta)}\n    {escape(article.title)}", highlight=False)
    out.print(f"{len(found.articles)} of {found.total} matching articles shown", highlight=False)


@app.command()
def remove(
    article_id: Annotated[str, typer.Argument(help="The article's id (from `articles`, or a citation's article_id).")],
    data_dir: DataDir = None,
    collection: Collection = None,
) -> None:
    """Take one article out of the collection; its file is not touched."""
    setup_logging(False)
    try:
        removed = _assistant(data_dir, collection, must_exist=True).remove_article(article_id)
    except AssistantError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    out.print(f"removed {escape(removed.title)} ({escape(removed.path)})", highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON schema of `ask --json` (and of POST /api/ask)."""
    sys.stdout.write(json.dumps(Answer.model_json_schema(), indent=2) + "\n")


REPO_ROOT = Path(__file__).resolve().parents[1]
# a copy of eval/sets/news_qa.jsonl shipped in the wheel (tests/test_packaging.py keeps the two identical)
PACKAGED_EVAL_SET = Path(__file__).resolve().parent / "resources" / "eval" / "news_qa.jsonl"


def _drafts_from_feedback(assistant: Assistant, out_dir: Path) -> None:
    from assistant.feedback import write_drafts

    entries = assistant.feedback.read()
    if not entries:
        out.print(
            f"no feedback recorded yet in {escape(str(assistant.feedback.path))}: nothing to draft", highlight=False
        )
        return
    target = out_dir / "feedback-drafts.jsonl"
    count = write_drafts(entries, target)
    up = sum(e.rating == "up" for e in entries)
    out.print(
        f"{count} draft eval item(s) from {up} 👍 and {count - up} 👎 -> {escape(str(target))}\n"
        "Each has a 'todo' saying what a human must confirm before it joins eval/sets (then: python "
        "eval/validate_set.py).",
        highlight=False,
    )


@app.command("eval")
def evaluate(
    eval_set: Annotated[
        Path | None, typer.Option("--set", help="Eval set (JSON Lines; default: the project's news_qa set).")
    ] = None,
    split: Annotated[str, typer.Option(help="dev | test | all")] = "all",
    backend: Annotated[str | None, typer.Option(help=BACKEND_HELP)] = None,
    corpus: Annotated[
        list[str] | None, typer.Option(help="NAME=FOLDER for a corpus the set refers to (default: bbc, seeds).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where reports go (default: eval/reports in a checkout, else ./eval-reports)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Baseline to diff and check against (default: eval/baseline.json in a checkout)."),
    ] = None,
    check: Annotated[bool, typer.Option(help="Exit 1 if a headline metric fell below the baseline.")] = False,
    tolerance: Annotated[float, typer.Option(help="Allowed absolute drop per headline metric.")] = 0.02,
    update_baseline: Annotated[bool, typer.Option(help="Write this run as the new baseline.")] = False,
    sample: Annotated[
        float,
        typer.Option(
            help="Ask only this fraction of the questions, drawn by a hash of their ids (stable as the set grows); "
            "--check compares against the baseline's same questions.",
        ),
    ] = 1.0,
    from_feedback: Annotated[
        bool,
        typer.Option(
            "--from-feedback",
            help="Instead of scoring: turn the chat's 👍/👎 (DATA_DIR/feedback.jsonl) into draft eval items "
            "(OUT/feedback-drafts.jsonl) for a human to confirm.",
        ),
    ] = False,
    data_dir: DataDir = None,
    collection: Annotated[str, typer.Option("--collection")] = "eval",
    verbose: Verbose = False,
) -> None:
    """Score the assistant on an eval set: retrieval, answers, citations, abstention, latency."""
    from assistant.evaluation.dataset import default_corpus_roots
    from assistant.evaluation.report import markdown_table
    from assistant.evaluation.runner import evaluate as run_evaluation

    setup_logging(verbose)
    assistant = _assistant(data_dir, collection, backend=backend, ingest_seeds_on_first_run=False)
    # In a checkout the set, reports, baseline and corpora sit where the repo keeps them; from an installed
    # wheel the set and the seed come from the package and the rest from options (or ./eval-reports).
    checkout = (REPO_ROOT / "eval" / "sets").is_dir()
    out_dir = out_dir or (REPO_ROOT / "eval/reports" if checkout else Path("eval-reports"))
    if from_feedback:
        _drafts_from_feedback(assistant, out_dir)
        return
    eval_set = eval_set or (REPO_ROOT / "eval/sets/news_qa.jsonl" if checkout else PACKAGED_EVAL_SET)
    baseline = baseline or (REPO_ROOT / "eval/baseline.json" if checkout else out_dir / "baseline.json")
    roots = default_corpus_roots(REPO_ROOT) if checkout else {"seeds": assistant.settings.seeds_dir}
    for spec in corpus or []:
        name, _, folder = spec.partition("=")
        roots[name] = Path(folder)
    try:
        outcome = run_evaluation(
            assistant, eval_set, split=split, corpus_roots=roots, out_dir=out_dir, baseline=baseline,
            tolerance=tolerance, check=check, update_baseline=update_baseline, sample=sample,
            progress_factory=RichProgress, on_ingested=lambda line: err.print(line, highlight=False),
        )  # fmt: skip
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    report = outcome.report
    sys.stdout.write(markdown_table({"all": report["overall"], **report["by_split"]}) + "\n")
    out.print(f"report: {outcome.report_path}", highlight=False)
    if outcome.diff:
        better, worse = outcome.diff["better"] or "-", outcome.diff["worse"] or "-"
        out.print(f"vs baseline: better {better}; worse {worse}", highlight=False)
    if update_baseline:
        out.print(f"baseline updated: {baseline}")
    if check:
        if not outcome.baseline_found:
            err.print(f"[red]error:[/] no baseline at {baseline}")
            raise typer.Exit(1)
        for regression in outcome.regressions or []:
            err.print(f"[red]regression:[/] {regression}")
        if outcome.regressions:
            raise typer.Exit(1)
        out.print("eval check passed: no headline metric fell below the baseline")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (env NEWS_ASSISTANT_HOST; default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env NEWS_ASSISTANT_PORT; default 7860).")] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    backend: Annotated[
        str | None,
        typer.Option(help=BACKEND_HELP),
    ] = None,
    force_insecure: Annotated[
        bool, typer.Option("--force-insecure", help="Serve on a non-loopback address even without an auth token.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Serve the browser chat (/) and the HTTP API (/api, OpenAI-compatible /v1) in one process."""
    from assistant import server as serving  # the server stack loads only for `serve`

    setup_logging(verbose)
    assistant = _assistant(data_dir, collection, host=host, port=port, backend=backend)
    refusal = serving.bind_refusal(assistant.settings, force_insecure) or serving.port_refusal(
        assistant.settings.host, assistant.settings.port
    )
    if refusal:
        err.print(f"[red]error:[/] {escape(refusal)}")
        raise typer.Exit(2)
    settings = assistant.settings
    if force_insecure and settings.auth_token is None:
        err.print(f"[yellow]warning:[/] serving on {escape(settings.host)} without an access token (--force-insecure)")
    err.print(f"news-assistant: chat and API on http://{escape(settings.host)}:{settings.port}/", highlight=False)
    try:
        serving.serve(assistant, log_level="info" if verbose else "warning")
    except StoreUnavailable as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
