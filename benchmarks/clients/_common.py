"""The measuring harness every peer client shares.

A peer script describes how to make one call, one stream and one async call with its library; this
module runs one phase in the current process, checks every reply against what the server sent, and
prints one JSON object. CPU is user+sys of this process (all threads) from ``resource.getrusage``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

# The peer scripts are named like the libraries they drive (haystack.py, haybale.py): take their folder
# off the import path so that ``import haystack`` finds the library, not the script.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

# The server's texts, duplicated here because clients run in peer venvs without the benchmarks package.
REPLY_TEXT = "Hello from the benchmark server: the quick brown fox jumps over the lazy dog."
WARM_UP_CALLS = 5


def stream_piece(i: int) -> str:
    return f"w{i} "


class CheckFailed(RuntimeError):
    """A reply differs from what the server sent: the run is invalid."""


@dataclass
class Peer:
    """How one library makes each kind of call. Factories import the library lazily."""

    # Given the base URL, returns (call, stream) on one client: ``call()`` returns the reply text;
    # ``stream()`` streams one reply and returns (content chunks seen, text assembled by the
    # callback/iterator, reply text the library returned or None when it returns none).
    sync_calls: Callable[[str], tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]]
    # Given the base URL (called inside the event loop), returns an async call returning the text.
    async_call: Callable[[str], Callable[[], Awaitable[str]]]
    # Given the base URL, returns a call that runs a Haystack pipeline (ChatPromptBuilder -> the
    # library's chat generator) and returns the reply text; only peers that run inside Haystack.
    pipeline_call: Callable[[str], Callable[[], str]] | None = None


@contextlib.contextmanager
def _measured() -> Iterator[None]:
    """Mark the measured region; with BENCH_PROFILE=<file> set, profile just that region into it."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        yield
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(target)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check(text: str | None, expected: str, what: str) -> None:
    if text != expected:
        shown = text if text is None or len(text) < 200 else text[:200] + "..."
        raise CheckFailed(f"{what}: got {shown!r}, expected {expected[:200]!r}")


def sequential(peer: Peer, url: str, calls: int) -> dict[str, float]:
    call, _ = peer.sync_calls(url)
    return _call_loop(call, calls)


def in_haystack_pipeline(generator: Any) -> Callable[[], str]:
    """A call running the pipeline both pipeline peers share: ChatPromptBuilder -> ``generator``.

    The two runs differ only in the generator class; haystack-ai is imported here, in the peer's venv.
    """
    from haystack import Pipeline
    from haystack.components.builders import ChatPromptBuilder
    from haystack.dataclasses import ChatMessage

    pipe = Pipeline()
    template = [ChatMessage.from_user("Say {{ word }}.")]
    pipe.add_component("prompt", ChatPromptBuilder(template=template, required_variables=["word"]))
    pipe.add_component("llm", generator)
    pipe.connect("prompt.prompt", "llm.messages")
    data = {"prompt": {"word": "hello"}}

    def call() -> str:
        return pipe.run(data)["llm"]["replies"][0].text or ""

    return call


def pipeline(peer: Peer, url: str, calls: int) -> dict[str, float]:
    """Like ``sequential``, each call being one run of a Haystack pipeline around the generator."""
    if peer.pipeline_call is None:
        raise SystemExit("this peer does not run inside Haystack pipelines")
    return _call_loop(peer.pipeline_call(url), calls)


def _call_loop(call: Callable[[], str], calls: int) -> dict[str, float]:
    for _ in range(WARM_UP_CALLS):
        _check(call(), REPLY_TEXT, "warm-up reply")
    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _measured():
        for _ in range(calls):
            _check(call(), REPLY_TEXT, "reply")
    cpu = _cpu() - start_cpu
    wall = time.perf_counter() - start_wall
    return {"cpu_us_per_call": cpu / calls * 1e6, "wall_s": wall, "calls": calls}


def streaming(peer: Peer, url: str, chunks: int) -> dict[str, float]:
    call, run = peer.sync_calls(url)
    _check(call(), REPLY_TEXT, "warm-up reply")  # opens the connection, loads lazy modules
    expected = "".join(stream_piece(i) for i in range(chunks))
    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _measured():
        count, text, reply = run()
    cpu = _cpu() - start_cpu
    wall = time.perf_counter() - start_wall
    if count != chunks:
        raise CheckFailed(f"stream: saw {count} content chunks, expected {chunks}")
    _check(text, expected, "streamed text")
    if reply is not None:
        _check(reply, expected, "reply assembled from the stream")
    return {"cpu_us_per_chunk": cpu / chunks * 1e6, "wall_s": wall, "chunks": chunks}


async def _concurrent(peer: Peer, url: str, calls: int, in_flight: int) -> tuple[float, float]:
    call = peer.async_call(url)
    for _ in range(WARM_UP_CALLS):
        _check(await call(), REPLY_TEXT, "warm-up reply")
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            _check(await call(), REPLY_TEXT, "reply")

    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _measured():
        await asyncio.gather(*(one() for _ in range(calls)))
    return _cpu() - start_cpu, time.perf_counter() - start_wall


def concurrency(peer: Peer, url: str, calls: int, in_flight: int) -> dict[str, float]:
    cpu, wall = asyncio.run(_concurrent(peer, url, calls, in_flight))
    return {"cpu_us_per_call": cpu / calls * 1e6, "wall_s": wall, "calls": calls, "in_flight": in_flight}


def main(peer: Peer) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["sequential", "streaming", "concurrency", "pipeline"])
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args()
    try:
        if args.phase == "sequential":
            result = sequential(peer, args.url, args.calls)
        elif args.phase == "streaming":
            result = streaming(peer, args.url, args.chunks)
        elif args.phase == "pipeline":
            result = pipeline(peer, args.url, args.calls)
        else:
            result = concurrency(peer, args.url, args.calls, args.in_flight)
    except CheckFailed as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(3)
    result["peak_rss_mb"] = _maxrss_mb()
    print(json.dumps(result))
