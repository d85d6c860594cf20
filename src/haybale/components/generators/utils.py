"""``print_streaming_chunk``: a ready-made streaming callback that prints a reply as it arrives."""

from __future__ import annotations

import sys

from haybale.dataclasses import StreamingChunk


def print_streaming_chunk(chunk: StreamingChunk) -> None:
    """Print a streamed reply to stdout: text, reasoning, tool calls and tool results.

    Each content block opens with a label (``[ASSISTANT]``, ``[REASONING]``, ``[TOOL CALL]``,
    ``[TOOL RESULT]``) and blocks are separated by a blank line, so an agent's interleaved text,
    tool calls and results stay readable. Output is flushed at once.
    """
    out: list[str] = []
    if chunk.start and chunk.index:  # a new block after the first one
        out.append("\n\n")
    if chunk.reasoning is not None and chunk.reasoning.reasoning_text:
        if chunk.start:
            out.append("[REASONING]\n")
        out.append(chunk.reasoning.reasoning_text)
    for position, delta in enumerate(chunk.tool_calls or ()):
        if delta.tool_name:  # a call starts: the name is only sent once
            if position:
                out.append("\n\n")
            out.append(f"[TOOL CALL]\nTool: {delta.tool_name}\nArguments: ")
        if delta.arguments:
            out.append(delta.arguments)
    if chunk.tool_call_result is not None:
        out.append(f"[TOOL RESULT]\n{chunk.tool_call_result.result}")
    if chunk.content:
        if chunk.start:
            out.append("[ASSISTANT]\n")
        out.append(chunk.content)
    if chunk.finish_reason is not None:  # the message is over: leave room for the next one
        out.append("\n\n")
    if out:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
