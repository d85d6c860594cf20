"""The measuring harness every peer client shares.

A peer script describes how to make one call, one stream and one async call with its library; this
module runs one phase in the current process, checks every reply against what the server sent, and
prints one JSON object. CPU is user+sys of this process (all threads) from ``resource.getrusage``.

The cold-start phase is judged on the CPU of this whole process, so at module level the harness
imports only what a bare interpreter has already loaded (plus ``resource``, a small C module):
asyncio, argparse, json and dataclasses would cost a lean library more than its own import.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable

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


class Peer:
    """How one library makes each kind of call. Factories import the library lazily.

    ``sync_calls(url)`` returns (call, stream) on one client: ``call()`` returns the reply text;
    ``stream()`` streams one reply and returns (content chunks seen, text assembled by the
    callback/iterator, reply text the library returned or None when it returns none).
    ``async_call(url)`` (called inside the event loop) returns an async call returning the text.
    ``pipeline_call(url)``, only for peers that run inside Haystack, returns a call that runs a
    Haystack pipeline (ChatPromptBuilder -> the library's chat generator) and returns the reply text.
    """

    def __init__(
        self,
        sync_calls: Callable[[str], tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]],
        async_call: Callable[[str], Callable[[], Awaitable[str]]],
        pipeline_call: Callable[[str], Callable[[], str]] | None = None,
    ) -> None:
        self.sync_calls = sync_calls
        self.async_call = async_call
        self.pipeline_call = pipeline_call


class _Options:
    """The command line: ``<phase> --url URL [--calls N] [--chunks N] [--in-flight N]``.

    Parsed by hand because argparse costs a lean library's cold start several percent.
    """

    def __init__(self, argv: list[str]) -> None:
        if not argv or argv[0] not in PHASES:
            sys.exit(f"usage: <peer>.py {{{','.join(PHASES)}}} --url URL [--calls N] [--chunks N] ...")
        self.phase = argv[0]
        pairs = dict(zip(argv[1::2], argv[2::2], strict=False))
        unknown = set(pairs) - {"--url", "--calls", "--chunks", "--in-flight"}
        if unknown or "--url" not in pairs or len(argv) % 2 == 0:
            sys.exit(
                f"options: unknown {sorted(unknown)}, no --url (e.g. http://127.0.0.1:8000/v1) or no value"
            )
        self.url = pairs["--url"]
        self.calls = int(pairs.get("--calls", 1000))
        self.chunks = int(pairs.get("--chunks", 20_000))
        self.in_flight = int(pairs.get("--in-flight", 100))


class _Measured:
    """Mark the measured region; with BENCH_PROFILE=<file> set, profile just that region into it."""

    def __enter__(self) -> None:
        target = os.environ.get("BENCH_PROFILE")
        self.profiler = None
        if target:
            import cProfile

            self.target = target
            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def __exit__(self, *exc: object) -> None:
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.target)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check(text: str | None, expected: str, what: str) -> None:
    if text != expected:
        shown = text if text is None or len(text) < 200 else text[:200] + "..."
        raise CheckFailed(f"{what}: got {shown!r}, expected {expected[:200]!r}")


def cold_start(peer: Peer, opts: _Options) -> dict[str, float]:
    """Construct the client and make one call: the orchestrator times the whole process."""
    call, _ = peer.sync_calls(opts.url)
    _check(call(), REPLY_TEXT, "first reply")
    return {"calls": 1}


def sequential(peer: Peer, opts: _Options) -> dict[str, float]:
    call, _ = peer.sync_calls(opts.url)
    return _call_loop(call, opts.calls)


def in_haystack_pipeline(generator: object) -> Callable[[], str]:
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


def pipeline(peer: Peer, opts: _Options) -> dict[str, float]:
    """Like ``sequential``, each call being one run of a Haystack pipeline around the generator."""
    if peer.pipeline_call is None:
        raise SystemExit("this peer does not run inside Haystack pipelines")
    return _call_loop(peer.pipeline_call(opts.url), opts.calls)


def _call_loop(call: Callable[[], str], calls: int) -> dict[str, float]:
    for _ in range(WARM_UP_CALLS):
        _check(call(), REPLY_TEXT, "warm-up reply")
    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _Measured():
        for _ in range(calls):
            _check(call(), REPLY_TEXT, "reply")
    cpu = _cpu() - start_cpu
    wall = time.perf_counter() - start_wall
    return {"cpu_us_per_call": cpu / calls * 1e6, "wall_s": wall, "calls": calls}


def streaming(peer: Peer, opts: _Options) -> dict[str, float]:
    call, run = peer.sync_calls(opts.url)
    _check(call(), REPLY_TEXT, "warm-up reply")  # opens the connection, loads lazy modules
    chunks = opts.chunks
    expected = "".join(stream_piece(i) for i in range(chunks))
    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _Measured():
        count, text, reply = run()
    cpu = _cpu() - start_cpu
    wall = time.perf_counter() - start_wall
    if count != chunks:
        raise CheckFailed(f"stream: saw {count} content chunks, expected {chunks}")
    _check(text, expected, "streamed text")
    if reply is not None:
        _check(reply, expected, "reply assembled from the stream")
    return {"cpu_us_per_chunk": cpu / chunks * 1e6, "wall_s": wall, "chunks": chunks}


async def _concurrent(peer: Peer, opts: _Options) -> tuple[float, float]:
    import asyncio

    call = peer.async_call(opts.url)
    for _ in range(WARM_UP_CALLS):
        _check(await call(), REPLY_TEXT, "warm-up reply")
    gate = asyncio.Semaphore(opts.in_flight)

    async def one() -> None:
        async with gate:
            _check(await call(), REPLY_TEXT, "reply")

    start_cpu, start_wall = _cpu(), time.perf_counter()
    with _Measured():
        await asyncio.gather(*(one() for _ in range(opts.calls)))
    return _cpu() - start_cpu, time.perf_counter() - start_wall


def concurrency(peer: Peer, opts: _Options) -> dict[str, float]:
    import asyncio

    cpu, wall = asyncio.run(_concurrent(peer, opts))
    calls = opts.calls
    return {"cpu_us_per_call": cpu / calls * 1e6, "wall_s": wall, "calls": calls, "in_flight": opts.in_flight}


# The phases a client process can run; "import" is measured by the orchestrator alone.
PHASES: dict[str, Callable[[Peer, _Options], dict[str, float]]] = {
    "cold-start": cold_start,
    "sequential": sequential,
    "streaming": streaming,
    "concurrency": concurrency,
    "pipeline": pipeline,
}


def _flat_json(result: dict[str, float]) -> str:
    # Numbers only, so no json import is needed (see the module docstring).
    return "{" + ", ".join(f'"{key}": {value!r}' for key, value in result.items()) + "}"


def main(peer: Peer) -> None:
    opts = _Options(sys.argv[1:])
    try:
        result = PHASES[opts.phase](peer, opts)
    except CheckFailed as exc:
        import json

        print(json.dumps({"error": str(exc)}))
        sys.exit(3)
    result["peak_rss_mb"] = _maxrss_mb()
    print(_flat_json(result))
