"""The output of a run: a JSONL journal, appended and handed to the OS as rows finish, so a crash
loses at most the rows in flight. (Inside an event loop, the lines of rows that finish in the same
turn of the loop go out in one write at the end of that turn: one system call for many rows.)

Opening it reads what an earlier run left (``previous``: each id's success and request hash) and
repairs it first: a torn last line (the process was killed mid-write) is dropped, and where an id
has two lines (a failed row retried, or a run killed before it could tidy up) the later one wins.
Closing it tidies the same way, so after a run that ends, however it ends short of SIGKILL, the
file holds exactly one line per id. Rewrites go through a temporary file and ``os.replace``, so a
kill during one leaves the old file, never half of each.

With a ``.parquet`` output the journal is ``<output>.jsonl`` beside it: closing writes the Parquet
file and removes the journal; opening reads the Parquet file back when there is no journal.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import jiter

from haybale.batch._results import RowId
from haybale.errors import BatchInputError

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def encode_record(record: dict[str, Any]) -> str:
    """An output row as its JSON line (without the newline), as every store writes it."""
    return _encode(record)


@dataclass(frozen=True, slots=True)
class Previous:
    """What an earlier run recorded for one id."""

    ok: bool
    request_hash: str | None

    def covers(self, request_hash: str | None, *, retry_failed: bool = True) -> bool:
        """Whether this outcome stands for a row now asking ``request_hash``: it succeeded with that
        very request (or, with ``retry_failed=False``, failed with it)."""
        if request_hash is None or self.request_hash != request_hash:
            return False
        return self.ok or not retry_failed


@dataclass(frozen=True, slots=True)
class _Line:
    offset: int
    record: dict[str, Any]


class ResultStore:
    """Append-only results keyed by row id; see the module docstring."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        self.path = Path(output)
        self.is_parquet = self.path.suffix.lower() == ".parquet"
        self.journal = self.path.with_name(self.path.name + ".jsonl") if self.is_parquet else self.path
        self.previous: dict[RowId, Previous] = {}
        self._file: IO[bytes] | None = None
        self._open = False
        self._pending: list[bytes] = []
        self._write_scheduled = False
        self._rewritten_ids: set[RowId] = set()
        self._needs_tidy = False

    def open(self) -> ResultStore:
        """Read and repair what is there (the file itself is created by the first ``append``)."""
        if not self.path.parent.is_dir():
            raise BatchInputError(f"the output's folder {str(self.path.parent)!r} does not exist")
        if self.is_parquet and not self.journal.exists() and self.path.exists():
            _journal_from_parquet(self.path, self.journal)
        if self.journal.exists():
            self._load()
        self._open = True
        return self

    def _load(self) -> None:
        winners, duplicated, torn_at = _scan(self.journal)
        if duplicated:
            _rewrite(self.journal, winners)
        elif torn_at is not None:
            os.truncate(self.journal, torn_at)
        for line in winners.values():
            record = line.record
            self.previous[record["id"]] = Previous(record.get("error") is None, record.get("request_hash"))

    def is_done(self, row_id: RowId, request_hash: str | None, *, retry_failed: bool = True) -> bool:
        """Whether an earlier run already has this row: succeeded with this very request (or, with
        ``retry_failed=False``, failed with it)."""
        previous = self.previous.get(row_id)
        return previous is not None and previous.covers(request_hash, retry_failed=retry_failed)

    def forget(self, ids: set[RowId]) -> None:
        """Drop the lines of ``ids`` (a newer result for them is kept elsewhere)."""
        if not self._open:
            raise RuntimeError("the result store is not open: call open() first")
        self._write_pending()
        if not ids.intersection(self.previous) or not self.journal.exists():
            return
        if self._file is not None:  # the rewrite replaces the file: later lines go to the new one
            self._file.close()
            self._file = None
        winners, _, _ = _scan(self.journal)
        _rewrite(self.journal, {key: line for key, line in winners.items() if key not in ids})
        for key in ids:
            self.previous.pop(key, None)

    def append(self, record: dict[str, Any]) -> None:
        """Add one row's line; it reaches the OS at once, or at the end of the event loop's turn."""
        self.append_line(record["id"], _encode(record))

    def append_line(self, row_id: RowId, line: str) -> None:
        """``append`` for a row already encoded by ``encode_record`` (the Ray workers do that)."""
        if not self._open:
            raise RuntimeError("the result store is not open: call open() first")
        self._pending.append(line.encode() + b"\n")
        if row_id in self.previous:
            self._needs_tidy = True  # the file now has two lines for this id
        if self._write_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write_pending()
        else:
            loop.call_soon(self._write_pending)
            self._write_scheduled = True

    def _write_pending(self) -> None:
        self._write_scheduled = False
        if not self._pending:
            return
        if self._file is None:
            # Unbuffered: each write goes straight to the OS (a crash of this process loses nothing
            # written), and the file appears only once there is a line to put in it.
            self._file = self.journal.open("ab", buffering=0)
        lines, self._pending = b"".join(self._pending), []
        self._file.write(lines)

    def close(self) -> None:
        """Leave one line per id (and write the Parquet file); safe to call twice."""
        if not self._open:
            return
        self._write_pending()
        file, self._file = self._file, None
        self._open = False
        if file is not None:
            file.close()
        if self._needs_tidy:
            winners, _, _ = _scan(self.journal)
            _rewrite(self.journal, winners)
            self._needs_tidy = False
        if self.is_parquet and self.journal.exists():
            from haybale.batch._parquet import write_records

            write_records((line.record for line in _lines(self.journal)), self.path)
            self.journal.unlink()


def _lines(path: Path) -> Iterator[_Line]:
    """Every complete line of ``path`` as a record (a line that is not one raises)."""
    for line, offset, complete in _raw_lines(path):
        if complete:
            yield _Line(offset, _record(line, path, offset))


def _raw_lines(path: Path) -> Iterator[tuple[bytes, int, bool]]:
    offset = 0
    with path.open("rb") as file:
        for line in file:
            complete = line.endswith(b"\n")
            if line.strip():
                yield line, offset, complete
            offset += len(line)


def _record(line: bytes, path: Path, offset: int) -> dict[str, Any]:
    try:
        record = jiter.from_json(line)
    except ValueError:
        record = None
    if not isinstance(record, dict) or "id" not in record or "request_hash" not in record:
        raise BatchInputError(
            f"{str(path)!r} is not the output of a haybale batch (the line at byte {offset} is not a "
            "result): choose another output file"
        )
    return record


def _scan(path: Path) -> tuple[dict[RowId, _Line], bool, int | None]:
    """(the last line of each id, whether any id has several, where a torn last line starts)."""
    winners: dict[RowId, _Line] = {}
    duplicated = False
    torn_at: int | None = None
    for line, offset, complete in _raw_lines(path):
        if not complete:
            torn_at = offset  # only the last line can lack its newline
            continue
        parsed = _Line(offset, _record(line, path, offset))
        duplicated = duplicated or parsed.record["id"] in winners
        winners[parsed.record["id"]] = parsed
    return winners, duplicated, torn_at


def _rewrite(path: Path, winners: dict[RowId, _Line]) -> None:
    """Keep only the winning line of each id, in file order, replacing ``path`` atomically."""
    keep = {line.offset for line in winners.values()}
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as out:
        for line, offset, complete in _raw_lines(path):
            if complete and offset in keep:
                out.write(line)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _journal_from_parquet(parquet: Path, journal: Path) -> None:
    from haybale.batch._parquet import read_records

    temporary = journal.with_name(journal.name + ".tmp")
    with temporary.open("wb") as out:
        for record in read_records(parquet):
            out.write(_encode(record).encode() + b"\n")
    os.replace(temporary, journal)
