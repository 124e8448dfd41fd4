"""The raw body of an HTTP API request, exactly as the sender signed it."""

from __future__ import annotations

import base64
import binascii
from typing import Any


class UndecodableBody(ValueError):
    """API Gateway said the body is base64 (a binary content type) and it is not: answer 400."""


def raw_body(event: Any) -> bytes:
    """The bytes the sender sent: base64-decoded when API Gateway encoded them (``application/octet-stream``
    and other binary types), else the text as UTF-8. Never decoded as text here: a body that is not UTF-8
    must reach the signature check (401 when unsigned), not fail before it.

    A text body holding a lone surrogate (only a hand-made event can) keeps it as its ``surrogatepass``
    bytes: no signature matches them, and a signed one is not JSON."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise UndecodableBody("body flagged as base64 is not base64") from None
    return body.encode("utf-8", "surrogatepass")
