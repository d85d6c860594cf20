"""The request hash: it changes exactly when the request that would be sent changes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from haybale.batch import RequestShape
from haybale.components.generators.chat import AzureOpenAIChatGenerator, OpenAIChatGenerator
from haybale.dataclasses import ChatMessage
from haybale.tools import Tool
from haybale.utils import Secret

KEY = Secret.from_token("k")


def generator(**kwargs: Any) -> OpenAIChatGenerator:
    kwargs.setdefault("model", "m")
    kwargs.setdefault("api_key", KEY)
    return OpenAIChatGenerator(**kwargs)


def hash_of(gen: Any, text: str = "Hi", row_kwargs: dict[str, Any] | None = None) -> str:
    return RequestShape(gen).facts([ChatMessage.from_user(text)], row_kwargs).request_hash


def weather(city: str) -> str:
    return city


TOOL = Tool(
    name="weather",
    description="Weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    function=weather,
)


class City(BaseModel):
    name: str


def test_same_request_same_hash_whatever_else_differs() -> None:
    base = hash_of(generator())
    assert base == hash_of(generator())
    # Where and how the request is sent is not part of it.
    assert base == hash_of(generator(api_key=Secret.from_token("other"), api_base_url="http://elsewhere/v1"))
    assert base == hash_of(generator(timeout=3, max_retries=1, streaming_callback=lambda chunk: None))
    # Key order of the generation kwargs does not matter; merging order does (row over generator).
    assert hash_of(generator(generation_kwargs={"a": 1, "b": 2})) == hash_of(
        generator(generation_kwargs={"b": 2, "a": 1})
    )
    assert hash_of(generator(generation_kwargs={"seed": 1}), row_kwargs={"seed": 2}) == hash_of(
        generator(), row_kwargs={"seed": 2}
    )


def test_everything_that_changes_the_request_changes_the_hash() -> None:
    base = hash_of(generator())
    changed = {
        "prompt": hash_of(generator(), "Hi!"),
        "model": hash_of(generator(model="m2")),
        "kwargs": hash_of(generator(generation_kwargs={"temperature": 0})),
        "row kwargs": hash_of(generator(), row_kwargs={"temperature": 1}),
        "tools": hash_of(generator(tools=[TOOL])),
        "strict tools": hash_of(generator(tools=[TOOL], tools_strict=True)),
        "response format": hash_of(generator(generation_kwargs={"response_format": City})),
    }
    assert base not in changed.values()
    assert len(set(changed.values())) == len(changed)


def test_pydantic_response_format_hashes_as_its_wire_form() -> None:
    from haybale._wire.response_format import response_format_to_wire

    as_class = hash_of(generator(generation_kwargs={"response_format": City}))
    as_dict = hash_of(generator(generation_kwargs={"response_format": response_format_to_wire(City)}))
    assert as_class == as_dict


def test_azure_hashes_its_deployment_as_the_model() -> None:
    azure = AzureOpenAIChatGenerator(azure_endpoint="https://x.example", api_key=KEY, azure_deployment="dep")
    assert hash_of(azure) == hash_of(generator(model="dep"))


def test_token_estimate_grows_with_the_prompt_and_knows_the_cap() -> None:
    shape = RequestShape(generator(generation_kwargs={"max_tokens": 50}))
    short = shape.facts([ChatMessage.from_user("Hi")], None)
    long = shape.facts([ChatMessage.from_user("word " * 400)], {"max_completion_tokens": 20})
    assert short.prompt_tokens < 10 < 400 < long.prompt_tokens
    assert (short.max_output_tokens, long.max_output_tokens) == (50, 20)
    assert RequestShape(generator()).facts([ChatMessage.from_user("Hi")], None).max_output_tokens is None
