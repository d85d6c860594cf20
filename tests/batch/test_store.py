"""The results store: repair after a kill, later line wins, one line per id after close, Parquet."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from haybale.batch import BatchResult, ResultStore, RowError
from haybale.dataclasses import ChatMessage
from haybale.errors import BatchInputError


def record(
    row_id: Any, text: str | None = "ok", *, error: bool = False, request_hash: str = "h"
) -> dict[str, Any]:
    reply = None if error else ChatMessage.from_assistant(text, meta={"usage": {"prompt_tokens": 1}})
    failure = RowError("RateLimitError", "slow down", 429) if error else None
    return BatchResult(row_id, reply, failure, 1, 0.5, request_hash, {"topic": "t"}).to_record()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, records: list[dict[str, Any]], tail: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_the_record_is_the_output_contract() -> None:
    assert record("a") == {
        "id": "a",
        "text": "ok",
        "reply": ChatMessage.from_assistant("ok", meta={"usage": {"prompt_tokens": 1}}).to_dict(),
        "usage": {"prompt_tokens": 1},
        "finish_reason": None,
        "error": None,
        "attempts": 1,
        "latency_s": 0.5,
        "request_hash": "h",
        "topic": "t",
    }
    failed = record(3, error=True)
    assert (failed["text"], failed["reply"], failed["usage"]) == (None, None, None)
    assert failed["error"] == {"type": "RateLimitError", "message": "slow down", "status_code": 429}


def test_a_new_store_appends_and_flushes_each_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    store = ResultStore(path).open()
    store.append(record("a"))
    assert lines(path) == [record("a")]  # on disk before close: a crash loses nothing finished
    store.append(record("b"))
    store.close()
    store.close()
    assert [r["id"] for r in lines(path)] == ["a", "b"]


def test_a_torn_last_line_is_dropped_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write(path, [record("a"), record("b")], tail='{"id": "c", "text": "ha')
    store = ResultStore(path).open()
    assert set(store.previous) == {"a", "b"}
    store.append(record("c"))
    store.close()
    assert [r["id"] for r in lines(path)] == ["a", "b", "c"]


def test_where_an_id_has_two_lines_the_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write(path, [record("a", error=True), record("b"), record("a", "second")], tail="{torn")
    store = ResultStore(path).open()
    assert store.previous["a"].ok
    assert store.previous["a"].request_hash == "h"
    assert [r["id"] for r in lines(path)] == ["b", "a"]  # repaired on open, before any append
    assert lines(path)[1]["text"] == "second"
    store.close()


def test_close_leaves_one_line_per_id_after_retries(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write(path, [record(1), record(2, error=True), record(3, error=True)])
    store = ResultStore(path).open()
    store.append(record(2, "retried"))
    store.append(record(3, error=True))
    store.close()
    got = lines(path)
    assert [r["id"] for r in got] == [1, 2, 3]
    assert got[1]["text"] == "retried"
    assert got[2]["error"]["status_code"] == 429


def test_is_done_needs_success_and_the_same_request(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write(path, [record("ok"), record("failed", error=True), record("edited", request_hash="old")])
    store = ResultStore(path).open()
    assert store.is_done("ok", "h")
    assert not store.is_done("ok", "other")
    assert not store.is_done("failed", "h")
    assert store.is_done("failed", "h", retry_failed=False)
    assert not store.is_done("edited", "h")
    assert not store.is_done("new", "h")
    assert not store.is_done("ok", None)
    store.close()


def test_a_file_that_is_not_batch_output_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"id": 1, "prompt": "this is an input file"}\n')
    with pytest.raises(BatchInputError, match="not the output of a haybale batch"):
        ResultStore(path).open()
    assert path.read_text() == '{"id": 1, "prompt": "this is an input file"}\n'  # untouched
    with pytest.raises(BatchInputError, match="folder"):
        ResultStore(tmp_path / "no" / "such" / "out.jsonl").open()


def test_parquet_output_round_trips_through_its_journal(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    store = ResultStore(path).open()
    assert store.journal == tmp_path / "out.parquet.jsonl"
    store.append(record(1))
    store.append(record(2, error=True))
    store.close()
    assert not store.journal.exists()
    table = pq.read_table(path)
    assert set(table.column_names) == {
        "id",
        "text",
        "finish_reason",
        "request_hash",
        "reply",
        "usage",
        "error",
        "attempts",
        "latency_s",
        "topic",
    }
    assert str(table.schema.field("id").type) == "int64"
    rows = {row["id"]: row for row in table.to_pylist()}
    assert rows[1]["text"] == "ok"
    assert json.loads(rows[1]["usage"]) == {"prompt_tokens": 1}
    assert rows[2]["error"] == {"type": "RateLimitError", "message": "slow down", "status_code": 429}
    assert rows[1]["topic"] == "t"

    again = ResultStore(path).open()  # no journal: the Parquet file is read back
    assert again.previous[1].ok
    assert not again.previous[2].ok
    again.append(record(2, "fixed"))
    again.close()
    rows = {row["id"]: row for row in pq.read_table(path).to_pylist()}
    assert (len(rows), rows[2]["text"], rows[2]["error"]) == (2, "fixed", None)
    assert json.loads(rows[2]["reply"])["content"] == [{"text": "fixed"}]


def test_parquet_string_ids_and_mixed_kept_values(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    store = ResultStore(path).open()
    first, second = record("a"), record("b")
    first["extra"], second["extra"] = 1, {"nested": True}
    store.append(first)
    store.append(second)
    store.close()
    rows = pq.read_table(path).to_pylist()
    assert [row["id"] for row in rows] == ["a", "b"]
    assert [row["extra"] for row in rows] == ["1", '{"nested": true}']  # no common type: JSON text


async def test_in_an_event_loop_lines_reach_the_file_at_the_end_of_the_turn(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    store = ResultStore(path).open()
    store.append(record("a"))
    store.append(record("b"))
    await asyncio.sleep(0)  # the loop's turn ends: both lines go out together
    assert [r["id"] for r in lines(path)] == ["a", "b"]
    store.append(record("c"))
    store.close()  # closing writes what is still pending
    assert [r["id"] for r in lines(path)] == ["a", "b", "c"]
