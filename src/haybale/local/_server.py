"""Run llama-cpp-python's OpenAI-compatible server on the bundled SmolLM2 model as a child process."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from haybale.errors import LocalServerError
from haybale.local._model import check_server_installed, find_model_path

DEFAULT_ALIAS = "smollm2"
_LOG_TAIL_LINES = 25


# Launches the server with Linux's parent-death signal set, so even a SIGKILLed parent (which runs
# no cleanup) takes the server down. The expected parent pid closes the race of the parent dying
# before prctl ran.
_DIE_WITH_PARENT = """\
import ctypes, os, runpy, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
if os.getppid() != int(sys.argv.pop(1)):
    sys.exit(1)
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _default_threads() -> int:
    # llama-cpp-python's server defaults to one thread, which makes replies needlessly slow.
    return max(1, min(os.cpu_count() or 1, 8))


class LocalModelServer:
    """The embedded SmolLM2 model behind an OpenAI-compatible HTTP API on 127.0.0.1.

    Use it as a context manager (or call ``start``/``stop``)::

        with LocalModelServer() as server:
            generator = OpenAIChatGenerator(api_key=Secret.from_token("local"),
                                            model=server.model, api_base_url=server.base_url)

    The server runs in its own process group and is stopped on ``stop``, on context exit and at
    interpreter exit, so it never outlives the process that started it. With ``die_with_parent``
    (Linux) it also dies when the starting thread's process is killed outright; only use that from a
    thread that lives as long as the server.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        model_path: str | Path | None = None,
        model: str = DEFAULT_ALIAS,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        chat_format: str | None = None,
        startup_timeout: float = 120.0,
        log_path: str | Path | None = None,
        die_with_parent: bool = False,
    ) -> None:
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {port}; or pass None for a free port")
        if startup_timeout <= 0:
            raise ValueError(f"startup_timeout must be positive (seconds), got {startup_timeout}")
        self.port = port
        self.model = model
        self.n_ctx = n_ctx
        self.n_threads = n_threads or _default_threads()
        self.chat_format = chat_format
        self.startup_timeout = startup_timeout
        self._model_path = Path(model_path) if model_path is not None else None
        self._log_path = Path(log_path) if log_path is not None else None
        self._owns_log = log_path is None
        self.die_with_parent = die_with_parent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (ending in ``/v1``); valid once started."""
        if self.port is None:
            raise LocalServerError("The local model server has no port yet: call start() first")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log_path(self) -> Path | None:
        """Where the server's stdout and stderr go."""
        return self._log_path

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        model_path = self._model_path or find_model_path()
        if self.die_with_parent and sys.platform == "linux":
            args = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), "--model", str(model_path)]
        else:
            args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path)]
        args += ["--model_alias", self.model, "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads)]
        # The model's own chat template (used when chat_format is None) handles forced tool calls.
        if self.chat_format is not None:
            args += ["--chat_format", self.chat_format]
        return args

    def start(self) -> LocalModelServer:
        """Start the server and wait until it answers; idempotent while it runs."""
        if self.running:
            return self
        if self._model_path is None:
            check_server_installed()
        if self.port is None:
            self.port = free_port()
        command = self.command()
        if self._log_path is None:
            handle, name = tempfile.mkstemp(prefix="haybale-local-model-", suffix=".log")
            os.close(handle)
            self._log_path = Path(name)
        with open(self._log_path, "wb") as log:
            # A new session keeps Ctrl-C in the terminal from reaching the server directly: the
            # parent decides when it stops, and can stop its whole process group.
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop(keep_log=True)
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise LocalServerError(
                    f"The local model server exited with code {self._process.returncode} while starting."
                    + self._log_tail_text()
                )
            if self._answers():
                return
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"The local model server did not answer within {self.startup_timeout:g} s; "
                    f"raise startup_timeout if the machine is slow." + self._log_tail_text()
                )
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            # The URL is always our own http://127.0.0.1 address, never user input.
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the server exits (or ``timeout`` passes); its exit code, or None if still running."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines the server wrote (empty if there is no log)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _log_tail_text(self) -> str:
        tail = self.log_tail()
        where = f" Full log: {self._log_path}" if self._log_path else ""
        return f"{where}\nLast lines of the server log:\n{tail}" if tail else where

    def stop(self, timeout: float = 5.0, *, keep_log: bool = False) -> None:
        """Stop the server and its process group: terminate, wait, then kill. Safe to call twice."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None and process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        if process is not None and self._owns_log and not keep_log and self._log_path is not None:
            with contextlib.suppress(OSError):
                self._log_path.unlink()
            self._log_path = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.base_url}" if self.running else "stopped"
        return f"LocalModelServer(model={self.model!r}, {state})"


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    # The group may already be gone between poll() and here; that is the outcome we want anyway.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
