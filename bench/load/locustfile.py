"""Locust users for the load test (bench/load/run.py): readers asking through /api/ask, /v1 and the chat.

Each user picks one of the three doors per task, with questions from the eval set over the seed + BBC sample
the runner ingested. A request counts as a failure unless it returns 200 with an answer (or, for the chat,
Gradio's stream ends with `complete`).
"""

from __future__ import annotations

import json
import random

from locust import HttpUser, between, task

from bench.load.questions import QUESTIONS


class Reader(HttpUser):
    wait_time = between(0.5, 2.0)

    def _question(self) -> str:
        return random.choice(QUESTIONS)

    @task(2)
    def api_ask(self) -> None:
        with self.client.post("/api/ask", json={"question": self._question()}, catch_response=True) as response:
            if response.status_code != 200 or not response.json().get("text"):
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(2)
    def v1_chat(self) -> None:
        body = {"model": "news-assistant", "messages": [{"role": "user", "content": self._question()}]}
        with self.client.post("/v1/chat/completions", json=body, catch_response=True) as response:
            if response.status_code != 200 or not response.json()["choices"][0]["message"]["content"]:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(1)
    def chat(self) -> None:
        data = {"data": [self._question(), {}, None, None, None, None, False]}  # filters off, double-check off
        with self.client.post("/gradio_api/call/respond", json=data, name="chat (submit)", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return
            event_id = r.json()["event_id"]
        path = f"/gradio_api/call/respond/{event_id}"
        # read to the end (not stream=True, which would time only the headers): the time is the whole answer's
        with self.client.get(path, name="chat (answer stream)", catch_response=True) as stream:
            events = [line for line in stream.text.splitlines() if line.startswith("event:")]
            if stream.status_code != 200 or not events or events[-1] != "event: complete":
                stream.failure(f"{stream.status_code}: events {json.dumps(events[-3:])}")
