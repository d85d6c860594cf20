"""A responder for the fake server that answers from the request, with faults by row or by rate.

    echo = Echo(faults={"row 7": ["429", "500"]}, rates={"reset": 0.02}, retry_after_ms=50)
    fake_server.respond_with(echo)

Every normal reply is a chat completion whose text is ``reply_text(prompt)`` (``"echo: <the last
user message>"``), so a test can tell each row's answer from every other's. Faults:

- ``"429"``: HTTP 429 with ``Retry-After`` (``retry_after`` seconds) or ``retry-after-ms``;
- ``"500"``: HTTP 500;
- ``"reset"``: the connection closes without an answer;
- ``"stall"``: no answer for ``stall_seconds`` (longer than the client's timeout), then a close.

``faults`` lists the answers for a prompt's first requests, in order (afterwards it is answered
normally); ``rates`` draws a fault for any request with the given probabilities (seeded, so a run
is reproducible). ``delay`` holds every normal reply back that long (faults answer at once).
``prompts()`` lists the prompt of every request received, in order.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from typing import Any

from fake_server import RecordedRequest, Reply
from payloads import completion

FAULTS = ("429", "500", "reset", "stall")


def reply_text(prompt: str) -> str:
    return f"echo: {prompt}"


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return ""


class Echo:
    """See the module docstring. Thread-safe: the fake server answers on many threads."""

    def __init__(
        self,
        *,
        faults: dict[str, list[str]] | None = None,
        rates: dict[str, float] | None = None,
        seed: int = 1,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        stall_seconds: float = 2.0,
        delay: float = 0.0,
        usage: tuple[int, int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        unknown = {kind for plan in (faults or {}).values() for kind in plan} | set(rates or {})
        if unknown - set(FAULTS):
            raise ValueError(f"unknown faults {unknown - set(FAULTS)}; use {FAULTS}")
        self.faults = {prompt: list(plan) for prompt, plan in (faults or {}).items()}
        self.rates = dict(rates or {})
        self.retry_after = retry_after
        self.retry_after_ms = retry_after_ms
        self.stall_seconds = stall_seconds
        self.delay = delay
        self.usage = usage
        self.headers = dict(headers or {})
        self.served: Counter[str] = Counter()  # answers given, by kind ("ok" or a fault)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        body = request.json
        prompt = last_user_text(body)
        kind = self._pick(prompt)
        with self._lock:
            self.served[kind] += 1
        reply = self._reply(kind, body, prompt)
        return Reply.delay(self.delay, reply) if self.delay and kind == "ok" else reply

    def _pick(self, prompt: str) -> str:
        with self._lock:
            plan = self.faults.get(prompt)
            if plan is not None:  # a scripted prompt: its plan, then normal answers (no random faults)
                return plan.pop(0) if plan else "ok"
            draw = self._random.random()
        for kind, rate in self.rates.items():
            if draw < rate:
                return kind
            draw -= rate
        return "ok"

    def _reply(self, kind: str, body: dict[str, Any], prompt: str) -> Reply:
        if kind == "429":
            return Reply.json({"error": {"message": "slow down"}}, status=429, headers=self._retry_headers())
        if kind == "500":
            return Reply.json({"error": {"message": "boom"}}, status=500)
        if kind == "reset":
            return Reply.drop()
        if kind == "stall":
            return Reply.delay(self.stall_seconds, Reply.drop())
        text = reply_text(prompt)
        prompt_tokens, completion_tokens = self.usage or (
            len(json.dumps(body["messages"]).split()),
            len(text.split()),
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        return Reply.json(completion(text, model=body.get("model", "m"), usage=usage), headers=self.headers)

    def _retry_headers(self) -> dict[str, str]:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = str(self.retry_after_ms)
        return headers


def prompts(requests: list[RecordedRequest]) -> list[str]:
    """The last user message of each request, in arrival order."""
    return [last_user_text(request.json) for request in requests]
