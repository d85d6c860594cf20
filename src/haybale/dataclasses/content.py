"""The parts a ChatMessage is made of: text, tool calls, tool results and reasoning.

Images and files live in their own modules (they carry I/O helpers). ``serialize_part`` and
``deserialize_part`` give every part the ``{"<kind>": {...}}`` form Haystack writes, so messages
saved by either library load in the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from haybale.dataclasses._pydantic import DictBacked
from haybale.dataclasses.file_content import FileContent
from haybale.dataclasses.image_content import ImageContent


@dataclass
class TextContent(DictBacked):
    """A piece of text in a message."""

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"TextContent.text must be a str, got {type(self.text).__name__}.")

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextContent:
        _require(data, ("text",), cls)
        return cls(text=data["text"])


@dataclass
class ToolCall(DictBacked):
    """A model's request to call a tool: its name, the parsed arguments and the call id.

    ``extra`` holds provider details that have no field of their own; haybale puts the raw text
    there (``extra["raw_arguments"]``) when a model sends arguments that are not a JSON object.
    """

    tool_name: str
    arguments: dict[str, Any]
    id: str | None = None
    extra: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tool_name, str):
            raise TypeError(f"ToolCall.tool_name must be a str, got {type(self.tool_name).__name__}.")
        if not isinstance(self.arguments, dict):
            raise TypeError(
                "ToolCall.arguments must be a dict of parsed arguments, got "
                f"{type(self.arguments).__name__}; decode JSON text with json.loads(...) first."
            )
        if self.extra is not None and not isinstance(self.extra, dict):
            raise TypeError(f"ToolCall.extra must be a dict or None, got {type(self.extra).__name__}.")

    def to_dict(self) -> dict[str, Any]:
        return {"tool_name": self.tool_name, "arguments": self.arguments, "id": self.id, "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        _require(data, ("tool_name", "arguments"), cls)
        return cls(
            tool_name=data["tool_name"],
            arguments=data["arguments"],
            id=data.get("id"),
            extra=data.get("extra"),
        )


ToolResultPartT: TypeAlias = TextContent | ImageContent | FileContent
ToolCallResultContentT: TypeAlias = str | Sequence[ToolResultPartT]


@dataclass
class ToolCallResult(DictBacked):
    """What a tool returned (text, or text/image/file parts), the call it answers, and whether it failed."""

    result: ToolCallResultContentT
    origin: ToolCall
    error: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.origin, ToolCall):
            raise TypeError(
                "ToolCallResult.origin must be the ToolCall this result answers, "
                f"got {type(self.origin).__name__}. Pass the ToolCall from the assistant's reply."
            )
        if isinstance(self.result, str):
            return
        if not isinstance(self.result, Sequence) or not all(
            isinstance(part, TextContent | ImageContent | FileContent) for part in self.result
        ):
            raise TypeError(
                "A tool result must be a str or a list of TextContent/ImageContent/FileContent, "
                f"got {type(self.result).__name__}. Convert other values with str(...) or json.dumps(...)."
            )

    def to_dict(self) -> dict[str, Any]:
        result = self.result if isinstance(self.result, str) else [serialize_part(p) for p in self.result]
        return {"result": result, "origin": self.origin.to_dict(), "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCallResult:
        _require(data, ("result", "origin"), cls)
        result = data["result"]
        if not isinstance(result, str):
            result = [deserialize_part(part) for part in result]
        return cls(result=result, origin=ToolCall.from_dict(data["origin"]), error=data.get("error", False))


@dataclass
class ReasoningContent(DictBacked):
    """The reasoning a model showed before answering.

    ``extra`` keeps provider data needed to send the reasoning back on the next turn, e.g.
    OpenRouter's ``reasoning_details`` (encrypted or signed blocks).
    """

    reasoning_text: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.reasoning_text, str):
            raise TypeError(
                f"ReasoningContent.reasoning_text must be a str, got {type(self.reasoning_text).__name__}."
            )
        if not isinstance(self.extra, dict):
            raise TypeError(f"ReasoningContent.extra must be a dict, got {type(self.extra).__name__}.")

    def to_dict(self) -> dict[str, Any]:
        return {"reasoning_text": self.reasoning_text, "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReasoningContent:
        _require(data, ("reasoning_text",), cls)
        return cls(reasoning_text=data["reasoning_text"], extra=data.get("extra") or {})


ChatMessageContentT: TypeAlias = (
    TextContent | ToolCall | ToolCallResult | ImageContent | ReasoningContent | FileContent
)
CONTENT_TYPES = (TextContent, ToolCall, ToolCallResult, ImageContent, ReasoningContent, FileContent)

# The key each part is written under in a serialized message (the same keys Haystack writes).
_KEYS: dict[type[Any], str] = {
    TextContent: "text",
    ToolCall: "tool_call",
    ToolCallResult: "tool_call_result",
    ImageContent: "image",
    ReasoningContent: "reasoning",
    FileContent: "file",
}
_CLASSES = {key: cls for cls, key in _KEYS.items()}


def serialize_part(part: ChatMessageContentT) -> dict[str, Any]:
    """``{"text": str}`` for text, ``{"<kind>": part.to_dict()}`` for every other part."""
    if isinstance(part, TextContent):
        return {"text": part.text}
    key = _KEYS.get(type(part))
    if key is None:
        raise TypeError(f"Cannot serialize a {type(part).__name__} as message content.")
    return {key: part.to_dict()}


# A key that only one part's own fields have: how a part dumped without its "<kind>" wrapper (the
# shape pydantic writes for Haystack's dataclasses) is recognised.
_FIELD_MARKERS: tuple[tuple[str, type[Any]], ...] = (
    ("tool_name", ToolCall),
    ("origin", ToolCallResult),
    ("reasoning_text", ReasoningContent),
    ("base64_image", ImageContent),
    ("base64_data", FileContent),
)


def deserialize_part(data: Any) -> ChatMessageContentT:
    """The part a ``serialize_part`` dict describes (or a part's bare fields, as pydantic dumps them)."""
    if not isinstance(data, dict):  # a ValueError, as Haystack raises for it
        raise ValueError(
            f"A serialized content part must be a dict, got {type(data).__name__}: {data!r:.200}."
        )
    if "text" in data and isinstance(data["text"], str):
        return TextContent(text=data["text"])
    part: ChatMessageContentT
    for key, value in data.items():
        cls = _CLASSES.get(key)
        if cls is not None and isinstance(value, dict):
            part = cls.from_dict(value)
            return part
    for marker, cls in _FIELD_MARKERS:
        if marker in data:
            part = cls.from_dict(data)
            return part
    raise ValueError(
        f"Unknown content part {sorted(data)!r}: expected one of the keys {sorted(_CLASSES)}. "
        "Build messages with the ChatMessage.from_* constructors and serialize them with to_dict()."
    )


def _require(data: Any, keys: tuple[str, ...], cls: type[Any]) -> None:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}.from_dict needs a dict, got {type(data).__name__}.")
    missing = [key for key in keys if key not in data]
    if missing:
        raise ValueError(
            f"Not a serialized {cls.__name__}: missing {', '.join(repr(k) for k in missing)} in "
            f"{data!r:.200}. Produce it with {cls.__name__}.to_dict()."
        )
