"""ImageContent: an image in a user message (or a tool result), kept as base64."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from haybale.dataclasses._binary import (
    decode_base64,
    encode_base64,
    fetch_url,
    fields_to_dict,
    from_fields,
    guess_mime_type,
    read_file,
    sniff_mime_type,
    truncated,
    warn_unknown_mime_type,
)
from haybale.dataclasses._pydantic import DictBacked

if TYPE_CHECKING:
    from pathlib import Path

ImageDetail = Literal["auto", "high", "low"]
_DETAILS = ("auto", "high", "low")


@dataclass(repr=False)
class ImageContent(DictBacked):
    """An image as base64 text, with its MIME type and the detail level to ask the model for.

    With ``validation=True`` (the default) the base64 is checked, a missing ``mime_type`` is
    guessed from the bytes, and anything that is not an ``image/*`` type is refused.
    """

    base64_image: str
    mime_type: str | None = None
    detail: ImageDetail | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    validation: bool = True

    def __post_init__(self) -> None:
        if self.detail is not None and self.detail not in _DETAILS:
            raise ValueError(f"ImageContent.detail must be one of {_DETAILS} or None, got {self.detail!r}.")
        if not self.validation:
            return
        data = decode_base64(self.base64_image, "ImageContent.base64_image")
        if not data:
            raise ValueError(
                "ImageContent.base64_image is empty: pass the base64 of an image, or build the part "
                "with ImageContent.from_file_path(...) or ImageContent.from_url(...)."
            )
        self.mime_type = _checked_mime_type(self.mime_type, sniff_mime_type(data))

    def __repr__(self) -> str:  # the full base64 text would drown everything else
        return (
            f"ImageContent(base64_image={truncated(self.base64_image)!r}, mime_type={self.mime_type!r}, "
            f"detail={self.detail!r}, meta={self.meta!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageContent:
        return from_fields(cls, data)

    @classmethod
    def from_file_path(
        cls,
        file_path: str | Path,
        *,
        size: tuple[int, int] | None = None,
        detail: ImageDetail | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ImageContent:
        """Read an image file; ``size=(width, height)`` shrinks it to fit (needs Pillow).

        The path is recorded in ``meta["file_path"]``.
        """
        data = read_file(file_path)
        meta = {**(meta or {}), "file_path": str(file_path)}
        return cls._from_bytes(data, guess_mime_type(data, str(file_path)), size, detail, meta)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        retry_attempts: int = 2,
        timeout: int = 10,
        size: tuple[int, int] | None = None,
        detail: ImageDetail | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ImageContent:
        """Download an image; ``meta`` records its URL (``"url"``) and the server's ``"content_type"``."""
        data, content_type = fetch_url(url, retry_attempts=retry_attempts, timeout=timeout)
        mime_type = guess_mime_type(data, None) or content_type
        meta = {**(meta or {}), "url": url, "content_type": content_type}
        return cls._from_bytes(data, mime_type, size, detail, meta)

    def show(self) -> None:
        """Display the image: inline in a Jupyter notebook, else in the system's viewer (needs Pillow)."""
        import base64
        import io

        image = _pillow().open(io.BytesIO(base64.b64decode(self.base64_image)))
        if _in_notebook():
            from IPython.display import display  # present whenever a notebook kernel runs

            display(image)
        else:
            image.show()

    @classmethod
    def _from_bytes(
        cls,
        data: bytes,
        mime_type: str | None,
        size: tuple[int, int] | None,
        detail: ImageDetail | None,
        meta: dict[str, Any] | None,
    ) -> ImageContent:
        if not mime_type or not mime_type.startswith("image/"):
            raise ValueError(f"Not an image (detected type {mime_type!r}): use FileContent for documents.")
        if size is not None:
            data = _resized(data, size)
        return cls(
            base64_image=encode_base64(data),
            mime_type=mime_type,
            detail=detail,
            meta=dict(meta or {}),
        )


def _checked_mime_type(declared: str | None, sniffed: str | None) -> str | None:
    """The image's MIME type: declared, else read from its bytes; what is not an image is refused.

    Bytes of a kind haybale cannot tell, with no type declared, are kept with a warning, as Haystack
    does: they may be an image format it does not sniff (AVIF, HEIC, SVG...).
    """
    if declared is not None and not isinstance(declared, str):
        raise TypeError(
            f"ImageContent.mime_type must be a str such as 'image/png', got {type(declared).__name__}."
        )
    if sniffed is not None and not sniffed.startswith("image/"):
        # the bytes say what they are, whatever mime_type claims
        raise ValueError(
            f"ImageContent.base64_image holds {sniffed} data, not an image. Send documents as FileContent."
        )
    mime_type = declared or sniffed
    if not mime_type:
        warn_unknown_mime_type("image")
        return None
    if not mime_type.startswith("image/"):
        raise ValueError(
            f"ImageContent needs an image/* MIME type, got {mime_type!r}. "
            "Send other documents as FileContent."
        )
    return mime_type


def _pillow() -> Any:
    """PIL.Image, or an ImportError saying how to get it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Showing or resizing images needs Pillow: pip install pillow (or call without size=...)."
        ) from None
    return Image


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where images display inline)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _resized(data: bytes, size: tuple[int, int]) -> bytes:
    """The image scaled down (aspect ratio kept) to fit ``size``, in its original format."""
    import io

    with _pillow().open(io.BytesIO(data)) as image:
        image_format = image.format
        image.thumbnail(size)
        out = io.BytesIO()
        image.save(out, format=image_format)
    return out.getvalue()
