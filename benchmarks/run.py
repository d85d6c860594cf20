"""Run the benchmark suite: haybale against the openai SDK and the libraries people use instead.

Each measurement is one fresh client process in the peer's own virtualenv (``.bench/<venv>``), pinned
to one core while the benchmark server runs on the other. Phases are repeated and peers interleaved;
the table reports medians with min-max, haybale's ratios to the openai SDK and to haystack, and
whether each target holds. ``bash benchmarks/run.sh`` sets the venvs up and calls this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import batch_phase
from report import render, write_readme

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = ROOT / ".bench"


@dataclass(frozen=True)
class PeerSpec:
    name: str
    venv: str
    script: str
    import_stmt: str
    package: str
    in_pipelines: bool = False  # runs the "pipeline" phase (a chat generator inside Haystack)
    env: dict[str, str] = field(default_factory=dict)  # set in the client process only


PEERS = {
    "haybale": PeerSpec(
        "haybale",
        "haybale",
        "haybale.py",
        "from haybale.components.generators.chat import OpenAIChatGenerator",
        "haybale",
        in_pipelines=True,
    ),
    # haybale on its httpx2 compatibility backend: the price of the fallback.
    "haybale-httpx2": PeerSpec(
        "haybale-httpx2",
        "haybale",
        "haybale.py",
        "from haybale.components.generators.chat import OpenAIChatGenerator",
        "haybale",
        env={"HAYBALE_HTTP_BACKEND": "httpx2"},
    ),
    "openai": PeerSpec("openai", "openai", "openai_sdk.py", "from openai import OpenAI", "openai"),
    "haystack": PeerSpec(
        "haystack",
        "haystack-ai",
        "haystack.py",
        "from haystack.components.generators.chat import OpenAIChatGenerator",
        "haystack-ai",
        in_pipelines=True,
    ),
    "langchain": PeerSpec(
        "langchain",
        "langchain-openai",
        "langchain.py",
        "from langchain_openai import ChatOpenAI",
        "langchain-openai",
    ),
    "litellm": PeerSpec("litellm", "litellm", "litellm.py", "import litellm", "litellm"),
    "pydantic-ai": PeerSpec(
        "pydantic-ai",
        "pydantic-ai",
        "pydantic_ai.py",
        "from pydantic_ai import Agent\nfrom pydantic_ai.models.openai import OpenAIChatModel\n"
        "from pydantic_ai.providers.openai import OpenAIProvider",
        "pydantic-ai-slim",
    ),
    # Not a peer: plain httpx2 + jiter, the floor of the transport haybale is built on.
    "httpx2": PeerSpec("httpx2", "haybale", "httpx2_raw.py", "import httpx2, jiter", "httpx2"),
}
PHASES = ("import", "cold-start", "sequential", "streaming", "concurrency", "pipeline")  # per peer
BATCH = "batch"  # its own variants and table (see batch_phase.py)
# Keep the peers quiet and offline: no telemetry, no tracing, no download of litellm's price list
# (it would fail here and fall back to the copy it ships, after a retry).
CLIENT_ENV = {
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "OPENAI_API_KEY": "bench-key",
    "LITELLM_TELEMETRY": "False",
}


def python_of(peer: PeerSpec) -> str:
    return str(VENVS / peer.venv / "bin" / "python")


def client_env(**extra: str) -> dict[str, str]:
    """The environment of a client process.

    PYTHONDONTWRITEBYTECODE (set on some machines) is dropped: it would stop the warm-up from writing
    bytecode caches, and as pip-installed peers ship theirs, only the editable haybale would pay for
    compiling its sources on every run.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **CLIENT_ENV, **extra}


def run_child(
    cmd: list[str], extra_env: dict[str, str] | None = None, timeout: float = 900
) -> tuple[str, Any]:
    """Run ``cmd`` to completion; return its stdout and its rusage (from wait4)."""
    env = client_env(**(extra_env or {}))
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, cwd=ROOT)
        assert proc.stdout is not None
        watchdog = threading.Timer(timeout, proc.kill)  # a hung client must not hang the suite
        watchdog.start()
        try:
            out = proc.stdout.read().decode()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")
            # Chained tracebacks put the root cause first: keep all of it where it can be read.
            saved = VENVS / "last-failure.log"
            saved.write_text(f"{' '.join(cmd)}\n{out}\n{text}")
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}\n{text[-3000:]}\n(all: {saved})"
            )
    return out, usage


class Server:
    """The benchmark server as a child process, with a reading of its CPU time."""

    def __init__(self, chunks: int, cpu: int | None) -> None:
        cmd = [sys.executable, str(HERE / "server.py"), "--chunks", str(chunks)]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/v1"

    def cpu_seconds(self) -> float:
        stats_url = self.url.removesuffix("/v1") + "/stats"
        with urllib.request.urlopen(stats_url, timeout=10) as response:
            return float(json.loads(response.read())["cpu_s"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure_import(peer: PeerSpec) -> dict[str, float]:
    code = (
        "import resource as r\nu=r.getrusage(0)\n"
        f"{peer.import_stmt}\n"
        "v=r.getrusage(0)\nprint(v.ru_utime+v.ru_stime-u.ru_utime-u.ru_stime)"
    )
    out, usage = run_child([python_of(peer), "-c", code], peer.env)
    return {
        "process_cpu_ms": _process_cpu_ms(usage),
        "import_cpu_ms": float(out.strip()) * 1000,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _process_cpu_ms(usage: Any) -> float:
    """CPU of a whole client process, interpreter start and exit included."""
    return (usage.ru_utime + usage.ru_stime) * 1000


def measure_phase(peer: PeerSpec, phase: str, server: Server, args: argparse.Namespace) -> dict[str, float]:
    if phase == "import":
        return measure_import(peer)
    cmd = [python_of(peer), str(HERE / "clients" / peer.script), phase, "--url", server.url]
    cmd += ["--calls", str(args.calls), "--chunks", str(args.chunks), "--in-flight", str(args.in_flight)]
    before = server.cpu_seconds()
    out, usage = run_child(cmd, peer.env)
    server_cpu = server.cpu_seconds() - before
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    if "error" in result:
        raise RuntimeError(f"{peer.name} {phase}: reply check failed: {result['error']}")
    result["process_cpu_ms"] = _process_cpu_ms(usage)
    units = result.get("chunks") or result["calls"]  # what the phase counts its cost in
    result["server_cpu_us_per_unit"] = server_cpu / units * 1e6
    return result


def versions(peers: list[PeerSpec]) -> dict[str, str]:
    found = {}
    for peer in peers:
        code = f"import importlib.metadata as m; print(m.version({peer.package!r}))"
        found[peer.name] = run_child([python_of(peer), "-c", code])[0].strip()
    return found


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} cores, Linux {os.uname().release}, Python {sys.version.split()[0]}"


def start_server(chunks: int) -> Server:
    """The benchmark server on core 0; this process (and so every client) moves to core 1."""
    two_cores = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    server = Server(chunks, 0 if two_cores else None)
    if two_cores:
        os.sched_setaffinity(0, {1})
    return server


def run_suite(peers: list[PeerSpec], phases: list[str], args: argparse.Namespace) -> dict[str, Any]:
    server = start_server(args.chunks)
    runs: dict[str, dict[str, list[dict[str, float]]]] = {ph: {p.name: [] for p in peers} for ph in phases}
    try:
        for peer in peers:  # warm the bytecode caches so no run pays for compiling
            measure_import(peer)
        for repeat in range(args.repeats):
            for phase in phases:
                shift = repeat % len(peers)
                for peer in peers[shift:] + peers[:shift]:
                    if phase == "pipeline" and not peer.in_pipelines:
                        continue
                    result = measure_phase(peer, phase, server, args)
                    runs[phase][peer.name].append(result)
                    print(
                        f"[{repeat + 1}/{args.repeats}] {phase:<11} {peer.name:<14} {_brief(result)}",
                        flush=True,
                    )
    finally:
        server.stop()
    return {
        "runs": runs,
        "settings": {k: getattr(args, k) for k in ("calls", "chunks", "in_flight", "repeats", "quick")},
        "versions": versions(peers),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def run_batch_suite(args: argparse.Namespace) -> dict[str, Any]:
    """The batch phase: every variant whose virtualenv exists (see batch_phase.py)."""
    variants = [v for v in batch_phase.VARIANTS if (VENVS / v.venv / "bin" / "python").exists()]
    missing = sorted({v.venv for v in batch_phase.VARIANTS} - {v.venv for v in variants})
    if missing:
        sys.exit(f"missing virtualenvs {missing}: run `bash benchmarks/run.sh` to create them")
    packages = {"haybale": "haybale", "openai": "openai", "litellm": "litellm"}
    found = {}
    for venv, package in packages.items():
        code = f"import importlib.metadata as m; print(m.version({package!r}))"
        found[package] = run_child([str(VENVS / venv / "bin" / "python"), "-c", code])[0].strip()
    server = start_server(args.chunks)
    try:
        runs = batch_phase.run_phase(
            variants, server, run_child, VENVS, args.batch_rows, args.in_flight, args.batch_repeats
        )
    finally:
        server.stop()
    return {
        "runs": runs,
        "rows": args.batch_rows,
        "in_flight": args.in_flight,
        "repeats": args.batch_repeats,
        "versions": found,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _brief(result: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in result.items() if isinstance(v, float))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few calls/chunks, one repeat (development)")
    parser.add_argument(
        "--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}"
    )
    parser.add_argument(
        "--phases",
        default=",".join((*PHASES, BATCH)),
        help=f"comma-separated subset of {','.join((*PHASES, BATCH))}",
    )
    parser.add_argument("--repeats", type=int, default=None, help="runs per phase and peer (default 5)")
    parser.add_argument("--calls", type=int, default=None, help="calls per run (default 1000)")
    parser.add_argument(
        "--chunks", type=int, default=None, help="chunks in the streamed reply (default 20000)"
    )
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--batch-rows", type=int, default=None, help="rows in the batch phase (10000)")
    parser.add_argument("--batch-repeats", type=int, default=None, help="batch phase repeats (default 3)")
    parser.add_argument("--no-readme", action="store_true", help="do not update benchmarks/README.md")
    args = parser.parse_args()
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.calls = args.calls or (100 if args.quick else 1000)
    args.chunks = args.chunks or (2000 if args.quick else 20_000)
    args.batch_rows = args.batch_rows or (1000 if args.quick else 10_000)
    args.batch_repeats = args.batch_repeats or (1 if args.quick else 3)
    unknown = set(args.peers.split(",")) - set(PEERS) | set(args.phases.split(",")) - {*PHASES, BATCH}
    if unknown:
        parser.error(f"unknown peer or phase: {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = parse_args()
    peers = [PEERS[name] for name in PEERS if name in args.peers.split(",")]
    phases = [ph for ph in PHASES if ph in args.phases.split(",")]
    missing = [p.venv for p in peers if phases and not Path(python_of(p)).exists()]
    if missing:
        sys.exit(f"missing virtualenvs {missing}: run `bash benchmarks/run.sh` to create them")
    tables = []
    if phases:
        results = run_suite(peers, phases, args)
        tables.append(render(results))
        print("\n" + tables[-1])
        if not args.quick and len(phases) == len(PHASES) and not args.no_readme:
            (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
            write_readme(HERE / "README.md", tables[-1])
            print("\nwrote benchmarks/README.md and benchmarks/results.json")
    if BATCH in args.phases.split(","):
        batch = run_batch_suite(args)
        tables.append(batch_phase.render(batch))
        print("\n" + tables[-1])
        if not args.quick and not args.no_readme:
            (HERE / "results-batch.json").write_text(json.dumps(batch, indent=1) + "\n")
            batch_phase.write_readme(HERE / "README.md", tables[-1])
            print("\nwrote benchmarks/README.md and benchmarks/results-batch.json")
    if any("MISS" in table for table in tables):
        print("\nsome targets were missed: see the tables above")


if __name__ == "__main__":
    main()
