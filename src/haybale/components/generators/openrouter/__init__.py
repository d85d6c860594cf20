"""Haystack's integration path for the OpenRouter generator, which lives with the other chat generators."""

from haybale.components.generators.chat.openrouter import OpenRouterChatGenerator

__all__ = ["OpenRouterChatGenerator"]
