"""Docstring parsing for tool descriptions: summary, reST fields, Google Args sections."""

from __future__ import annotations

from haybale.tools._docstring import docstring_params, docstring_summary

REST = """Convert money.

    Longer explanation
    over two lines.

    :param amount: how much
    :param str currency: the ISO code,
        e.g. EUR
    :returns: the converted amount
    :raises ValueError: for unknown codes
    """

GOOGLE = """Convert money.

    Args:
        amount (float): how much
        currency: the ISO code,
            e.g. EUR
        *extras: ignored extras

    Raises:
        ValueError: for unknown codes
    """


def test_summary_stops_at_the_first_field_or_section() -> None:
    assert docstring_summary(REST) == "Convert money.\n\nLonger explanation\nover two lines."
    assert docstring_summary(GOOGLE) == "Convert money."
    assert docstring_summary(None) == ""
    assert docstring_summary("   One line.   ") == "One line."


def test_rest_params_with_types_and_continuations() -> None:
    assert docstring_params(REST) == {"amount": "how much", "currency": "the ISO code, e.g. EUR"}


def test_google_params_with_types_continuations_and_sections() -> None:
    params = docstring_params(GOOGLE)
    assert params == {"amount": "how much", "currency": "the ISO code, e.g. EUR", "extras": "ignored extras"}
    assert "ValueError" not in params


def test_no_params() -> None:
    assert docstring_params("Just a summary.") == {}
    assert docstring_params(None) == {}
