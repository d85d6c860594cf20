"""``haybale batch``: a thin layer over ``haybale.batch.run_batch_async``.

It builds the generator as ``haybale chat`` does (same provider options, the local model when no key
is set), turns Ctrl-C and SIGTERM into a graceful stop (finished rows are kept, the requests in
flight are cancelled, the summary is printed), and maps the outcome to the exit status: 0 when every
row succeeded, 1 when some failed, 2 for a usage error (duplicate ids, a missing input file), 130
after Ctrl-C and 143 after SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, Any

from haybale.cli._main import positive_int
from haybale.errors import UsageError

if TYPE_CHECKING:
    import asyncio

    from haybale.batch import BatchSummary


def add_parser(commands: Any, add_provider_options: Any) -> None:
    """Add ``batch`` and its options to the sub-command parsers."""
    batch = commands.add_parser(
        "batch", help="send every row of a JSONL/CSV/Parquet file; resumable, rate-limited, with progress"
    )
    batch.add_argument("input", help="rows to send: a .jsonl, .csv or .parquet file, or - for stdin")
    batch.add_argument("-o", "--output", required=True, help="results: a .jsonl (or .parquet) file; resumes")
    add_provider_options(batch)
    limits = batch.add_argument_group("limits")
    limits.add_argument(
        "--concurrency", type=positive_int, default=16, help="requests in flight (16; per actor with --ray)"
    )
    limits.add_argument("--rpm", type=positive_int, help="requests per minute at most, paced evenly")
    limits.add_argument(
        "--tpm", type=positive_int, help="tokens per minute at most (estimated, then corrected)"
    )
    _add_row_options(batch.add_argument_group("rows"))
    _add_ray_options(batch.add_argument_group("ray (pip install 'haybale[ray]')"))
    batch.add_argument(
        "--no-retry-failed", action="store_true", help="keep failed rows of an earlier run as they are"
    )
    batch.add_argument("--quiet", action="store_true", help="print nothing but errors")
    batch.add_argument(
        "--progress-interval",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default: 10)",
    )
    batch.set_defaults(handler="batch")


def _add_ray_options(ray: Any) -> None:
    """Running on a Ray cluster: -o is then a folder, --concurrency counts per actor."""
    ray.add_argument(
        "--ray",
        action="store_true",
        help="send the rows from actors on a Ray cluster; -o is then a folder of part files",
    )
    ray.add_argument(
        "--ray-address", metavar="ADDRESS", help="auto, or ray://host:10001 (default: start a cluster here)"
    )
    ray.add_argument("--actors", type=positive_int, help="actors sending rows (default: 2)")
    ray.add_argument(
        "--output-format", choices=("jsonl", "parquet"), help="the format of the part written (jsonl)"
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _add_row_options(rows: Any) -> None:
    """How rows are read: which fields hold the id, the prompt or the messages, and what to keep."""
    rows.add_argument("--id-field", default="id", help="the field with each row's id (default: id)")
    rows.add_argument("--prompt-field", default="prompt", help="the field with a prompt (default: prompt)")
    rows.add_argument(
        "--messages-field", default="messages", help="the field with messages (default: messages)"
    )
    rows.add_argument("--template", help="build the prompt from the row's fields, e.g. 'Summarize: {text}'")
    rows.add_argument(
        "--keep",
        action="extend",
        nargs="+",
        default=[],
        metavar="FIELD",
        help="input fields to copy to the output",
    )


def batch(args: argparse.Namespace) -> int:
    """Run ``haybale batch`` with parsed arguments; returns the exit status."""
    import asyncio

    from haybale.cli._providers import generator_from_args
    from haybale.errors import BatchInputError

    _check_ray_options(args)
    with contextlib.ExitStack() as stack:
        generator, target = generator_from_args(args, stack)
        if not args.quiet:
            where = f" at {target.base_url}" if target.base_url else ""
            model = target.model or "default"
            print(f"haybale: using {target.provider} (model {model}){where}", file=sys.stderr, flush=True)
        try:
            if args.ray:
                from haybale.cli._batch_ray import run_on_ray

                summary, signum = run_on_ray(generator, args)
            else:
                summary, signum = asyncio.run(_run(generator, args))
        except BatchInputError as error:
            raise UsageError(str(error)) from None
    _report(summary, quiet=args.quiet)
    if signum is not None:
        return 128 + signum
    return 1 if summary.failed else 0


def _check_ray_options(args: argparse.Namespace) -> None:
    given = [
        flag
        for flag, value in (
            ("--ray-address", args.ray_address),
            ("--actors", args.actors),
            ("--output-format", args.output_format),
        )
        if value is not None
    ]
    if given and not args.ray:
        raise UsageError(f"{', '.join(given)} applies only with --ray: add --ray, or leave it out")
    if args.ray and args.input == "-":
        raise UsageError("--ray reads a file, not stdin: save the rows to a .jsonl file first")


async def _run(generator: Any, args: argparse.Namespace) -> tuple[BatchSummary, int | None]:
    import asyncio

    from haybale.batch import run_batch_async

    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()
    # Removing a loop's handler resets the signal to its default; the handlers from before (main's
    # SIGTERM -> SystemExit, which lets the local model server stop) are put back afterwards.
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        loop.add_signal_handler(signum, _stop, stop, received, signum)
    try:
        summary = await run_batch_async(
            generator,
            args.input,
            args.output,
            retry_failed=not args.no_retry_failed,
            progress=progress_option(args),
            stop=stop,
            concurrency=args.concurrency,
            **shared_options(args),
        )
    finally:
        for signum, handler in previous.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, handler)
    return summary, received[0] if received else None


def shared_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options (``BatchOptions``) both runners take from the command line, all but the
    concurrency (per run here, per actor with --ray)."""
    return {
        "rpm": args.rpm,
        "tpm": args.tpm,
        "id_field": args.id_field,
        "prompt_field": args.prompt_field,
        "messages_field": args.messages_field,
        "template": args.template,
        "system": args.system,
        "keep": args.keep,
    }


def progress_option(args: argparse.Namespace) -> Any:
    """No reporter with --quiet, else the bar on a terminal and lines every --progress-interval."""
    from haybale.batch import choose_reporter

    if args.quiet:
        return False
    return lambda counts: choose_reporter(counts, interval=args.progress_interval)


def _stop(stop: asyncio.Event, received: list[int], signum: int) -> None:
    if not received:
        print(
            "\nhaybale: stopping: keeping the finished rows, cancelling the rest...",
            file=sys.stderr,
            flush=True,
        )
    received.append(signum)
    stop.set()


def _report(summary: BatchSummary, *, quiet: bool) -> None:
    if not quiet:
        print(f"haybale batch: {summary.describe()}", file=sys.stderr)
    if summary.failed:
        shown = len(summary.first_errors)
        print(f"haybale batch: {summary.failed} rows failed; the first {shown}:", file=sys.stderr)
        for row_id, error in summary.first_errors:
            print(f"  id {row_id!r}: {error}", file=sys.stderr)
    sys.stderr.flush()
