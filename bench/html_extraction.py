"""The project's HTML reader against trafilatura on real saved news pages (issue 11: adopt it if it measures better).

The pages and the gold come from trafilatura's own repository (tests/cache/*.html and tests/realworld_tests.py:
for each page, strings that must and must not be in the main text, written by its maintainers). They are third
party, so they are read from a checkout rather than copied here; the gold was written for trafilatura, which
favours it where the two disagree on what counts as main text.

    pip install trafilatura==2.3.1
    python -m bench.html_extraction /path/to/trafilatura/checkout

Only pages whose checks use the default extraction options are scored.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from assistant.ingest.readers import read_articles


def _norm(text: str) -> str:
    return " ".join(text.split())


def gold(tests_source: str) -> tuple[dict[str, str], dict[str, list[tuple[str, bool]]]]:
    """(url -> cached file name, url -> [(string, must be in the main text)]) from realworld_tests.py."""
    pages = dict(re.findall(r'"(https?://[^"]+)":\s*"([^"]+\.html)"', tests_source))
    checks: dict[str, list[tuple[str, bool]]] = {}
    for block in re.split(r"\n\s*result = ", tests_source):
        head = re.match(r'do_load_page\(\s*"([^"]+)"\s*\)', block)
        if not head:
            continue
        for line in block.splitlines()[1:]:
            found = re.match(r'\s*assert "(.*)" (not in|in) result\s*$', line)
            if found:
                checks.setdefault(head.group(1), []).append(
                    (found.group(1).replace('\\"', '"'), found.group(2) == "in")
                )
    return pages, checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of github.com/adbar/trafilatura")
    parser.add_argument("--english-news", action="store_true", help="only the English news and blog pages")
    args = parser.parse_args()
    import trafilatura  # an optional comparison dependency, not one of the project's
    from trafilatura.metadata import extract_metadata

    pages, checks = gold((args.checkout / "tests" / "realworld_tests.py").read_text(encoding="utf-8"))
    totals = {"ours": [0, 0, 0, 0, 0], "trafilatura": [0, 0, 0, 0, 0]}
    print("| page | ours: kept / must | ours: dropped / must not | trafilatura: kept | trafilatura: dropped |")
    print("|---|---:|---:|---:|---:|")
    for url, checklist in sorted(checks.items()):
        path = args.checkout / "tests" / "cache" / pages.get(url, "-")
        if not path.is_file() or (args.english_news and not re.search(r"\.(com|org|net|co\.uk|blog|me)[./]", url)):
            continue
        raw = path.read_bytes()
        html = raw.decode("utf-8", "replace")
        try:
            (article, *_), _ = read_articles(raw, path.name, category=None, source=None)
            ours, our_date = _norm(f"{article.title}\n{article.text}"), article.date
        except Exception:  # a page our reader cannot read counts as extracting nothing
            ours, our_date = "", None
        theirs = _norm(trafilatura.extract(html) or "")
        meta = extract_metadata(html)
        row = [path.name]
        for name, text, date in (("ours", ours, our_date), ("trafilatura", theirs, meta.date if meta else None)):
            must = [s for s, inside in checklist if inside]
            must_not = [s for s, inside in checklist if not inside]
            kept = sum(_norm(s) in text for s in must)
            dropped = sum(_norm(s) not in text for s in must_not)
            counts = [kept, len(must), dropped, len(must_not), int(bool(date))]
            totals[name] = [a + b for a, b in zip(totals[name], counts, strict=True)]
            row += [f"{kept}/{len(must)}", f"{dropped}/{len(must_not)}"]
        print("| " + " | ".join(row) + " |")
    for name, (kept, must, dropped, must_not, dated) in totals.items():
        print(
            f"{name}: main text kept {kept}/{must}, boilerplate dropped {dropped}/{must_not}, a date found on {dated}"
        )


if __name__ == "__main__":
    main()
