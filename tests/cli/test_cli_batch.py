"""``haybale batch`` as a real process: outputs, exit statuses, SIGKILL / Ctrl-C / SIGTERM, progress."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from echo import Echo, prompts
from processes import RunCli
from rowfiles import prompt_rows, read_output, write_rows


def batch_args(fake_server: Any, source: Path, output: Path, *more: str) -> list[str]:
    return ["batch", str(source), "-o", str(output), "--base-url", fake_server.base_url, *more]


def complete_lines(path: Path) -> list[dict[str, Any]]:
    """The lines a killed run finished (a torn last line is not one of them)."""
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(complete_lines(path)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"fewer than {count} lines in {path} after {timeout} s"
        time.sleep(0.05)


def start(haybale_command: list[str], args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*haybale_command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_writes_one_line_per_row_and_a_summary(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    source = write_rows(tmp_path / "in.jsonl", [{**row, "topic": "t"} for row in prompt_rows(20)])
    output = tmp_path / "out.jsonl"
    args = batch_args(fake_server, source, output, "--keep", "topic", "--system", "Brief.")
    result = run_cli(*args, env=openai_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = read_output(output)
    assert sorted(line["id"] for line in lines) == sorted(row["id"] for row in prompt_rows(20))
    assert all(line["text"] == f"echo: row {line['id'][1:]}" and line["topic"] == "t" for line in lines)
    assert "using openai" in result.stderr
    assert "20 succeeded, 0 failed, 0 skipped (already done)" in result.stderr
    assert fake_server.requests[0].json["messages"][0] == {"role": "system", "content": "Brief."}

    again = run_cli(*args, env=openai_env)
    assert again.returncode == 0
    assert "0 succeeded, 0 failed, 20 skipped (already done)" in again.stderr
    assert len(fake_server.requests) == 20

    other_system = run_cli(*batch_args(fake_server, source, output, "--system", "Long."), env=openai_env)
    assert "20 succeeded, 0 failed, 0 skipped" in other_system.stderr  # another request: sent again
    assert len(read_output(output)) == 20


def test_exit_status_one_names_the_first_failures(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(faults={"row 2": ["500"], "row 4": ["429"]}))
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(6))
    result = run_cli(*batch_args(fake_server, source, tmp_path / "out.jsonl", "--quiet"), env=openai_env)
    assert result.returncode == 1
    assert "2 rows failed" in result.stderr
    assert "id 'r2': InternalServerError (500)" in result.stderr
    assert "id 'r4': RateLimitError (429)" in result.stderr
    assert "succeeded" not in result.stderr  # --quiet: nothing but the errors


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        ([{"id": 1, "prompt": "a"}, {"id": 1, "prompt": "b"}], [], "duplicate ids"),
        (None, [], "does not exist"),
        ([{"prompt": "a"}], ["--concurrency", "0"], "--concurrency: must be at least 1"),
    ],
)
def test_usage_errors_exit_two(
    run_cli: RunCli,
    fake_server: Any,
    openai_env: dict[str, str],
    tmp_path: Path,
    rows: list[Any] | None,
    extra: list[str],
    message: str,
) -> None:
    source = write_rows(tmp_path / "in.jsonl", rows) if rows is not None else tmp_path / "missing.jsonl"
    result = run_cli(*batch_args(fake_server, source, tmp_path / "out.jsonl", *extra), env=openai_env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_server.requests == []


def test_rows_from_stdin_csv_fields_and_template(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    stdin = "".join(json.dumps({"key": f"k{i}", "text": f"doc {i}"}) + "\n" for i in range(3))
    output = tmp_path / "out.jsonl"
    args = batch_args(fake_server, Path("-"), output, "--id-field", "key", "--template", "Sum: {text}")
    result = run_cli(*args, env=openai_env, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert {line["id"]: line["text"] for line in read_output(output)} == {
        "k0": "echo: Sum: doc 0",
        "k1": "echo: Sum: doc 1",
        "k2": "echo: Sum: doc 2",
    }
    csv_source = tmp_path / "in.csv"
    csv_source.write_text("name,question\nn1,Why?\n")
    args = batch_args(
        fake_server, csv_source, tmp_path / "csv.jsonl", "--id-field", "name", "--prompt-field", "question"
    )
    result = run_cli(*args, env=openai_env)
    assert result.returncode == 0, result.stderr
    assert read_output(tmp_path / "csv.jsonl")[0]["text"] == "echo: Why?"


def test_sigkill_then_the_same_command_sends_nothing_finished_again(
    haybale_command: list[str], run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.05))
    source, output = write_rows(tmp_path / "in.jsonl", prompt_rows(400)), tmp_path / "out.jsonl"
    args = batch_args(fake_server, source, output, "--concurrency", "8")
    process = start(haybale_command, args, openai_env)
    wait_for_lines(output, 60, process)
    process.kill()
    process.wait()
    finished = {line["id"] for line in complete_lines(output)}
    assert 60 <= len(finished) < 400
    with output.open("a") as file:  # as if the kill had come in the middle of a write
        file.write('{"id": "r399", "text": "echo: ro')

    result = run_cli(*args, env=openai_env)
    assert result.returncode == 0, result.stderr
    assert f"{400 - len(finished)} succeeded, 0 failed, {len(finished)} skipped" in result.stderr
    lines = read_output(output)
    assert sorted(line["id"] for line in lines) == sorted(row["id"] for row in prompt_rows(400))
    assert all(line["text"] == f"echo: row {line['id'][1:]}" for line in lines)
    sent = collections.Counter(prompts(fake_server.requests))
    assert all(sent[f"row {row_id[1:]}"] == 1 for row_id in finished)
    assert set(sent) == {f"row {i}" for i in range(400)}


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_keep_every_finished_row(
    haybale_command: list[str],
    run_cli: RunCli,
    fake_server: Any,
    openai_env: dict[str, str],
    tmp_path: Path,
    signum: int,
    status: int,
) -> None:
    fake_server.respond_with(Echo(delay=0.3))
    source, output = write_rows(tmp_path / "in.jsonl", prompt_rows(200)), tmp_path / "out.jsonl"
    args = batch_args(fake_server, source, output, "--concurrency", "8")
    process = start(haybale_command, args, openai_env)
    wait_for_lines(output, 10, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert "stopping" in stderr
    summary = next(line for line in stderr.splitlines() if "interrupted:" in line)
    lines = read_output(output)  # complete: no torn line after a graceful stop
    assert f"{len(lines)} succeeded, 0 failed" in summary
    assert len({line["id"] for line in lines}) == len(lines) < 200
    # The requests in flight were abandoned, not awaited: the server got them, their rows have no line.
    assert len(set(prompts(fake_server.requests))) > len(lines)
    finished = {line["id"] for line in lines}

    result = run_cli(*args, env=openai_env)
    assert result.returncode == 0, result.stderr
    sent = collections.Counter(prompts(fake_server.requests))
    assert all(sent[f"row {row_id[1:]}"] == 1 for row_id in finished)
    assert len(read_output(output)) == 200


def test_progress_bar_on_a_terminal(
    haybale_command: list[str], fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.1, faults={"row 3": ["500"]}))
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(60))
    command, *args = haybale_command
    child = pexpect.spawn(
        command,
        [*args, *batch_args(fake_server, source, tmp_path / "out.jsonl", "--concurrency", "4")],
        env=openai_env,
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 160),
    )
    child.expect(r"\d+/60 \[")  # tqdm's bar: rows done / total, then elapsed<left
    child.expect(r"row/s")
    child.expect(r"tokens [\d,]+ in / [\d,]+ out, 1 errors")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "60/60" in child.before
    assert "59 succeeded, 1 failed" in child.before


def test_plain_progress_lines_when_piped(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.1))
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(40))
    args = batch_args(
        fake_server, source, tmp_path / "out.jsonl", "--concurrency", "4", "--progress-interval", "0.3"
    )
    result = run_cli(*args, env=openai_env)
    assert result.returncode == 0, result.stderr
    progress = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("haybale batch: ") and "/40 rows" in line
    ]
    assert len(progress) >= 3
    assert progress[-1].startswith("haybale batch: 40/40 rows")
    assert "rows/s" in progress[0]
    assert "tokens" in progress[0]
    assert "\r" not in result.stderr  # no bar redraws in a log

    quiet = run_cli(*batch_args(fake_server, source, tmp_path / "quiet.jsonl", "--quiet"), env=openai_env)
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_retries_come_from_openai_max_retries(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(faults={"row 0": ["500", "reset", "429"]}, retry_after_ms=10))
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(2))
    env = {**openai_env, "OPENAI_MAX_RETRIES": "3"}
    result = run_cli(*batch_args(fake_server, source, tmp_path / "out.jsonl"), env=env)
    assert result.returncode == 0, result.stderr
    attempts = {line["id"]: line["attempts"] for line in read_output(tmp_path / "out.jsonl")}
    assert attempts == {"r0": 4, "r1": 1}
