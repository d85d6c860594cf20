"""Property tests: any message, of any content, survives to_dict/from_dict (and a JSON trip)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from haybale.dataclasses import (
    ChatMessage,
    ChatRole,
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()

text = st.text(max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(text, json_values, max_size=4)

tool_calls = st.builds(
    ToolCall,
    tool_name=text,
    arguments=json_objects,
    id=st.none() | text,
    extra=st.none() | json_objects,
)
images = st.builds(
    ImageContent,
    base64_image=st.just(PNG),
    mime_type=st.sampled_from([None, "image/png"]),
    detail=st.sampled_from([None, "auto", "high", "low"]),
    meta=json_objects,
)
files = st.builds(
    FileContent,
    base64_data=st.binary(min_size=1, max_size=40).map(lambda data: base64.b64encode(data).decode()),
    mime_type=st.sampled_from([None, "application/pdf", "text/plain"]),
    filename=st.none() | text,
    extra=json_objects,
)
results = st.builds(
    ToolCallResult,
    result=text | st.lists(st.builds(TextContent, text) | images, max_size=3),
    origin=tool_calls,
    error=st.booleans(),
)
reasonings = st.builds(ReasoningContent, reasoning_text=text, extra=json_objects)
parts = st.one_of(st.builds(TextContent, text), tool_calls, results, images, files, reasonings)

messages = st.builds(
    ChatMessage,
    _role=st.sampled_from(list(ChatRole)),
    _content=st.lists(parts, max_size=5),
    _name=st.none() | text,
    _meta=json_objects,
)


@settings(max_examples=300, deadline=None)
@given(messages)
def test_any_message_round_trips(message: ChatMessage) -> None:
    assert ChatMessage.from_dict(message.to_dict()) == message


@settings(max_examples=150, deadline=None)
@given(messages)
def test_the_dict_is_plain_json(message: ChatMessage) -> None:
    data: dict[str, Any] = message.to_dict()
    assert ChatMessage.from_dict(json.loads(json.dumps(data))) == message
