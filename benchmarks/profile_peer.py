"""Profile one peer in one phase, to see where its time goes.

    python3 benchmarks/profile_peer.py haybale sequential [--calls 1000] [--chunks 20000] [--top 30]
    python3 benchmarks/profile_peer.py haybale import      # -X importtime, slowest modules first

Starts the benchmark server, profiles only the measured region of the peer's client (cProfile, via
BENCH_PROFILE), and prints the top functions by own time, in µs per call or chunk.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import tempfile

from run import HERE, PEERS, ROOT, Server, client_env, python_of


def import_time(python: str, stmt: str, env_extra: dict[str, str], top: int) -> None:
    env = client_env(**env_extra)
    err = subprocess.run(
        [python, "-X", "importtime", "-c", stmt], env=env, capture_output=True, text=True
    ).stderr
    rows = []
    for line in err.splitlines()[1:]:
        if line.startswith("import time:"):
            own, cumulative, name = line.split(":", 1)[1].split("|")
            rows.append((int(cumulative), int(own), name.rstrip()))
    print(f"total {max(rows)[0] / 1000:.1f} ms; {len(rows)} modules; top by cumulative µs (own µs):")
    for cumulative, own, name in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative:>9} {own:>8}  {name}")


def profile(peer: str, phase: str, calls: int, chunks: int, top: int) -> None:
    server = Server(chunks, 0 if (os.cpu_count() or 1) >= 2 else None)
    units = chunks if phase == "streaming" else calls
    try:
        with tempfile.NamedTemporaryFile(suffix=".prof") as out:
            cmd = [python_of(PEERS[peer]), str(HERE / "clients" / PEERS[peer].script), phase]
            cmd += ["--url", server.url]
            cmd += ["--calls", str(calls), "--chunks", str(chunks)]
            env = client_env(BENCH_PROFILE=out.name, **PEERS[peer].env)
            print(subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
            stats = pstats.Stats(out.name)
    finally:
        server.stop()
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    unit = "chunk" if phase == "streaming" else "call"
    print(f"top {top} by own time, µs per {unit} (own, cumulative, ncalls); profiling inflates all figures:")
    for (path, line, name), (_, ncalls, own, cumulative, _) in rows[:top]:
        where = f"{os.path.basename(path)}:{line}({name})"
        print(f"{own / units * 1e6:>9.1f} {cumulative / units * 1e6:>9.1f} {ncalls:>8}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("peer", choices=list(PEERS))
    parser.add_argument("phase", choices=["import", "sequential", "streaming", "concurrency"])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    if args.phase == "import":
        spec = PEERS[args.peer]
        import_time(python_of(spec), spec.import_stmt, spec.env, args.top)
    else:
        profile(args.peer, args.phase, args.calls, args.chunks, args.top)


if __name__ == "__main__":
    main()
