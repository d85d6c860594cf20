"""The chat generators: OpenAI, Azure OpenAI and OpenRouter."""

from haybale.components.generators.chat.openai import OpenAIChatGenerator

__all__ = ["OpenAIChatGenerator"]
