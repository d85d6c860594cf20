"""``haybale batch`` with no key set runs on the embedded local model, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from processes import RunCli
from rowfiles import read_output, write_rows

pytestmark = pytest.mark.e2e

ROWS = [
    {"id": "fruit", "prompt": "Name a fruit."},
    {"id": "color", "messages": [{"role": "user", "content": "Name a color."}]},
]


def test_haybale_batch_without_a_key_runs_offline(
    run_cli: RunCli, clean_env: dict[str, str], tmp_path: Path
) -> None:
    source, output = write_rows(tmp_path / "in.jsonl", ROWS), tmp_path / "out.jsonl"
    args = ["batch", str(source), "-o", str(output), "--max-tokens", "12", "--temperature", "0"]
    result = run_cli(*args, env=clean_env)
    assert result.returncode == 0, result.stderr
    assert "using local (model smollm2)" in result.stderr
    assert "2 succeeded, 0 failed" in result.stderr
    assert all(line["text"] for line in read_output(output))
