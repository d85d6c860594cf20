"""create_tool_from_function and @tool: schemas from type hints, text from docstrings."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import Callable
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from haybale.core import ALLOWLIST_ENV_VAR
from haybale.errors import SchemaGenerationError
from haybale.tools import Tool, create_tool_from_function, tool


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Address(BaseModel):
    street: str
    number: int = 1


class Person(BaseModel):
    name: str = Field(description="full name")
    address: Address
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Movie(TypedDict):
    title: str
    year: int


class Opaque:
    """A class with no JSON schema."""


def props(function: Callable[..., Any]) -> dict[str, Any]:
    return create_tool_from_function(function).parameters["properties"]  # type: ignore[no-any-return]


def scalar(a: str, b: int, c: float, d: bool = False) -> None:
    """Scalars."""


def test_scalar_types_and_required() -> None:
    parameters = create_tool_from_function(scalar).parameters
    assert parameters == {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "integer"},
            "c": {"type": "number"},
            "d": {"type": "boolean", "default": False},
        },
        "required": ["a", "b", "c"],
    }


def optional_and_unions(  # the old spellings on purpose: users still write them
    a: Optional[int] = None,  # noqa: UP045
    b: Union[str, int] = 1,  # noqa: UP007
    c: str | None = None,
) -> None:
    """Optionals."""


def test_optional_and_union_types() -> None:
    p = props(optional_and_unions)
    assert p["a"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}
    assert p["b"] == {"anyOf": [{"type": "string"}, {"type": "integer"}], "default": 1}
    assert p["c"]["anyOf"][1] == {"type": "null"}


def literal_and_enum(mode: Literal["fast", "slow"], unit: Unit = Unit.CELSIUS) -> None:
    """Choices."""


def test_literal_and_enum() -> None:
    parameters = create_tool_from_function(literal_and_enum).parameters
    assert parameters["properties"]["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert parameters["properties"]["unit"] == {"$ref": "#/$defs/Unit", "default": "celsius"}
    assert parameters["$defs"]["Unit"] == {"type": "string", "enum": ["celsius", "fahrenheit"]}


def containers(
    rows: list[dict[str, int]], names: set[str], pair: tuple[int, str], meta: dict[str, Any]
) -> None:
    """Containers."""


def test_container_types() -> None:
    p = props(containers)
    assert p["rows"] == {
        "type": "array",
        "items": {"type": "object", "additionalProperties": {"type": "integer"}},
    }
    assert p["names"] == {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    assert p["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert p["meta"] == {"type": "object", "additionalProperties": True}


def structured(person: Person, point: Point, movie: Movie | None = None) -> None:
    """Structured inputs."""


def test_nested_models_dataclasses_and_typeddicts_without_titles() -> None:
    parameters = create_tool_from_function(structured).parameters
    defs = parameters["$defs"]
    assert parameters["properties"]["person"] == {"$ref": "#/$defs/Person"}
    assert defs["Person"]["properties"]["name"] == {"type": "string", "description": "full name"}
    assert defs["Person"]["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert defs["Address"] == {
        "type": "object",
        "properties": {"street": {"type": "string"}, "number": {"type": "integer", "default": 1}},
        "required": ["street"],
    }
    assert defs["Point"]["required"] == ["x"]
    assert defs["Movie"]["properties"] == {"title": {"type": "string"}, "year": {"type": "integer"}}
    assert "title" not in repr({k: v for k, v in defs["Person"].items() if k != "properties"})


def titled(title: str) -> None:
    """A parameter named title survives the title clean-up."""


def test_a_parameter_named_title_is_kept() -> None:
    assert props(titled) == {"title": {"type": "string"}}


class Book(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"title": "Dune", "pages": 412}})

    title: str
    pages: int = Field(default=1, examples=[{"title": "kept too"}])


def shelve(book: Book) -> None:
    """Add a book."""


def test_title_keys_inside_example_values_are_data_and_are_kept() -> None:
    book = create_tool_from_function(shelve).parameters["$defs"]["Book"]
    assert "title" not in book  # pydantic's generated title: dropped
    assert book["example"] == {"title": "Dune", "pages": 412}
    assert book["properties"]["pages"]["examples"] == [{"title": "kept too"}]
    assert book["properties"]["title"] == {"type": "string"}


def described(
    city: Annotated[str, "the city to look up"],
    unit: Annotated[Literal["C", "F"], "temperature unit"] = "C",
    days: int = 1,
    hourly: bool = False,
) -> str:
    """Get the forecast.

    Uses the free API.

    :param city: overridden by Annotated
    :param days: how many days
        ahead to forecast
    :returns: the forecast
    """
    return city


def test_descriptions_from_annotated_and_rest_docstring() -> None:
    created = create_tool_from_function(described)
    p = created.parameters["properties"]
    assert p["city"]["description"] == "the city to look up"
    assert p["unit"] == {
        "type": "string",
        "enum": ["C", "F"],
        "default": "C",
        "description": "temperature unit",
    }
    assert p["days"]["description"] == "how many days ahead to forecast"
    assert "description" not in p["hourly"]
    assert created.description == "Get the forecast.\n\nUses the free API."
    assert created.name == "described"


def google_style(query: str, limit: int = 5) -> list[str]:
    """Search the catalogue.

    Args:
        query (str): what to search for,
            in plain words
        limit: the most results to return

    Returns:
        Matching titles.
    """
    return []


def test_descriptions_from_google_docstring() -> None:
    created = create_tool_from_function(google_style)
    p = created.parameters["properties"]
    assert p["query"]["description"] == "what to search for, in plain words"
    assert p["limit"]["description"] == "the most results to return"
    assert created.description == "Search the catalogue."


def no_doc(x: int) -> int:
    return x


def test_name_and_description_overrides_and_missing_docstring() -> None:
    assert create_tool_from_function(no_doc).description == ""
    custom = create_tool_from_function(no_doc, name="identity", description="")
    assert (custom.name, custom.description) == ("identity", "")
    assert create_tool_from_function(described, description="Custom").description == "Custom"


def with_state_and_callable(query: str, repo: str, callback: Callable[[str], None] | None = None) -> str:
    """Uses state."""
    return query


def test_state_inputs_and_callables_are_left_out_of_the_schema() -> None:
    created = create_tool_from_function(
        with_state_and_callable,
        inputs_from_state={"repository": "repo"},
        outputs_to_state={"answer": {"source": "text"}},
    )
    assert list(created.parameters["properties"]) == ["query"]
    assert created.inputs_from_state == {"repository": "repo"}
    assert created.outputs_to_state == {"answer": {"source": "text"}}


def variadic(x: int, *args: int, **kwargs: str) -> int:
    """Variadic."""
    return x


def test_var_args_are_skipped() -> None:
    assert list(props(variadic)) == ["x"]


def no_hint(x, y: int) -> None:  # type: ignore[no-untyped-def]
    """Missing a hint."""


def opaque_param(ok: int, thing: Opaque) -> None:
    """An unsupported type."""


def test_missing_hint_names_the_parameter() -> None:
    with pytest.raises(SchemaGenerationError, match="Parameter 'x' of 'no_hint' has no type hint"):
        create_tool_from_function(no_hint)


def test_unsupported_type_names_the_parameter() -> None:
    with pytest.raises(SchemaGenerationError, match="parameter 'thing' of 'opaque_param'") as info:
        create_tool_from_function(opaque_param)
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is not None


def test_unresolvable_forward_reference_is_reported() -> None:
    def local(x: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        """Broken hint."""

    with pytest.raises(SchemaGenerationError, match="Cannot read the type hints of 'local'"):
        create_tool_from_function(local)


@tool
def bare(text: str) -> str:
    """Shout the text."""
    return text.upper()


@tool(name="custom", description="A custom tool")
def configured(n: int) -> int:
    return n + 1


def test_tool_decorator_bare_and_with_arguments() -> None:
    assert isinstance(bare, Tool)
    assert (bare.name, bare.description) == ("bare", "Shout the text.")
    assert bare.invoke(text="hi") == "HI"
    assert isinstance(configured, Tool)
    assert (configured.name, configured.description) == ("custom", "A custom tool")
    assert configured.invoke(n=1) == 2


@tool
async def fetch(url: str) -> str:
    """Fetch a URL."""
    await asyncio.sleep(0)
    return f"body of {url}"


async def test_coroutine_function_becomes_async_function() -> None:
    assert fetch.function is None  # as Haystack makes it
    assert fetch.async_function is not None
    assert await fetch.invoke_async(url="u") == "body of u"
    assert await asyncio.to_thread(fetch.invoke, url="v") == "body of v"
    assert fetch.parameters["properties"] == {"url": {"type": "string"}}


def test_created_tools_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    created = create_tool_from_function(described)
    assert Tool.from_dict(created.to_dict()) == created
    # @tool replaces the function's name with the Tool, so the original is not importable by name
    # (same as Haystack); a tool made by create_tool_from_function is.
    assert created.to_dict()["data"]["function"] == f"{__name__}.described"
