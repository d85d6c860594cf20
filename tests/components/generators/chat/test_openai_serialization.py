"""to_dict / from_dict: round trips, Haystack's dict, and secrets never written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.components.generators.utils import print_streaming_chunk
from haybale.errors import SerializationError
from haybale.tools import Tool, Toolset, tool
from haybale.utils import Secret

TYPE = "haybale.components.generators.chat.openai.OpenAIChatGenerator"
PARAMS = {"type": "object", "properties": {"x": {"type": "string"}}}


def test_defaults_to_dict() -> None:
    assert OpenAIChatGenerator().to_dict() == {
        "type": TYPE,
        "init_parameters": {
            "model": "gpt-5-mini",
            "streaming_callback": None,
            "api_base_url": None,
            "organization": None,
            "generation_kwargs": {},
            "api_key": {"type": "env_var", "env_vars": ["OPENAI_API_KEY"], "strict": True},
            "timeout": None,
            "max_retries": None,
            "tools": None,
            "tools_strict": False,
            "http_client_kwargs": None,
        },
    }


def test_every_parameter_round_trips() -> None:
    tool = Tool(name="echo", description="Echo x", parameters=PARAMS, function=print)
    generator = OpenAIChatGenerator(
        api_key=Secret.from_env_var(["MY_KEY", "OPENAI_API_KEY"], strict=False),
        model="gpt-x",
        streaming_callback=print_streaming_chunk,
        api_base_url="http://127.0.0.1:9/v1",
        organization="org-1",
        generation_kwargs={"temperature": 0.3, "response_format": {"type": "json_object"}},
        timeout=12.5,
        max_retries=2,
        tools=[tool],
        tools_strict=True,
        http_client_kwargs={"verify": False, "limits": {"max_connections": 4}},
    )
    data = generator.to_dict()
    json.dumps(data)
    init = data["init_parameters"]
    assert init["streaming_callback"] == "haybale.components.generators.utils.print_streaming_chunk"
    assert init["api_key"] == {"type": "env_var", "env_vars": ["MY_KEY", "OPENAI_API_KEY"], "strict": False}
    restored = OpenAIChatGenerator.from_dict(data)
    assert restored.to_dict() == data
    assert restored.streaming_callback is print_streaming_chunk
    assert restored.api_key == generator.api_key
    assert restored.tools is not None
    assert restored.tools[0].name == "echo"
    assert (restored.model, restored.timeout, restored.max_retries) == ("gpt-x", 12.5, 2)
    assert restored.http_client_kwargs == {"verify": False, "limits": {"max_connections": 4}}
    assert data["init_parameters"]["api_base_url"] == "http://127.0.0.1:9/v1"


def test_toolset_round_trips() -> None:
    toolset = Toolset([Tool(name="a", description="A", parameters=PARAMS, function=print)])
    restored = OpenAIChatGenerator.from_dict(OpenAIChatGenerator(tools=toolset).to_dict())
    assert isinstance(restored.tools, Toolset)
    assert [t.name for t in restored.tools] == ["a"]


def test_token_secret_refuses_to_serialize_without_leaking() -> None:
    generator = OpenAIChatGenerator(api_key=Secret.from_token("sk-very-secret"))
    with pytest.raises(SerializationError) as info:
        generator.to_dict()
    assert "sk-very-secret" not in str(info.value)


def test_reads_the_dict_haystack_writes() -> None:
    haystack_dict: dict[str, Any] = {
        "type": "haystack.components.generators.chat.openai.OpenAIChatGenerator",
        "init_parameters": {
            "model": "gpt-4o-mini",
            "streaming_callback": "haystack.components.generators.utils.print_streaming_chunk",
            "api_base_url": "test-base-url",
            "organization": None,
            "generation_kwargs": {"max_completion_tokens": 10, "some_test_param": "test-params"},
            "api_key": {"type": "env_var", "env_vars": ["OPENAI_API_KEY"], "strict": True},
            "timeout": None,
            "max_retries": None,
            "tools": [
                {
                    "type": "haystack.tools.tool.Tool",
                    "data": {
                        "name": "name",
                        "description": "description",
                        "parameters": PARAMS,
                        "function": "builtins.print",
                        "outputs_to_string": None,
                        "inputs_from_state": None,
                        "outputs_to_state": None,
                    },
                }
            ],
            "tools_strict": False,
            "http_client_kwargs": None,
        },
    }
    generator = OpenAIChatGenerator.from_dict(haystack_dict)
    assert isinstance(generator, OpenAIChatGenerator)
    assert generator.model == "gpt-4o-mini"
    assert generator.streaming_callback is print_streaming_chunk
    assert generator.api_base_url == "test-base-url"
    assert generator.generation_kwargs == {"max_completion_tokens": 10, "some_test_param": "test-params"}
    assert generator.api_key == Secret.from_env_var("OPENAI_API_KEY")
    assert generator.tools is not None
    assert generator.tools[0].function is print
    assert generator.to_dict()["type"] == TYPE


def test_from_dict_does_not_mutate_its_input() -> None:
    data = OpenAIChatGenerator(streaming_callback=print_streaming_chunk).to_dict()
    snapshot = json.dumps(data, sort_keys=True)
    OpenAIChatGenerator.from_dict(data)
    assert json.dumps(data, sort_keys=True) == snapshot


@tool
def get_weather(city: str) -> str:
    """Current weather in a city.

    :param city: the city's name
    """
    return f"sunny in {city}"


@tool
async def get_forecast(city: str, days: int = 3) -> str:
    """The forecast for a city."""
    return f"{days} sunny days in {city}"


def test_tools_made_with_the_tool_decorator_survive_a_save_and_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAYBALE_DESERIALIZATION_ALLOWLIST", __name__)
    generator = OpenAIChatGenerator(tools=[get_weather, get_forecast])
    data = json.loads(json.dumps(generator.to_dict()))  # through JSON, as a saved file would be
    tools = data["init_parameters"]["tools"]
    assert tools[0]["data"]["function"] == f"{__name__}.get_weather"
    assert (tools[1]["data"]["function"], tools[1]["data"]["async_function"]) == (
        None,
        f"{__name__}.get_forecast",
    )
    restored = OpenAIChatGenerator.from_dict(data)
    assert restored.tools == [get_weather, get_forecast]
    weather, forecast = restored.tools
    assert weather.invoke(city="Oslo") == "sunny in Oslo"
    assert forecast.function is None
    assert forecast.invoke(city="Oslo", days=2) == "2 sunny days in Oslo"
