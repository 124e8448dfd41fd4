"""JSON and text from the outside world, read strictly: one reading per body, text DynamoDB can store.

Shared by the payment webhooks and the postal status callback, whose bodies are authenticated but still
come from someone else's software:

* numbers with a fraction become ``Decimal`` (never a float), ``NaN``/``Infinity`` are refused, and a key
  may appear only once in an object — two ``"amount"`` keys would let two parsers read two amounts from one
  signed body;
* a body nested too deep is refused like any other malformed body (``RecursionError`` is not a
  ``ValueError``, and would otherwise escape as a 500);
* a string holding a lone surrogate (``"\\ud800"`` is valid JSON) cannot be encoded in UTF-8, so nothing —
  boto3, the logs — could write it: ``text_problem`` says so, and says when a value is too long for a
  DynamoDB key (1 024 bytes for a sort key, prefix included).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class NotStrictJson(ValueError):
    """The body is not one strict JSON document; the message says why, never what the body holds."""


def _reject_constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise NotStrictJson("duplicate key")
    return obj


def loads(payload: bytes | str) -> Any:
    """The parsed document, or ``NotStrictJson``."""
    try:
        return json.loads(payload, parse_float=Decimal, parse_constant=_reject_constant,
                          object_pairs_hook=_unique_keys)
    except NotStrictJson:
        raise
    except RecursionError:
        raise NotStrictJson("nested too deep") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotStrictJson("not JSON") from None


def text_problem(value: str, *, max_bytes: int) -> str | None:
    """Why ``value`` cannot be stored as text (a lone surrogate, longer than ``max_bytes`` in UTF-8), or None."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "not valid Unicode text (a lone surrogate)"
    if size > max_bytes:
        return f"at most {max_bytes} bytes in UTF-8"
    return None
