"""FileContent: a document (typically a PDF) in a user message, kept as base64."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from haybale.dataclasses._binary import (
    decode_base64,
    encode_base64,
    fetch_url,
    fields_to_dict,
    from_fields,
    guess_mime_type,
    read_file,
    truncated,
    warn_unknown_mime_type,
)
from haybale.dataclasses._pydantic import DictBacked

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(repr=False)
class FileContent(DictBacked):
    """A file as base64 text, with its MIME type and file name.

    With ``validation=True`` (the default) the base64 is checked and a missing ``mime_type`` is
    guessed from the bytes. ``extra`` carries provider-specific options.
    """

    base64_data: str
    mime_type: str | None = None
    filename: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    validation: bool = True

    def __post_init__(self) -> None:
        if not self.validation:
            return
        data = decode_base64(self.base64_data, "FileContent.base64_data")
        if not data:
            raise ValueError(
                "FileContent.base64_data is empty: pass the base64 of the file's bytes, or build the part "
                "with FileContent.from_file_path(...) or FileContent.from_url(...)."
            )
        if not self.mime_type:
            self.mime_type = guess_mime_type(data, self.filename)
            if not self.mime_type:
                warn_unknown_mime_type("file")

    def __repr__(self) -> str:
        return (
            f"FileContent(base64_data={truncated(self.base64_data)!r}, mime_type={self.mime_type!r}, "
            f"filename={self.filename!r}, extra={self.extra!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileContent:
        return from_fields(cls, data)

    @classmethod
    def from_file_path(
        cls, file_path: str | Path, *, filename: str | None = None, extra: dict[str, Any] | None = None
    ) -> FileContent:
        """Read a file; ``filename`` defaults to the file's own name."""
        data = read_file(file_path)
        name = filename or os.path.basename(file_path)
        return cls._from_bytes(data, guess_mime_type(data, name), name, extra)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        retry_attempts: int = 2,
        timeout: int = 10,
        filename: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> FileContent:
        """Download a file; ``filename`` defaults to the last segment of the URL's path."""
        from urllib.parse import unquote, urlsplit

        data, content_type = fetch_url(url, retry_attempts=retry_attempts, timeout=timeout)
        name = filename or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
        return cls._from_bytes(data, guess_mime_type(data, name) or content_type, name, extra)

    @classmethod
    def _from_bytes(
        cls, data: bytes, mime_type: str | None, filename: str | None, extra: dict[str, Any] | None
    ) -> FileContent:
        return cls(
            base64_data=encode_base64(data),
            mime_type=mime_type,
            filename=filename,
            extra=dict(extra or {}),
        )
