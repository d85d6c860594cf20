"""What a row's request would be, without sending it: its hash and its estimated token cost.

The request hash decides resumption: a row whose output line has no error and the same hash is not
sent again. It covers what changes the answer and nothing else: the model, the messages in their wire
form (so an OpenAI-format dict and the equal ``ChatMessage`` hash alike), the tools and the merged
generation kwargs. Endpoint, key and timeouts are not part of it. ``HASH_SCHEME`` is hashed too, so a
future change to what is covered resends everything rather than trusting an old hash.

Token estimates (for ``tpm``) are deliberately rough: about four characters of the encoded messages
per token, plus the reply's cap (``max_tokens``/``max_completion_tokens``) when the request sets one;
the limiter corrects them from the usage each reply reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from haybale._wire.messages import messages_to_wire
from haybale._wire.request import tool_definitions
from haybale._wire.response_format import response_format_to_wire

if TYPE_CHECKING:
    from haybale.dataclasses import ChatMessage

HASH_SCHEME = "haybale-batch-1"
_CHARS_PER_TOKEN = 4
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=repr).encode


@dataclass(slots=True)  # not frozen: one is made per row, and frozen init costs ~4x
class RequestFacts:
    """The hash of one row's request and what the limiter needs to know about its cost."""

    request_hash: str
    prompt_tokens: int  # estimated
    max_output_tokens: int | None  # the cap the request sets, if any


class RequestShape:
    """The parts of every request that come from the generator, prepared once per run.

    Works with any object that has ``model``, ``generation_kwargs``, ``tools`` and ``tools_strict``
    attributes (all three haybale generators); a missing one counts as unset.
    """

    def __init__(self, generator: Any) -> None:
        from haybale.components.generators.chat._checks import check_tools

        self.model = getattr(generator, "model", None)
        self.generation_kwargs: dict[str, Any] = dict(getattr(generator, "generation_kwargs", None) or {})
        tools = check_tools(getattr(generator, "tools", None))
        strict = bool(getattr(generator, "tools_strict", False))
        self._tools = tool_definitions(tools, strict) if tools else []
        # Most rows bring no kwargs of their own: their part of the hashed text is the same for all.
        self._common = (self._head(self.generation_kwargs), _output_cap(self.generation_kwargs))

    def facts(self, messages: list[ChatMessage], row_kwargs: Mapping[str, Any] | None) -> RequestFacts:
        if row_kwargs:
            kwargs = {**self.generation_kwargs, **row_kwargs}
            head, cap = self._head(kwargs), _output_cap(kwargs)
        else:
            head, cap = self._common
        wire_messages = _encode(messages_to_wire(messages))
        digest = hashlib.sha256((head + wire_messages + "}").encode()).hexdigest()
        return RequestFacts(digest, len(wire_messages) // _CHARS_PER_TOKEN + 1, cap)

    def _head(self, kwargs: Mapping[str, Any]) -> str:
        """The hashed text up to the messages, which are encoded once and spliced in after it (they
        are most of the bytes, and their length is the token estimate)."""
        described = {
            "scheme": HASH_SCHEME,
            "model": self.model,
            "tools": self._tools,
            "generation_kwargs": _wire_kwargs(kwargs),
        }
        return _encode(described)[:-1] + ',"messages":'


def _wire_kwargs(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    response_format = kwargs.get("response_format")
    if response_format is None or isinstance(response_format, dict):
        return kwargs
    return {**kwargs, "response_format": response_format_to_wire(response_format)}


def _output_cap(kwargs: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = kwargs.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None
