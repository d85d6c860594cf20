"""``haybale local serve``: the embedded model in the foreground, for other tools to use."""

from __future__ import annotations

import sys

from haybale.errors import CommandError


def serve(port: int | None) -> int:
    """Serve the local model until Ctrl-C or SIGTERM; print its base URL on stdout."""
    from haybale.local import LocalModelServer

    print(
        "haybale: starting the local model (SmolLM2-135M via llama-cpp-python)...",
        file=sys.stderr,
        flush=True,
    )
    with LocalModelServer(port=port, die_with_parent=True) as server:
        print(server.base_url, flush=True)
        print(
            f"haybale: serving model {server.model!r} (OpenAI-compatible, any API key); Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        code = server.wait()
        tail = server.log_tail()
    raise CommandError(
        f"the local model server stopped by itself (exit code {code}); its last log lines:\n{tail}"
    )
