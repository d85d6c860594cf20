"""``generate``: a Ray Dataset of rows in, a Dataset of output rows out, on an actor pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Unpack

from haybale.batch._limiter import check_count
from haybale.batch._results import RowId
from haybale.batch._runner import BatchOptions, settings_from
from haybale.batch._send import retry_budget
from haybale.batch.ray._limits import keeper_actor
from haybale.batch.ray._worker import RowSender
from haybale.errors import SerializationError

if TYPE_CHECKING:
    import ray.data


def import_ray() -> Any:
    """``ray`` with Ray Data, or a clear error saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ImportError("the Ray runner needs Ray Data: pip install 'haybale[ray]'") from None
    return ray


def generate(
    dataset: ray.data.Dataset,
    generator: Any,
    *,
    actors: int = 2,
    concurrency_per_actor: int = 16,
    done: Mapping[RowId, str] | None = None,
    json_column: str | None = None,
    batch_size: int | None = None,
    num_cpus: float = 0.5,
    output: Literal["columns", "lines"] = "columns",
    **options: Unpack[BatchOptions],
) -> ray.data.Dataset:
    """Send every row of ``dataset`` through ``generator`` on ``actors`` Ray actors; returns the
    output rows as a (lazy) Dataset with the columns of ``haybale batch``'s Parquet output.

    Each actor has up to ``concurrency_per_actor`` requests in flight; ``rpm``/``tpm`` hold for
    the whole cluster (one keeper actor paces every start and shares the cool-down after a 429). The
    other ``options`` are those of ``haybale.batch.run_batch`` (``max_retries``, ``id_field``,
    ``prompt_field``, ``messages_field``, ``template``, ``system``, ``keep``; not ``concurrency``).
    Every row needs its own id. ``done`` maps ids to request hashes: those rows, when their request
    is unchanged, are dropped before any request (``resume_map`` reads it from earlier output).
    ``json_column`` names a column holding each row as JSON text (``ray.data.read_text`` of a JSONL
    file), parsed as ``haybale batch`` parses JSONL. ``batch_size`` (default
    ``concurrency_per_actor``) rows go to an actor at a time; ``num_cpus`` is what each actor
    reserves (it mostly waits on the network). ``output="lines"`` gives one column, ``line``, with
    each output row as the JSON line ``haybale batch`` writes (kept fields exactly as they were,
    where the columns give them the type Arrow infers).
    """
    ray = import_ray()
    if "concurrency" in options:
        raise TypeError("use concurrency_per_actor= (requests in flight per actor), not concurrency=")
    check_count("actors", actors)
    check_count("concurrency_per_actor", concurrency_per_actor)
    if batch_size is not None:
        check_count("batch_size", batch_size)
    if isinstance(num_cpus, bool) or not isinstance(num_cpus, int | float) or num_cpus < 0:
        raise ValueError(f"num_cpus must be a number >= 0, got {num_cpus!r}")
    if output not in ("columns", "lines"):
        raise ValueError(f"output must be 'columns' or 'lines', got {output!r}")
    settings = settings_from({**options, "concurrency": concurrency_per_actor})
    retries = settings.max_retries if settings.max_retries is not None else retry_budget(generator)
    size = batch_size or concurrency_per_actor
    constructor = {
        "generator": _serialized(generator),
        "keeper": keeper_actor(options.get("rpm"), options.get("tpm")),
        "concurrency": concurrency_per_actor,
        "paced": bool(options.get("rpm") or options.get("tpm")),
        "retries": retries,
        "spec": settings.spec,
        "done": ray.put(dict(done or {})),
        "json_column": json_column,
        "as_lines": output == "lines",
    }
    # Blocks of batch_size rows, so that a small dataset (one block) still reaches every actor.
    return dataset.repartition(target_num_rows_per_block=size).map_batches(
        RowSender,
        fn_constructor_kwargs=constructor,
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=size,
        batch_format="pyarrow",
        zero_copy_batch=True,
        num_cpus=num_cpus,
    )


def _serialized(generator: Any) -> dict[str, Any]:
    to_dict = getattr(generator, "to_dict", None)
    if not callable(to_dict):
        raise TypeError(f"generator must be a haybale chat generator, got {type(generator).__name__}")
    try:
        data: dict[str, Any] = to_dict()
    except SerializationError as error:
        raise SerializationError(
            f"the Ray runner rebuilds the generator in every worker from its to_dict(): {error} "
            "(the variable must be set where the workers run)"
        ) from None
    return data
