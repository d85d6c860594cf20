"""Bulk generation end to end on the real local model (the command is in tests/cli)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from haybale.batch import run_batch
from haybale.components.generators.chat import OpenAIChatGenerator
from rowfiles import read_output

pytestmark = pytest.mark.e2e

ROWS = [
    {"id": "fruit", "prompt": "Name a fruit."},
    {"id": "color", "messages": [{"role": "user", "content": "Name a color."}]},
    {"id": "count", "prompt": "Count to three."},
]


def test_run_batch_on_the_local_model(make_local: Callable[..., OpenAIChatGenerator], tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    summary = run_batch(make_local(), ROWS, output, concurrency=2)
    assert (summary.succeeded, summary.failed) == (3, 0)
    lines = {line["id"]: line for line in read_output(output)}
    assert set(lines) == {"fruit", "color", "count"}
    for line in lines.values():
        assert line["text"]
        assert line["usage"]["completion_tokens"] > 0
        assert line["finish_reason"] in {"stop", "length"}
        assert line["reply"]["role"] == "assistant"
    again = run_batch(make_local(), ROWS, output)
    assert (again.sent, again.skipped) == (0, 3)
