"""Input and output files of batch runs, for the batch and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_rows(path: Path, rows: list[Any]) -> Path:
    """Write ``rows`` as JSONL (a str is written as it is, for broken lines)."""
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def read_output(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def prompt_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    """``{"id": "r<i>", "prompt": "row <i>"}`` for i in range."""
    return [{"id": f"r{i}", "prompt": f"row {i}"} for i in range(start, start + count)]
