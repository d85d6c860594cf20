"""ChatRole and ChatMessage: one turn of a conversation, as Haystack models it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Self, TypeVar

from haybale.dataclasses._pydantic import DictBacked
from haybale.dataclasses.content import (
    CONTENT_TYPES,
    ChatMessageContentT,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
    ToolCallResultContentT,
    deserialize_part,
    serialize_part,
)
from haybale.dataclasses.file_content import FileContent
from haybale.dataclasses.image_content import ImageContent


class ChatRole(str, Enum):  # noqa: UP042  (str() as in Haystack: "ChatRole.USER")
    """Who speaks in a message."""

    USER = "user"
    SYSTEM = "system"
    ASSISTANT = "assistant"
    TOOL = "tool"

    @staticmethod
    def from_str(string: str) -> ChatRole:
        """The role named ``string`` ("user", "system", "assistant" or "tool")."""
        try:
            return ChatRole(string)
        except ValueError:
            valid = ", ".join(repr(role.value) for role in ChatRole)
            raise ValueError(f"Unknown chat role {string!r}: use one of {valid}.") from None


_LEGACY_ARGUMENTS = ("role", "content")


@dataclass
class ChatMessage(DictBacked):
    """A message: its role, its content parts, an optional speaker name and free-form meta.

    Build messages with the ``from_user``/``from_system``/``from_assistant``/``from_tool``
    constructors and read them through the properties (``text``, ``tool_calls``, ``reasoning``...).
    """

    _role: ChatRole
    _content: Sequence[ChatMessageContentT]
    _name: str | None = None
    _meta: dict[str, Any] = field(default_factory=dict, hash=False)

    def __new__(cls, *args: Any, **kwargs: Any) -> ChatMessage:
        legacy = [name for name in _LEGACY_ARGUMENTS if name in kwargs]
        if legacy:
            raise TypeError(
                f"ChatMessage has no {legacy[0]!r} argument: build messages with ChatMessage.from_user(...), "
                "from_system(...), from_assistant(...) or from_tool(...)."
            )
        return super().__new__(cls)

    def __post_init__(self) -> None:
        if not isinstance(self._role, ChatRole):
            self._role = ChatRole.from_str(self._role)
        if self._name is not None and not isinstance(self._name, str):
            raise TypeError(
                f"A ChatMessage's name must be a str (the speaker), got {type(self._name).__name__}."
            )
        if not isinstance(self._meta, dict):
            raise TypeError(f"A ChatMessage's meta must be a dict, got {type(self._meta).__name__}.")
        for part in self._content:
            if not isinstance(part, CONTENT_TYPES):
                names = ", ".join(kind.__name__ for kind in CONTENT_TYPES)
                raise TypeError(f"A ChatMessage part must be one of {names}; got {type(part).__name__}.")

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute name

        def __getattr__(self, name: str) -> Any:
            # Only reached for missing attributes: point code written for the old API to the new one.
            if name == "content":
                raise AttributeError(
                    "ChatMessage has no 'content' attribute: read message.text (or .texts, .tool_calls, "
                    ".images...) instead."
                )
            raise AttributeError(f"'ChatMessage' object has no attribute {name!r}")

    def __len__(self) -> int:
        """The number of content parts (as in Haystack; an empty message is falsy)."""
        return len(self._content)

    # ---- properties --------------------------------------------------------------------------

    @property
    def role(self) -> ChatRole:
        return self._role

    @property
    def meta(self) -> dict[str, Any]:
        return self._meta

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def texts(self) -> list[str]:
        return [part.text for part in self._content if isinstance(part, TextContent)]

    @property
    def text(self) -> str | None:
        """The first text part, or None."""
        return _first(self.texts)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [part for part in self._content if isinstance(part, ToolCall)]

    @property
    def tool_call(self) -> ToolCall | None:
        return _first(self.tool_calls)

    @property
    def tool_call_results(self) -> list[ToolCallResult]:
        return [part for part in self._content if isinstance(part, ToolCallResult)]

    @property
    def tool_call_result(self) -> ToolCallResult | None:
        return _first(self.tool_call_results)

    @property
    def images(self) -> list[ImageContent]:
        return [part for part in self._content if isinstance(part, ImageContent)]

    @property
    def image(self) -> ImageContent | None:
        return _first(self.images)

    @property
    def files(self) -> list[FileContent]:
        return [part for part in self._content if isinstance(part, FileContent)]

    @property
    def file(self) -> FileContent | None:
        return _first(self.files)

    @property
    def reasonings(self) -> list[ReasoningContent]:
        return [part for part in self._content if isinstance(part, ReasoningContent)]

    @property
    def reasoning(self) -> ReasoningContent | None:
        return _first(self.reasonings)

    def is_from(self, role: ChatRole | str) -> bool:
        """Whether the message has ``role`` (a ChatRole or its name)."""
        return self._role == (role if isinstance(role, ChatRole) else ChatRole.from_str(role))

    # ---- constructors ------------------------------------------------------------------------

    @classmethod
    def from_user(
        cls,
        text: str | None = None,
        meta: dict[str, Any] | None = None,
        name: str | None = None,
        *,
        content_parts: Sequence[TextContent | str | ImageContent | FileContent] | None = None,
    ) -> ChatMessage:
        """A user message: ``text``, or ``content_parts`` mixing text, images and files."""
        if (text is None) == (content_parts is None):
            raise ValueError(
                "Pass exactly one of text or content_parts to ChatMessage.from_user: "
                "text for a plain message, content_parts for text mixed with images or files."
            )
        if text is not None:
            return cls(_role=ChatRole.USER, _content=[TextContent(text)], _name=name, _meta=meta or {})
        parts: list[ChatMessageContentT] = []
        for part in content_parts or ():
            if isinstance(part, str):
                parts.append(TextContent(part))
            elif isinstance(part, TextContent | ImageContent | FileContent):
                parts.append(part)
            else:  # a TypeError, as Haystack raises for it
                raise TypeError(
                    f"A user message part must be a str, TextContent, ImageContent or FileContent; got "
                    f"{type(part).__name__}."
                )
        if not parts:
            raise ValueError("content_parts is empty: a user message needs at least one text, image or file.")
        return cls(_role=ChatRole.USER, _content=parts, _name=name, _meta=meta or {})

    @classmethod
    def from_system(
        cls, text: str, meta: dict[str, Any] | None = None, name: str | None = None
    ) -> ChatMessage:
        """A system message (instructions for the model)."""
        return cls(_role=ChatRole.SYSTEM, _content=[TextContent(text)], _name=name, _meta=meta or {})

    @classmethod
    def from_assistant(
        cls,
        text: str | None = None,
        meta: dict[str, Any] | None = None,
        name: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        *,
        reasoning: str | ReasoningContent | None = None,
    ) -> ChatMessage:
        """An assistant message: reasoning (first), text and tool calls, each optional."""
        parts: list[ChatMessageContentT] = []
        if reasoning is not None:
            parts.append(ReasoningContent(reasoning) if isinstance(reasoning, str) else reasoning)
        if text is not None:
            parts.append(TextContent(text))
        for call in tool_calls or ():
            if not isinstance(call, ToolCall):
                raise TypeError(f"tool_calls must hold ToolCall objects, got {type(call).__name__}.")
            parts.append(call)
        return cls(_role=ChatRole.ASSISTANT, _content=parts, _name=name, _meta=meta or {})

    @classmethod
    def from_tool(
        cls,
        tool_result: ToolCallResultContentT,
        origin: ToolCall,
        error: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> ChatMessage:
        """A tool message: what the tool returned for the call ``origin``."""
        result = ToolCallResult(result=tool_result, origin=origin, error=error)
        return cls(_role=ChatRole.TOOL, _content=[result], _meta=meta or {})

    # ---- serialization -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The message as a JSON-ready dict, in the format Haystack writes."""
        return {
            "role": self._role.value,
            "meta": self._meta,
            "name": self._name,
            "content": [serialize_part(part) for part in self._content],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """A message from ``to_dict()`` output; also reads the older formats Haystack wrote."""
        if not isinstance(data, dict):
            raise TypeError(f"ChatMessage.from_dict needs a dict, got {type(data).__name__}.")
        if "content" in data and "role" in data:
            content = data["content"]
            if isinstance(content, str):  # written before content parts existed
                parts: list[ChatMessageContentT] = [TextContent(content)]
            elif isinstance(content, list):
                parts = [deserialize_part(part) for part in content]
            else:
                raise TypeError(f"'content' must be a list of parts or a str, got {type(content).__name__}.")
            return cls(
                _role=ChatRole.from_str(data["role"]),
                _content=parts,
                _name=data.get("name"),
                _meta=data.get("meta") or {},
            )
        if "_content" in data and "_role" in data:  # the field names, as some versions wrote them
            return cls(
                _role=ChatRole.from_str(data["_role"]),
                _content=[deserialize_part(part) for part in data["_content"]],
                _name=data.get("_name"),
                _meta=data.get("_meta") or {},
            )
        raise ValueError(
            f"Not a serialized ChatMessage (needs 'role' and 'content'): {data!r:.300}. "
            "Produce it with ChatMessage.to_dict()."
        )

    # ---- the OpenAI message format (the wire layer's converter, loaded on first use) --------

    def to_openai_dict_format(self, require_tool_call_ids: bool = True) -> dict[str, Any]:
        """This message as a Chat Completions message dict, in the shape Haystack gives it.

        Reasoning is left out and ``meta["refusal"]`` of an assistant message is sent back as its
        refusal. With ``require_tool_call_ids=False``, tool calls and results without an id are
        accepted (for servers that do not use ids). Raises ValueError for a message the format
        cannot express (an empty non-assistant message, a tool result beside other parts, image or
        file parts in a tool result).
        """
        from haybale._wire.messages import message_to_openai  # not at import: the data model stays light

        return message_to_openai(self, require_tool_call_ids=require_tool_call_ids)

    @classmethod
    def from_openai_dict_format(cls, message: dict[str, Any]) -> Self:
        """A message from a Chat Completions message dict (any role, ``developer`` read as system).

        Ids are optional (some compatible servers omit them); tool-call arguments that are not a
        JSON object keep the call, with the raw text in ``ToolCall.extra["raw_arguments"]``. Raises
        ValueError for a dict that is not a valid message, or holds URLs or file ids instead of data.
        """
        from haybale._wire.message_parse import message_from_openai

        return message_from_openai(cls, message)


T = TypeVar("T")


def _first(items: list[T]) -> T | None:
    return items[0] if items else None
