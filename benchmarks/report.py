"""Turn the raw runs into the results table (Markdown) and put it into benchmarks/README.md."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

# (phase, metric key, label, format)
METRICS = [
    ("import", "process_cpu_ms", "whole-process CPU (ms)", "{:.0f}"),
    ("import", "import_cpu_ms", "in-process import CPU (ms)", "{:.0f}"),
    ("import", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
    ("cold-start", "process_cpu_ms", "whole-process CPU (ms)", "{:.0f}"),
    ("cold-start", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
    ("sequential", "cpu_us_per_call", "client CPU per call (µs)", "{:.0f}"),
    ("sequential", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
    ("sequential", "server_cpu_us_per_unit", "server CPU per call (µs)", "{:.0f}"),
    ("streaming", "cpu_us_per_chunk", "client CPU per chunk (µs)", "{:.1f}"),
    ("streaming", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
    ("streaming", "server_cpu_us_per_unit", "server CPU per chunk (µs)", "{:.1f}"),
    ("concurrency", "cpu_us_per_call", "client CPU per call (µs)", "{:.0f}"),
    ("concurrency", "wall_s", "wall time (s)", "{:.2f}"),
    ("concurrency", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
    ("concurrency", "server_cpu_us_per_unit", "server CPU per call (µs)", "{:.0f}"),
    ("pipeline", "cpu_us_per_call", "client CPU per Haystack pipeline run (µs)", "{:.0f}"),
    ("pipeline", "peak_rss_mb", "peak RSS (MB)", "{:.1f}"),
]

# Upper bounds on haybale / openai SDK (medians of the same run), from issue 10; phase "*" is every phase.
TARGETS = {
    ("import", "process_cpu_ms"): 0.08,
    ("cold-start", "process_cpu_ms"): 0.20,
    ("sequential", "cpu_us_per_call"): 0.15,
    ("streaming", "cpu_us_per_chunk"): 0.12,
    ("concurrency", "cpu_us_per_call"): 0.10,
    ("concurrency", "wall_s"): 1.0,
    ("*", "peak_rss_mb"): 0.7,
}
# The ratio columns (numerator / denominator); targets and verdicts apply to the first.
RATIOS = [("haybale", "openai"), ("haybale", "haystack"), ("haybale-httpx2", "openai")]


def _cell(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    middle = fmt.format(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def _ratio(medians: dict[str, float], mine: str, other: str) -> float | None:
    if mine not in medians or other not in medians or medians[other] == 0:
        return None
    return medians[mine] / medians[other]


def _row(runs: dict[str, Any], phase: str, key: str, label: str, fmt: str, peers: list[str]) -> str:
    values = {p: [r[key] for r in runs[phase][p] if key in r] for p in peers}
    medians = {p: statistics.median(v) for p, v in values.items() if v}
    ratios = [_ratio(medians, mine, other) for mine, other in RATIOS]
    limit = TARGETS.get((phase, key), TARGETS.get(("*", key)))
    target = verdict = ""
    if limit is not None and ratios[0] is not None:  # a phase without the openai SDK has no target
        target = f"<= {limit:g}x"
        verdict = "PASS" if ratios[0] <= limit else "**MISS**"
    cells = [phase, label, *(_cell(values[p], fmt) for p in peers)]
    # Three significant digits: a ratio just over its target must not print as equal to it.
    cells += [f"{r:.3g}x" if r is not None else "-" for r in ratios]
    cells += [target, verdict]
    return "| " + " | ".join(cells) + " |"


def render(results: dict[str, Any]) -> str:
    """The Markdown table: medians (min-max), haybale's ratios, targets and verdicts."""
    runs = results["runs"]
    phases = list(runs)
    peers = list(dict.fromkeys(p for ph in phases for p in runs[ph]))  # in the order they were run
    versions = results["versions"]
    names = [f"{p} {versions.get(p, '')}".strip() for p in peers]
    head = ["phase", "metric", *names, *(f"{a} / {b}" for a, b in RATIOS), "target", "result"]
    lines = [
        f"Run {results['date']} on {results['machine']}; settings: {_settings(results['settings'])}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 4) + [":---:"] * 2) + "|",
    ]
    for phase, key, label, fmt in METRICS:
        if phase in runs:
            lines.append(_row(runs, phase, key, label, fmt, peers))
    return "\n".join(lines)


def _settings(settings: dict[str, Any]) -> str:
    return (
        f"{settings['repeats']} interleaved repeats, {settings['calls']} calls, "
        f"{settings['chunks']} chunks, {settings['in_flight']} in flight"
    )


def write_readme(path: Path, table: str) -> None:
    """Replace the text between the result markers in ``path`` with ``table``."""
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{table}\n{END}{after}")
