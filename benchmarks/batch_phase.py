"""The ``batch`` phase: ``haybale batch`` against hand-written loops over other libraries.

Every variant sends the same ``--batch-rows`` rows (default 10,000) to the benchmark server with 100
in flight, as one fresh process pinned to the client core, and writes one output line per row. The
orchestrator measures the whole process (CPU user+sys and peak RSS from ``wait4``, wall time around
it): what the job costs, interpreter start and imports included. The output is checked (one line per
id, the server's text on each) before a run counts. Variants are interleaved and rotated per repeat.

Targets (medians of one run): ``haybale batch`` at most 0.5x the openai SDK loop's CPU per row, and
at most 1.3x haybale's own bare ``run_async`` loop (the batch machinery adds at most 30%).
"""

from __future__ import annotations

import json
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


VARIANTS = (
    Variant("haybale batch", "haybale", None),
    Variant("haybale run_async loop", "haybale", "haybale-run-async"),
    Variant("openai SDK loop", "openai", "openai"),
    Variant("litellm acompletion loop", "litellm", "litellm-acompletion"),
    Variant("litellm batch_completion", "litellm", "litellm-batch-completion"),
)
TARGETS = {"openai SDK loop": 0.5, "haybale run_async loop": 1.3}


def command(variant: Variant, venvs: Path, url: str, rows: Path, output: Path, in_flight: int) -> list[str]:
    bin_dir = venvs / variant.venv / "bin"
    if variant.loop is None:
        return [
            str(bin_dir / "haybale"), "batch", str(rows), "-o", str(output), "--base-url", url,
            "--model", "bench", "--concurrency", str(in_flight), "--quiet",
        ]  # fmt: skip
    script = HERE / "clients" / "batch_loops.py"
    return [
        str(bin_dir / "python"), str(script), variant.loop, "--url", url, "--input", str(rows),
        "--output", str(output), "--concurrency", str(in_flight),
    ]  # fmt: skip


def check_output(path: Path, rows: int) -> None:
    """One line per id 0..rows-1, each with the server's text; raises otherwise."""
    seen: set[int] = set()
    with path.open() as file:
        for line in file:
            record = json.loads(line)
            if record["text"] != REPLY_TEXT:
                raise RuntimeError(f"{path}: id {record['id']} has text {record['text']!r}")
            seen.add(record["id"])
    if seen != set(range(rows)):
        raise RuntimeError(f"{path}: {len(seen)} distinct ids, expected {rows}")


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
                output = Path(folder) / f"out-{variant.venv}-{variant.loop}.jsonl"  # fresh: never a resume
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
    output.unlink()
    result = {
        "cpu_us_per_row": (usage.ru_utime + usage.ru_stime) / rows * 1e6,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "server_cpu_us_per_row": server_cpu / rows * 1e6,
    }
    if out.strip():  # the loops also report the CPU of the loop alone
        result["loop_cpu_us_per_row"] = json.loads(out.strip().splitlines()[-1])["loop_cpu_s"] / rows * 1e6
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
        "| variant | client CPU per row (µs), whole process | wall time (s) | peak RSS (MB) "
        "| server CPU per row (µs) | haybale batch / this | target | result |",
        "|---|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for name, figures in runs.items():
        cpu = [r["cpu_us_per_row"] for r in figures]
        ratio = ours / _median(cpu) if cpu and name != "haybale batch" else None
        limit = TARGETS.get(name)
        verdict = "" if limit is None or ratio is None else ("PASS" if ratio <= limit else "**MISS**")
        cells = [
            name,
            _cell(cpu, "{:.0f}"),
            _cell([r["wall_s"] for r in figures], "{:.2f}"),
            _cell([r["peak_rss_mb"] for r in figures], "{:.1f}"),
            _cell([r["server_cpu_us_per_row"] for r in figures], "{:.0f}"),
            f"{ratio:.2f}x" if ratio is not None else "-",
            f"<= {limit:g}x" if limit is not None else "",
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
