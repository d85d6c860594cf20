"""Bulk generation: many rows through one chat generator, resumable, rate-limited, with progress.

    from haybale.batch import run_batch, run_batch_async, iter_batch

    summary = run_batch(generator, "in.jsonl", "out.jsonl", concurrency=16, rpm=500)
    async for result in iter_batch(generator, [{"id": 1, "prompt": "Hi"}]):
        print(result.id, result.text, result.error, result.usage, result.attempts)

Each row is one ``run_async`` call on (a copy of) the generator, so every rule of the wire layer
applies. The pieces are public for runners that distribute the same work (``haybale.batch.ray``):
``run_row`` sends one prepared row through a ``Limiter`` and returns its ``BatchResult``, whose
``to_record()`` is the output line; ``prepare_row``/``RowSpec``/``RequestShape`` turn input rows into
requests and their hashes. Nothing here is imported by ``import haybale`` or by the generators.
"""

from __future__ import annotations

from haybale.batch._input import RawRow, open_rows
from haybale.batch._limiter import Limiter, Permit, RowLimiter
from haybale.batch._progress import (
    BarReporter,
    BatchProgress,
    LineReporter,
    ProgressReporter,
    choose_reporter,
)
from haybale.batch._request import RequestShape
from haybale.batch._results import BatchResult, BatchSummary, RowError
from haybale.batch._rows import RowRequest, RowSpec, prepare_row
from haybale.batch._runner import BatchOptions, iter_batch, run_batch, run_batch_async
from haybale.batch._send import batch_generator, retry_budget, run_row
from haybale.batch._store import ResultStore

__all__ = [
    "BarReporter",
    "BatchOptions",
    "BatchProgress",
    "BatchResult",
    "BatchSummary",
    "Limiter",
    "LineReporter",
    "Permit",
    "ProgressReporter",
    "RawRow",
    "RequestShape",
    "ResultStore",
    "RowError",
    "RowLimiter",
    "RowRequest",
    "RowSpec",
    "batch_generator",
    "choose_reporter",
    "iter_batch",
    "open_rows",
    "prepare_row",
    "retry_budget",
    "run_batch",
    "run_batch_async",
    "run_row",
]
