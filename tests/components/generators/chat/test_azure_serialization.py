"""AzureOpenAIChatGenerator to_dict / from_dict, Haystack's dicts, and the default AD token provider."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest

import haybale.utils.azure as azure_utils
from haybale.components.generators.chat import AzureOpenAIChatGenerator
from haybale.components.generators.utils import print_streaming_chunk
from haybale.core.serialization import component_from_dict
from haybale.errors import ConfigurationError, SerializationError, UnsafeImportError
from haybale.tools import Tool, Toolset
from haybale.utils import Secret
from haybale.utils.azure import default_azure_ad_token_provider

TYPE = "haybale.components.generators.chat.azure.AzureOpenAIChatGenerator"
ENDPOINT = "https://example-resource.openai.azure.com/"
PARAMS = {"type": "object", "properties": {"x": {"type": "string"}}}


def token_provider() -> str:
    """A module-level provider, so it has an import path."""
    return "token"


@pytest.fixture
def allow_this_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAYBALE_DESERIALIZATION_ALLOWLIST", token_provider.__module__)


def test_defaults_to_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    assert AzureOpenAIChatGenerator(azure_endpoint=ENDPOINT).to_dict() == {
        "type": TYPE,
        "init_parameters": {
            "azure_endpoint": ENDPOINT,
            "azure_deployment": "gpt-4.1-mini",
            "api_version": "2024-12-01-preview",
            "organization": None,
            "streaming_callback": None,
            "generation_kwargs": {},
            "timeout": None,
            "max_retries": None,
            "api_key": {"type": "env_var", "env_vars": ["AZURE_OPENAI_API_KEY"], "strict": False},
            "azure_ad_token": {"type": "env_var", "env_vars": ["AZURE_OPENAI_AD_TOKEN"], "strict": False},
            "default_headers": {},
            "tools": None,
            "tools_strict": False,
            "azure_ad_token_provider": None,
            "http_client_kwargs": None,
        },
    }


def test_every_parameter_round_trips(allow_this_module: None) -> None:
    generator = AzureOpenAIChatGenerator(
        azure_endpoint=ENDPOINT,
        api_version="2024-10-21",
        azure_deployment="prod",
        api_key=Secret.from_env_var("MY_AZURE_KEY", strict=False),
        azure_ad_token=Secret.from_env_var(["MY_AD_TOKEN", "AZURE_OPENAI_AD_TOKEN"], strict=False),
        organization="org-1",
        streaming_callback=print_streaming_chunk,
        timeout=12.5,
        max_retries=2,
        generation_kwargs={"temperature": 0.2, "response_format": {"type": "json_object"}},
        default_headers={"X-Team": "search"},
        tools=[Tool(name="echo", description="Echo x", parameters=PARAMS, function=print)],
        tools_strict=True,
        azure_ad_token_provider=token_provider,
        http_client_kwargs={"verify": False},
    )
    data = generator.to_dict()
    json.dumps(data)
    init = data["init_parameters"]
    assert init["azure_ad_token_provider"] == f"{token_provider.__module__}.token_provider"
    assert init["api_key"] == {"type": "env_var", "env_vars": ["MY_AZURE_KEY"], "strict": False}
    restored = AzureOpenAIChatGenerator.from_dict(data)
    assert restored.to_dict() == data
    assert restored.azure_ad_token_provider is token_provider
    assert restored.streaming_callback is print_streaming_chunk
    assert restored.azure_ad_token == generator.azure_ad_token
    assert (restored.azure_deployment, restored.model, restored.api_version) == ("prod", "prod", "2024-10-21")
    assert restored.tools is not None
    assert restored.tools[0].name == "echo"


def test_toolset_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    toolset = Toolset([Tool(name="a", description="A", parameters=PARAMS, function=print)])
    data = AzureOpenAIChatGenerator(azure_endpoint=ENDPOINT, tools=toolset).to_dict()
    restored = AzureOpenAIChatGenerator.from_dict(data)
    assert isinstance(restored.tools, Toolset)
    assert [t.name for t in restored.tools] == ["a"]


def test_a_provider_outside_the_allowlist_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = AzureOpenAIChatGenerator(azure_endpoint=ENDPOINT, azure_ad_token_provider=token_provider).to_dict()
    with pytest.raises(UnsafeImportError, match="HAYBALE_DESERIALIZATION_ALLOWLIST"):
        AzureOpenAIChatGenerator.from_dict(data)
    data["init_parameters"]["azure_ad_token_provider"] = "os.getcwd"
    with pytest.raises(UnsafeImportError):
        AzureOpenAIChatGenerator.from_dict(data)


def test_a_provider_without_an_import_path_cannot_be_serialized() -> None:
    generator = AzureOpenAIChatGenerator(azure_endpoint=ENDPOINT, azure_ad_token_provider=lambda: "t")
    with pytest.raises(SerializationError, match="lambda"):
        generator.to_dict()


def test_token_secrets_refuse_to_serialize_without_leaking() -> None:
    for secrets in (
        {"api_key": Secret.from_token("sk-SECRET-1")},
        {"azure_ad_token": Secret.from_token("ad-SECRET-2")},
    ):
        generator = AzureOpenAIChatGenerator(azure_endpoint=ENDPOINT, **secrets)
        with pytest.raises(SerializationError) as info:
            generator.to_dict()
        assert "SECRET" not in str(info.value)


def haystack_dict(**overrides: Any) -> dict[str, Any]:
    """The dict Haystack's AzureOpenAIChatGenerator.to_dict() writes (2.x, with its defaults resolved)."""
    init = {
        "azure_endpoint": ENDPOINT,
        "azure_deployment": "gpt-4.1-mini",
        "organization": None,
        "api_version": "2024-12-01-preview",
        "streaming_callback": "haystack.components.generators.utils.print_streaming_chunk",
        "generation_kwargs": {"max_completion_tokens": 10, "some_test_param": "test-params"},
        "timeout": 30.0,
        "max_retries": 5,
        "api_key": {"type": "env_var", "env_vars": ["AZURE_OPENAI_API_KEY"], "strict": False},
        "azure_ad_token": {"type": "env_var", "env_vars": ["AZURE_OPENAI_AD_TOKEN"], "strict": False},
        "default_headers": {},
        "tools": [
            {
                "type": "haystack.tools.tool.Tool",
                "data": {
                    "name": "name",
                    "description": "description",
                    "parameters": PARAMS,
                    "function": "builtins.print",
                },
            }
        ],
        "tools_strict": False,
        "azure_ad_token_provider": "haystack.utils.azure.default_azure_ad_token_provider",
        "http_client_kwargs": None,
    }
    init.update(overrides)
    return {
        "type": "haystack.components.generators.chat.azure.AzureOpenAIChatGenerator",
        "init_parameters": init,
    }


def test_reads_the_dict_haystack_writes() -> None:
    data = haystack_dict()
    snapshot = json.dumps(data, sort_keys=True)
    generator = AzureOpenAIChatGenerator.from_dict(data)
    assert json.dumps(data, sort_keys=True) == snapshot
    assert isinstance(generator, AzureOpenAIChatGenerator)
    assert generator.azure_ad_token_provider is default_azure_ad_token_provider
    assert generator.streaming_callback is print_streaming_chunk
    assert generator.api_key == Secret.from_env_var("AZURE_OPENAI_API_KEY", strict=False)
    assert (generator.timeout, generator.max_retries) == (30.0, 5)
    assert generator.tools is not None
    assert generator.tools[0].function is print
    assert generator.to_dict()["type"] == TYPE
    assert isinstance(component_from_dict(haystack_dict()), AzureOpenAIChatGenerator)


def test_reads_an_older_haystack_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    # Haystack 2.9 wrote no provider and no http_client_kwargs, and api_version 2023-05-15.
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    data = haystack_dict(api_version="2023-05-15", azure_deployment="gpt-4o-mini", tools=None)
    for key in ("azure_ad_token_provider", "http_client_kwargs"):
        del data["init_parameters"][key]
    generator = AzureOpenAIChatGenerator.from_dict(data)
    assert (generator.api_version, generator.azure_deployment) == ("2023-05-15", "gpt-4o-mini")
    assert generator.azure_ad_token_provider is None


# ---- default_azure_ad_token_provider --------------------------------------------------------------


@pytest.fixture
def fresh_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azure_utils, "_provider", None)


def test_default_provider_without_azure_identity(
    fresh_provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # makes the import fail
    with pytest.raises(ConfigurationError, match="pip install azure-identity"):
        default_azure_ad_token_provider()


def test_default_provider_reuses_one_credential(
    fresh_provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []
    scopes: list[str] = []

    class DefaultAzureCredential:
        def __init__(self) -> None:
            made.append(self)

    def get_bearer_token_provider(credential: object, scope: str) -> Any:
        scopes.append(scope)
        return lambda: f"token-from-credential-{len(made)}"

    fake = types.ModuleType("azure.identity")
    fake.DefaultAzureCredential = DefaultAzureCredential  # type: ignore[attr-defined]
    fake.get_bearer_token_provider = get_bearer_token_provider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity", fake)
    assert default_azure_ad_token_provider() == "token-from-credential-1"
    assert default_azure_ad_token_provider() == "token-from-credential-1"
    assert len(made) == 1
    assert scopes == ["https://cognitiveservices.azure.com/.default"]


def test_endpoint_and_api_version_secrets_serialize_as_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_AZURE_ENDPOINT", ENDPOINT)
    endpoint = Secret.from_env_var("MY_AZURE_ENDPOINT")
    version = Secret.from_env_var(["MY_AZURE_VERSION", "OPENAI_API_VERSION"], strict=False)
    data = AzureOpenAIChatGenerator(azure_endpoint=endpoint, api_version=version).to_dict()
    init = data["init_parameters"]
    assert init["azure_endpoint"] == {"type": "env_var", "env_vars": ["MY_AZURE_ENDPOINT"], "strict": True}
    assert init["api_version"] == {
        "type": "env_var",
        "env_vars": ["MY_AZURE_VERSION", "OPENAI_API_VERSION"],
        "strict": False,
    }
    assert ENDPOINT not in str(data)  # only the variable's name is written
    restored = AzureOpenAIChatGenerator.from_dict(data)
    assert (restored.azure_endpoint, restored.api_version) == (endpoint, version)
    assert restored.to_dict() == data


def test_a_token_secret_endpoint_refuses_to_serialize() -> None:
    generator = AzureOpenAIChatGenerator(azure_endpoint=Secret.from_token(ENDPOINT))
    with pytest.raises(SerializationError):
        generator.to_dict()
