"""Helpers for the binary parts (images and files): base64 checks, type sniffing, reading, fetching.

base64, pathlib and the HTTP backends are imported where they are used: importing the data model
must stay cheap.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")

# Leading bytes of the formats people actually send to chat models. Sniffing the bytes is more
# reliable than a file name, and needs no third-party library.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
)


def decode_base64(data: str, what: str) -> bytes:
    """The bytes behind ``data``; a ValueError naming ``what`` when it is not base64."""
    import base64  # here, not at import: most messages carry no binary parts
    import binascii

    if not isinstance(data, str):
        raise TypeError(f"{what} must be a base64 str, got {type(data).__name__}.")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(
            f"{what} is not valid base64 ({error}). Encode the raw bytes with "
            "base64.b64encode(data).decode(), or build the part with from_file_path(...)."
        ) from None


def sniff_mime_type(data: bytes) -> str | None:
    """The MIME type the leading bytes reveal, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, mime_type in _SIGNATURES:
        if data.startswith(signature):
            return mime_type
    return None


def guess_mime_type(data: bytes, name: str | None) -> str | None:
    """From the bytes first, then from the file name's extension."""
    sniffed = sniff_mime_type(data)
    if sniffed or not name:
        return sniffed
    import mimetypes  # only here: building its tables costs a few milliseconds

    return mimetypes.guess_type(name)[0]


def warn_unknown_mime_type(what: str) -> None:
    """Log that no MIME type could be found for a part (providers may then mishandle it)."""
    import logging  # only on this path: most parts carry or reveal their type

    logging.getLogger("haybale.dataclasses").warning(
        "Could not tell the MIME type of this %s from its bytes; without one, providers may reject or "
        "misread it. Pass mime_type=... (e.g. 'application/pdf').",
        what,
    )


def read_file(file_path: str | Path) -> bytes:
    from pathlib import Path

    path = Path(file_path)
    if not path.is_file():
        raise ValueError(f"No file at {str(path)!r}: check the path (relative paths start at {Path.cwd()}).")
    return path.read_bytes()


def fetch_url(url: str, *, retry_attempts: int, timeout: float) -> tuple[bytes, str | None]:
    """The body and Content-Type (without parameters) of a GET to ``url``, retrying on failure.

    The GET goes through haybale's HTTP backends (``haybale._http``), the layer below this one.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str such as 'https://example.com/cat.png', got {type(url).__name__}.")
    from haybale._http import TransportFailure, fetch

    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Only http(s) URLs can be fetched, got {url!r}.")
    problem = ""
    for _ in range(max(retry_attempts, 0) + 1):
        try:
            status, headers, body = fetch(url, timeout=timeout)
        except TransportFailure as failure:
            problem = failure.detail
            continue
        if status >= 400:
            problem = f"HTTP {status}"
            continue
        content_type = headers.get("content-type")
        return body, content_type.split(";")[0].strip() if content_type else None
    raise ValueError(f"Could not fetch {url!r} after {retry_attempts + 1} attempts: {problem}")


def truncated(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def fields_to_dict(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict (shallow: the values are JSON-ready already)."""
    return {field.name: getattr(value, field.name) for field in fields(value)}


def from_fields(cls: type[T], data: dict[str, Any]) -> T:
    """``cls`` built from the keys of ``data`` that are its fields (others are ignored)."""
    return cls(**{field.name: data[field.name] for field in fields(cls) if field.name in data})  # type: ignore[arg-type]


def encode_base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
