"""Letters by post, inbound: the status callbacks, checked and read into :class:`StatusUpdate` values.

The letters go out through ``adapters/postal.py``; what the provider then says about them comes back here, by
one of two doors (the handler ``handlers/postal_status.py`` tries them in turn):

- Our own signed callback (:func:`verify_status_callback`), for relays and the local demo: header
  ``X-Relance-Signature``, relance's one request-signing scheme (``relance.signing``). Merci Facteur cannot
  produce it.
- Merci Facteur's webhooks (:func:`verify_merci_facteur_callback`): ``POST`` form-encoded with two
  JSON-string fields, ``event`` (``name_event``, ``id_user``, ``date_event`` Unix seconds) and ``detail``
  (one object per letter: ``id_envoi``, ``ref_courrier``, ``ref_interne``, ``tracking_number``,
  ``mode_envoi``, ``statut_courrier``, ``statut_description``, the recipient's address, and
  ``are_base64_jpeg`` / ``pdd_base64_pdf`` on ``are`` / ``pdd``). Authenticity is a *static shared secret*
  in the header ``X-Mf-Webhook-Secret-Key`` — no signature over the body, no timestamp, so no replay
  protection; retries at +60 min and +24 h, so handling must be idempotent.

No address or secret ever goes into an exception message or a ``repr``.
"""

from __future__ import annotations

import base64
import hmac
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import signing, strictjson
from ..domain.bounds import date_problem
from ..signing import DEFAULT_TOLERANCE_S, InvalidSignature

SIGNATURE_HEADER = "X-Relance-Signature"
MERCI_FACTEUR_SECRET_HEADER = "X-Mf-Webhook-Secret-Key"


class InvalidCallbackBody(ValueError):
    """An authenticated status callback whose body is not in the expected format: answer 400."""


STATUSES = ("created", "printed", "sent", "in_transit", "delivered", "incident", "returned", "proof_available",
            "deposit_proof_available", "other")
_MF_EVENTS = {"new": "created", "printed": "printed", "sended": "sent", "new-state": "in_transit",
              "delivered": "delivered", "error": "incident", "pnd": "returned", "are": "proof_available",
              "pdd": "deposit_proof_available"}


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What a status callback says about one letter. ``provider_id`` is the id :meth:`send` returned."""

    provider_id: str
    status: str  # one of STATUSES
    event_date: date | None
    delivered_on: date | None
    tracking_number: str = ""
    proof_url: str = ""
    reference: str = ""  # ours, as given at sending (Merci Facteur: ref_interne, shortened by courier_reference)
    provider_status: str = ""  # the provider's own stable code (Merci Facteur: statut_courrier)
    item: str = ""  # the provider's id of the single letter (Merci Facteur: ref_courrier)
    proof: bytes = field(default=b"", repr=False)  # a proof carried by the callback itself (the scanned AR…)

    @property
    def dedupe_key(self) -> str:
        """Callbacks are retried: the same letter, status and day is the same news."""
        day = self.event_date.isoformat() if self.event_date else ""
        return f"{self.provider_id}|{self.item}|{self.provider_status or self.status}|{day}"


def sign_status_callback(body: bytes, secrets: str | Sequence[str], *, now: datetime) -> str:
    """The ``X-Relance-Signature`` value for ``body``: one ``v1`` per secret (old and new during a rotation)."""
    return signing.sign(body, secrets, now=now)


def verify_status_callback(body: bytes, headers: Mapping[str, str], secret: str, *, now: datetime,
                           tolerance_s: int = DEFAULT_TOLERANCE_S) -> StatusUpdate:
    """Check our own signed status callback, then read it.

    Header ``X-Relance-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]``: the scheme of ``relance.signing``
    (HMAC-SHA256 of ``"<t>." + body``, one ``v1`` per secret the sender knows, so a secret can be rotated
    without downtime; ``t`` within ``tolerance_s`` of ``now`` either way).

    Body (UTF-8 JSON object)::

        {"provider_id": "123456",             required: the id the send returned
         "status": "delivered",               required: one of STATUSES
         "event_date": "2026-10-20",          ISO date or null
         "delivered_on": "2026-10-20",        ISO date or null
         "tracking_number": "2C12345678901",  string or null
         "proof_url": "https://…",            string or null
         "reference": "…", "provider_status": "distribue", "item": "…"}   optional strings

    Raises :class:`relance.signing.InvalidSignature` (missing, malformed, wrong or stale) before the body is
    even parsed, then :class:`InvalidCallbackBody` when the body is not that object.
    """
    if not secret:
        raise ValueError("no status-callback secret configured")
    header = signing.header_value(headers, SIGNATURE_HEADER)
    signing.verify(body, header, [secret], now=now, tolerance_s=tolerance_s)
    return _relance_body(body)


# Ids end up in DynamoDB keys (``LETTER#<id>``; ``STATUS#<id>|<item>|<status>|<day>``, a sort key of at most
# 1 024 bytes): each is bounded so that the key always fits. Other texts are only stored.
_MAX_ID_BYTES = 255
_MAX_TEXT_BYTES = 2048
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_DETAILS = 1000


def _callback_json(body: bytes | str, what: str) -> Any:
    try:
        return strictjson.loads(body)
    except strictjson.NotStrictJson as err:
        raise InvalidCallbackBody(f"{what} is not strict JSON: {err}") from None


def _callback_text(value: Any, name: str, *, max_bytes: int = _MAX_TEXT_BYTES) -> str:
    text = "" if value is None else str(value)
    problem = strictjson.text_problem(text, max_bytes=max_bytes)
    if problem:
        raise InvalidCallbackBody(f"status callback: {name} must be text, {problem}")
    return text.strip()


def _callback_day(day: date, name: str) -> date:
    problem = date_problem(day)
    if problem:
        raise InvalidCallbackBody(f"status callback: {name} out of bounds, between 1900 and 2199 ({problem})")
    return day


def _relance_body(body: bytes) -> StatusUpdate:
    data = _callback_json(body, "status callback body")
    if not isinstance(data, dict):
        raise InvalidCallbackBody("status callback body must be a JSON object")
    provider_id = data.get("provider_id")
    if not isinstance(provider_id, str | int) or isinstance(provider_id, bool) or not str(provider_id).strip():
        raise InvalidCallbackBody("status callback: provider_id is missing")
    status = data.get("status")
    if status not in STATUSES:
        raise InvalidCallbackBody(f"status callback: status must be one of {', '.join(STATUSES)}")

    def day(name: str) -> date | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise InvalidCallbackBody(f"status callback: {name} must be an ISO date (YYYY-MM-DD) or null")
        try:
            return _callback_day(date.fromisoformat(value), name)
        except ValueError:
            raise InvalidCallbackBody(f"status callback: {name} must be an ISO date (YYYY-MM-DD) or null") from None

    def text(name: str, max_bytes: int = _MAX_TEXT_BYTES) -> str:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidCallbackBody(f"status callback: {name} must be a string or null")
        return _callback_text(value, name, max_bytes=max_bytes)

    if isinstance(provider_id, int) and provider_id.bit_length() > 128:
        raise InvalidCallbackBody("status callback: provider_id is too long")
    return StatusUpdate(provider_id=_callback_text(provider_id, "provider_id", max_bytes=_MAX_ID_BYTES),
                        status=status, event_date=day("event_date"),
                        delivered_on=day("delivered_on"), tracking_number=text("tracking_number", _MAX_ID_BYTES),
                        proof_url=text("proof_url"), reference=text("reference", _MAX_ID_BYTES),
                        provider_status=text("provider_status", _MAX_ID_BYTES), item=text("item", _MAX_ID_BYTES))


def verify_merci_facteur_callback(body: bytes, headers: Mapping[str, str], secret: str | Sequence[str], *,
                                  tz: ZoneInfo) -> list[StatusUpdate]:
    """Check and read a webhook as Merci Facteur sends it (one event, one update per letter in ``detail``).

    Merci Facteur authenticates with a static key in ``X-Mf-Webhook-Secret-Key`` (the « webhook secret key »
    of the API tab): compared in constant time against ``secret`` (several accepted while rotating). There is
    no signature over the body and no timestamp, so a captured request could be replayed: handling must be
    idempotent anyway (Merci Facteur retries at +60 min and +24 h) — use :attr:`StatusUpdate.dedupe_key`.
    Dates are taken in ``tz``, the company's (the rules' calendar: ``Runtime.timezone``). The recipient's
    address, present in every ``detail``, is dropped here.
    """
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys or not all(keys):
        raise ValueError("no Merci Facteur webhook secret configured")
    received = (signing.header_value(headers, MERCI_FACTEUR_SECRET_HEADER) or "").strip()
    if not received:
        raise InvalidSignature("missing", f"no {MERCI_FACTEUR_SECRET_HEADER} header")
    if not any(hmac.compare_digest(received.encode(), key.encode()) for key in keys):
        raise InvalidSignature("mismatch", f"{MERCI_FACTEUR_SECRET_HEADER} does not match the webhook secret")
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        event = _callback_json(form["event"][0], "Merci Facteur webhook: event")
        detail = _callback_json(form["detail"][0], "Merci Facteur webhook: detail")
    except InvalidCallbackBody:
        raise
    except (ValueError, KeyError, IndexError) as err:
        raise InvalidCallbackBody("Merci Facteur webhook: expected a form with JSON fields event and detail "
                                  f"({type(err).__name__})") from None
    if not isinstance(event, dict) or not isinstance(detail, list) or not all(isinstance(d, dict) for d in detail):
        raise InvalidCallbackBody("Merci Facteur webhook: event must be an object and detail a list of objects")
    if len(detail) > _MAX_DETAILS:
        raise InvalidCallbackBody(f"Merci Facteur webhook: more than {_MAX_DETAILS} letters in one detail")
    name = _callback_text(event.get("name_event") or "", "event.name_event", max_bytes=_MAX_ID_BYTES)
    stamp = event.get("date_event")
    try:
        if isinstance(stamp, bool) or not (isinstance(stamp, int) or (isinstance(stamp, str) and stamp.isdigit())) \
                or len(str(stamp)) > 12:  # an exponent (1e999999999) would make int() build a billion digits
            raise ValueError("not a Unix timestamp")
        event_date = datetime.fromtimestamp(int(stamp), tz).date()
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidCallbackBody("Merci Facteur webhook: event.date_event must be a Unix timestamp") from None
    _callback_day(event_date, "event.date_event")
    status = _MF_EVENTS.get(name, "other")
    updates = []
    for item in detail:
        envoi = _callback_text(item.get("id_envoi") or "", "id_envoi", max_bytes=_MAX_ID_BYTES)
        if not envoi:
            raise InvalidCallbackBody("Merci Facteur webhook: a detail has no id_envoi")
        proof = b""
        for key in ("are_base64_jpeg", "pdd_base64_pdf"):
            encoded = item.get(key)
            if isinstance(encoded, str) and encoded.strip() and encoded.strip().lower() != "pending":
                try:
                    proof = base64.b64decode(encoded.strip(), validate=True)
                except ValueError:
                    raise InvalidCallbackBody(f"Merci Facteur webhook: {key} is not base64") from None
        updates.append(StatusUpdate(
            provider_id=envoi, status=status, event_date=event_date,
            delivered_on=event_date if status == "delivered" else None,
            tracking_number=_callback_text(item.get("tracking_number") or "", "tracking_number",
                                           max_bytes=_MAX_ID_BYTES),
            reference=_callback_text(item.get("ref_interne") or "", "ref_interne", max_bytes=_MAX_ID_BYTES),
            provider_status=_callback_text(item.get("statut_courrier") or name, "statut_courrier",
                                           max_bytes=_MAX_ID_BYTES),
            item=_callback_text(item.get("ref_courrier") or "", "ref_courrier", max_bytes=_MAX_ID_BYTES),
            proof=proof))
    return updates
