"""run_batch / run_batch_async / iter_batch against the fake server: outcomes, resume, stopping."""

from __future__ import annotations

import asyncio
import collections
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from echo import Echo, prompts, reply_text
from fake_server import Reply
from haybale.batch import BatchProgress, iter_batch, run_batch, run_batch_async
from haybale.errors import BatchInputError
from payloads import completion
from rowfiles import prompt_rows, read_output, write_rows

FAULT_RATES = {"429": 0.01, "500": 0.02, "reset": 0.02, "stall": 0.005}


class Watch:
    """A progress reporter that sets ``reached`` once ``rows`` rows have an outcome in this run."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.reached = asyncio.Event()

    def reporter(self, counts: BatchProgress) -> Watch:
        return self

    def update(self, counts: BatchProgress) -> None:
        if counts.succeeded + counts.failed >= self.rows:
            self.reached.set()

    def close(self, counts: BatchProgress) -> None:
        pass


def test_2000_rows_under_faults_end_with_exactly_one_right_line_each(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    forced = {
        "row 5": ["500"] * 4,  # more failures than retries: recorded as failed
        "row 6": ["429"] * 4,
        "row 7": ["stall"],  # then fine
        "row 8": ["reset", "reset"],
        "row 9": ["429", "500", "reset"],
    }
    echo = Echo(faults=forced, rates=FAULT_RATES, retry_after_ms=20, stall_seconds=2.5)
    fake_server.respond_with(echo)
    generator = make_generator(timeout=1.0, max_retries=3)
    output = tmp_path / "out.jsonl"

    summary = run_batch(generator, prompt_rows(2000), output, concurrency=32)

    lines = read_output(output)
    assert [line["id"] for line in lines].count("r0") == 1
    assert sorted(line["id"] for line in lines) == sorted(f"r{i}" for i in range(2000))
    sent = collections.Counter(prompts(fake_server.requests))
    for line in lines:
        prompt = f"row {line['id'][1:]}"
        assert line["attempts"] == sent[prompt], line  # every attempt reached the server, none more
        if line["error"] is None:
            assert line["text"] == reply_text(prompt)
            assert line["reply"]["content"] == [{"text": reply_text(prompt)}]
            assert line["usage"]["completion_tokens"] == len(reply_text(prompt).split())
            assert line["finish_reason"] == "stop"
        else:
            assert line["text"] is None
            assert line["error"]["type"] in {
                "RateLimitError",
                "InternalServerError",
                "APIConnectionError",
                "APITimeoutError",
            }
    by_id = {line["id"]: line for line in lines}
    assert by_id["r5"]["error"] == {
        "type": "InternalServerError",
        "message": by_id["r5"]["error"]["message"],
        "status_code": 500,
    }
    assert (by_id["r5"]["attempts"], by_id["r6"]["attempts"], by_id["r6"]["error"]["status_code"]) == (
        4,
        4,
        429,
    )
    assert (by_id["r7"]["attempts"], by_id["r7"]["error"]) == (2, None)
    assert (by_id["r8"]["attempts"], by_id["r9"]["attempts"], by_id["r9"]["error"]) == (3, 4, None)
    assert all(echo.served[kind] > 3 for kind in ("429", "500", "reset", "stall"))
    failed = sum(1 for line in lines if line["error"] is not None)
    assert (summary.succeeded, summary.failed, summary.skipped) == (2000 - failed, failed, 0)
    assert summary.prompt_tokens == sum(line["usage"]["prompt_tokens"] for line in lines if line["usage"])
    assert {row_id for row_id, _ in summary.first_errors} <= {line["id"] for line in lines if line["error"]}


async def test_iter_batch_yields_each_result_and_leaves_the_generator_alone(
    fake_server: Any, make_generator: Any
) -> None:
    fake_server.respond_with(Echo(faults={"row 1": ["500"]}))
    calls: list[Any] = []
    generator = make_generator(max_retries=2, streaming_callback=calls.append)
    results = [result async for result in iter_batch(generator, prompt_rows(5), concurrency=2)]
    assert sorted(result.id for result in results) == ["r0", "r1", "r2", "r3", "r4"]
    one = next(result for result in results if result.id == "r1")
    assert (one.ok, one.attempts, one.text, one.usage["total_tokens"] > 0) == (True, 2, "echo: row 1", True)
    assert one.reply.meta["finish_reason"] == "stop"
    # The caller's generator keeps its settings, and its callback was not used: replies came whole.
    assert (generator.max_retries, generator.streaming_callback, calls) == (2, calls.append, [])
    assert all("stream" not in request.json for request in fake_server.requests)


def test_resume_sends_only_what_is_not_done(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    fake_server.respond_with(Echo(faults={"row 3": ["500"]}))
    output = tmp_path / "out.jsonl"
    rows = prompt_rows(20)

    first = run_batch(make_generator(), rows, output)
    assert (first.succeeded, first.failed) == (19, 1)
    assert len(fake_server.requests) == 20

    second = run_batch(make_generator(), rows, output)  # the failed row is tried again, alone
    assert (second.succeeded, second.failed, second.skipped) == (1, 0, 19)
    assert prompts(fake_server.requests[20:]) == ["row 3"]
    lines = read_output(output)
    assert len(lines) == 20
    assert {line["id"]: line["text"] for line in lines}["r3"] == "echo: row 3"

    third = run_batch(make_generator(), rows, output)
    assert (third.sent, third.skipped, len(fake_server.requests)) == (0, 20, 21)


def test_no_retry_failed_keeps_the_failures(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    fake_server.respond_with(Echo(faults={"row 1": ["500"]}))
    output = tmp_path / "out.jsonl"
    run_batch(make_generator(), prompt_rows(3), output)
    summary = run_batch(make_generator(), prompt_rows(3), output, retry_failed=False)
    assert (summary.sent, summary.skipped, len(fake_server.requests)) == (0, 3, 3)
    failed = {line["id"]: line["error"] is not None for line in read_output(output)}
    assert failed == {"r0": False, "r1": True, "r2": False}


def test_an_edited_prompt_or_another_model_resends_exactly_those_rows(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo())
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = prompt_rows(10)
    run_batch(make_generator(), write_rows(source, rows), output)
    rows[4]["prompt"] = "row 4, reworded"
    rows[7]["generation_kwargs"] = {"temperature": 0}
    summary = run_batch(make_generator(), write_rows(source, rows), output)
    assert (summary.sent, summary.skipped) == (2, 8)
    assert sorted(prompts(fake_server.requests[10:])) == ["row 4, reworded", "row 7"]
    resent = dict(zip(prompts(fake_server.requests), fake_server.requests, strict=True))
    assert resent["row 7"].json["temperature"] == 0
    texts = {line["id"]: line["text"] for line in read_output(output)}
    assert (len(texts), texts["r4"]) == (10, "echo: row 4, reworded")

    other_model = run_batch(make_generator(model="m2"), source, output)
    assert (other_model.sent, other_model.skipped) == (10, 0)
    assert {request.json["model"] for request in fake_server.requests[12:]} == {"m2"}
    assert len(read_output(output)) == 10


def test_unreadable_rows_become_error_lines(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    fake_server.respond_with(Echo())
    source = write_rows(tmp_path / "in.jsonl", [{"id": "a", "prompt": "fine"}, "{broken", {"id": "c"}])
    output = tmp_path / "out.jsonl"
    summary = run_batch(make_generator(), source, output)
    lines = {line["id"]: line for line in read_output(output)}
    assert (summary.succeeded, summary.failed, len(fake_server.requests)) == (1, 2, 1)
    assert lines["a"]["text"] == "echo: fine"
    assert (lines[1]["error"]["type"], lines[1]["attempts"], lines[1]["request_hash"]) == (
        "BatchInputError",
        0,
        None,
    )
    assert "no prompt" in lines["c"]["error"]["message"]


def test_duplicate_ids_stop_the_run_before_any_request(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    output = tmp_path / "out.jsonl"
    with pytest.raises(BatchInputError, match=r"duplicate ids.*'x' at rows 0, 2"):
        run_batch(
            make_generator(),
            [{"id": "x", "prompt": "a"}, {"id": "y", "prompt": "b"}, {"id": "x", "prompt": "c"}],
            output,
        )
    assert fake_server.requests == []
    assert not output.exists()


def test_output_options_and_formats(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    fake_server.respond_with(Echo())
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"key": ["k1", "k2"], "text": ["apples", "pears"], "lang": ["en", "fr"]}), source)
    output = tmp_path / "out.parquet"
    summary = run_batch(
        make_generator(),
        source,
        output,
        id_field="key",
        template="Summarize: {text}",
        system="Be brief.",
        keep=["lang"],
    )
    assert summary.succeeded == 2
    table = pq.read_table(output).to_pylist()
    assert {(row["id"], row["text"], row["lang"]) for row in table} == {
        ("k1", "echo: Summarize: apples", "en"),
        ("k2", "echo: Summarize: pears", "fr"),
    }
    assert fake_server.requests[0].json["messages"][0] == {"role": "system", "content": "Be brief."}
    assert not (tmp_path / "out.parquet.jsonl").exists()
    again = run_batch(
        make_generator(), source, output, id_field="key", template="Summarize: {text}", system="Be brief."
    )
    assert (again.skipped, len(fake_server.requests)) == (2, 2)


def test_cost_and_tokens_are_summed(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cost": 0.00125}
    fake_server.script(*[Reply.json(completion("hi", usage=usage)) for _ in range(4)])
    summary = run_batch(make_generator(), prompt_rows(4), tmp_path / "out.jsonl")
    assert (summary.prompt_tokens, summary.completion_tokens) == (40, 20)
    assert summary.cost == pytest.approx(0.005)
    assert "cost 0.005" in summary.describe()


async def test_stopping_keeps_finished_rows_and_cancels_the_rest(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.2))
    output = tmp_path / "out.jsonl"
    stop, watch = asyncio.Event(), Watch(8)
    run = asyncio.create_task(
        run_batch_async(
            make_generator(), prompt_rows(200), output, concurrency=4, stop=stop, progress=watch.reporter
        )
    )
    await asyncio.wait_for(watch.reached.wait(), 30)
    stop.set()
    summary = await asyncio.wait_for(run, 10)
    assert summary.interrupted
    assert "interrupted" in summary.describe()
    lines = read_output(output)
    assert len(lines) == summary.succeeded < 200
    assert len({line["id"] for line in lines}) == len(lines)
    # The requests in flight were abandoned, not awaited: the server got them, their rows have no line.
    assert len(set(prompts(fake_server.requests))) > len(lines)
    finished = {line["id"] for line in lines}

    summary = await run_batch_async(make_generator(), prompt_rows(200), output, concurrency=16)
    assert (summary.skipped, summary.succeeded) == (len(finished), 200 - len(finished))
    again = collections.Counter(prompts(fake_server.requests))
    assert all(again[f"row {row_id[1:]}"] == 1 for row_id in finished)  # nothing finished was sent twice
    assert len(read_output(output)) == 200


async def test_a_cancelled_run_still_leaves_one_line_per_id(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    output = tmp_path / "out.jsonl"
    fake_server.respond_with(Echo(faults={f"row {i}": ["500"] for i in range(10)}))
    await run_batch_async(make_generator(), prompt_rows(10), output)
    fake_server.respond_with(Echo(delay=0.3))
    watch = Watch(2)  # two retried rows appended beside their failed lines
    run = asyncio.create_task(
        run_batch_async(make_generator(), prompt_rows(10), output, concurrency=2, progress=watch.reporter)
    )
    await asyncio.wait_for(watch.reached.wait(), 30)
    assert len(read_output(output)) >= 12
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    lines = read_output(output)
    assert sorted(line["id"] for line in lines) == [f"r{i}" for i in range(10)]
    assert sum(1 for line in lines if line["error"] is None) >= 2


def test_bad_options_are_refused_by_name(make_generator: Any, tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match="concurrency"):
        run_batch(make_generator(), prompt_rows(1), output, concurrency=0)
    with pytest.raises(TypeError, match="unknown batch option"):
        run_batch(make_generator(), prompt_rows(1), output, concurency=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="keep"):
        run_batch(make_generator(), prompt_rows(1), output, keep="field")
    with pytest.raises(ValueError, match="max_retries"):
        run_batch(make_generator(), prompt_rows(1), output, max_retries=-1)
    source = write_rows(tmp_path / "in.jsonl", prompt_rows(1))
    with pytest.raises(BatchInputError, match="output file is the input file"):
        run_batch(make_generator(), source, source)
    assert json.loads(source.read_text()) == prompt_rows(1)[0]


def test_the_runners_copy_of_the_generator(make_generator: Any) -> None:
    from haybale.batch import batch_generator, retry_budget

    original = make_generator(max_retries=4, http_client_kwargs={"headers": {"x-team": "a"}})
    copy = batch_generator(original, 300)
    assert (copy.max_retries, copy.streaming_callback, retry_budget(original)) == (0, None, 4)
    assert copy.http_client_kwargs == {
        "headers": {"x-team": "a"},
        "limits": {"max_connections": 300, "max_keepalive_connections": 20},
    }
    assert original.http_client_kwargs == {"headers": {"x-team": "a"}}
    assert original.max_retries == 4
    own_limits = make_generator(http_client_kwargs={"limits": {"max_connections": 5}})
    assert batch_generator(own_limits, 300).http_client_kwargs == {"limits": {"max_connections": 5}}
    assert batch_generator(original, 16).http_client_kwargs == {"headers": {"x-team": "a"}}


async def test_the_unit_of_work_runs_outside_the_runner(fake_server: Any, make_generator: Any) -> None:
    """What a distributed worker does with the public pieces (the README's "On a cluster")."""
    from haybale.batch import (
        Limiter,
        RequestShape,
        RowSpec,
        batch_generator,
        open_rows,
        prepare_row,
        retry_budget,
        run_row,
    )

    fake_server.respond_with(Echo(faults={"row 1": ["500"]}))
    generator = make_generator(max_retries=1)
    sender, limiter, shape, spec = (
        batch_generator(generator),
        Limiter(concurrency=2),
        RequestShape(generator),
        RowSpec(),
    )
    rows = [prepare_row(raw, spec, shape) for raw in open_rows(prompt_rows(3)).scan()]
    results = await asyncio.gather(
        *(run_row(sender, row, limiter, retries=retry_budget(generator)) for row in rows)
    )
    await sender.close_async()
    records = [result.to_record() for result in results]
    assert [(r["id"], r["text"], r["attempts"]) for r in records] == [
        ("r0", "echo: row 0", 1),
        ("r1", "echo: row 1", 2),
        ("r2", "echo: row 2", 1),
    ]
    assert [r["request_hash"] for r in records] == [row.request_hash for row in rows]
