"""``run_batch``: a file of rows through the Ray runner into an output folder, resumable.

The driver (this process) does what needs the whole picture; the cluster does the sending:

1. the output folder's earlier parts are read (``ResultDirectory``) and the input is scanned once
   here, as the local runner does: ids are checked (every row needs one, none twice) and the rows
   already done with an unchanged request are found, before anything is sent;
2. Ray Data reads the input on the cluster (JSONL as text lines, parsed by the workers exactly as
   the local runner parses them; CSV as text columns; Parquet as it is) and ``generate`` sends it,
   leaving out the rows found in 1;
3. the driver appends each output row to this run's part as batches come back (as JSON lines the
   workers encoded, so a row reads exactly as the local runner writes it), counting progress.

Ctrl-C stops the run: the rows received are kept, the summary says ``interrupted``, the rows in
flight are lost with the cluster and sent again by the next run. The input path must be readable
both here and by the workers: on one machine any path, on a multi-node cluster a shared filesystem.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Unpack

import jiter

from haybale.batch._directory import ResultDirectory
from haybale.batch._input import open_rows
from haybale.batch._progress import BatchProgress
from haybale.batch._request import RequestShape
from haybale.batch._results import BatchSummary, RowId
from haybale.batch._runner import BatchOptions, Progress, plan_rows, reporter_for, settings_from
from haybale.batch.ray._dataset import generate, import_ray
from haybale.errors import BatchInputError


def run_batch(
    generator: Any,
    rows: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    address: str | None = None,
    actors: int = 2,
    concurrency_per_actor: int = 16,
    retry_failed: bool = True,
    output_format: str = "jsonl",
    progress: Progress = False,
    **options: Unpack[BatchOptions],
) -> BatchSummary:
    """Send every row of the file ``rows`` not already done in ``output_dir`` on a Ray cluster.

    Connects to the cluster at ``address`` (``"auto"``, ``"ray://host:10001"``; default: the one
    this process is connected to, else a new local one, stopped at the end). Each run writes a new
    part (``output_format``: ``"jsonl"`` or ``"parquet"``) in ``output_dir``; see the module
    docstring and ``generate`` for the rest. Returns the ``BatchSummary``.
    """
    if not isinstance(rows, str | os.PathLike) or str(rows) == "-":
        raise BatchInputError(
            "the Ray runner reads a file (JSONL, CSV or Parquet), not stdin or rows in memory"
        )
    settings = settings_from({**options, "concurrency": concurrency_per_actor})
    source = open_rows(rows)
    try:
        directory = ResultDirectory(output_dir, output_format).open()
        try:
            shape = RequestShape(generator)
            total, done = plan_rows(
                source, settings.spec, shape, directory, retry_failed=retry_failed, require_ids=True
            )
            counts = BatchProgress(total, skipped=len(done))
            if len(done) == total:
                return counts.summary()
            ray = import_ray()
            started_here = not ray.is_initialized()
            if started_here:
                ray.init(address=address, **({} if address else {"include_dashboard": False}))
            try:
                dataset, json_column = _read(ray, Path(rows).resolve())
                results = generate(
                    dataset,
                    generator,
                    actors=actors,
                    concurrency_per_actor=concurrency_per_actor,
                    done=dict(done.values()),
                    json_column=json_column,
                    output="lines",
                    **options,
                )
                interrupted = _collect(results, directory, counts, progress)
            finally:
                if started_here:
                    ray.shutdown()
            return counts.summary(interrupted=interrupted)
        finally:
            directory.close()
    finally:
        source.close()


def _collect(results: Any, directory: ResultDirectory, counts: BatchProgress, progress: Progress) -> bool:
    """Write each output row as it comes back; returns whether Ctrl-C stopped the run."""
    reporter = reporter_for(progress, counts)
    try:
        for batch in results.iter_batches(batch_format="pyarrow", batch_size=None):
            for line in batch.column("line").to_pylist():
                record = jiter.from_json(line.encode())
                directory.append_line(record["id"], line)  # written as the worker encoded it
                counts.add_record(record)
            if reporter is not None:
                reporter.update(counts)
    except KeyboardInterrupt:
        return True
    finally:
        if reporter is not None:
            reporter.close(counts)
    return False


def resume_map(output_dir: str | os.PathLike[str], *, retry_failed: bool = True) -> dict[RowId, str]:
    """The ``done`` argument of ``generate`` from earlier output in ``output_dir``: its Parquet and
    JSON-lines files (``run_batch``'s parts, or what ``Dataset.write_parquet``/``write_json`` wrote,
    in either ``output`` form).
    Each id whose row succeeded (or, with ``retry_failed=False``, has any outcome) maps to its
    request hash; when an id has several rows, a success wins."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return {}
    done: dict[RowId, str] = {}
    for path in sorted(folder.iterdir()):
        for record in _output_rows(path):
            if "id" not in record and isinstance(record.get("line"), str):  # generate(output="lines")
                record = jiter.from_json(record["line"].encode())
            key, request_hash = record.get("id"), record.get("request_hash")
            if key is None or not isinstance(request_hash, str):
                continue
            if record.get("error") is None or (not retry_failed and key not in done):
                done[key] = request_hash
    return done


def _output_rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        from haybale.batch._parquet import read_records

        yield from read_records(path)
    elif path.suffix in (".jsonl", ".json"):
        with path.open("rb") as lines:
            for line in lines:
                if line.endswith(b"\n"):  # a torn last line is no outcome
                    record = jiter.from_json(line)
                    if isinstance(record, dict):
                        yield record


def _read(ray: Any, path: Path) -> tuple[Any, str | None]:
    """The input as a Dataset, and the column holding JSON lines (JSONL) if any."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return ray.data.read_parquet(str(path)), None
    if suffix == ".csv":
        import csv

        import pyarrow as pa
        import pyarrow.csv

        with path.open(newline="", encoding="utf-8-sig") as file:
            header = next(csv.reader(file), [])
        # Every cell as text, empty cells as "", as the local runner's csv.DictReader reads them.
        convert = pyarrow.csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=False
        )
        return ray.data.read_csv(str(path), convert_options=convert), None
    return ray.data.read_text(str(path)), "text"
