"""Component decorator and (safe) serialization helpers, at Haystack's import paths.

Only public names are exported here; the allowlist machinery behind ``import_class_by_name`` and
callable/tool loading lives in the private ``haybale.core._imports``. ``ALLOWLIST_ENV_VAR`` names
the environment variable that widens the allowlist.
"""

from __future__ import annotations

from haybale.core._imports import ALLOWLIST_ENV_VAR
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
]
