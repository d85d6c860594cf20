"""The data model: messages, their content parts, and streaming chunks (pure values, no I/O on import)."""

from __future__ import annotations

from haybale.dataclasses.chat_message import ChatMessage, ChatRole
from haybale.dataclasses.content import (
    ChatMessageContentT,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
    ToolCallResultContentT,
)
from haybale.dataclasses.file_content import FileContent
from haybale.dataclasses.image_content import ImageContent
from haybale.dataclasses.streaming_chunk import (
    AsyncStreamingCallbackT,
    ComponentInfo,
    FinishReason,
    StreamingCallbackT,
    StreamingChunk,
    SyncStreamingCallbackT,
    ToolCallDelta,
    select_streaming_callback,
)

__all__ = [
    "AsyncStreamingCallbackT",
    "ChatMessage",
    "ChatMessageContentT",
    "ChatRole",
    "ComponentInfo",
    "FileContent",
    "FinishReason",
    "ImageContent",
    "ReasoningContent",
    "StreamingCallbackT",
    "StreamingChunk",
    "SyncStreamingCallbackT",
    "TextContent",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallResult",
    "ToolCallResultContentT",
    "select_streaming_callback",
]
