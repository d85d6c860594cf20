"""The ``haybale`` command: argument parsing, signal handling and turning errors into one clear line.

Only the standard library and haybale's error classes are imported here so ``haybale --help``
stays fast; the generators and the local model are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from haybale._wire.providers import PROVIDERS as KNOWN_PROVIDERS
from haybale.errors import UsageError

PROVIDERS = (*KNOWN_PROVIDERS, "local")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the fix, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"{value:g} is outside 0..2")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (1..65535)")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser for every ``haybale`` sub-command."""
    parser = _Parser(
        prog="haybale", description="Chat with OpenAI, Azure OpenAI, OpenRouter or a local model."
    )
    parser.add_argument("--version", action=_Version, help="show the version and the HTTP backend, then exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    chat = commands.add_parser("chat", help="send a prompt (or chat interactively) and stream the reply")
    chat.add_argument("prompt", nargs="?", help="the prompt; text piped on stdin is appended to it")
    _add_provider_options(chat)
    chat.add_argument("--no-stream", action="store_true", help="print the reply only once it is complete")
    chat.add_argument("--json", action="store_true", help="print the whole reply as JSON")
    chat.add_argument(
        "-q", "--quiet", action="store_true", help="print only the reply (and errors): no progress notes"
    )
    chat.set_defaults(handler="chat")

    from haybale.cli._batch import add_parser as add_batch_parser

    add_batch_parser(commands, _add_provider_options)

    local = commands.add_parser("local", help="the embedded local model (needs haybale[local])")
    local_commands = local.add_subparsers(dest="local_command", required=True, parser_class=_Parser)
    serve = local_commands.add_parser("serve", help="serve the local model over an OpenAI-compatible API")
    serve.add_argument("--port", type=_port, help="port on 127.0.0.1 (default: a free one)")
    serve.set_defaults(handler="serve")
    return parser


def _add_provider_options(parser: argparse.ArgumentParser) -> None:
    """The options that pick and tune the generator; they mean the same for every command."""
    parser.add_argument(
        "--provider", choices=PROVIDERS, help="default: the first provider with a key set, else local"
    )
    parser.add_argument("--model", help="model (Azure: deployment) name; default: the provider's default")
    parser.add_argument("--system", help="a system prompt")
    parser.add_argument("--temperature", type=_temperature, help="sampling temperature, 0..2")
    parser.add_argument("--max-tokens", type=positive_int, help="upper bound on the reply's length in tokens")
    parser.add_argument(
        "--base-url", help="base URL of an OpenAI-compatible server (default: $OPENAI_BASE_URL)"
    )


class _Version(argparse.Action):
    """``--version``: worked out only when asked for (finding the HTTP backend is not free)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> NoReturn:
        from haybale._http import settings_for
        from haybale._version import __version__
        from haybale.errors import ConfigurationError

        try:
            backend = settings_for({}, timeout=1.0).backend
        except ConfigurationError as error:
            backend = f"none ({error})"
        print(f"{parser.prog} {__version__} (HTTP backend: {backend})")
        parser.exit()


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwinding (instead of dying on the spot) lets the with-blocks stop the local model server.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``haybale`` command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.handler == "serve":
            from haybale.cli._serve import serve

            return serve(args.port)
        if args.handler == "batch":
            from haybale.cli._batch import batch

            return batch(args)
        from haybale.cli._chat import chat

        return chat(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`haybale chat ... | head`): stop quietly, as other commands do. Point
        # stdout at /dev/null so the interpreter's final flush does not raise the same error again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe
    except UsageError as error:
        print(f"haybale: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        from haybale.cli._errors import describe

        message = describe(error)
        if message is None:
            raise
        print(f"haybale: error: {message}", file=sys.stderr)
        return 1
