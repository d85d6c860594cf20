"""A real local Ray cluster for the Ray runner's tests (2 CPUs, a small object store), started once
for this folder, and generators whose key the workers read from their environment."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.utils import Secret

KEY_VARIABLE = "HAYBALE_RAY_TEST_KEY"


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[Any]:
    import ray  # the `ray` extra is part of the test install: a missing Ray fails here, loudly
    import ray.data

    # Set before the cluster starts: its workers inherit this process's environment.
    os.environ[KEY_VARIABLE] = "sk-ray-test"
    # Ray replaces builtins.print in a driver that shows workers' progress bars; the tests after
    # these must see the real print (they serialize it).
    os.environ["RAY_TQDM_PATCH_PRINT"] = "0"
    original_print = builtins.print
    ray.init(
        num_cpus=2,
        object_store_memory=100 * 1024 * 1024,
        include_dashboard=False,
        logging_level="WARNING",
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield ray
    finally:
        ray.shutdown()
        builtins.print = original_print


@pytest.fixture
def make_generator(fake_server: Any) -> Callable[..., OpenAIChatGenerator]:
    """Generators aimed at the fake server, with a key the workers resolve from the environment."""

    def make(**kwargs: Any) -> OpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_env_var(KEY_VARIABLE))
        kwargs.setdefault("model", "m")
        kwargs.setdefault("api_base_url", fake_server.base_url)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("max_retries", 0)
        return OpenAIChatGenerator(**kwargs)

    os.environ.setdefault(KEY_VARIABLE, "sk-ray-test")
    return make
