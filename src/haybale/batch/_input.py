"""Where rows come from: JSONL (a file or stdin), CSV, Parquet, or rows given in Python.

A source can be scanned more than once: the runner reads the ids first (duplicates are an error
before anything is sent, and the progress bar knows the total), then reads the rows again as it
sends them, so a large file is never held in memory. Standard input is copied to a temporary file
for that. A line that is not a JSON object is not fatal: it comes out as a ``RawRow`` with a
``problem``, which becomes that row's error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import jiter

from haybale.errors import BatchInputError

Rows = str | os.PathLike[str] | Iterable[Mapping[str, Any]]


@dataclass(slots=True)  # not frozen: one is made per row, and frozen init costs ~4x
class RawRow:
    """One input row before interpretation: its 0-based position and its fields, or why it is unreadable."""

    position: int
    data: Mapping[str, Any] | None
    problem: str | None = None


class RowSource:
    """Rows that can be scanned repeatedly; ``close()`` frees what the source holds (a spooled stdin).

    ``size`` is the input's size in bytes when known (files), for ``remembered``.
    """

    description = "rows"
    size: int | None = None

    def scan(self) -> Iterator[RawRow]:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to free by default."""


class _Jsonl(RowSource):
    def __init__(
        self, opener: Callable[[], AbstractContextManager[IO[bytes]]], description: str, size: int | None
    ) -> None:
        self._open = opener
        self.description = description
        self.size = size

    def scan(self) -> Iterator[RawRow]:
        position = 0
        with self._open() as lines:
            for number, line in enumerate(lines, 1):
                if number == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")  # a BOM some editors write
                if not line.strip():
                    continue  # blank lines (a trailing newline, spacing) are not rows
                yield json_row(position, line, f"line {number}")
                position += 1


def json_row(position: int, line: bytes, where: str) -> RawRow:
    """One JSONL line as a row; ``where`` names the line in the problem of an unreadable one."""
    try:
        data = jiter.from_json(line)
    except ValueError as error:
        return RawRow(position, None, f"{where} is not valid JSON ({error})")
    if not isinstance(data, dict):
        return RawRow(position, None, f"{where} is a JSON {type(data).__name__}, not an object")
    return RawRow(position, data)


class _Stdin(_Jsonl):
    """Standard input, spooled to a temporary file so it can be read twice."""

    def __init__(self) -> None:
        import shutil
        import tempfile

        self._spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
        shutil.copyfileobj(sys.stdin.buffer, self._spool)
        super().__init__(self._reopen, "standard input", self._spool.tell())

    def _reopen(self) -> AbstractContextManager[IO[bytes]]:
        self._spool.seek(0)
        return nullcontext(self._spool)  # the spool stays open: it is read again

    def close(self) -> None:
        self._spool.close()


class _Csv(RowSource):
    def __init__(self, path: Path) -> None:
        self._path = path
        self.description = str(path)
        self.size = path.stat().st_size

    def scan(self) -> Iterator[RawRow]:
        import csv

        with self._path.open(newline="", encoding="utf-8-sig") as file:
            for position, row in enumerate(csv.DictReader(file)):
                yield RawRow(position, row)


class _Parquet(RowSource):
    def __init__(self, path: Path) -> None:
        self._path = path
        self.description = str(path)
        self.size = path.stat().st_size

    def scan(self) -> Iterator[RawRow]:
        parquet = import_pyarrow_parquet("Parquet input")
        position = 0
        for batch in parquet.ParquetFile(self._path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                yield RawRow(position, row)
                position += 1


class _InMemory(RowSource):
    description = "the rows given"

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._rows = list(rows)

    def scan(self) -> Iterator[RawRow]:
        for position, row in enumerate(self._rows):
            if isinstance(row, Mapping):
                yield RawRow(position, row)
            else:
                yield RawRow(position, None, f"row {position} is a {type(row).__name__}, not a mapping")


class _Remembered(RowSource):
    """A small source read once: the first complete scan is kept and replayed by the later ones."""

    def __init__(self, source: RowSource) -> None:
        self._source = source
        self.description = source.description
        self.size = source.size
        self._rows: list[RawRow] | None = None

    def scan(self) -> Iterator[RawRow]:
        if self._rows is not None:
            yield from self._rows
            return
        rows = []
        for raw in self._source.scan():
            rows.append(raw)
            yield raw
        self._rows = rows

    def close(self) -> None:
        self._rows = None
        self._source.close()


# Inputs up to this size are parsed once and kept (a few times their size in memory); larger ones
# are read again for the second pass instead of being held.
REMEMBER_BYTES = 16 << 20


def remembered(source: RowSource, max_bytes: int = REMEMBER_BYTES) -> RowSource:
    """``source``, read only once when it is a file of at most ``max_bytes``."""
    if source.size is None or source.size > max_bytes:
        return source
    return _Remembered(source)


def import_pyarrow_parquet(what: str) -> Any:
    """``pyarrow.parquet``, or a clear error saying how to install it."""
    try:
        import pyarrow.parquet
    except ImportError:
        raise BatchInputError(
            f"{what} needs pyarrow: pip install 'haybale[parquet]' (or use JSONL)"
        ) from None
    return pyarrow.parquet


def open_rows(rows: Rows) -> RowSource:
    """A source for ``rows``: a path (``.csv``, ``.parquet``, else JSONL), ``"-"`` for stdin, or row dicts."""
    if isinstance(rows, str | os.PathLike):
        if str(rows) == "-":
            return _Stdin()
        path = Path(rows)
        if not path.is_file():
            raise BatchInputError(f"input file {str(path)!r} does not exist or is not a file")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _Csv(path)
        if suffix == ".parquet":
            return _Parquet(path)
        return _Jsonl(lambda: path.open("rb"), str(path), path.stat().st_size)
    if isinstance(rows, Mapping) or not isinstance(rows, Iterable):
        raise TypeError(
            f"rows must be a path, '-' for stdin, or an iterable of row dicts, got {type(rows).__name__}"
        )
    return _InMemory(rows)
