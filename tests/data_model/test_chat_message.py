"""ChatMessage and ChatRole: constructors, properties, validation, and dicts (ours and Haystack's)."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from typing import Any

import pytest

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

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
PDF = "JVBERi0xLjQK"  # "%PDF-1.4\n"


@pytest.mark.parametrize("role", list(ChatRole))
def test_role_from_str_round_trips(role: ChatRole) -> None:
    assert ChatRole.from_str(role.value) is role


def test_unknown_role_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="'user', 'system', 'assistant', 'tool'"):
        ChatRole.from_str("robot")


def test_from_user_text() -> None:
    message = ChatMessage.from_user("hi", meta={"k": 1}, name="ann")
    assert message.role is ChatRole.USER
    assert message.text == "hi"
    assert message.texts == ["hi"]
    assert message.meta == {"k": 1}
    assert message.name == "ann"
    assert message.is_from(ChatRole.USER)
    assert message.is_from("user")
    assert not message.is_from("assistant")


def test_from_user_content_parts_converts_strings() -> None:
    image = ImageContent(base64_image=PNG)
    file = FileContent(base64_data=PDF, filename="a.pdf")
    message = ChatMessage.from_user(content_parts=["look", image, TextContent("and"), file])
    assert message.texts == ["look", "and"]
    assert message.image is image
    assert message.images == [image]
    assert message.file is file
    assert message.files == [file]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of text or content_parts"),
        ({"text": "a", "content_parts": ["b"]}, "exactly one of text or content_parts"),
        ({"content_parts": []}, "at least one"),
    ],
)
def test_from_user_rejects_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ChatMessage.from_user(**kwargs)  # type: ignore[arg-type]


def test_from_user_refuses_other_parts_with_a_type_error_as_haystack_does() -> None:
    with pytest.raises(TypeError, match="got ToolCall"):
        ChatMessage.from_user(content_parts=["hi", ToolCall("f", {})])  # type: ignore[list-item]


def test_len_counts_the_parts_as_in_haystack() -> None:
    assert len(ChatMessage.from_assistant("a", tool_calls=[ToolCall("f", {})], reasoning="r")) == 3
    assert len(ChatMessage.from_assistant()) == 0
    assert not ChatMessage.from_assistant()


def test_from_system() -> None:
    message = ChatMessage.from_system("be brief", name="sys")
    assert (message.role, message.text, message.name) == (ChatRole.SYSTEM, "be brief", "sys")


def test_from_assistant_puts_reasoning_text_and_calls_in_order() -> None:
    call = ToolCall("weather", {"city": "Paris"}, id="call_1")
    message = ChatMessage.from_assistant(
        "checking", meta={"model": "m"}, tool_calls=[call], reasoning="think"
    )
    assert [type(part) for part in message._content] == [ReasoningContent, TextContent, ToolCall]
    assert message.reasoning == ReasoningContent("think")
    assert message.reasonings == [ReasoningContent("think")]
    assert message.tool_call is call
    assert message.tool_calls == [call]
    assert message.text == "checking"


def test_from_assistant_with_nothing_is_an_empty_message() -> None:
    message = ChatMessage.from_assistant()
    assert message.text is None
    assert message.tool_call is None
    assert message.reasoning is None
    assert message._content == []


def test_from_assistant_rejects_non_toolcalls() -> None:
    with pytest.raises(TypeError, match="ToolCall"):
        ChatMessage.from_assistant(tool_calls=[{"tool_name": "f"}])  # type: ignore[list-item]


def test_from_tool() -> None:
    call = ToolCall("weather", {"city": "Paris"}, id="call_1")
    message = ChatMessage.from_tool("sunny", origin=call, error=False, meta={"t": 1})
    assert message.role is ChatRole.TOOL
    assert message.tool_call_result == ToolCallResult("sunny", call, False)
    assert message.tool_call_results == [ToolCallResult("sunny", call, False)]
    assert message.text is None


def test_from_tool_without_origin_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="ToolCall this result answers"):
        ChatMessage.from_tool("sunny", origin=None)  # type: ignore[arg-type]


def test_legacy_constructor_arguments_point_to_the_constructors() -> None:
    with pytest.raises(TypeError, match="from_user"):
        ChatMessage(role="user", content="hi")  # type: ignore[call-arg]


def test_direct_construction_validates_role_and_parts() -> None:
    assert ChatMessage("user", [TextContent("x")]).role is ChatRole.USER  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown chat role"):
        ChatMessage("robot", [TextContent("x")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be one of"):
        ChatMessage(ChatRole.USER, ["plain string"])  # type: ignore[list-item]


def test_old_content_attribute_explains_the_new_api() -> None:
    with pytest.raises(AttributeError, match=r"message\.text"):
        _ = ChatMessage.from_user("x").content  # type: ignore[attr-defined]


def test_repr_has_the_haystack_shape() -> None:
    message = ChatMessage.from_assistant("Hello", meta={"model": "m", "index": 0})
    assert repr(message) == (
        "ChatMessage(_role=<ChatRole.ASSISTANT: 'assistant'>, _content=[TextContent(text='Hello')], "
        "_name=None, _meta={'model': 'm', 'index': 0})"
    )


def test_equality_copy_and_pickle() -> None:
    message = ChatMessage.from_assistant("x", tool_calls=[ToolCall("f", {"a": [1]}, id="1")])
    assert copy.deepcopy(message) == message
    assert pickle.loads(pickle.dumps(message)) == message
    assert message != ChatMessage.from_assistant("y")


def test_to_dict_has_haystacks_format() -> None:
    call = ToolCall("f", {"a": 1}, id="c1")
    message = ChatMessage.from_assistant("t", meta={"m": 1}, tool_calls=[call], reasoning="r")
    assert message.to_dict() == {
        "role": "assistant",
        "meta": {"m": 1},
        "name": None,
        "content": [
            {"reasoning": {"reasoning_text": "r", "extra": {}}},
            {"text": "t"},
            {"tool_call": {"tool_name": "f", "arguments": {"a": 1}, "id": "c1", "extra": None}},
        ],
    }


def test_every_content_type_round_trips() -> None:
    call = ToolCall("f", {"a": 1}, id="c1", extra={"raw_arguments": "{"})
    messages = [
        ChatMessage.from_user(
            content_parts=[
                "x",
                ImageContent(PNG, detail="low", meta={"s": 1}),
                FileContent(PDF, filename="d.pdf"),
            ]
        ),
        ChatMessage.from_system("s", name="n"),
        ChatMessage.from_assistant(
            "a", tool_calls=[call], reasoning=ReasoningContent("r", {"reasoning_details": []})
        ),
        ChatMessage.from_tool("result", origin=call, error=True),
        ChatMessage.from_tool([TextContent("chart:"), ImageContent(PNG)], origin=call),
    ]
    for message in messages:
        assert ChatMessage.from_dict(message.to_dict()) == message


# Written by haystack-ai 2.x (ChatMessage.to_dict()) for a tool-calling turn and its result.
HAYSTACK_ASSISTANT = {
    "role": "assistant",
    "meta": {"model": "gpt-4o-mini", "index": 0, "finish_reason": "tool_calls"},
    "name": None,
    "content": [
        {"tool_call": {"tool_name": "weather", "arguments": {"city": "Berlin"}, "id": "call_abc"}},
    ],
}
HAYSTACK_TOOL = {
    "role": "tool",
    "meta": {},
    "name": None,
    "content": [
        {
            "tool_call_result": {
                "result": "22 C",
                "origin": {"tool_name": "weather", "arguments": {"city": "Berlin"}, "id": "call_abc"},
                "error": False,
            }
        }
    ],
}


def test_haystack_written_messages_load() -> None:
    assistant = ChatMessage.from_dict(HAYSTACK_ASSISTANT)
    assert assistant.tool_call == ToolCall("weather", {"city": "Berlin"}, id="call_abc")
    assert assistant.meta["finish_reason"] == "tool_calls"
    tool = ChatMessage.from_dict(HAYSTACK_TOOL)
    assert tool.tool_call_result is not None
    assert tool.tool_call_result.result == "22 C"
    assert tool.tool_call_result.origin == assistant.tool_call


def test_older_haystack_formats_load() -> None:
    legacy = ChatMessage.from_dict({"role": "user", "content": "hello", "name": None, "meta": {}})
    assert legacy == ChatMessage.from_user("hello")
    fields = ChatMessage.from_dict(
        {"_role": "system", "_content": [{"text": "s"}], "_name": None, "_meta": {}}
    )
    assert fields == ChatMessage.from_system("s")


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ({"role": "user"}, ValueError, "needs 'role' and 'content'"),
        ({"role": "user", "content": [{"video": {}}]}, ValueError, "Unknown content part"),
        ({"role": "user", "content": 3}, TypeError, "must be a list"),
        ({"role": "wizard", "content": []}, ValueError, "Unknown chat role"),
        ("not a dict", TypeError, "needs a dict"),
    ],
)
def test_bad_dicts_are_refused_clearly(data: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        ChatMessage.from_dict(data)  # type: ignore[arg-type]


def test_importing_the_data_model_stays_light() -> None:
    code = (
        "import sys, haybale.dataclasses\n"
        "heavy = {'pydantic', 'httpx2', 'httpx', 'asyncio', 'jiter', 'mimetypes', 'pathlib', 'base64'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("part", ["invalid", {"unknown": {}}])
def test_from_dict_refuses_unknown_parts_with_a_value_error(part: object) -> None:
    with pytest.raises(ValueError, match="content part"):
        ChatMessage.from_dict({"role": "assistant", "content": [{"text": "ok"}, part]})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"name": 7}, "name must be a str"), ({"meta": [("k", "v")]}, "meta must be a dict")],
)
def test_name_and_meta_types_are_checked(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        ChatMessage.from_user("hi", **kwargs)
