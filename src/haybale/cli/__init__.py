"""The ``haybale`` command-line interface (``haybale chat``, ``haybale batch``, ``haybale local serve``)."""

from __future__ import annotations

from haybale.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
