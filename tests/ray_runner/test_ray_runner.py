"""The Ray runner on a real local cluster against the fake server: same results as the local runner,
cluster-wide limits, resume, per-row errors."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from echo import Echo, prompts, reply_text
from haybale.batch import run_batch
from haybale.batch.ray import generate
from haybale.batch.ray import run_batch as run_batch_on_ray
from rowfiles import prompt_rows, read_output, write_rows


def _folder_rows(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for part in sorted(folder.glob("part-*.jsonl")):
        rows.extend(read_output(part))
    return rows


def test_the_same_rows_give_the_same_output_as_the_local_runner(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    # A kept field whose shape varies from row to row comes out as it went in, as locally.
    shapes: list[Any] = [{"x": 1}, {"y": [1, "two"]}, None, "text", 7]
    rows = [{**row, "meta": shapes[i % len(shapes)]} for i, row in enumerate(prompt_rows(40))]
    source = write_rows(tmp_path / "in.jsonl", rows)
    generator = make_generator()
    local = run_batch(generator, source, tmp_path / "local.jsonl", concurrency=4, keep=["meta"])
    summary = run_batch_on_ray(
        generator, source, tmp_path / "out", actors=2, concurrency_per_actor=4, keep=["meta"]
    )
    assert (local.succeeded, summary.succeeded, summary.failed) == (40, 40, 0)
    on_ray = {row["id"]: row for row in _folder_rows(tmp_path / "out")}
    here = {row["id"]: row for row in read_output(tmp_path / "local.jsonl")}
    assert set(on_ray) == set(here) == {f"r{i}" for i in range(40)}
    for key, row in here.items():
        assert on_ray[key]["text"] == reply_text(f"row {key[1:]}")
        # The same line, but for how long the request took.
        assert {**on_ray[key], "latency_s": None} == {**row, "latency_s": None}
    assert sorted(prompts(fake_server.requests)) == sorted([f"row {i}" for i in range(40)] * 2)


def test_generate_on_a_dataset_read_with_ray_data(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    rows = write_rows(tmp_path / "in.jsonl", prompt_rows(12))
    dataset = ray_cluster.data.read_json(str(rows))
    results = generate(dataset, make_generator(), actors=2, concurrency_per_actor=3, keep=["prompt"])
    out = {row["id"]: row for row in results.take_all()}
    assert set(out) == {f"r{i}" for i in range(12)}
    for key, row in out.items():
        assert row["text"] == reply_text(row["prompt"])
        assert row["error"] is None
        assert row["attempts"] == 1
        assert json.loads(row["reply"])["meta"]["finish_reason"] == "stop"


def test_the_cluster_wide_rpm_holds(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    rows = write_rows(tmp_path / "in.jsonl", prompt_rows(20))
    rpm = 240  # one start every 0.25 s for the whole cluster; each actor alone could go faster
    summary = run_batch_on_ray(
        make_generator(), rows, tmp_path / "out", actors=2, concurrency_per_actor=4, rpm=rpm
    )
    assert summary.succeeded == 20
    arrivals = sorted(request.received_at for request in fake_server.requests)
    spacing = 60 / rpm
    # Starts are reserved one spacing apart for the whole cluster, so the last arrives at least 19
    # spacings (4.75 s) after the first; two actors each pacing at rpm alone would take about half.
    # The margin covers first requests that left late: a process starved of CPU (or blocked while
    # it builds its HTTP client) sends the starts that fell due meanwhile together.
    span = arrivals[-1] - arrivals[0]
    assert span >= (len(arrivals) - 1) * spacing - 1.5, [round(at - arrivals[0], 3) for at in arrivals]


def test_a_429_storm_pauses_every_actor(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    pause = 2.0
    echo = Echo(faults={"row 9": ["429"]}, retry_after=pause, delay=0.15)
    fake_server.respond_with(echo)
    rows = write_rows(tmp_path / "in.jsonl", prompt_rows(40))
    summary = run_batch_on_ray(
        make_generator(max_retries=2), rows, tmp_path / "out", actors=2, concurrency_per_actor=2
    )
    assert summary.succeeded == 40
    requests = fake_server.requests
    # More requests in flight at once than one actor may have: both actors were sending together.
    assert max(request.in_flight for request in requests) > 2
    refused = next(request for request in requests if prompts([request]) == ["row 9"])
    served_429_at = refused.received_at  # answered at once
    during = [
        request
        for request in requests
        # From well after the 429 (every actor has learnt of it) to just before the pause ends.
        if served_429_at + 0.5 < request.received_at < served_429_at + pause - 0.1
    ]
    assert during == [], "a request started during the cool-down of the other actor's 429"
    assert prompts(requests).count("row 9") == 2
    after = [request for request in requests if request.received_at >= served_429_at + pause - 0.1]
    assert after, "the rows after the cool-down were sent"


def test_rows_already_done_are_not_sent_again(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    failing = {f"row {i}": ["500"] for i in (3, 7, 11)}
    fake_server.respond_with(Echo(faults=failing))
    rows = write_rows(tmp_path / "in.jsonl", prompt_rows(16))
    out = tmp_path / "out"
    first = run_batch_on_ray(make_generator(), rows, out, actors=2, concurrency_per_actor=4)
    assert (first.succeeded, first.failed) == (13, 3)
    fake_server.requests.clear()

    second = run_batch_on_ray(make_generator(), rows, out, actors=2, concurrency_per_actor=4)
    assert (second.succeeded, second.failed, second.skipped) == (3, 0, 13)
    assert sorted(prompts(fake_server.requests)) == sorted(failing)
    lines = _folder_rows(out)
    assert sorted(row["id"] for row in lines) == sorted(f"r{i}" for i in range(16))  # one line per id
    assert all(row["error"] is None for row in lines)
    assert [part.name for part in sorted(out.glob("part-*"))] == ["part-00001.jsonl", "part-00002.jsonl"]

    fake_server.requests.clear()
    third = run_batch_on_ray(make_generator(), rows, out, actors=2, concurrency_per_actor=4)
    assert (third.succeeded, third.skipped) == (0, 16)
    assert fake_server.requests == []


def test_errors_stay_per_row(ray_cluster: Any, fake_server: Any, make_generator: Any) -> None:
    fake_server.respond_with(Echo(faults={"row 2": ["500"]}))
    rows = [
        {"id": "ok", "prompt": "row 1"},
        {"id": "fails", "prompt": "row 2"},
        {"id": "no-prompt", "text": "nothing to send"},
        {"prompt": "row 4"},  # no id
        {"id": 1.5, "prompt": "row 5"},  # an id that is neither a string nor an integer
    ]
    dataset = ray_cluster.data.from_items([{"line": json.dumps(row)} for row in rows] + [{"line": "{oops"}])
    results = generate(dataset, make_generator(), actors=2, concurrency_per_actor=2, json_column="line")
    out = results.take_all()
    by_id = {row["id"]: row for row in out if row["id"] is not None}
    assert by_id["ok"]["error"] is None
    assert by_id["ok"]["text"] == reply_text("row 1")
    assert by_id["fails"]["error"]["status_code"] == 500
    assert "no prompt" in by_id["no-prompt"]["error"]["message"]
    assert by_id["no-prompt"]["attempts"] == 0
    unidentified = [row for row in out if row["id"] is None]
    assert len(unidentified) == 3
    assert all("'id'" in row["error"]["message"] and row["attempts"] == 0 for row in unidentified)
    assert any("not valid JSON" in row["error"]["message"] for row in unidentified)
    assert sorted(prompts(fake_server.requests)) == ["row 1", "row 2"]


def test_a_key_missing_in_the_workers_stops_the_job_with_the_fix(
    ray_cluster: Any, fake_server: Any, make_generator: Any, monkeypatch: Any
) -> None:
    from haybale.utils import Secret

    # Set here after the cluster started: the driver has it, the workers do not.
    monkeypatch.setenv("HAYBALE_RAY_LATE_KEY", "sk-late")
    generator = make_generator(api_key=Secret.from_env_var("HAYBALE_RAY_LATE_KEY"))
    dataset = ray_cluster.data.from_items(prompt_rows(4))
    with pytest.raises(Exception, match="HAYBALE_RAY_LATE_KEY") as caught:
        generate(dataset, generator, actors=1).take_all()
    assert "runtime_env" in str(caught.value)
    assert "sk-late" not in str(caught.value)
    assert fake_server.requests == []


def test_resume_from_what_write_parquet_wrote(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    from haybale.batch.ray import resume_map

    fake_server.respond_with(Echo(faults={"row 1": ["500"]}))
    dataset = ray_cluster.data.from_items(prompt_rows(6))
    generate(dataset, make_generator(), actors=2).write_parquet(str(tmp_path / "first"))
    done = resume_map(tmp_path / "first")
    assert sorted(done) == ["r0", "r2", "r3", "r4", "r5"]  # r1 failed: not done
    assert sorted(resume_map(tmp_path / "first", retry_failed=False)) == [f"r{i}" for i in range(6)]
    fake_server.requests.clear()

    rest = generate(dataset, make_generator(), actors=2, done=done).take_all()
    assert [(row["id"], row["text"]) for row in rest] == [("r1", reply_text("row 1"))]
    assert prompts(fake_server.requests) == ["row 1"]
    assert resume_map(tmp_path / "missing") == {}

    # The other output form, written as JSON: each record holds one output line.
    generate(dataset, make_generator(), actors=1, output="lines").write_json(str(tmp_path / "lines"))
    assert resume_map(tmp_path / "lines") == {**done, "r1": resume_map(tmp_path / "lines")["r1"]}
    assert sorted(resume_map(tmp_path / "lines")) == [f"r{i}" for i in range(6)]


def test_bad_arguments_are_refused_by_name(ray_cluster: Any, make_generator: Any) -> None:
    from haybale.errors import SerializationError
    from haybale.utils import Secret

    dataset = ray_cluster.data.from_items(prompt_rows(2))
    generator = make_generator()
    with pytest.raises(ValueError, match="actors must be a whole number >= 1, got 0"):
        generate(dataset, generator, actors=0)
    with pytest.raises(ValueError, match="concurrency_per_actor must be a whole number >= 1"):
        generate(dataset, generator, concurrency_per_actor=-1)
    with pytest.raises(TypeError, match="use concurrency_per_actor="):
        generate(dataset, generator, concurrency=4)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="rpm must be a positive number"):
        generate(dataset, generator, rpm=0)
    with pytest.raises(TypeError, match="unknown batch option"):
        generate(dataset, generator, temperature=0.2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="must be a haybale chat generator"):
        generate(dataset, object())
    with pytest.raises(SerializationError, match="from_env_var") as caught:
        generate(dataset, make_generator(api_key=Secret.from_token("sk-secret-token")))
    assert "to_dict" in str(caught.value)
    assert "sk-secret-token" not in str(caught.value)


def test_a_worker_killed_mid_run_loses_no_row(
    ray_cluster: Any, fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.2))
    rows = write_rows(tmp_path / "in.jsonl", prompt_rows(60))
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_a_worker_once_rows_arrive() -> None:
        deadline = time.monotonic() + 60
        while _finished_lines(out) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [pid for pid, command in _processes() if b"MapWorker" in command]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    killer = threading.Thread(target=kill_a_worker_once_rows_arrive)
    killer.start()
    summary = run_batch_on_ray(make_generator(), rows, out, actors=2, concurrency_per_actor=2)
    killer.join()
    assert killed, "no actor process was found to kill"
    # Ray starts another actor and sends the lost batch again: every row, once, in the output.
    assert summary.succeeded == 60
    assert sorted(row["id"] for row in _folder_rows(out)) == sorted(row["id"] for row in prompt_rows(60))


def _finished_lines(folder: Path) -> int:
    """Lines written so far (a line being written is not counted)."""
    return sum(part.read_bytes().count(b"\n") for part in folder.glob("part-*.jsonl"))


def _processes() -> list[tuple[int, bytes]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((int(entry.name), (entry / "cmdline").read_bytes()))
            except OSError:
                continue
    return found
