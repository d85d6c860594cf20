"""Server-sent events: raw body lines in, event payloads out.

A pure state machine shared by the sync and async stream loops. It follows the parts of the SSE
format that chat servers actually use: ``data:`` fields (several in one event are joined with a
newline), ``event:`` names, comment lines starting with ``:`` (ignored: OpenRouter sends
``: OPENROUTER PROCESSING`` as a keep-alive), and a blank line that ends the event. The OpenAI
convention ``data: [DONE]`` marks the end of the stream.
"""

from __future__ import annotations

DONE = "[DONE]"


class SSEDecoder:
    """Turn lines (without line endings) into event payloads.

    ``feed`` returns the data of an event when a line completes it, else ``None``; ``event`` then
    holds that event's name (``"message"`` unless the server named it). ``flush`` returns an event
    left pending when the body ended without the closing blank line.
    """

    __slots__ = ("_data", "_event", "event")

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""
        self.event = "message"

    def feed(self, line: str) -> str | None:
        if not line:
            return self._dispatch()
        # Fast path first: nearly every line of a chat stream is "data: {...}".
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
            return None
        if line[0] == ":":
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":  # "data" without a colon: an empty data field
            self._data.append("")
        # "id", "retry" and unknown fields carry nothing a chat stream needs.
        return None

    def flush(self) -> str | None:
        """The pending event's data, for a body that ended without a final blank line."""
        return self._dispatch()

    def _dispatch(self) -> str | None:
        data = self._data
        if not data:
            self._event = ""
            return None
        payload = data[0] if len(data) == 1 else "\n".join(data)
        self._data = []
        self.event = self._event or "message"
        self._event = ""
        return payload
