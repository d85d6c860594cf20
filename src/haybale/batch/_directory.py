"""An output folder of part files, one per run: ``part-00001.jsonl``, ``part-00002.parquet``, ...

The Ray runner writes here (``haybale batch --ray -o OUT_DIR``). Each run appends to a new part
through a ``ResultStore``, so a part has the same guarantees as a single output file (lines reach
the OS as rows finish, a torn last line is dropped, one line per id once the run ends). Opening the
folder reads every earlier part (later parts win, and a part a crash left half-made is repaired);
closing it removes from the earlier parts the ids this run wrote again (failed rows retried, rows
whose request changed), so the folder as a whole holds one line per id. Files that are not parts
are left alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haybale.batch._results import RowId
from haybale.batch._store import Previous, ResultStore, encode_record
from haybale.errors import BatchInputError

FORMATS = ("jsonl", "parquet")
_PART = re.compile(r"part-(\d+)\.(jsonl|parquet)(\.jsonl)?")


@dataclass(frozen=True, slots=True)
class _Part:
    number: int
    path: Path


class ResultDirectory:
    """See the module docstring. ``output_format`` is the format of the part this run writes."""

    def __init__(self, path: str | os.PathLike[str], output_format: str = "jsonl") -> None:
        if output_format not in FORMATS:
            raise ValueError(f"output_format must be one of {', '.join(FORMATS)}, got {output_format!r}")
        self.path = Path(path)
        self.output_format = output_format
        self.previous: dict[RowId, Previous] = {}
        self._home: dict[RowId, Path] = {}  # the part holding each previous id
        self._stale: dict[Path, set[RowId]] = {}  # ids to drop from a part: a later one has them
        self._store: ResultStore | None = None

    def open(self) -> ResultDirectory:
        """Read (and repair) the earlier parts and start this run's part."""
        if self.path.exists() and not self.path.is_dir():
            raise BatchInputError(f"{str(self.path)!r} is a file: the Ray runner writes into a folder")
        if not self.path.parent.is_dir():
            raise BatchInputError(f"the output's folder {str(self.path.parent)!r} does not exist")
        self.path.mkdir(exist_ok=True)
        parts = self._parts()
        for part in parts:
            for key, previous in _read_part(part.path).items():
                if key in self._home:  # a run that crashed before tidying left it in two parts
                    self._stale.setdefault(self._home[key], set()).add(key)
                self.previous[key] = previous
                self._home[key] = part.path
        number = parts[-1].number + 1 if parts else 1
        self._store = ResultStore(self.path / f"part-{number:05d}.{self.output_format}").open()
        return self

    def _parts(self) -> list[_Part]:
        found: dict[int, Path] = {}
        for entry in self.path.iterdir():
            match = _PART.fullmatch(entry.name)
            if match is not None:
                # a Parquet part's journal (part-N.parquet.jsonl) stands for the part itself
                found[int(match[1])] = self.path / f"part-{match[1]}.{match[2]}"
        return [_Part(number, path) for number, path in sorted(found.items())]

    @property
    def part(self) -> Path:
        """This run's part file."""
        if self._store is None:
            raise RuntimeError("the result directory is not open: call open() first")
        return self._store.path

    def is_done(self, row_id: RowId, request_hash: str | None, *, retry_failed: bool = True) -> bool:
        """As ``ResultStore.is_done``, over every earlier part."""
        previous = self.previous.get(row_id)
        return previous is not None and previous.covers(request_hash, retry_failed=retry_failed)

    def append(self, record: dict[str, Any]) -> None:
        """Add one row's line to this run's part."""
        self.append_line(record["id"], encode_record(record))

    def append_line(self, row_id: RowId, line: str) -> None:
        """``append`` for a row already encoded by ``encode_record``."""
        if self._store is None:
            raise RuntimeError("the result directory is not open: call open() first")
        self._store.append_line(row_id, line)
        home = self._home.get(row_id)
        if home is not None:
            self._stale.setdefault(home, set()).add(row_id)

    def close(self) -> None:
        """Finish this run's part, then drop from earlier parts the ids it holds anew."""
        store, self._store = self._store, None
        if store is None:
            return
        store.close()
        stale, self._stale = self._stale, {}
        for path, ids in stale.items():
            old = ResultStore(path).open()
            try:
                old.forget(ids)
            finally:
                old.close()


def _read_part(path: Path) -> dict[RowId, Previous]:
    journal = path.with_name(path.name + ".jsonl")
    if path.suffix == ".parquet" and not journal.exists():
        from haybale.batch._parquet import read_records

        return {
            record["id"]: Previous(record.get("error") is None, record.get("request_hash"))
            for record in read_records(path)
        }
    store = ResultStore(path).open()  # repairs a torn or doubled line; a journal becomes its Parquet
    store.close()
    return store.previous
