"""Everything relance signs or checks with a shared secret: one scheme for requests, one for links, one error.

Pure functions: no clock (``now`` is an argument), no environment, no AWS. Callers: the payment webhooks
(``payments/webhooks.py``: Stripe's ``Stripe-Signature`` and our ``Relance-Signature``), the postal status
callback (``adapters/postal_callback.py``: ``X-Relance-Signature``) and, next, the debtor portal's signed links.

Signed requests — Stripe's scheme (docs.stripe.com/webhooks#verify-manually)::

    header  = "t=<unix seconds>,v1=<hex>[,v1=<hex>…]"     other elements (v0=…) are ignored
    v1      = hex(HMAC-SHA256(key=secret as UTF-8, msg=b"<t>." + raw body))

A request passes when one ``v1`` (lowercase hex, as Stripe writes it and compares it) matches one configured
secret — both sides may hold several while a secret rotates: the sender puts one ``v1`` per secret it knows —
and ``t`` is within ``tolerance_s`` of ``now``, in the past *and* in the future (a timestamp from the future is
as suspicious as a stale one). At most :data:`MAX_SIGNATURES` ``v1`` are read.

Signed links — a compact token with a key id, so that keys rotate without breaking the links already sent::

    token   = "v1.<key id>.<claims>.<mac>"
    claims  = base64url(JSON object, with "exp": unix seconds), no padding
    mac     = base64url(HMAC-SHA256(key=secret of <key id>, msg=b"v1.<key id>.<claims>")), no padding

:func:`sign_token` signs with one :class:`SigningKey`; :func:`verify_token` takes every key still accepted,
by id. To rotate: add the new key, sign with it, keep the old one in the accepted keys for as long as the
links it signed must work (their lifetime), then drop it — its links then fail as ``unknown_key``. Use a
secret per purpose (a link key is never a webhook secret). A token carries no secret data: its claims are
readable by whoever holds it, only not forgeable.

Every refusal raises :class:`InvalidSignature` with a stable ``reason`` (for logs, metrics and the answer
code) and a ``detail`` that never holds the body or the token. A misconfiguration — no secret, a naive ``now``,
a negative tolerance — raises ``ValueError``/``TypeError``: that is our fault, not the caller's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

DEFAULT_TOLERANCE_S = 300
MAX_SIGNATURES = 8

SignatureFailure = Literal["missing", "malformed", "no_v1", "mismatch", "stale", "future", "unknown_key",
                           "expired"]


class InvalidSignature(Exception):
    """A request or a link to refuse (answer 401/403). ``reason`` is one of :data:`SignatureFailure`."""

    def __init__(self, reason: SignatureFailure, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: SignatureFailure = reason
        self.detail = detail


# -- signed requests ----------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def _secrets(secrets: str | Sequence[str]) -> list[str]:
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    if not keys or not all(isinstance(key, str) and key for key in keys):
        raise ValueError("no signing secret configured")
    return keys


def _hex_signature(secret: str, timestamp: str, payload: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + payload, hashlib.sha256).hexdigest()


def sign(payload: bytes, secrets: str | Sequence[str], *, now: datetime) -> str:
    """The header value for ``payload`` signed at ``now``: one ``v1`` per secret (old and new while rotating)."""
    _check_now(now)
    timestamp = str(int(now.timestamp()))
    return ",".join([f"t={timestamp}", *(f"v1={_hex_signature(k, timestamp, payload)}" for k in _secrets(secrets))])


def _parse_header(header: str) -> tuple[str, list[str]]:
    """``t`` and the ``v1`` values; elements without ``=`` and other schemes (``v0``) are ignored."""
    timestamp: str | None = None
    candidates: list[str] = []
    for element in header.split(","):
        key, sep, value = element.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise InvalidSignature("malformed", "bad or repeated timestamp")
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if timestamp is None:
        raise InvalidSignature("malformed", "no timestamp")
    if not candidates:
        raise InvalidSignature("no_v1", "no v1 signature")
    if len(candidates) > MAX_SIGNATURES:
        raise InvalidSignature("malformed", f"more than {MAX_SIGNATURES} v1 signatures")
    return timestamp, candidates


def verify(payload: bytes, header: str | None, secrets: Sequence[str], *, now: datetime,
           tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
    """Return when ``header`` signs the exact bytes ``payload`` with one of ``secrets``, recently enough."""
    if isinstance(secrets, str | bytes):
        raise TypeError("secrets must be a sequence of secrets, not one string")
    keys = _secrets(secrets)
    _check_now(now)
    if tolerance_s < 0:
        raise ValueError("tolerance_s must not be negative")
    if not isinstance(payload, bytes):
        raise TypeError("payload must be the raw body as bytes")
    if header is None or not header.strip():
        raise InvalidSignature("missing", "no signature header")
    timestamp, candidates = _parse_header(header)
    # A candidate that is not 64 lowercase hex digits cannot match; skipping it keeps compare_digest on ASCII.
    offered = [c.encode("ascii") for c in candidates if _HEX_SHA256.fullmatch(c)]
    expected = [_hex_signature(key, timestamp, payload).encode("ascii") for key in keys]
    if not any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in offered):
        raise InvalidSignature("mismatch", "no signature matches: wrong secret, or the body was altered")
    age = now.timestamp() - int(timestamp)
    if age > tolerance_s:
        raise InvalidSignature("stale", f"timestamp {int(age)} s old, more than the {tolerance_s} s allowed")
    if -age > tolerance_s:
        raise InvalidSignature("future", f"timestamp {int(-age)} s ahead, more than the {tolerance_s} s allowed")


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in any case (API Gateway's HTTP API hands them over in lower case)."""
    wanted = name.lower()
    return next((str(value) for key, value in headers.items() if str(key).lower() == wanted), None)


# -- signed links -------------------------------------------------------------------------------------------

TOKEN_VERSION = "v1"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A link-signing key: ``id`` travels in the token (letters, digits, ``-``, ``_``), ``secret`` never does."""

    id: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.id):
            raise ValueError("a key id is 1 to 32 letters, digits, - or _")
        if not self.secret:
            raise ValueError("a signing key needs a secret")


def keys_from_text(text: str, what: str) -> list[SigningKey]:
    """Link keys as one SSM parameter keeps them: ``id:secret`` pairs, comma-separated, the signing one first —
    to rotate, put the new pair first and keep the old one after it for as long as its links must live.
    ``what`` names the parameter in the error (« the portal link parameter »)."""
    keys = []
    for part in text.split(","):
        key_id, sep, secret = part.strip().partition(":")
        if sep and key_id and secret:
            keys.append(SigningKey(key_id, secret))
    if not keys:
        raise ValueError(f"{what} holds no id:secret pair")
    return keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise InvalidSignature("malformed", "not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSignature("malformed", "not base64url") from None


def _mac(secret: str, signed_part: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), signed_part.encode("ascii"), hashlib.sha256).digest()


def keyed_mac(key: SigningKey, message: bytes) -> str:
    """base64url (no padding) of HMAC-SHA256(``message``) under ``key``: a value only the key's holder can make
    (a short link's check, a form token). Compare with ``hmac.compare_digest``."""
    return _b64(hmac.new(key.secret.encode("utf-8"), message, hashlib.sha256).digest())


def sign_token(claims: Mapping[str, Any], key: SigningKey, *, now: datetime, ttl_s: int) -> str:
    """A token carrying ``claims`` (JSON values) that :func:`verify_token` accepts until ``now + ttl_s``."""
    _check_now(now)
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    if "exp" in claims:
        raise ValueError("exp is set from ttl_s, not given as a claim")
    body = json.dumps({**claims, "exp": int(now.timestamp()) + ttl_s}, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False, allow_nan=False)
    signed_part = f"{TOKEN_VERSION}.{key.id}.{_b64(body.encode('utf-8'))}"
    return f"{signed_part}.{_b64(_mac(key.secret, signed_part))}"


def verify_token(token: str, keys: Sequence[SigningKey], *, now: datetime) -> dict[str, Any]:
    """The claims of ``token`` when one of ``keys`` (by its id) signed it and it has not expired."""
    _check_now(now)
    by_id = {key.id: key for key in keys}
    if not by_id:
        raise ValueError("no link-signing key configured")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidSignature("malformed", "not a token")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        raise InvalidSignature("malformed", "not a v1 token")
    _, key_id, body, mac = parts
    key = by_id.get(key_id)
    if key is None:
        raise InvalidSignature("unknown_key", "signed with a key no longer (or never) accepted")
    if not hmac.compare_digest(_mac(key.secret, f"{TOKEN_VERSION}.{key_id}.{body}"), _unb64(mac)):
        raise InvalidSignature("mismatch", "the token was altered or signed with another secret")
    try:
        claims = json.loads(_unb64(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):  # only our own signed bytes get here: a bug, told plainly
        raise InvalidSignature("malformed", "claims are not JSON") from None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise InvalidSignature("malformed", "no expiry")
    if now.timestamp() >= expires:
        raise InvalidSignature("expired", f"expired {int(now.timestamp() - expires)} s ago")
    return claims
