"""The local model server never outlives the ``haybale`` command: normal exit, error, Ctrl-C, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from processes import port_in, server_pids


def _interruptible() -> None:
    # A shell's background job starts with SIGINT ignored, and that would be inherited: a terminal
    # user's process gets the default disposition, so give the CLI that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def spawn(keyless_env: dict[str, str]) -> Iterator[list[subprocess.Popen[str]]]:
    """Collects the processes a test starts and ends any that are still running afterwards."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _start(
    spawn: list[subprocess.Popen[str]], command: list[str], env: dict[str, str]
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_interruptible,
    )
    spawn.append(process)
    return process


def _wait_for_url(stream: subprocess.Popen[str], *, on_stderr: bool) -> tuple[int, str]:
    seen = ""
    pipe = stream.stderr if on_stderr else stream.stdout
    assert pipe is not None
    for line in pipe:
        seen += line
        if "http://127.0.0.1:" in line:
            return port_in(line), seen
    raise AssertionError(f"the command ended without naming its server; output:\n{seen}")


def test_server_is_gone_after_a_normal_chat(haybale_command: list[str], keyless_env: dict[str, str]) -> None:
    result = subprocess.run(
        [*haybale_command, "chat", "Say hi.", "--max-tokens", "8", "--temperature", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=keyless_env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    port = port_in(result.stderr)
    assert server_pids(port) == []


def test_server_is_gone_after_an_error(haybale_command: list[str], keyless_env: dict[str, str]) -> None:
    # A prompt far beyond the 4096-token context makes the server reject the request. No key is set,
    # so haybale picks the local model itself and names its URL on stderr.
    result = subprocess.run(
        [*haybale_command, "chat", "--max-tokens", "4"],
        input="word " * 6000,
        capture_output=True,
        text=True,
        env=keyless_env,
        timeout=240,
    )
    assert result.returncode == 1
    assert "haybale: error:" in result.stderr
    assert "context" in result.stderr
    assert "cannot reach" not in result.stderr  # the server answered; it was not a connection failure
    assert "Traceback" not in result.stderr
    assert server_pids(port_in(result.stderr)) == []


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_server_is_gone_after_interrupting_a_chat(
    haybale_command: list[str],
    keyless_env: dict[str, str],
    spawn: list[subprocess.Popen[str]],
    signum: int,
    status: int,
) -> None:
    command = [*haybale_command, "chat", "Write a very long story about a cat.", "--max-tokens", "2000"]
    process = _start(spawn, command, keyless_env)
    port, _ = _wait_for_url(process, on_stderr=True)
    assert process.stdout is not None
    assert process.stdout.read(1)  # the reply has started streaming
    process.send_signal(signum)
    assert process.wait(timeout=60) == status
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()
    assert server_pids(port) == []


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_local_serve_stops_its_server_on_a_signal(
    haybale_command: list[str],
    keyless_env: dict[str, str],
    spawn: list[subprocess.Popen[str]],
    signum: int,
    status: int,
) -> None:
    process = _start(spawn, [*haybale_command, "local", "serve"], keyless_env)
    port, _ = _wait_for_url(process, on_stderr=False)
    assert len(server_pids(port)) == 1
    process.send_signal(signum)
    assert process.wait(timeout=60) == status
    assert server_pids(port) == []


def test_local_serve_killed_outright_takes_its_server_along(
    haybale_command: list[str], keyless_env: dict[str, str], spawn: list[subprocess.Popen[str]]
) -> None:
    process = _start(spawn, [*haybale_command, "local", "serve"], keyless_env)
    port, _ = _wait_for_url(process, on_stderr=False)
    (server_pid,) = server_pids(port)
    process.kill()  # SIGKILL: no cleanup code runs in the CLI
    process.wait()
    # The parent-death signal reaches the server; give it a moment to shut down.
    for _ in range(300):
        if not server_pids(port):
            break
        time.sleep(0.1)
    assert server_pids(port) == [], f"server {server_pid} outlived its killed parent"
