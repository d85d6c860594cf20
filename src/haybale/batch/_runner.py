"""Many rows through one generator: ``iter_batch`` yields results as they complete;
``run_batch_async``/``run_batch`` write them to an output file, resume and show progress.

A run reads its input twice: a first pass checks the ids (duplicates stop the run before anything is
sent), counts the rows, and finds the rows an earlier run already finished (only rows whose id is in
the output are prepared for that); the second pass prepares and sends the rest, one row at a time as
workers free up (an input file of up to 16 MB is parsed once and replayed for the second pass).
``concurrency`` workers share one ``Limiter``; each runs ``run_row`` (see ``_send``).

Stopping: when ``stop`` (an ``asyncio.Event``) is set, no new row starts, the requests in flight are
cancelled, the rows that finished are already written, and the summary says ``interrupted``. The
same happens, minus the summary, when the task running the batch is cancelled (Ctrl-C in
``run_batch``): the output is tidied before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Container, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from haybale.batch._input import Rows, RowSource, open_rows, remembered
from haybale.batch._limiter import Limiter
from haybale.batch._progress import BatchProgress, ProgressReporter, choose_reporter
from haybale.batch._request import RequestShape
from haybale.batch._results import BatchResult, BatchSummary, RowId
from haybale.batch._rows import IdCheck, RowRequest, RowSpec, has_usable_id, prepare_row
from haybale.batch._send import batch_generator, retry_budget, run_row
from haybale.batch._store import ResultStore
from haybale.errors import BatchInputError

if TYPE_CHECKING:
    from haybale.batch._directory import ResultDirectory

Progress = bool | Callable[[BatchProgress], ProgressReporter]
_TICK_SECONDS = 0.5


class BatchOptions(TypedDict, total=False):
    """The options ``iter_batch``, ``run_batch_async`` and ``run_batch`` share.

    ``concurrency`` (16): requests in flight at most. ``rpm``/``tpm``: requests / tokens per minute
    at most, paced evenly. ``max_retries``: retries of a failed attempt (default: the generator's
    own setting). ``id_field`` ("id"), ``prompt_field`` ("prompt"), ``messages_field`` ("messages"),
    ``template`` (e.g. "Summarize: {text}"), ``system`` (a system prompt for rows without one) and
    ``keep`` (input fields copied to the output) say how rows are read (see ``RowSpec``).
    """

    concurrency: int
    rpm: float | None
    tpm: float | None
    max_retries: int | None
    id_field: str
    prompt_field: str
    messages_field: str
    template: str | None
    system: str | None
    keep: Sequence[str]


@dataclass(frozen=True)
class _Settings:
    spec: RowSpec
    limiter: Limiter
    max_retries: int | None


def settings_from(options: BatchOptions) -> _Settings:
    """The checked settings of ``options`` (a clear error names a bad one)."""
    unknown = set(options) - set(BatchOptions.__annotations__)
    if unknown:
        raise TypeError(f"unknown batch option(s): {', '.join(sorted(unknown))}")
    keep = options.get("keep") or ()
    if isinstance(keep, str):
        raise TypeError("keep must be a list of field names, not one string: keep=['field']")
    spec = RowSpec(
        id_field=options.get("id_field") or "id",
        prompt_field=options.get("prompt_field") or "prompt",
        messages_field=options.get("messages_field") or "messages",
        template=options.get("template"),
        system=options.get("system"),
        keep=tuple(keep),
    )
    limiter = Limiter(options.get("concurrency", 16), options.get("rpm"), options.get("tpm"))
    retries = options.get("max_retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        raise ValueError(f"max_retries must be a whole number >= 0, got {retries!r}")
    return _Settings(spec, limiter, retries)


async def iter_batch(
    generator: Any, rows: Rows, **options: Unpack[BatchOptions]
) -> AsyncIterator[BatchResult]:
    """Send every row and yield its ``BatchResult`` as it completes (in completion order).

    ``generator`` is any haybale chat generator (it is not changed: requests go through a copy);
    ``rows`` a path (JSONL, ``.csv``, ``.parquet``; ``"-"`` for stdin) or an iterable of row dicts.
    """
    settings = settings_from(options)
    source = remembered(open_rows(rows))
    try:
        shape = RequestShape(generator)
        _, skip = plan_rows(source, settings.spec, shape, None, retry_failed=True)
        requests = _requests(source, settings.spec, shape, skip)
        async with _sending(generator, settings) as (sender, retries):
            queue: asyncio.Queue[BatchResult | None] = asyncio.Queue()
            run = _run_workers(sender, requests, settings.limiter, retries, None, queue.put_nowait)
            task = asyncio.create_task(run)
            task.add_done_callback(lambda _: queue.put_nowait(None))
            try:
                while (result := await queue.get()) is not None:
                    yield result
                await task  # raises what stopped the workers, if anything did
            finally:
                if not task.done():  # the caller stopped iterating early
                    task.cancel()
                    await asyncio.wait([task])
    finally:
        source.close()


async def run_batch_async(
    generator: Any,
    rows: Rows,
    output: str | os.PathLike[str],
    *,
    retry_failed: bool = True,
    progress: Progress = False,
    stop: asyncio.Event | None = None,
    **options: Unpack[BatchOptions],
) -> BatchSummary:
    """Send every row not already done in ``output`` and append its result there; see ``run_batch``."""
    settings = settings_from(options)
    source = remembered(open_rows(rows))
    try:
        if isinstance(rows, str | os.PathLike) and _same_file(rows, output):
            raise BatchInputError("the output file is the input file: choose another output with -o")
        store = ResultStore(output).open()
        try:
            return await _run_into(generator, source, store, settings, retry_failed, progress, stop)
        finally:
            store.close()
    finally:
        source.close()


def run_batch(
    generator: Any,
    rows: Rows,
    output: str | os.PathLike[str],
    *,
    retry_failed: bool = True,
    progress: Progress = False,
    **options: Unpack[BatchOptions],
) -> BatchSummary:
    """Send every row not already done in ``output`` (JSONL, or ``.parquet``) and write its result.

    Resumable: run it again with the same output and rows that succeeded with the same request are
    skipped; failed rows are tried again unless ``retry_failed=False``. ``progress=True`` shows a bar
    on a terminal (plain lines elsewhere); pass a function of ``BatchProgress`` for your own reporter.
    Returns the ``BatchSummary``. From async code, await ``run_batch_async`` instead.
    """
    return asyncio.run(
        run_batch_async(generator, rows, output, retry_failed=retry_failed, progress=progress, **options)
    )


async def _run_into(
    generator: Any,
    source: RowSource,
    store: ResultStore,
    settings: _Settings,
    retry_failed: bool,
    progress: Progress,
    stop: asyncio.Event | None,
) -> BatchSummary:
    shape = RequestShape(generator)
    total, skip = plan_rows(source, settings.spec, shape, store, retry_failed=retry_failed)
    counts = BatchProgress(total, limiter=settings.limiter, skipped=len(skip))
    reporter = reporter_for(progress, counts)
    ticker = asyncio.create_task(_tick(reporter, counts)) if reporter is not None else None

    def finished(result: BatchResult) -> None:
        store.append(result.to_record())
        counts.add(result)
        if reporter is not None:
            reporter.update(counts)

    try:
        async with _sending(generator, settings) as (sender, retries):
            requests = _requests(source, settings.spec, shape, skip)
            await _run_workers(sender, requests, settings.limiter, retries, stop, finished)
    finally:
        if ticker is not None:
            ticker.cancel()
        if reporter is not None:
            reporter.close(counts)
    return counts.summary(interrupted=stop is not None and stop.is_set())


def reporter_for(progress: Progress, counts: BatchProgress) -> ProgressReporter | None:
    """The reporter ``progress`` asks for: none, the default (``True``), or the caller's own."""
    return choose_reporter(counts) if progress is True else progress(counts) if progress else None


def plan_rows(
    source: RowSource,
    spec: RowSpec,
    shape: RequestShape,
    store: ResultStore | ResultDirectory | None,
    *,
    retry_failed: bool,
    require_ids: bool = False,
) -> tuple[int, dict[int, tuple[RowId, str]]]:
    """First pass: the number of rows and, by position, the id and request hash of each row already
    done in ``store``. Raises on duplicate ids (and, with ``require_ids``, on a row without one)."""
    ids = IdCheck(spec)
    done: dict[int, tuple[RowId, str]] = {}
    for raw in source.scan():
        if require_ids and not has_usable_id(raw, spec):
            raise BatchInputError(
                f"row {raw.position} has no usable {spec.id_field!r} (a string or an integer), and the "
                "Ray runner needs one in every row: add ids, or pick the field with --id-field / id_field="
            )
        key = ids.add(raw)
        if store is not None and key in store.previous:
            row = prepare_row(raw, spec, shape)
            request_hash = row.request_hash
            if row.error is None and store.is_done(key, request_hash, retry_failed=retry_failed):
                done[raw.position] = (key, request_hash or "")
    ids.verify()
    return ids.count, done


def _requests(
    source: RowSource, spec: RowSpec, shape: RequestShape, skip: Container[int]
) -> Generator[RowRequest, None, None]:
    """Second pass: the rows to send, prepared one at a time as workers ask for them."""
    for raw in source.scan():
        if raw.position not in skip:
            yield prepare_row(raw, spec, shape)


@contextlib.asynccontextmanager
async def _sending(generator: Any, settings: _Settings) -> AsyncIterator[tuple[Any, int]]:
    """The generator copy to send with and the retry budget; the copy's connections close after."""
    retries = settings.max_retries if settings.max_retries is not None else retry_budget(generator)
    sender = batch_generator(generator, settings.limiter.max_concurrency)
    try:
        yield sender, retries
    finally:
        if sender is not generator:
            await sender.close_async()


async def _run_workers(
    generator: Any,
    requests: Generator[RowRequest, None, None],
    limiter: Limiter,
    retries: int,
    stop: asyncio.Event | None,
    finished: Callable[[BatchResult], None],
) -> None:
    """Run ``requests`` on ``limiter.max_concurrency`` workers; each hands its results to
    ``finished`` as they complete (in the worker itself: no queue in between)."""

    async def worker() -> None:
        for row in requests:  # one shared iterator: each row goes to exactly one worker
            finished(await run_row(generator, row, limiter, retries=retries))

    workers = [asyncio.create_task(worker()) for _ in range(limiter.max_concurrency)]
    watcher = asyncio.create_task(_cancel_when_set(stop, workers)) if stop is not None else None
    try:
        # A worker that raises has met a bug (run_row keeps failed requests as results) or could not
        # write its result: the run stops with that error rather than hide it.
        await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in [*workers, *([watcher] if watcher is not None else [])]:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        requests.close()  # closes the input file the second pass holds open
    for task in workers:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def _cancel_when_set(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    await stop.wait()
    for task in tasks:
        task.cancel()


async def _tick(reporter: ProgressReporter, counts: BatchProgress) -> None:
    """Refresh the progress display even while no row finishes (a long cool-down, slow replies)."""
    while True:
        await asyncio.sleep(_TICK_SECONDS)
        reporter.update(counts)


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
