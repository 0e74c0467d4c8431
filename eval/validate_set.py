"""Check an evaluation set against the corpora: ``python eval/validate_set.py [path]``.

Prints every problem found and exits with status 1 if there is any (2 if the file cannot be loaded).
Corpus directories default to ``<repo>/../shared/corpora/bbc`` and ``<repo>/seeds``; override them with
``--corpus NAME=DIR``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = REPO_ROOT / "eval" / "sets" / "news_qa.jsonl"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO_ROOT))
    from assistant.evaluation.dataset import (
        default_corpus_roots,
        find_unlisted_duplicates,
        load_eval_set,
        validate_eval_set,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET, help="JSONL set (default: %(default)s)")
    parser.add_argument(
        "--corpus",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="override or add a corpus root, e.g. --corpus bbc=/data/bbc (repeatable)",
    )
    parser.add_argument(
        "--skip-duplicates",
        action="store_true",
        help="skip the whole-corpus scan for unlisted duplicate articles",
    )
    args = parser.parse_args(argv)

    roots = default_corpus_roots(REPO_ROOT)
    for spec in args.corpus:
        name, sep, directory = spec.partition("=")
        if not sep or not name or not directory:
            parser.error(f"--corpus expects NAME=DIR, got {spec!r}")
        roots[name] = Path(directory)

    try:
        items = load_eval_set(args.path)
    except (OSError, ValueError) as exc:
        print(f"cannot load {args.path}: {exc}", file=sys.stderr)
        return 2

    problems = validate_eval_set(items, roots)
    if not args.skip_duplicates:
        problems += find_unlisted_duplicates(items, roots)
    for problem in problems:
        print(problem)

    types = Counter(item.type for item in items)
    splits = Counter(item.split for item in items)
    print(
        f"{len(items)} items; splits: {dict(sorted(splits.items()))}; types: {dict(sorted(types.items()))}; "
        f"{len(problems)} problem(s)",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
