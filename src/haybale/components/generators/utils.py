"""``print_streaming_chunk``: a ready-made streaming callback that prints a reply as it arrives."""

from __future__ import annotations

from haybale.dataclasses import StreamingChunk


def print_streaming_chunk(chunk: StreamingChunk) -> None:
    """Print a streamed reply to stdout: text, reasoning, tool calls and tool results.

    Each content block opens with a label (``[ASSISTANT]``, ``[REASONING]``, ``[TOOL CALL]``,
    ``[TOOL RESULT]``) and blocks are separated by a blank line, so an agent's interleaved text,
    tool calls and results stay readable. The output (and its spacing) is Haystack's, written
    piece by piece through ``print`` with ``flush=True``, so a redirected or patched ``print`` sees it.
    """
    if chunk.start and chunk.index:  # a new block after the first one
        _out("\n\n")
    for delta in chunk.tool_calls or ():
        if chunk.start:
            # several calls in one chunk arrive whole: separate each one after the chunk's own
            if chunk.index and delta.index > chunk.index:
                _out("\n\n")
            _out(f"[TOOL CALL]\nTool: {delta.tool_name} \nArguments: ")
        if delta.arguments:
            _out(delta.arguments)
    if chunk.tool_call_result is not None:
        _out(f"[TOOL RESULT]\n{chunk.tool_call_result.result}")
    if chunk.content:
        if chunk.start:
            _out("[ASSISTANT]\n")
        _out(chunk.content)
    if chunk.reasoning is not None:
        if chunk.start:
            _out("[REASONING]\n")
        _out(chunk.reasoning.reasoning_text)
    if chunk.finish_reason is not None:  # the message is over: leave room for the next one
        _out("\n\n")


def _out(text: str) -> None:
    print(text, flush=True, end="")
