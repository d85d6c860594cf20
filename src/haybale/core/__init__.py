"""Component decorator and (safe) serialization helpers, at Haystack's import paths."""

from __future__ import annotations

from haybale.core._imports import ALLOWLIST_ENV_VAR, import_object, is_allowed, to_haybale_name
from haybale.core.component import component
from haybale.core.serialization import (
    component_from_dict,
    default_from_dict,
    default_to_dict,
    generate_qualified_class_name,
    import_class_by_name,
)

__all__ = [
    "ALLOWLIST_ENV_VAR",
    "component",
    "component_from_dict",
    "default_from_dict",
    "default_to_dict",
    "generate_qualified_class_name",
    "import_class_by_name",
    "import_object",
    "is_allowed",
    "to_haybale_name",
]
