"""``haybale batch --ray`` as a real process: a cluster of its own, an existing one, usage errors,
and a stop that keeps what was received."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from echo import Echo, prompts, reply_text
from rowfiles import prompt_rows, read_output, write_rows

_PROVIDER_VARS = ("OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENROUTER_API_KEY")


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _PROVIDER_VARS}
    return {**env, "OPENAI_API_KEY": "sk-cli-ray", "OPENAI_MAX_RETRIES": "0"}


def _args(fake_server: Any, source: Path, output: Path, *more: str) -> list[str]:
    return ["batch", str(source), "-o", str(output), "--base-url", fake_server.base_url, "--ray", *more]


def _run(command: list[str], args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=_env(), timeout=240, stdin=subprocess.DEVNULL
    )


def _lines(folder: Path) -> list[dict[str, Any]]:
    return [line for part in sorted(folder.glob("part-*.jsonl")) for line in read_output(part)]


def test_a_run_on_a_cluster_of_its_own_then_a_resume_on_an_existing_one(
    ray_cluster: Any, haybale_command: list[str], fake_server: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(faults={"row 5": ["500"]}))
    source = write_rows(tmp_path / "in.jsonl", [{**row, "topic": "t"} for row in prompt_rows(24)])
    out = tmp_path / "out"
    first = _run(haybale_command, _args(fake_server, source, out, "--actors", "2", "--keep", "topic"))
    assert first.returncode == 1, first.stderr  # one row failed
    assert "23 succeeded, 1 failed, 0 skipped (already done)" in first.stderr
    assert "id 'r5': InternalServerError (500)" in first.stderr
    assert first.stdout == ""
    lines = _lines(out)
    assert sorted(line["id"] for line in lines) == sorted(row["id"] for row in prompt_rows(24))
    for line in lines:
        if line["id"] != "r5":
            assert line["text"] == reply_text(f"row {line['id'][1:]}")
            assert line["topic"] == "t"

    fake_server.requests.clear()
    address = ray_cluster.get_runtime_context().gcs_address
    again = _run(haybale_command, _args(fake_server, source, out, "--ray-address", address, "--quiet"))
    assert again.returncode == 0, again.stderr
    assert prompts(fake_server.requests) == ["row 5"]  # the done rows were not sent again
    lines = _lines(out)
    assert len(lines) == 24
    assert all(line["error"] is None for line in lines)


def test_parquet_parts(
    ray_cluster: Any, haybale_command: list[str], fake_server: Any, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    fake_server.respond_with(Echo())
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(6))
    address = ray_cluster.get_runtime_context().gcs_address
    more = ("--ray-address", address, "--output-format", "parquet", "--quiet")
    result = _run(haybale_command, _args(fake_server, source, tmp_path / "out", *more))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(tmp_path / "out" / "part-00001.parquet")
    assert sorted(table.column("id").to_pylist()) == sorted(row["id"] for row in prompt_rows(6))
    assert [name for name in os.listdir(tmp_path / "out")] == ["part-00001.parquet"]  # no journal left


def test_usage_errors_name_the_fix(haybale_command: list[str], fake_server: Any, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "in.jsonl", [{"prompt": "no id"}])
    out = tmp_path / "out"
    without_ray = _run(haybale_command, ["batch", str(source), "-o", str(out), "--actors", "2"])
    assert without_ray.returncode == 2
    assert "--actors applies only with --ray" in without_ray.stderr
    from_stdin = _run(haybale_command, ["batch", "-", "-o", str(out), "--ray"])
    assert from_stdin.returncode == 2
    assert "--ray reads a file, not stdin" in from_stdin.stderr
    no_ids = _run(haybale_command, _args(fake_server, source, out))
    assert no_ids.returncode == 2
    assert "row 0 has no usable 'id'" in no_ids.stderr
    assert "--id-field" in no_ids.stderr
    assert fake_server.requests == []


def test_ctrl_c_keeps_the_rows_received_and_the_next_run_sends_the_rest(
    ray_cluster: Any, haybale_command: list[str], fake_server: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.3))
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(40))
    out = tmp_path / "out"
    address = ray_cluster.get_runtime_context().gcs_address
    args = _args(fake_server, source, out, "--ray-address", address, "--concurrency", "1")
    process = subprocess.Popen(
        [*haybale_command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    deadline = time.monotonic() + 120
    while not _complete_lines(out):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no row arrived"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    kept = {line["id"] for line in _lines(out)}
    assert 0 < len(kept) < 40

    fake_server.requests.clear()
    rest = _run(haybale_command, [*args, "--quiet"])
    assert rest.returncode == 0, rest.stderr
    assert sorted(prompts(fake_server.requests)) == sorted(
        row["prompt"] for row in prompt_rows(40) if row["id"] not in kept
    )
    assert sorted(line["id"] for line in _lines(out)) == sorted(row["id"] for row in prompt_rows(40))


def _complete_lines(folder: Path) -> int:
    parts = sorted(folder.glob("part-*.jsonl")) if folder.is_dir() else []
    return sum(part.read_text().count("\n") for part in parts)


@pytest.mark.e2e
def test_without_a_key_the_local_model_answers_through_the_actors(
    ray_cluster: Any, haybale_command: list[str], tmp_path: Path
) -> None:
    # The CLI starts the local model here and a cluster of its own; the actors rebuild the generator
    # from to_dict(), so its placeholder key must come from the environment, not a token.
    rows = [{"id": "fruit", "prompt": "Name a fruit."}, {"id": "color", "prompt": "Name a color."}]
    source = write_rows(tmp_path / "in.jsonl", rows)
    env = {name: value for name, value in _env().items() if name != "OPENAI_API_KEY"}
    env["OPENAI_TIMEOUT"] = "180"  # the model shares 2 cores with the cluster: a reply may be slow
    args = ["batch", str(source), "-o", str(tmp_path / "out"), "--ray", "--actors", "2"]
    result = subprocess.run(
        [*haybale_command, *args, "--max-tokens", "12", "--temperature", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "using local (model smollm2)" in result.stderr
    assert "2 succeeded, 0 failed" in result.stderr
    lines = _lines(tmp_path / "out")
    assert sorted(line["id"] for line in lines) == ["color", "fruit"]
    assert all(line["text"] for line in lines)
