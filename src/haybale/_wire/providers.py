"""The facts about each provider, in one table read by the endpoints, the generators and the CLI.

Kept to the standard library's lightest pieces: the CLI reads it before parsing its arguments.
Adding a provider that speaks Chat Completions means one row here, an endpoint subclass for what
differs on the wire (see ``endpoint``), and a generator subclass for its init parameters.
"""

from __future__ import annotations

from typing import NamedTuple


class Provider(NamedTuple):
    """One provider.

    ``name`` is the short name put on errors and taken by ``haybale --provider``; ``key_env_var``
    the variable its API key is read from by default; ``other_credential_env_vars`` variables that
    also count as credentials (Azure's AD token); ``default_url`` where requests go unless told
    otherwise (None when each user has their own, as on Azure); ``generator`` the class, by name,
    so the table can be read without importing every generator.
    """

    name: str
    display_name: str
    key_env_var: str
    default_url: str | None
    generator: str
    other_credential_env_vars: tuple[str, ...] = ()

    @property
    def credential_env_vars(self) -> tuple[str, ...]:
        return (self.key_env_var, *self.other_credential_env_vars)


OPENAI = Provider(
    name="openai",
    display_name="OpenAI",
    key_env_var="OPENAI_API_KEY",
    default_url="https://api.openai.com/v1",
    generator="OpenAIChatGenerator",
)
AZURE = Provider(
    name="azure",
    display_name="Azure OpenAI",
    key_env_var="AZURE_OPENAI_API_KEY",
    default_url=None,
    generator="AzureOpenAIChatGenerator",
    other_credential_env_vars=("AZURE_OPENAI_AD_TOKEN",),
)
OPENROUTER = Provider(
    name="openrouter",
    display_name="OpenRouter",
    key_env_var="OPENROUTER_API_KEY",
    default_url="https://openrouter.ai/api/v1",
    generator="OpenRouterChatGenerator",
)

# In the order the CLI tries them when no --provider is given.
PROVIDERS: dict[str, Provider] = {p.name: p for p in (OPENAI, AZURE, OPENROUTER)}
