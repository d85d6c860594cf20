"""Conversion at the component's edge: Haystack messages in (every part), Haystack replies and
chunks out, Haystack Secrets and Tools to haybale's."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from haystack.dataclasses import (
    ChatMessage,
    ComponentInfo,
    FileContent,
    ImageContent,
    ReasoningContent,
    StreamingChunk,
    TextContent,
    ToolCall,
    ToolCallResult,
)
from haystack.tools import Tool, Toolset
from haystack.utils import Secret

import haybale.dataclasses as hb
from fake_server import Reply
from haybale.utils import Secret as HaybaleSecret
from haystack_integrations.components.generators.haybale._convert import (
    ToolConverter,
    to_haybale_messages,
    to_haybale_secret,
    to_haystack_chunk,
    to_haystack_message,
)
from payloads import completion

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
PDF = base64.b64encode(b"%PDF-1.4\n").decode()
CALL = ToolCall(tool_name="weather", arguments={"city": "Oslo"}, id="c1", extra={"k": 1})
PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}}


def test_every_part_reaches_the_request(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json(completion("ok")))
    conversation = [
        ChatMessage.from_system("Be brief.", name="policy"),
        ChatMessage.from_user(
            content_parts=[
                "Look",
                ImageContent(PNG, mime_type="image/png", detail="low"),
                FileContent(PDF, mime_type="application/pdf", filename="a.pdf"),
            ]
        ),
        ChatMessage.from_assistant("Checking", tool_calls=[CALL], reasoning="hm"),
        ChatMessage.from_tool("sunny", origin=CALL),
    ]
    make_llm().run(conversation)
    sent = fake_server.requests[0].json["messages"]
    assert sent[0] == {"role": "system", "content": "Be brief.", "name": "policy"}
    assert sent[1]["content"] == [
        {"type": "text", "text": "Look"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "a.pdf"}},
    ]
    assert sent[2]["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city":"Oslo"}'}
    assert sent[2]["reasoning_content"] == "hm"
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "content": "sunny"}


def test_messages_convert_part_by_part_to_haybales_classes() -> None:
    result = ToolCallResult(result=[TextContent("a"), ImageContent(PNG)], origin=CALL, error=True)
    message = ChatMessage(_role=ChatMessage.from_tool("x", CALL).role, _content=[result], _meta={"m": 1})
    (converted,) = to_haybale_messages([message])
    assert type(converted) is hb.ChatMessage
    part = converted.tool_call_result
    assert type(part) is hb.ToolCallResult
    assert part.error is True
    assert [type(p) for p in part.result] == [hb.TextContent, hb.ImageContent]
    assert part.origin == hb.ToolCall("weather", {"city": "Oslo"}, id="c1", extra={"k": 1})
    assert converted.meta == {"m": 1}
    assert to_haybale_messages("just text") == "just text"


def test_replies_convert_back_to_equal_haystack_messages() -> None:
    original = ChatMessage.from_assistant(
        "Yes", tool_calls=[CALL], reasoning=ReasoningContent("hm", {"x": 1}), name="bot", meta={"usage": {}}
    )
    (there,) = to_haybale_messages([original])
    assert type(there) is hb.ChatMessage
    back = to_haystack_message(there)
    assert type(back) is ChatMessage
    assert back == original


def test_a_haybale_message_passes_through_and_anything_else_is_refused() -> None:
    mine = hb.ChatMessage.from_user("hi")
    assert to_haybale_messages([mine]) == [mine]
    with pytest.raises(TypeError, match=r"messages\[1\] is a str"):
        to_haybale_messages([ChatMessage.from_user("a"), "b"])
    with pytest.raises(TypeError, match="list of ChatMessage"):
        to_haybale_messages({"role": "user"})


def test_chunks_become_haystack_chunks_naming_the_component() -> None:
    info = ComponentInfo(type="x.Y", name="llm")
    text = to_haystack_chunk(hb.StreamingChunk("Hi", meta={"m": 1}, index=0, start=True), info)
    assert text == StreamingChunk("Hi", meta={"m": 1}, component_info=info, index=0, start=True)
    call = to_haystack_chunk(
        hb.StreamingChunk(
            "", index=1, tool_calls=[hb.ToolCallDelta(0, "weather", '{"', id="c1")], start=True
        ),
        info,
    )
    assert call.tool_calls is not None
    assert (call.tool_calls[0].tool_name, call.tool_calls[0].arguments, call.tool_calls[0].id) == (
        "weather",
        '{"',
        "c1",
    )
    thinking = to_haystack_chunk(hb.StreamingChunk("", index=0, reasoning=hb.ReasoningContent("hm")), None)
    assert thinking.reasoning == ReasoningContent("hm")
    end = to_haystack_chunk(hb.StreamingChunk("", finish_reason="tool_calls"), info)
    assert end.finish_reason == "tool_calls"


def test_secrets_convert_keeping_env_references_unresolved(monkeypatch: pytest.MonkeyPatch) -> None:
    env = to_haybale_secret(Secret.from_env_var(["A_KEY", "B_KEY"], strict=False), "api_key")
    assert env == HaybaleSecret.from_env_var(["A_KEY", "B_KEY"], strict=False)
    monkeypatch.setenv("B_KEY", "late")
    assert env is not None
    assert env.resolve_value() == "late"  # read when used, not when converted
    token = to_haybale_secret(Secret.from_token("sk-1"), "api_key")
    assert token is not None
    assert token.resolve_value() == "sk-1"
    assert "sk-1" not in repr(token)
    assert to_haybale_secret(None, "api_key") is None
    with pytest.raises(TypeError, match=r"haystack\.utils\.Secret"):
        to_haybale_secret("sk-plain", "api_key")


def test_tools_convert_to_descriptions_haybale_sends() -> None:
    def weather(city: str) -> str:
        return city

    tool = Tool(name="weather", description="Weather", parameters=PARAMS, function=weather)
    convert = ToolConverter()
    converted = convert([Toolset([tool])])
    assert converted is not None
    (mine,) = converted
    assert (mine.name, mine.description, mine.parameters) == ("weather", "Weather", PARAMS)
    assert mine.invoke(city="Rome") == "Rome"  # it is the Haystack tool's own invoke
    assert convert([Toolset([tool])]) is converted  # same tools: the same conversion
    assert convert([tool]) is converted  # the toolset is flattened first
    assert convert(None) is None
