"""Tool: construction checks, tool_spec, invoke/invoke_async, warm_up, to_dict/from_dict."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from haybale.core import ALLOWLIST_ENV_VAR
from haybale.errors import ToolInvocationError, UnsafeImportError
from haybale.tools import Tool

PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def weather(city: str) -> str:
    return f"sunny in {city}"


def fail(city: str) -> str:
    raise RuntimeError(f"no data for {city}")


async def weather_async(city: str) -> str:
    await asyncio.sleep(0)
    return f"async sunny in {city}"


async def fail_async(city: str) -> str:
    raise KeyError(city)


def upper(value: Any) -> str:
    return str(value).upper()


def current_thread_name(**_: Any) -> str:
    return threading.current_thread().name


def make(**overrides: Any) -> Tool:
    fields: dict[str, Any] = {"name": "weather", "description": "Weather", "parameters": PARAMS}
    fields["function"] = weather
    fields.update(overrides)
    return Tool(**fields)


def test_tool_spec_is_what_the_model_sees() -> None:
    assert make().tool_spec == {"name": "weather", "description": "Weather", "parameters": PARAMS}


def test_invoke_calls_the_function() -> None:
    assert make().invoke(city="Rome") == "sunny in Rome"


def test_invoke_wraps_errors_naming_the_tool_and_chaining_the_cause() -> None:
    tool = make(name="broken", function=fail)
    with pytest.raises(ToolInvocationError) as info:
        tool.invoke(city="Oslo")
    assert info.value.tool_name == "broken"
    assert "'broken'" in str(info.value)
    assert "no data for Oslo" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_invoke_wraps_bad_arguments_too() -> None:
    with pytest.raises(ToolInvocationError) as info:
        make().invoke(town="Rome")
    assert isinstance(info.value.__cause__, TypeError)


async def test_invoke_async_uses_the_async_function() -> None:
    tool = make(async_function=weather_async)
    assert await tool.invoke_async(city="Rome") == "async sunny in Rome"
    assert tool.invoke(city="Rome") == "sunny in Rome"


async def test_invoke_async_runs_a_sync_function_in_a_worker_thread() -> None:
    tool = make(function=current_thread_name)
    assert await tool.invoke_async() != threading.current_thread().name


async def test_invoke_async_wraps_errors_from_both_paths() -> None:
    with pytest.raises(ToolInvocationError) as info:
        await make(function=fail).invoke_async(city="Oslo")
    assert isinstance(info.value.__cause__, RuntimeError)
    with pytest.raises(ToolInvocationError) as info:
        await make(async_function=fail_async).invoke_async(city="Oslo")
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.tool_name == "weather"


def test_a_coroutine_function_given_as_function_becomes_the_async_function() -> None:
    tool = make(function=weather_async)
    assert (tool.function, tool.async_function) == (None, weather_async)
    assert tool.invoke(city="Rome") == "async sunny in Rome"
    assert asyncio.run(tool.invoke_async(city="Rome")) == "async sunny in Rome"


def test_an_async_only_tool_needs_no_function_and_runs_from_sync_code() -> None:
    tool = Tool(name="weather", description="Weather", parameters=PARAMS, async_function=weather_async)
    assert tool.function is None
    assert tool.invoke(city="Oslo") == "async sunny in Oslo"
    assert asyncio.run(tool.invoke_async(city="Oslo")) == "async sunny in Oslo"


async def test_invoke_of_an_async_only_tool_works_inside_a_running_loop() -> None:
    assert make(function=weather_async).invoke(city="Bern") == "async sunny in Bern"


def test_invoke_of_an_async_only_tool_wraps_its_errors() -> None:
    tool = make(function=None, async_function=fail_async)
    with pytest.raises(ToolInvocationError) as info:
        tool.invoke(city="Oslo")
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"function": None}, "nothing to call"),
        ({"async_function": weather}, "async def"),
        ({"function": weather_async, "async_function": weather_async}, "regular function"),
    ],
)
def test_function_fields_are_checked_with_haystacks_exception_type(
    overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        make(**overrides)


def test_fields_are_in_haystacks_positional_order() -> None:
    tool = Tool(
        "weather",
        "Weather",
        PARAMS,
        weather,
        {"source": "text"},
        {"where": "city"},
        {"out": {}},
        weather_async,
    )
    assert tool.function is weather
    assert tool.outputs_to_string == {"source": "text"}
    assert tool.inputs_from_state == {"where": "city"}
    assert tool.outputs_to_state == {"out": {}}
    assert tool.async_function is weather_async


def test_invoke_warms_the_tool_up_first() -> None:
    class Lazy(Tool):
        def warm_up(self) -> None:
            self.description = "warm"

    tool = Lazy(name="lazy", description="cold", parameters=PARAMS, function=weather)
    tool.invoke(city="Rome")
    assert tool.description == "warm"


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"name": ""}, ValueError, "non-empty name"),
        ({"description": None}, TypeError, "description must be a string"),
        ({"function": "weather"}, TypeError, "function must be callable"),
        ({"parameters": {"type": "objekt"}}, ValueError, "'weather'.*object schema"),
        # the exception types are Haystack's: TypeError where a dict or a name is missing,
        # ValueError for a wrong value inside one
        ({"inputs_from_state": {"repo": 3}}, TypeError, r"inputs_from_state\['repo'\]"),
        ({"inputs_from_state": {"repo": "town"}}, ValueError, "'town', which is not a parameter"),
        ({"outputs_to_state": {"docs": "x"}}, TypeError, r"outputs_to_state\['docs'\] must be a dict"),
        ({"outputs_to_state": {"docs": {"handler": 1}}}, ValueError, "handler'] must be callable"),
        ({"outputs_to_state": {"docs": {"source": 1}}}, ValueError, "source'] must be the name"),
        ({"outputs_to_string": {"handler": "x"}}, ValueError, "outputs_to_string"),
        ({"outputs_to_string": {"source": "a", "extra": {}}}, ValueError, "mixes a root config"),
        ({"outputs_to_string": {"raw_result": "yes"}}, ValueError, "raw_result'] must be True or False"),
        ({"outputs_to_string": {"text": "a"}}, TypeError, r"outputs_to_string\['text'\] must be a dict"),
        ({"outputs_to_string": {"text": {"handler": upper}}}, ValueError, "needs a 'source'"),
        ({"outputs_to_string": {"text": {"source": "a", "raw_result": True}}}, ValueError, "root config"),
    ],
)
def test_bad_construction_arguments_are_rejected(
    overrides: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        make(**overrides)


def test_warm_up_is_a_harmless_hook() -> None:
    assert make().warm_up() is None


def test_to_dict_has_haystacks_shape() -> None:
    assert make().to_dict() == {
        "type": "haybale.tools.tool.Tool",
        "data": {
            "name": "weather",
            "description": "Weather",
            "parameters": PARAMS,
            "function": f"{__name__}.weather",
            "outputs_to_string": None,
            "inputs_from_state": None,
            "outputs_to_state": None,
        },
    }


def test_round_trip_with_handlers_state_and_async(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    tool = make(
        async_function=weather_async,
        outputs_to_string={"source": "text", "handler": upper},
        inputs_from_state={"location": "city"},
        outputs_to_state={"report": {"source": "text", "handler": upper}, "raw": {}},
    )
    data = tool.to_dict()
    assert data["data"]["outputs_to_string"] == {"source": "text", "handler": f"{__name__}.upper"}
    assert data["data"]["outputs_to_state"]["report"]["handler"] == f"{__name__}.upper"
    assert data["data"]["async_function"] == f"{__name__}.weather_async"
    snapshot = repr(data)
    restored = Tool.from_dict(data)
    assert repr(data) == snapshot  # the input dict is left alone
    assert restored == tool
    assert restored.to_dict() == data


def test_an_async_only_tool_round_trips_as_haystack_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    data = make(function=weather_async).to_dict()
    assert data["data"]["function"] is None
    assert data["data"]["async_function"] == f"{__name__}.weather_async"
    restored = Tool.from_dict(data)
    assert (restored.function, restored.async_function) == (None, weather_async)
    assert restored.invoke(city="Rome") == "async sunny in Rome"


def test_a_sync_tool_writes_no_async_function_key_so_older_haystack_reads_it() -> None:
    assert "async_function" not in make().to_dict()["data"]


def test_per_output_string_handlers_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    tool = make(outputs_to_string={"report": {"source": "text", "handler": upper}, "raw": {"source": "x"}})
    data = tool.to_dict()
    assert data["data"]["outputs_to_string"] == {
        "report": {"source": "text", "handler": f"{__name__}.upper"},
        "raw": {"source": "x"},
    }
    assert Tool.from_dict(data) == tool


def test_inputs_from_state_may_name_any_parameter_of_a_kwargs_function() -> None:
    def flexible(**kwargs: Any) -> str:
        return str(kwargs)

    tool = make(function=flexible, inputs_from_state={"repo": "anything"})
    assert tool.inputs_from_state == {"repo": "anything"}


def test_from_dict_reads_haystacks_dict() -> None:
    data = {
        "type": "haystack.tools.tool.Tool",
        "data": {
            "name": "echo",
            "description": "Echo",
            "parameters": PARAMS,
            "function": "builtins.print",
            "outputs_to_string": None,
            "inputs_from_state": None,
            "outputs_to_state": None,
        },
    }
    restored = Tool.from_dict(data)
    assert restored.function is print
    assert restored.name == "echo"


def test_from_dict_refuses_unlisted_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOWLIST_ENV_VAR, raising=False)
    data = make().to_dict()
    data["data"]["function"] = "os.system"
    with pytest.raises(UnsafeImportError, match=f"{ALLOWLIST_ENV_VAR}=os"):
        Tool.from_dict(data)


def test_from_dict_rejects_malformed_data() -> None:
    with pytest.raises(ValueError, match="serialized Tool must look like"):
        Tool.from_dict({"type": "haybale.tools.tool.Tool", "data": {"name": "x"}})
