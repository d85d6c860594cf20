"""Server-sent events: raw body bytes in, lines out (``LineSplitter``), lines in, event payloads out
(``SSEDecoder``).

Both are pure state machines shared by the sync and async stream loops. The splitter follows the
SSE specification rather than a general text splitter: the body is UTF-8 whatever ``charset`` the
response header declares, a leading byte-order mark is dropped, and only CR, LF and CRLF end a line
(U+2028, U+2029 or U+0085 inside a JSON string are text, not line breaks). The decoder follows the
format that chat servers actually use: ``data:`` fields (several in one event are joined with a
newline), ``event:`` names, comment lines starting with ``:`` (ignored: OpenRouter sends
``: OPENROUTER PROCESSING`` as a keep-alive), and a blank line that ends the event. The OpenAI
convention ``data: [DONE]`` marks the end of the stream.
"""

from __future__ import annotations

DONE = "[DONE]"
_BOM = b"\xef\xbb\xbf"
_LINE_ENDS = (b"\r", b"\n")


class LineSplitter:
    """Turn body bytes, cut anywhere, into lines (decoded, without their line endings).

    ``feed`` returns the lines completed by a piece of the body; ``flush`` returns the last line when
    the body ended without a line ending. Splitting happens on bytes, which is safe because no UTF-8
    sequence contains the bytes of CR or LF; each complete line is then decoded on its own, so a
    multi-byte character cut between two pieces is never garbled.
    """

    __slots__ = ("_pending", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._pending = b""
        self._skip_lf = False  # the last piece ended with CR: an LF opening the next one ends no line
        self._started = False

    def feed(self, data: bytes) -> list[str]:
        if not data:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if data[0] == 0x0A:
                data = data[1:]
        if self._pending:
            data = self._pending + data
            self._pending = b""
        if not self._started:
            if len(data) < len(_BOM) and _BOM.startswith(data):
                self._pending = data  # maybe the start of a byte-order mark: wait for more
                return []
            self._started = True
            if data.startswith(_BOM):
                data = data[len(_BOM) :]
        if not data:
            return []
        if data[-1] == 0x0A and b"\r" not in data:
            # The common case (whole LF-terminated lines): decode once, then split on LF alone
            # (str.split("\n") does not split on U+2028 and friends, unlike str.splitlines).
            return data.decode("utf-8", "replace").split("\n")[:-1]
        # bytes.splitlines splits on CR, LF and CRLF only (unlike str.splitlines).
        lines = data.splitlines()
        if not data.endswith(_LINE_ENDS):
            self._pending = lines.pop() if lines else b""
        elif data[-1] == 0x0D:
            self._skip_lf = True
        return [line.decode("utf-8", "replace") for line in lines]

    def flush(self) -> list[str]:
        """The unterminated last line, if the body ended in the middle of one."""
        pending, self._pending = self._pending, b""
        self._started = True
        return [pending.decode("utf-8", "replace")] if pending else []


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
