"""LocalModelServer against the real llama-cpp-python server and the bundled SmolLM2 model."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from haybale.local import LocalModelServer, LocalServerError, find_model_path
from processes import server_pids


def test_the_bundled_model_file_is_found() -> None:
    path = find_model_path()
    assert path.suffix == ".gguf"
    assert path.stat().st_size > 10_000_000


def test_start_answers_and_stop_leaves_no_process() -> None:
    with LocalModelServer() as server:
        assert server.running
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.log_path is not None
        assert server.log_path.exists()
        with urllib.request.urlopen(f"{server.base_url}/models") as response:
            models = json.load(response)
        assert [model["id"] for model in models["data"]] == [server.model]
        port, pid, log_path = server.port, server.pid, server.log_path
        assert server_pids(port) == [pid]
    assert not server.running
    assert server_pids(port) == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not log_path.exists()


def test_stop_is_safe_twice_and_before_start() -> None:
    server = LocalModelServer()
    server.stop()
    server.start()
    server.stop()
    server.stop()
    assert not server.running


def test_a_failed_start_reports_the_server_log_tail(tmp_path: os.PathLike[str]) -> None:
    missing = os.path.join(tmp_path, "no-such-model.gguf")
    server = LocalModelServer(model_path=missing, startup_timeout=60)
    with pytest.raises(LocalServerError) as caught:
        server.start()
    message = str(caught.value)
    assert "Last lines of the server log" in message
    assert "no-such-model.gguf" in message
    assert not server.running
    # The log is kept after a failure so the user can read all of it.
    assert server.log_path is not None
    assert str(server.log_path) in message
    server.log_path.unlink()


def test_invalid_arguments_say_how_to_fix_them() -> None:
    with pytest.raises(ValueError, match="between 1 and 65535"):
        LocalModelServer(port=70000)
    with pytest.raises(ValueError, match="startup_timeout must be positive"):
        LocalModelServer(startup_timeout=0)
    with pytest.raises(LocalServerError, match="call start"):
        _ = LocalModelServer().base_url
