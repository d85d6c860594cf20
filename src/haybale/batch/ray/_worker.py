"""The Ray runner's worker: a ``map_batches`` class, one instance per actor.

Each actor rebuilds the generator from its ``to_dict()`` (secrets stay environment variables,
resolved here, in the worker), then turns every batch of rows into output rows with the same pieces
as the local runner: ``prepare_row`` (request and hash), ``run_row`` (the call, retries, the
limiter) and ``BatchResult.to_record`` (the output row), in the table form of
``haybale.batch._parquet``. Ray runs up to four batches of an actor at once on one event loop; they
share the actor's ``ClusterLimiter``, so at most ``concurrency`` requests of the actor are in flight.

Output comes as the table form (columns), or with ``as_lines`` as one ``line`` column of JSON text,
each row exactly as the local runner writes it (kept fields keep their shape).

Rows whose id and request hash are in ``done`` are dropped before any request. A row without a
usable id cannot be resumed or matched: it comes out with ``id`` null and an error, unsent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from haybale.batch._input import RawRow, json_row
from haybale.batch._parquet import records_to_table
from haybale.batch._request import RequestShape
from haybale.batch._results import BatchResult, RowError, RowId
from haybale.batch._rows import RowRequest, RowSpec, has_usable_id, prepare_row
from haybale.batch._send import batch_generator, run_row
from haybale.batch._store import encode_record
from haybale.batch.ray._limits import ClusterLimiter
from haybale.errors import ConfigurationError

_UNKNOWN_POSITION = -1  # a distributed read has no global row numbers


class RowSender:
    """Sends the rows of each batch it is called with; returns their output rows (a pyarrow Table)."""

    def __init__(
        self,
        *,
        generator: Mapping[str, Any],
        keeper: Any,
        concurrency: int,
        paced: bool,
        retries: int,
        spec: RowSpec,
        done: Any,
        json_column: str | None,
        as_lines: bool = False,
    ) -> None:
        import ray

        from haybale.core import component_from_dict

        rebuilt = component_from_dict(generator)
        self._generator = batch_generator(rebuilt, concurrency)
        try:
            # The credentials resolve here, in the worker: a missing one stops the job at once
            # instead of failing every row.
            self._generator.warm_up()
        except ConfigurationError as error:
            raise ConfigurationError(
                f"in a Ray worker: {error} (the workers read it from their own environment: set it "
                "where they run, or pass it in the job's runtime_env; haybale batch --ray does that)"
            ) from None
        self._shape = RequestShape(self._generator)
        self._limiter = ClusterLimiter(keeper, concurrency, paced=paced)
        self._retries = retries
        self._spec = spec
        self._done: Mapping[RowId, str] = ray.get(done) if isinstance(done, ray.ObjectRef) else done
        self._json_column = json_column
        self._as_lines = as_lines

    async def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        records: list[dict[str, Any]] = []
        requests: list[RowRequest] = []
        for data in batch.to_pylist():
            raw = self._raw(data)
            row = prepare_row(raw, self._spec, self._shape)
            if not has_usable_id(raw, self._spec):
                records.append(_unidentified(row, self._spec))
            elif row.request_hash is None or self._done.get(row.id) != row.request_hash:
                requests.append(row)
        sending = [run_row(self._generator, row, self._limiter, retries=self._retries) for row in requests]
        records.extend(result.to_record() for result in await asyncio.gather(*sending))
        if self._as_lines:  # each row exactly as the local runner writes it, whatever its fields hold
            return pa.table({"line": pa.array([encode_record(record) for record in records], pa.string())})
        return records_to_table(records, keep=self._spec.keep)

    def _raw(self, data: dict[str, Any]) -> RawRow:
        if self._json_column is None:
            return RawRow(_UNKNOWN_POSITION, data)
        return json_line_row(data.get(self._json_column))


def json_line_row(line: Any) -> RawRow:
    """A JSONL line as a row (as the local runner reads it), position unknown."""
    if not isinstance(line, str | bytes):
        return RawRow(_UNKNOWN_POSITION, None, "the line is empty")
    text = line.encode() if isinstance(line, str) else line
    return json_row(_UNKNOWN_POSITION, text.removeprefix(b"\xef\xbb\xbf"), "a line")


def _unidentified(row: RowRequest, spec: RowSpec) -> dict[str, Any]:
    problem = row.error.message if row.error is not None else ""
    error = RowError(
        "BatchInputError",
        f"the row has no usable {spec.id_field!r} (a string or an integer), so it was not sent: "
        f"give every row an id, or pick the id field with id_field= / --id-field. {problem}".strip(),
    )
    record = BatchResult(_UNKNOWN_POSITION, None, error, 0, 0.0, None, row.kept).to_record()
    record["id"] = None
    return record
