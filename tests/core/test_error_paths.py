"""The error classes at the import paths Haystack code uses: core.errors and tools.errors."""

from __future__ import annotations

import pytest

import haybale.errors
from haybale.core.errors import DeserializationError, SerializationError
from haybale.tools.errors import SchemaGenerationError, ToolInvocationError
from haybale.utils import Secret, deserialize_callable


def test_the_compat_modules_re_export_the_one_hierarchy() -> None:
    assert DeserializationError is haybale.errors.DeserializationError
    assert SerializationError is haybale.errors.SerializationError
    assert SchemaGenerationError is haybale.errors.SchemaGenerationError
    assert ToolInvocationError is haybale.errors.ToolInvocationError


def test_haystack_style_except_clauses_catch_haybale_errors() -> None:
    with pytest.raises(SerializationError):
        Secret.from_token("k").to_dict()
    with pytest.raises(DeserializationError):
        deserialize_callable("os.system")  # refused: outside the allowlist
