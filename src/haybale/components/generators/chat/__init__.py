"""The chat generators: OpenAI, Azure OpenAI and OpenRouter."""

from haybale.components.generators.chat.azure import AzureOpenAIChatGenerator
from haybale.components.generators.chat.openai import OpenAIChatGenerator
from haybale.components.generators.chat.openrouter import OpenRouterChatGenerator

__all__ = ["AzureOpenAIChatGenerator", "OpenAIChatGenerator", "OpenRouterChatGenerator"]
