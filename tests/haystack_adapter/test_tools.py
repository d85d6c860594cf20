"""Tool calls from a haybale generator run by Haystack's Agent (standalone and inside a pipeline),
streamed and not, including llama.cpp's streams that repeat the tool name in every chunk."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from haystack import Pipeline
from haystack.components.agents import Agent
from haystack.components.builders import ChatPromptBuilder
from haystack.components.generators.utils import print_streaming_chunk
from haystack.dataclasses import ChatMessage, StreamingChunk
from haystack.tools import Tool, Toolset, create_tool_from_function

from fake_server import Reply
from payloads import chunk, completion, text_chunks, tool_call, tool_call_chunks

calls: list[dict[str, Any]] = []


def get_weather(city: str) -> str:
    """Current weather in a city.

    :param city: the city's name
    """
    calls.append({"city": city})
    return f"sunny in {city}"


WEATHER = create_tool_from_function(get_weather)


@pytest.fixture(autouse=True)
def _no_calls_yet() -> None:
    calls.clear()


def agent_pipeline(llm: Any) -> Pipeline:
    """prompt -> agent(llm, get_weather): the Agent calls the tools the model asks for."""
    pipe = Pipeline()
    pipe.add_component(
        "prompt", ChatPromptBuilder(template=[ChatMessage.from_user("Weather in {{ city }}?")])
    )
    pipe.add_component("agent", Agent(chat_generator=llm, tools=[WEATHER]))
    pipe.connect("prompt.prompt", "agent.messages")
    return pipe


def test_an_agent_in_a_pipeline_runs_the_call_the_model_made(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(
        Reply.json(completion(None, tool_calls=[tool_call("c1", "get_weather", '{"city": "Oslo"}')])),
        Reply.json(completion("Sunny in Oslo.")),
    )
    result = agent_pipeline(make_llm()).run({"prompt": {"city": "Oslo"}})
    assert calls == [{"city": "Oslo"}]
    messages = result["agent"]["messages"]
    tool_message = next(message for message in messages if message.tool_call_result is not None)
    assert tool_message.tool_call_result.result == "sunny in Oslo"
    assert tool_message.tool_call_result.origin.id == "c1"
    assert result["agent"]["last_message"].text == "Sunny in Oslo."
    # the tool was described to the model from the Haystack Tool
    (sent,) = fake_server.requests[0].json["tools"]
    assert sent["function"]["name"] == "get_weather"
    assert sent["function"]["description"] == WEATHER.description
    assert sent["function"]["parameters"] == WEATHER.parameters


def test_a_llama_cpp_stream_repeating_the_name_gives_one_call(
    make_llm: Any, fake_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # llama.cpp sends the name and id again with every piece of the arguments.
    pieces = ['{"city"', ': "Os', 'lo"}']
    deltas = [
        {"index": 0, "id": "c9", "type": "function", "function": {"name": "get_weather", "arguments": piece}}
        for piece in pieces
    ]
    events = [chunk({"role": "assistant", "content": None})]
    events += [chunk({"tool_calls": [delta]}) for delta in deltas]
    events.append(chunk({}, "tool_calls"))
    fake_server.script(Reply.sse(events), Reply.sse(text_chunks(["Sunny."])))
    llm = make_llm(streaming_callback=print_streaming_chunk)  # Haystack's own printer
    result = agent_pipeline(llm).run({"prompt": {"city": "Oslo"}})
    reply = next(message for message in result["agent"]["messages"] if message.tool_calls)
    (call,) = reply.tool_calls
    assert (call.tool_name, call.arguments, call.id) == ("get_weather", {"city": "Oslo"}, "c9")
    assert calls == [{"city": "Oslo"}]  # so the Agent could run it
    assert result["agent"]["last_message"].text == "Sunny."
    printed = capsys.readouterr().out
    assert printed.count("Tool: get_weather") == 1
    assert "get_weatherget_weather" not in printed
    assert '{"city": "Oslo"}' in printed


def test_an_agent_loops_through_a_tool_call(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(
        Reply.json(completion(None, tool_calls=[tool_call("c1", "get_weather", '{"city": "Rome"}')])),
        Reply.json(completion("It is sunny in Rome.")),
    )
    agent = Agent(chat_generator=make_llm(), tools=[WEATHER])
    agent.warm_up()
    result = agent.run(messages=[ChatMessage.from_user("Weather in Rome?")])
    assert result["last_message"].text == "It is sunny in Rome."
    assert calls == [{"city": "Rome"}]
    second = fake_server.requests[1].json["messages"]
    assert second[-2]["tool_calls"][0]["id"] == "c1"
    assert second[-1] == {"role": "tool", "tool_call_id": "c1", "content": "sunny in Rome"}
    assert fake_server.requests[0].json["tools"][0]["function"]["name"] == "get_weather"


def test_an_async_streaming_agent_with_a_toolset(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(
        Reply.sse(tool_call_chunks([("c2", "get_weather", ['{"city": ', '"Lima"}'])])),
        Reply.sse(text_chunks(["Sunny ", "in Lima."])),
    )
    seen: list[StreamingChunk] = []

    async def on_chunk(piece: StreamingChunk) -> None:
        seen.append(piece)

    agent = Agent(chat_generator=make_llm(), tools=Toolset([WEATHER]), streaming_callback=on_chunk)
    agent.warm_up()
    result = asyncio.run(agent.run_async(messages=[ChatMessage.from_user("Weather in Lima?")]))
    assert result["last_message"].text == "Sunny in Lima."
    assert calls == [{"city": "Lima"}]
    streamed_calls = [delta for piece in seen for delta in piece.tool_calls or []]
    assert streamed_calls[0].tool_name == "get_weather"
    assert "".join(delta.arguments or "" for delta in streamed_calls) == '{"city": "Lima"}'
    assert "Sunny in Lima." in "".join(piece.content for piece in seen)


def test_run_time_tools_replace_the_init_tools_and_are_converted_once(
    make_llm: Any, fake_server: Any
) -> None:
    other = Tool(
        name="noop",
        description="Does nothing",
        parameters={"type": "object", "properties": {}},
        function=lambda: "ok",
    )
    fake_server.script(*[Reply.json(completion("x")) for _ in range(3)])
    llm = make_llm(tools=[WEATHER])
    llm.run("a")
    llm.run("b", tools=[other])
    llm.run("c", tools=[other], tools_strict=True)
    names = [[t["function"]["name"] for t in r.json["tools"]] for r in fake_server.requests]
    assert names == [["get_weather"], ["noop"], ["noop"]]
    assert fake_server.requests[2].json["tools"][0]["function"]["strict"] is True
    converted = llm._convert_tools([other])
    assert llm._convert_tools([other]) is converted  # the same tools are not converted again


def test_tools_are_checked_at_construction(make_llm: Any) -> None:
    with pytest.raises(ValueError, match="Duplicate tool names: get_weather"):
        make_llm(tools=[WEATHER, WEATHER])
    with pytest.raises(TypeError):
        make_llm(tools="get_weather")


def test_tools_round_trip_through_the_saved_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    from haystack_integrations.components.generators.haybale import HaybaleOpenAIChatGenerator

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    pipe = Pipeline()
    pipe.add_component(
        "llm", HaybaleOpenAIChatGenerator(tools=[WEATHER], streaming_callback=print_streaming_chunk)
    )
    text = pipe.dumps()
    loaded = Pipeline.loads(text, allowed_modules=[__name__])  # the tool's function lives here
    llm = loaded.get_component("llm")
    assert llm.tools == [WEATHER]
    assert llm.streaming_callback is print_streaming_chunk
    assert json.loads(json.dumps(llm.to_dict())) == pipe.get_component("llm").to_dict()
