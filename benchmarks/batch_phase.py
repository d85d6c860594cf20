"""The ``batch`` phase: ``haybale batch`` against hand-written loops over other libraries.

Every variant sends the same ``--batch-rows`` rows (default 10,000) to the benchmark server with 100
in flight, as one fresh process pinned to the client core, and writes one output line per row. The
orchestrator measures the whole process (CPU user+sys and peak RSS from ``wait4``, wall time around
it): what the job costs, interpreter start and imports included. The output is checked (one line per
id, the server's text on each) before a run counts. Variants are interleaved and rotated per repeat.

``haybale batch --ray --actors 2`` runs the same rows with the same total in flight (split between
the actors) on a local Ray cluster that the command starts, writing a folder of parts. Its CPU is
that of the whole process tree, read from ``/proc`` by ``clients/batch_ray.py`` just before the
cluster shuts down (``wait4`` misses most Ray processes), with the actors' and the rate keeper's
shares apart. It runs on both cores, sharing them with the server.

Targets (medians of one run): ``haybale batch`` at most 0.5x the openai SDK loop's CPU per row, and
at most 1.3x haybale's own bare ``run_async`` loop (the batch machinery adds at most 30%).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = "<!-- bench:batch:start -->"
END = "<!-- bench:batch:end -->"
REPLY_TEXT = "Hello from the benchmark server: the quick brown fox jumps over the lazy dog."


@dataclass(frozen=True)
class Variant:
    name: str
    venv: str  # under .bench/
    loop: str | None  # batch_loops.py variant, or None for the haybale batch command
    actors: int | None = None  # haybale batch --ray on this many actors (then loop is None)

    def output(self, folder: Path) -> Path:
        """Where this variant writes: a file, or for the Ray runner a folder of parts."""
        name = f"out-{self.venv}-{self.loop or 'cli'}" + (f"-ray{self.actors}" if self.actors else ".jsonl")
        return folder / name


VARIANTS = (
    Variant("haybale batch", "haybale", None),
    Variant("haybale batch --ray (2 actors)", "haybale", None, actors=2),
    Variant("haybale run_async loop", "haybale", "haybale-run-async"),
    Variant("openai SDK loop", "openai", "openai"),
    Variant("litellm acompletion loop", "litellm", "litellm-acompletion"),
    Variant("litellm batch_completion", "litellm", "litellm-batch-completion"),
)
TARGETS = {"openai SDK loop": 0.5, "haybale run_async loop": 1.3}
RAY_PARTS = ("cpu_us_per_row", "actor_cpu_us_per_row", "keeper_cpu_us_per_row")  # see clients/batch_ray.py


def command(variant: Variant, venvs: Path, url: str, rows: Path, output: Path, in_flight: int) -> list[str]:
    bin_dir = venvs / variant.venv / "bin"
    batch = ["batch", str(rows), "-o", str(output), "--base-url", url, "--model", "bench", "--quiet"]
    if variant.actors:  # the same total in flight, split between the actors
        script = HERE / "clients" / "batch_ray.py"
        ray = ["--ray", "--actors", str(variant.actors), "--concurrency", str(in_flight // variant.actors)]
        return [str(bin_dir / "python"), str(script), *batch, *ray]
    if variant.loop is None:
        return [str(bin_dir / "haybale"), *batch, "--concurrency", str(in_flight)]
    script = HERE / "clients" / "batch_loops.py"
    return [
        str(bin_dir / "python"), str(script), variant.loop, "--url", url, "--input", str(rows),
        "--output", str(output), "--concurrency", str(in_flight),
    ]  # fmt: skip


def check_output(path: Path, rows: int) -> None:
    """One line per id 0..rows-1, each with the server's text (in the file, or across the folder's
    parts); raises otherwise."""
    seen: list[int] = []
    for part in sorted(path.glob("part-*.jsonl")) if path.is_dir() else [path]:
        with part.open() as file:
            for line in file:
                record = json.loads(line)
                if record["text"] != REPLY_TEXT:
                    raise RuntimeError(f"{part}: id {record['id']} has text {record['text']!r}")
                seen.append(record["id"])
    if len(seen) != rows or set(seen) != set(range(rows)):
        raise RuntimeError(f"{path}: {len(seen)} lines, {len(set(seen))} distinct ids, expected {rows}")


def run_phase(
    variants: list[Variant],
    server: Any,
    run_child: Callable[[list[str]], tuple[str, Any]],
    venvs: Path,
    rows: int,
    in_flight: int,
    repeats: int,
) -> dict[str, list[dict[str, float]]]:
    """Measure every variant ``repeats`` times; returns the raw figures per variant."""
    runs: dict[str, list[dict[str, float]]] = {variant.name: [] for variant in variants}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "rows.jsonl"
        source.write_text("".join(json.dumps({"id": i, "prompt": "Say hello."}) + "\n" for i in range(rows)))
        for repeat in range(repeats):
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                output = variant.output(Path(folder))  # fresh: never a resume
                cmd = command(variant, venvs, server.url, source, output, in_flight)
                result = measure(cmd, server, run_child, output, rows)
                runs[variant.name].append(result)
                brief = " ".join(f"{k}={v:.4g}" for k, v in result.items())
                print(f"[{repeat + 1}/{repeats}] batch       {variant.name:<26} {brief}", flush=True)
    return runs


def measure(
    cmd: list[str], server: Any, run_child: Callable[[list[str]], tuple[str, Any]], output: Path, rows: int
) -> dict[str, float]:
    """Run one variant process, check its output (then remove it) and return its figures per row."""
    server_before, wall_before = server.cpu_seconds(), time.perf_counter()
    out, usage = run_child(cmd)
    wall = time.perf_counter() - wall_before
    server_cpu = server.cpu_seconds() - server_before
    check_output(output, rows)
    if output.is_dir():
        shutil.rmtree(output)
    else:
        output.unlink()
    # The loops report the CPU of the loop alone; the Ray wrapper that of the whole process tree
    # (which then replaces wait4's figure, blind to most of the Ray processes) and of its parts.
    reported: dict[str, float] = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    whole = reported.pop("tree_cpu_s", usage.ru_utime + usage.ru_stime)
    result = {
        "cpu_us_per_row": whole / rows * 1e6,
        "wall_s": wall,
        "peak_rss_mb": reported.pop("peak_rss_mb", usage.ru_maxrss / 1024),
        "server_cpu_us_per_row": server_cpu / rows * 1e6,
    }
    for key, seconds in reported.items():
        if key.endswith("_cpu_s"):
            result[key.removesuffix("_s") + "_us_per_row"] = seconds / rows * 1e6
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _cell(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    middle = fmt.format(statistics.median(values))
    return middle if len(values) == 1 else f"{middle} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def render(results: dict[str, Any]) -> str:
    """The Markdown table of one batch phase run, with haybale batch's ratios and the targets."""
    runs: dict[str, list[dict[str, float]]] = results["runs"]
    ours = _median([r["cpu_us_per_row"] for r in runs.get("haybale batch", [])])
    lines = [
        f"Run {results['date']} on {results['machine']}; {results['rows']:,} rows, {results['in_flight']} in "
        f"flight, {results['repeats']} interleaved repeats; versions: {_versions(results['versions'])}.",
        "",
        "| variant | client CPU per row (µs), whole process (--ray: process tree) | rows/s | wall time (s) "
        "| peak RSS (MB) | server CPU per row (µs) | haybale batch / this | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for name, figures in runs.items():
        cpu = [r["cpu_us_per_row"] for r in figures]
        ratio = ours / _median(cpu) if cpu and name != "haybale batch" else None
        limit = TARGETS.get(name)
        verdict = "" if limit is None or ratio is None else ("PASS" if ratio <= limit else "**MISS**")
        cells = [
            name,
            _cell(cpu, "{:.0f}"),
            _cell([results["rows"] / r["wall_s"] for r in figures], "{:.0f}"),
            _cell([r["wall_s"] for r in figures], "{:.2f}"),
            _cell([r["peak_rss_mb"] for r in figures], "{:.1f}"),
            _cell([r["server_cpu_us_per_row"] for r in figures], "{:.0f}"),
            f"{ratio:.2f}x" if ratio is not None else "-",
            f"<= {limit:g}x" if limit is not None else "",
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        _ray_note(name, figures, ours, results["rows"])
        for name, figures in runs.items()
        if figures and "actor_cpu_us_per_row" in figures[0]
    ]
    return "\n".join(lines + [f"\n{note}" for note in notes])


def _ray_note(name: str, figures: list[dict[str, float]], ours: float, rows: int) -> str:
    """Where a Ray variant's CPU goes (medians, µs per row), next to the local runner's."""
    whole, actors, keeper = (_median([r[key] for r in figures]) for key in RAY_PARTS)
    rest = whole - actors - keeper
    return (
        f"{name}, client CPU per row (medians, µs): {whole:.0f} for the whole process tree = {actors:.0f} "
        f"in the MapWorker actors sending the rows ({actors / ours:.1f}x haybale batch's {ours:.0f}, whole "
        f"process) + {keeper:.0f} in the RateKeeper actor + {rest:.0f} in the rest (driver, GCS, raylet, "
        f"agents, Ray Data's tasks: {rest * rows / 1e6:.1f} s per run, mostly the cluster's start). Its "
        "peak RSS is the sum of every process's peak."
    )


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def write_readme(path: Path, table: str) -> None:
    """Replace the text between the batch markers in ``path`` (added at the end if missing)."""
    text = path.read_text()
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{table}\n{END}{after}")
