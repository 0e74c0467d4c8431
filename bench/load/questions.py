"""The questions the load test asks: the eval set's questions over the corpus the runner ingests."""

from __future__ import annotations

from assistant.evaluation.dataset import load_eval_set
from bench.common import EVAL_SET

QUESTIONS = [item.question for item in load_eval_set(EVAL_SET)]
