"""The serialization errors at Haystack's import path (``haystack.core.errors``).

Pipeline errors have no counterpart: haybale has no pipeline engine. Every error lives in
``haybale.errors``; this module only re-exports the ones Haystack code imports from here.
"""

from __future__ import annotations

from haybale.errors import DeserializationError, SerializationError

__all__ = ["DeserializationError", "SerializationError"]
