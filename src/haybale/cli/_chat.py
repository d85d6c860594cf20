"""``haybale chat``: one prompt (argument and/or stdin) or an interactive conversation."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from haybale.cli._errors import Target, describe
from haybale.cli._providers import generator_from_args
from haybale.errors import CommandError, HaybaleError, UsageError

if TYPE_CHECKING:
    from haybale.components.generators.chat import OpenAIChatGenerator
    from haybale.dataclasses import ChatMessage, StreamingChunk


class _StreamPrinter:
    """Streaming callback: text to stdout as it arrives, reasoning to stderr; notes the first chunk's time."""

    def __init__(self, out: TextIO | None, err: TextIO | None) -> None:
        self.out = out
        self.err = err
        self.first_chunk_at: float | None = None
        self.last_char = "\n"

    def __call__(self, chunk: StreamingChunk) -> None:
        if self.first_chunk_at is None:
            self.first_chunk_at = time.perf_counter()
        reasoning = chunk.reasoning.reasoning_text if chunk.reasoning is not None else ""
        if reasoning and self.err is not None:
            self.err.write(reasoning)
            self.err.flush()
        if chunk.content and self.out is not None:
            self.out.write(chunk.content)
            self.out.flush()
            self.last_char = chunk.content[-1]


def read_prompt(prompt: str | None, stdin: TextIO) -> str | None:
    """The prompt from the argument and piped stdin; None means: chat interactively on the terminal."""
    if stdin.isatty():
        return prompt
    piped = stdin.read().strip()
    if prompt and piped:
        return f"{prompt}\n\n{piped}"
    if prompt or piped:
        return prompt or piped
    raise UsageError("no prompt: pass one as an argument or pipe text on stdin (see 'haybale chat --help')")


def chat(args: argparse.Namespace) -> int:
    """Run ``haybale chat`` with parsed arguments; returns the exit status."""
    prompt = read_prompt(args.prompt, sys.stdin)
    with contextlib.ExitStack() as stack:
        generator, target = generator_from_args(args, stack)
        if args.provider is None and not args.quiet:
            # haybale picked the provider from the keys that are set: say which, as it may surprise
            where = f" at {target.base_url}" if target.base_url else ""
            print(
                f"haybale: using {target.provider} (model {target.model or 'default'}){where}",
                file=sys.stderr,
            )
        session = _Session(generator, target, stream=not args.no_stream, as_json=args.json, quiet=args.quiet)
        history = _start_history(args.system)
        try:
            if prompt is None:
                return session.interactive(history)
            session.ask([*history, _user(prompt)])
        except HaybaleError as error:
            raise CommandError(describe(error, target)) from None
    return 0


def _start_history(system: str | None) -> list[ChatMessage]:
    from haybale.dataclasses import ChatMessage

    return [ChatMessage.from_system(system)] if system else []


def _user(text: str) -> ChatMessage:
    from haybale.dataclasses import ChatMessage

    return ChatMessage.from_user(text)


class _Session:
    """Sends conversations to one generator and prints the replies."""

    def __init__(
        self, generator: OpenAIChatGenerator, target: Target, *, stream: bool, as_json: bool, quiet: bool
    ) -> None:
        self.generator = generator
        self.target = target
        self.stream = stream
        self.as_json = as_json
        self.quiet = quiet

    def ask(self, messages: list[ChatMessage]) -> ChatMessage:
        """Send ``messages``, print the reply as configured and return it."""
        printer = _StreamPrinter(None if self.as_json else sys.stdout, None if self.as_json else sys.stderr)
        started = time.perf_counter()
        result = self.generator.run(messages, streaming_callback=printer if self.stream else None)
        finished = time.perf_counter()
        replies: list[ChatMessage] = result["replies"]
        if not replies:
            raise CommandError(f"{self.target.provider} returned no reply; retry, or try another --model")
        reply = replies[0]
        if self.as_json:
            timings = {"total_s": round(finished - started, 6)}
            if printer.first_chunk_at is not None:
                timings["first_chunk_s"] = round(printer.first_chunk_at - started, 6)
            print(json.dumps(reply_to_json(reply, self.target, timings), ensure_ascii=False, default=str))
        else:
            _print_reply(reply, printer if self.stream else None)
        return reply

    def interactive(self, history: list[ChatMessage]) -> int:
        """A multi-turn chat on the terminal until Ctrl-D or Ctrl-C at the prompt."""
        if not self.quiet:
            print("haybale: interactive chat; Ctrl-D or Ctrl-C to quit", file=sys.stderr)
        while True:
            try:
                line = input("> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if not line.strip():
                continue
            history.append(_user(line))
            history.append(self.ask(history))


def _print_reply(reply: ChatMessage, printer: _StreamPrinter | None) -> None:
    if printer is None:
        text = reply.text or ""
        sys.stdout.write(text)
        last_char = text[-1] if text else "\n"
    else:
        last_char = printer.last_char
    if last_char != "\n":
        sys.stdout.write("\n")
    for call in reply.tool_calls:
        sys.stdout.write(f"[tool call] {call.tool_name}({json.dumps(call.arguments, ensure_ascii=False)})\n")
    sys.stdout.flush()


def reply_to_json(reply: ChatMessage, target: Target, timings: dict[str, float]) -> dict[str, Any]:
    """The reply as a JSON-ready dict: text, tool calls, reasoning and meta (with usage and timings)."""
    reasoning = reply.reasoning.reasoning_text if reply.reasoning is not None else None
    return {
        "provider": target.provider,
        "model": reply.meta.get("model", target.model),
        "text": reply.text,
        "tool_calls": [
            {"id": call.id, "tool_name": call.tool_name, "arguments": call.arguments}
            for call in reply.tool_calls
        ],
        "reasoning": reasoning,
        "meta": {**reply.meta, "timings": timings},
    }
