"""Request bodies: messages, tools and generation kwargs -> JSON (pure, no network)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from haybale._wire.messages import messages_to_wire
from haybale._wire.request import build_request, tool_definitions
from haybale.dataclasses import (
    ChatMessage,
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
)
from haybale.tools import Tool

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def weather(city: str) -> str:
    return city


PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "when": {"type": "object", "properties": {"day": {"type": "integer"}}},
    },
    "required": ["city"],
}


def make_tool(name: str = "weather") -> Tool:
    return Tool(
        name=name, description="Weather for a city", parameters=copy.deepcopy(PARAMS), function=weather
    )


def test_system_and_user_text() -> None:
    wire = messages_to_wire([ChatMessage.from_system("Be brief."), ChatMessage.from_user("Hi", name="ann")])
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi", "name": "ann"},
    ]


def test_user_image_and_file_parts() -> None:
    image = ImageContent(base64_image=PNG, mime_type="image/png", detail="low")
    file = FileContent(base64_data="JVBERi0=", mime_type="application/pdf", filename="a.pdf")
    message = ChatMessage.from_user(content_parts=[TextContent("Describe"), image, file])
    assert messages_to_wire([message]) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"}},
                {
                    "type": "file",
                    "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
                },
            ],
        }
    ]


def test_assistant_tool_calls_reasoning_and_tool_results() -> None:
    call = ToolCall(tool_name="weather", arguments={"city": "Zürich"}, id="call_7")
    details = [{"type": "reasoning.text", "text": "hmm", "index": 0}]
    assistant = ChatMessage.from_assistant(
        "Checking", tool_calls=[call], reasoning=ReasoningContent("hmm", extra={"reasoning_details": details})
    )
    tool = ChatMessage.from_tool("sunny", origin=call)
    wire = messages_to_wire([assistant, tool])
    assert wire == [
        {
            "role": "assistant",
            "content": "Checking",
            "tool_calls": [
                {
                    "id": "call_7",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Zürich"}'},
                }
            ],
            "reasoning_content": "hmm",
            "reasoning_details": details,
        },
        {"role": "tool", "tool_call_id": "call_7", "content": "sunny"},
    ]


def test_tool_results_with_images_and_files_are_sent_as_parts() -> None:
    call = ToolCall(tool_name="fetch", arguments={}, id="c9")
    image = ImageContent(base64_image=PNG, mime_type="image/png")
    file = FileContent(base64_data="JVBERi0=", mime_type="application/pdf", filename="r.pdf")
    (wire,) = messages_to_wire([ChatMessage.from_tool([TextContent("got"), image, file], origin=call)])
    assert wire == {
        "role": "tool",
        "tool_call_id": "c9",
        "content": [
            {"type": "text", "text": "got"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {
                "type": "file",
                "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "r.pdf"},
            },
        ],
    }


def test_assistant_with_only_tool_calls_sends_empty_content() -> None:
    # llama.cpp's chat templates fail on a missing content key; Ollama rejects null.
    call = ToolCall(tool_name="f", arguments={}, id="a")
    (wire,) = messages_to_wire([ChatMessage.from_assistant(tool_calls=[call])])
    assert wire["content"] == ""
    assert wire["tool_calls"][0]["id"] == "a"


def test_tool_call_without_id_is_rejected_with_a_fix() -> None:
    call = ToolCall(tool_name="weather", arguments={})
    with pytest.raises(ValueError, match="has no id"):
        messages_to_wire([ChatMessage.from_assistant(tool_calls=[call])])
    with pytest.raises(ValueError, match="without id"):
        messages_to_wire([ChatMessage.from_tool("x", origin=call)])


def test_tool_definitions_plain_and_strict_without_mutation() -> None:
    tool = make_tool()
    assert tool_definitions([tool], strict=False) == [
        {
            "type": "function",
            "function": {"name": "weather", "description": "Weather for a city", "parameters": PARAMS},
        }
    ]
    (strict,) = tool_definitions([tool], strict=True)
    function = strict["function"]
    assert function["strict"] is True
    assert function["parameters"]["required"] == ["city", "when"]
    assert function["parameters"]["additionalProperties"] is False
    assert function["parameters"]["properties"]["when"]["additionalProperties"] is False
    assert tool.parameters == PARAMS


def build(**kwargs: Any) -> Any:
    defaults: dict[str, Any] = {
        "model": "m",
        "messages": [ChatMessage.from_user("hi")],
        "generation_kwargs": {},
        "tools": None,
        "stream": False,
        "include_usage": True,
    }
    return build_request(**{**defaults, **kwargs})


def test_unknown_generation_kwargs_pass_through_and_payload_matches_body() -> None:
    request = build(generation_kwargs={"temperature": 0.2, "seed": 3, "vendor_knob": {"a": [1]}})
    assert request.body["vendor_knob"] == {"a": [1]}
    assert request.body["seed"] == 3
    assert json.loads(request.payload) == request.body
    assert "stream" not in request.body
    assert "stream_options" not in request.body


def test_streaming_adds_usage_unless_caller_set_stream_options() -> None:
    added = build(stream=True)
    assert added.body["stream"] is True
    assert added.body["stream_options"] == {"include_usage": True}
    assert added.added_stream_options
    own = build(stream=True, generation_kwargs={"stream_options": {"include_usage": False}})
    assert own.body["stream_options"] == {"include_usage": False}
    assert not own.added_stream_options
    rejected = build(stream=True, include_usage=False)
    assert "stream_options" not in rejected.body


def test_without_stream_options_reencodes() -> None:
    request = build(stream=True).without_stream_options()
    assert "stream_options" not in json.loads(request.payload)
    assert request.body["stream"] is True


def test_stream_kwarg_from_caller_is_ignored() -> None:
    assert "stream" not in build(generation_kwargs={"stream": True}).body


def test_extra_body_is_overridden_by_generation_kwargs() -> None:
    request = build(extra_body={"user": "x", "top_k": 1}, generation_kwargs={"top_k": 5})
    assert request.body["user"] == "x"
    assert request.body["top_k"] == 5


def test_response_format_dicts_pass_through() -> None:
    fmt = {"type": "json_object"}
    request = build(generation_kwargs={"response_format": fmt})
    assert request.body["response_format"] == fmt
    assert request.response_model is None


def test_response_format_pydantic_model_becomes_strict_schema() -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        name: str
        population: int | None = None

    request = build(generation_kwargs={"response_format": City}, stream=True)
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["required"] == ["name", "population"]
    assert schema["additionalProperties"] is False
    assert request.response_model is City
    json.loads(request.payload)


def test_response_format_of_wrong_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="response_format must be"):
        build(generation_kwargs={"response_format": "json"})
