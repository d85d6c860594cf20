"""Bulk generation stays out of the way: nothing imports it unless it is used, and it imports its
heavy helpers (tqdm, pyarrow) only when a bar or Parquet is asked for."""

from __future__ import annotations

import subprocess
import sys


def loaded(code: str, names: tuple[str, ...]) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {names!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [name for name in result.stdout.strip().split(",") if name]


def test_the_library_and_the_cli_parser_do_not_import_batch() -> None:
    code = (
        "import haybale\n"
        "from haybale.components.generators.chat import OpenAIChatGenerator\n"
        "from haybale.cli import build_parser\n"
        "build_parser().parse_args(['batch', 'in.jsonl', '-o', 'out', '--ray', '--actors', '2'])\n"
    )
    assert loaded(code, ("haybale.batch", "tqdm", "pyarrow", "asyncio", "ray")) == []


def test_importing_batch_leaves_tqdm_pyarrow_and_ray_alone() -> None:
    assert loaded("import haybale.batch", ("tqdm", "pyarrow", "httpx2", "ray")) == []


def test_importing_the_ray_runner_does_not_import_ray() -> None:
    assert loaded("import haybale.batch.ray", ("ray", "pyarrow")) == []
