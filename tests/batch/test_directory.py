"""The Ray runner's output folder: a part per run, earlier parts read and repaired, one line per id
across the folder once a run ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from haybale.batch._directory import ResultDirectory
from haybale.errors import BatchInputError


def record(key: Any, *, ok: bool = True, request_hash: str = "h") -> dict[str, Any]:
    error = None if ok else {"type": "APIStatusError", "message": "boom", "status_code": 500}
    return {"id": key, "text": "t" if ok else None, "error": error, "request_hash": request_hash}


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(folder: Path, records: list[dict[str, Any]], output_format: str = "jsonl") -> ResultDirectory:
    directory = ResultDirectory(folder, output_format).open()
    for item in records:
        directory.append(item)
    directory.close()
    return directory


def test_each_run_writes_a_part_and_a_redone_id_leaves_the_older_part(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    run(folder, [record(1), record(2, ok=False), record(3)])
    assert [p.name for p in folder.iterdir()] == ["part-00001.jsonl"]

    again = ResultDirectory(folder).open()
    assert again.is_done(1, "h")
    assert not again.is_done(2, "h")  # failed: sent again
    assert again.is_done(2, "h", retry_failed=False)
    assert not again.is_done(3, "other")  # its request changed
    again.append(record(2))
    again.close()
    assert [line["id"] for line in lines(folder / "part-00001.jsonl")] == [1, 3]
    assert lines(folder / "part-00002.jsonl") == [record(2)]


def test_a_run_that_writes_nothing_leaves_no_part(tmp_path: Path) -> None:
    run(tmp_path / "out", [])
    assert list((tmp_path / "out").iterdir()) == []


def test_what_a_crash_left_is_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    first = json.dumps(record(1, ok=False)) + "\n" + json.dumps(record(2)) + "\n"
    (folder / "part-00001.jsonl").write_text(first)
    # A second run killed before tidying: id 1 again, then a torn line.
    second = json.dumps(record(1)) + "\n" + json.dumps(record(1)) + "\n" + '{"id": 4, "te'
    (folder / "part-00002.jsonl").write_text(second)
    (folder / "notes.txt").write_text("not a part")

    directory = ResultDirectory(folder).open()
    assert directory.is_done(1, "h")
    assert 4 not in directory.previous
    assert directory.part.name == "part-00003.jsonl"
    directory.close()
    assert lines(folder / "part-00001.jsonl") == [record(2)]
    assert lines(folder / "part-00002.jsonl") == [record(1)]
    assert (folder / "notes.txt").read_text() == "not a part"


def test_parquet_parts_and_a_journal_left_by_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    run(folder, [record("a"), record("b", ok=False)], "parquet")
    assert [p.name for p in folder.iterdir()] == ["part-00001.parquet"]
    # A Parquet run killed mid-way leaves its journal, never the Parquet file.
    (folder / "part-00002.parquet.jsonl").write_text(json.dumps(record("b")) + "\n")

    directory = ResultDirectory(folder, "parquet").open()
    assert directory.is_done("a", "h")
    assert directory.is_done("b", "h")
    directory.close()
    assert sorted(p.name for p in folder.iterdir()) == ["part-00001.parquet", "part-00002.parquet"]
    from haybale.batch._parquet import read_records

    assert [row["id"] for row in read_records(folder / "part-00001.parquet")] == ["a"]
    assert [row["id"] for row in read_records(folder / "part-00002.parquet")] == ["b"]


def test_a_file_or_a_missing_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(BatchInputError, match="is a file"):
        ResultDirectory(tmp_path / "file").open()
    with pytest.raises(BatchInputError, match="does not exist"):
        ResultDirectory(tmp_path / "missing" / "out").open()
    with pytest.raises(ValueError, match="output_format must be one of jsonl, parquet"):
        ResultDirectory(tmp_path / "out", "csv")
