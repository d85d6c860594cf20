"""Output rows <-> an Arrow table <-> a Parquet file (pyarrow: ``pip install 'haybale[parquet]'``).

The table form is shared by the Parquet output and the Ray runner's datasets. Columns: ``id``
(int64 when every id is an integer, else string), ``text``, ``finish_reason``,
``request_hash`` (strings), ``error`` (a struct of ``type``, ``message``, ``status_code``),
``attempts`` (int64), ``latency_s`` (float64), and ``reply`` and ``usage`` as JSON text, because
their inner shape differs from provider to provider. Kept input fields get the type pyarrow infers,
or JSON text when their values have no common type.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from haybale.batch._input import import_pyarrow_parquet

_JSON_COLUMNS = ("reply", "usage")
_STRING_COLUMNS = ("text", "finish_reason", "request_hash")


def write_records(records: Iterable[dict[str, Any]], path: Path) -> None:
    """Write ``records`` (output lines) to ``path`` atomically."""
    parquet = import_pyarrow_parquet("Parquet output")
    temporary = path.with_name(path.name + ".tmp")
    parquet.write_table(records_to_table(records), temporary)
    os.replace(temporary, path)


def records_to_table(records: Iterable[dict[str, Any]], keep: Sequence[str] = ()) -> Any:
    """``records`` (output lines) as a ``pyarrow.Table`` with the columns above; the ``keep``
    columns are there even when no record has them (a Ray block then matches the others)."""
    import pyarrow as pa

    rows = list(records)
    columns: dict[str, Any] = {"id": _ids(pa, [row["id"] for row in rows])}
    for name in _STRING_COLUMNS:
        columns[name] = pa.array([row.get(name) for row in rows], pa.string())
    for name in _JSON_COLUMNS:
        columns[name] = pa.array([_json_text(row.get(name)) for row in rows], pa.string())
    error_type = pa.struct([("type", pa.string()), ("message", pa.string()), ("status_code", pa.int64())])
    columns["error"] = pa.array([row.get("error") for row in rows], error_type)
    columns["attempts"] = pa.array([row.get("attempts") for row in rows], pa.int64())
    columns["latency_s"] = pa.array([row.get("latency_s") for row in rows], pa.float64())
    for name in dict.fromkeys([*keep, *_kept_names(rows)]):
        columns[name] = _inferred(pa, [row.get(name) for row in rows])
    return pa.table(columns)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The output lines stored in ``path`` (JSON text columns decoded again)."""
    parquet = import_pyarrow_parquet("Parquet output")
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=1024):
        yield from table_records(batch)


def table_records(table: Any) -> Iterator[dict[str, Any]]:
    """The output lines in ``table`` (a ``pyarrow.Table`` or ``RecordBatch`` of the columns above)."""
    for row in table.to_pylist():
        for name in _JSON_COLUMNS:
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name])
        yield row


def _ids(pa: Any, ids: list[Any]) -> Any:
    if all(isinstance(value, int) or value is None for value in ids):
        return pa.array(ids, pa.int64())
    return pa.array([None if value is None else str(value) for value in ids], pa.string())


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _kept_names(rows: list[dict[str, Any]]) -> list[str]:
    fixed = {"id", "error", "attempts", "latency_s", *_JSON_COLUMNS, *_STRING_COLUMNS}
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(name for name in row if name not in fixed))
    return list(names)


def _inferred(pa: Any, values: list[Any]) -> Any:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return pa.array([_json_text(value) for value in values], pa.string())
