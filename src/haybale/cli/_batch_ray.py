"""``haybale batch --ray``: connect to a Ray cluster (or start one here), run the rows through
``haybale.batch.ray.run_batch`` into the output folder, disconnect.

Ctrl-C and SIGTERM stop it as they stop the local runner: the rows received are kept, the summary
is printed, the exit status is 130 or 143. Ray Data's own progress bars and INFO lines are turned
off: the command shows its own progress.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from haybale.cli._batch import progress_option, shared_options

if TYPE_CHECKING:
    from haybale.batch import BatchSummary


def run_on_ray(generator: Any, args: argparse.Namespace) -> tuple[BatchSummary, int | None]:
    """Run ``haybale batch --ray``; returns the summary and the signal that stopped it, if any."""
    from haybale.batch.ray import run_batch
    from haybale.batch.ray._dataset import import_ray

    ray = import_ray()
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # it warns that its bars are off
    ray.data.DataContext.get_current().enable_progress_bars = False
    settings: dict[str, Any] = {"address": args.ray_address, "logging_level": logging.ERROR}
    if args.ray_address is None:
        settings["include_dashboard"] = False  # a cluster started here inherits our environment
    else:
        # The workers of an existing cluster read the keys from their own environment: the job
        # brings the variables the generator's secrets name (Ray's way to give a job settings).
        settings["runtime_env"] = {"env_vars": _key_variables(generator.to_dict())}
    # Ray would otherwise replace builtins.print in this process once workers show progress bars.
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")
    ray.init(**settings)
    # ray.init makes SIGTERM exit at once; a stop that keeps the rows received is what we want.
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: _interrupt(received, signum, frame))
    try:
        summary = run_batch(
            generator,
            args.input,
            args.output,
            actors=args.actors or 2,
            concurrency_per_actor=args.concurrency,
            retry_failed=not args.no_retry_failed,
            output_format=args.output_format or "jsonl",
            progress=progress_option(args),
            **shared_options(args),
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        ray.shutdown()
    if summary.interrupted and not received:
        received.append(signal.SIGINT)
    return summary, received[0] if received else None


def _interrupt(received: list[int], signum: int, frame: FrameType | None) -> NoReturn:
    received.append(signum)
    raise KeyboardInterrupt


def _key_variables(data: Any) -> dict[str, str]:
    """The set environment variables named by the env-var secrets anywhere in ``data``."""
    found: dict[str, str] = {}
    if isinstance(data, dict):
        if data.get("type") == "env_var" and isinstance(data.get("env_vars"), list):
            found.update({name: os.environ[name] for name in data["env_vars"] if os.environ.get(name)})
        for value in data.values():
            found.update(_key_variables(value))
    elif isinstance(data, list):
        for value in data:
            found.update(_key_variables(value))
    return found
