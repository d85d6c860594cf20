"""Tools: definitions sent, strict mode, overrides, tool calls back and results sent.

Every test runs once per generator class (``make_generator``), each through its own endpoint.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import ChatMessage, ToolCall
from haybale.tools import Tool, Toolset

PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name"},
        "options": {
            "type": "object",
            "properties": {
                "unit": {"type": "string"},
                "days": {"type": "array", "items": {"type": "integer"}},
            },
        },
    },
    "required": ["city"],
}


def weather(city: str, options: dict | None = None) -> str:
    return f"sunny in {city}"


def tool(name: str = "weather", params: dict[str, Any] | None = None) -> Tool:
    return Tool(
        name=name, description=f"{name} tool", parameters=copy.deepcopy(params or PARAMS), function=weather
    )


def tool_call_completion(*calls: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-t",
        "object": "chat.completion",
        "created": 1,
        "model": "m-1",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
                        for call_id, name, args in calls
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def text_completion(text: str = "ok") -> dict[str, Any]:
    body = tool_call_completion()
    body["choices"][0]["message"] = {"role": "assistant", "content": text}
    body["choices"][0]["finish_reason"] = "stop"
    return body


def test_tools_are_sent_as_functions_and_calls_come_back(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json(tool_call_completion(("call_a", "weather", '{"city": "Paris"}'))))
    reply = parity.run(make_generator(tools=[tool()]), "weather in Paris?")["replies"][0]
    assert reply.tool_calls == [ToolCall(tool_name="weather", arguments={"city": "Paris"}, id="call_a")]
    assert reply.meta["finish_reason"] == "tool_calls"
    assert fake_server.requests[0].json["tools"] == [
        {
            "type": "function",
            "function": {"name": "weather", "description": "weather tool", "parameters": PARAMS},
        }
    ]


@pytest.mark.parametrize("given_at", ["init", "run"])
def test_strict_tools_are_strict_recursively_and_the_tool_is_untouched(
    make_generator: Any, fake_server: Any, parity: Any, flavor: Any, given_at: str
) -> None:
    the_tool = tool()
    if given_at == "init" and flavor.name == "openrouter":
        # As in Haystack, OpenRouter's __init__ has no tools_strict: only run() takes it.
        with pytest.raises(TypeError, match="tools_strict"):
            make_generator(tools=[the_tool], tools_strict=True)
        return
    fake_server.script(Reply.json(text_completion()))
    strict = {"tools_strict": True}
    generator = make_generator(tools=[the_tool], **(strict if given_at == "init" else {}))
    parity.run(generator, "hi", **(strict if given_at == "run" else {}))
    (definition,) = fake_server.requests[0].json["tools"]
    function = definition["function"]
    assert function["strict"] is True
    params = function["parameters"]
    assert params["additionalProperties"] is False
    assert params["required"] == ["city", "options"]
    options = params["properties"]["options"]
    assert options["additionalProperties"] is False
    assert options["required"] == ["unit", "days"]
    assert the_tool.parameters == PARAMS


def test_run_tools_replace_init_tools_and_empty_list_disables(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(
        Reply.json(text_completion()), Reply.json(text_completion()), Reply.json(text_completion())
    )
    generator = make_generator(tools=[tool("init_tool")])
    parity.run(generator, "a", tools=[tool("run_tool")], tools_strict=True)
    parity.run(generator, "b", tools=[])
    parity.run(generator, "c")
    first, second, third = (request.json for request in fake_server.requests)
    assert [t["function"]["name"] for t in first["tools"]] == ["run_tool"]
    assert first["tools"][0]["function"]["strict"] is True
    assert "tools" not in second
    assert [t["function"]["name"] for t in third["tools"]] == ["init_tool"]
    assert "strict" not in third["tools"][0]["function"]


def test_toolsets_are_flattened(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(text_completion()))
    toolset = Toolset([tool("a"), tool("b")])
    parity.run(make_generator(tools=[toolset, tool("c")]), "hi")
    assert [t["function"]["name"] for t in fake_server.requests[0].json["tools"]] == ["a", "b", "c"]


def test_duplicate_tool_names_are_rejected(make_generator: Any, parity: Any) -> None:
    with pytest.raises(ValueError, match="dup"):
        make_generator(tools=[tool("dup"), tool("dup")])
    error = parity.raises(ValueError, make_generator(), "hi", tools=[tool("twice"), tool("twice")])
    assert "twice" in str(error)


def test_tool_call_and_result_round_trip_preserves_ids(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(
        Reply.json(
            tool_call_completion(
                ("call_1", "weather", '{"city": "Rome"}'), ("call_2", "weather", '{"city": "Oslo"}')
            )
        ),
        Reply.json(text_completion("Rome sunny, Oslo snowy")),
    )
    generator = make_generator(tools=[tool()])
    question = ChatMessage.from_user("Rome and Oslo?")
    assistant = parity.run(generator, [question])["replies"][0]
    results = [ChatMessage.from_tool(weather(**call.arguments), origin=call) for call in assistant.tool_calls]
    final = parity.run(generator, [question, assistant, *results])["replies"][0]
    assert final.text == "Rome sunny, Oslo snowy"
    sent = fake_server.requests[1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
            },
        ],
    }
    assert sent[2:] == [
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny in Rome"},
        {"role": "tool", "tool_call_id": "call_2", "content": "sunny in Oslo"},
    ]


def test_invalid_arguments_in_a_completion_keep_the_call(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json(tool_call_completion(("c", "weather", '{"city": Paris}'))))
    reply = parity.run(make_generator(tools=[tool()]), "hi")["replies"][0]
    assert reply.tool_calls == [
        ToolCall(tool_name="weather", arguments={}, id="c", extra={"raw_arguments": '{"city": Paris}'})
    ]


def test_streamed_tool_call_with_tools(make_generator: Any, fake_server: Any, parity: Any) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    first = {"index": 0, "id": "call_s", "type": "function", "function": {"name": "weather", "arguments": ""}}
    events = [
        chunk({"role": "assistant", "content": None, "tool_calls": [first]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Lima"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    fake_server.script(Reply.sse(events))
    seen: list[Any] = []
    reply = parity.run(make_generator(tools=[tool()]), "hi", streaming_callback=seen.append)["replies"][0]
    assert reply.tool_calls == [ToolCall(tool_name="weather", arguments={"city": "Lima"}, id="call_s")]
    assert seen[0].tool_calls[0].tool_name == "weather"
    assert seen[0].start is True
