"""Bulk generation on a Ray cluster, through Ray Data (``pip install 'haybale[ray]'``).

    import ray
    from haybale.batch.ray import generate

    rows = ray.data.read_json("s3://bucket/rows.jsonl")          # columns: id, prompt (or messages)
    results = generate(rows, generator, actors=8, concurrency_per_actor=32, rpm=10_000)
    results.write_parquet("s3://bucket/results/")

``generate`` returns a Dataset with the columns of ``haybale batch``'s Parquet output, built on
``Dataset.map_batches`` with an actor class (``RowSender``): each actor rebuilds the generator from
its ``to_dict()`` and sends its rows concurrently on its own event loop, with the local runner's
per-row code (``prepare_row``, ``run_row``, ``BatchResult.to_record``). ``rpm``/``tpm`` and the
cool-down after a 429 hold for the whole cluster through one ``RateKeeper`` actor, asked as little
as that allows (see ``_limits``). A failed row is an output row with an ``error``, never a failed
job. ``run_batch`` is the file-to-folder runner behind ``haybale batch --ray``, with the local
runner's resume rules. Nothing imports Ray until these run.
"""

from __future__ import annotations

from haybale.batch.ray._dataset import generate
from haybale.batch.ray._driver import resume_map, run_batch
from haybale.batch.ray._limits import ClusterLimiter, RateKeeper
from haybale.batch.ray._worker import RowSender

__all__ = ["ClusterLimiter", "RateKeeper", "RowSender", "generate", "resume_map", "run_batch"]
