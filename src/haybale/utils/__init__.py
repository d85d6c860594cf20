"""Secrets and callable serialization, at the import paths Haystack uses."""

from __future__ import annotations

from haybale.utils.auth import Secret, SecretType, deserialize_secrets_inplace
from haybale.utils.callable_serialization import deserialize_callable, serialize_callable

__all__ = [
    "Secret",
    "SecretType",
    "deserialize_callable",
    "deserialize_secrets_inplace",
    "serialize_callable",
]
