"""Reference client: plain httpx2 + jiter, no library on top.

Not a peer: it is the floor of the transport haybale builds on, so the table shows how much of
haybale's cost is the HTTP client itself and how much is haybale.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from _common import Peer, main

BODY = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "Say hello."}]}).encode()
STREAM_BODY = json.dumps(
    {"model": "bench", "messages": [{"role": "user", "content": "Say hello."}], "stream": True}
).encode()
HEADERS = {"authorization": "Bearer bench-key", "content-type": "application/json"}


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    import httpx2
    import jiter

    client = httpx2.Client(base_url=url, headers=HEADERS)

    def call() -> str:
        response = client.post("/chat/completions", content=BODY)
        response.raise_for_status()
        return str(jiter.from_json(response.content)["choices"][0]["message"]["content"])

    def stream() -> tuple[int, str, str | None]:
        parts: list[str] = []
        with client.stream("POST", "/chat/completions", content=STREAM_BODY) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                choices = jiter.from_json(line[6:].encode())["choices"]
                if choices and choices[0]["delta"].get("content"):
                    parts.append(choices[0]["delta"]["content"])
        return len(parts), "".join(parts), None

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    import httpx2
    import jiter

    client = httpx2.AsyncClient(base_url=url, headers=HEADERS)

    async def call() -> str:
        response = await client.post("/chat/completions", content=BODY)
        response.raise_for_status()
        return str(jiter.from_json(response.content)["choices"][0]["message"]["content"])

    return call


if __name__ == "__main__":
    main(Peer(sync_calls, async_call))
