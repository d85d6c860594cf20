"""Helpers for tests that run haybale or the local model server as real processes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/v1")

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def haybale_command() -> list[str]:
    """The installed console command, or the module form when the script is not beside the interpreter."""
    script = shutil.which("haybale", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "haybale.cli"]


def server_pids(port: int) -> list[int]:
    """Ids of live llama_cpp.server processes started with ``--port port`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if not any(b"llama_cpp.server" in arg for arg in args) or b"--port" not in args or state == "Z":
            continue
        if args[args.index(b"--port") + 1] == str(port).encode():
            found.append(int(entry.name))
    return found


def port_in(text: str) -> int:
    """The port of the first local base URL mentioned in ``text``."""
    match = _URL.search(text)
    if match is None:
        raise AssertionError(f"no http://127.0.0.1:PORT/v1 URL in output:\n{text}")
    return int(match.group(1))
