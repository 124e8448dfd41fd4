"""Webhook signatures and payment notices: pure functions, no AWS, no clock (``now`` is an argument).

Two entry points feed the same ``PaymentNotice``:

* **Stripe** — ``verify_stripe`` checks the ``Stripe-Signature`` header on the exact raw body, then
  ``stripe_notice`` maps the event to a notice (or ``None`` for an event relance ignores).
* **Generic** — ``verify_generic`` checks relance's own ``Relance-Signature`` header (the same scheme) and
  reads the documented JSON notice (see ``GENERIC_WEBHOOK.md``) for banks, aggregators and other PSPs.

Both use the one signature scheme of ``relance.signing`` (Stripe's ``t=…,v1=…``, five minutes either way):
a forged, stale or future request raises ``signing.InvalidSignature`` (answer 401), an authentic body that
cannot be read ``MalformedPayload`` (answer 400), never anything else for any body or header. Their message
never contains the body. A misconfiguration — no secret, a naive ``now`` — raises ``ValueError``/``TypeError``:
that is our fault, not the caller's, and a 5xx makes the provider retry once it is fixed.

How a Stripe event names *our* invoice (documented for users)
-------------------------------------------------------------
Put relance's invoice id in the ``invoice_id`` metadata key of the Stripe object you create: it wins
wherever it is present. Per event type:

* ``invoice.paid`` → ``metadata.invoice_id``, else the Stripe invoice ``number``; amount ``amount_paid``;
  paid on ``status_transitions.paid_at``.
* ``payment_intent.succeeded`` → ``metadata.invoice_id``; amount ``amount_received``.
* ``checkout.session.completed`` and ``checkout.session.async_payment_succeeded`` (SEPA debits and other
  delayed methods complete there) → ``metadata.invoice_id``, else ``client_reference_id``; amount
  ``amount_total``; only when ``payment_status == "paid"``. A session for several invoices (the portal's « pay
  all or chosen invoices ») names them in ``metadata.invoice_ids``, comma-separated, in the order the amount is
  applied, and the amount of each line in ``metadata.invoice_amounts`` (``1200.00,300.50``): the notice then has
  ``invoice_refs`` (and ``invoice_amounts``) and no ``invoice_ref`` (``app.allocation`` splits it).
* ``charge.refunded`` → ``metadata.invoice_id``; a *refund* of the part newly refunded (``amount_refunded``
  is cumulative, so ``data.previous_attributes.amount_refunded`` is subtracted), as a negative amount.
* Any other event type → ``None`` (acknowledged, ignored).

Where to put the reference:

* Payment Links and Checkout: pass ``client_reference_id=F-2026-0042`` (a Payment Link accepts it in its
  URL), or session ``metadata[invoice_id]``. Checkout does not copy the session's metadata to the
  PaymentIntent: set ``payment_intent_data[metadata][invoice_id]`` too if refunds must find the invoice.
* PaymentIntents: ``metadata[invoice_id]``; Stripe copies a PaymentIntent's metadata to its charge when it
  is confirmed, so ``charge.refunded`` finds the invoice as well. The free-text ``description`` is never
  read as a reference.
* Stripe Invoicing: the invoice ``number`` is used when it *is* relance's invoice id (invoices issued in
  Stripe and imported into relance), otherwise set ``metadata[invoice_id]``.
* A PaymentIntent that a Stripe invoice created (its ``invoice`` field, API versions before 2025-03-31)
  is ignored: the ``invoice.paid`` event reports the same money.
* Subscribe the endpoint to the events of the flow you use, not to all of them: a checkout payment also
  emits ``payment_intent.succeeded``, and the same money reported twice under two references would be
  counted twice.
* No reference → a notice with ``invoice_ref == ""``, kept as unmatched for a person to review.
* ``paid_on`` is the company's local date (``tz``) of ``status_transitions.paid_at`` for an invoice,
  otherwise of the event's ``created``.
* Amounts use the currency's minor unit as Stripe does: 100 for EUR, 1 for zero-decimal currencies
  (XPF, XOF, XAF, JPY…), 1000 for three-decimal ones (BHD, JOD, KWD, OMR, TND). Stripe's special cases
  ISK, HUF and TWD stay two-decimal in its API (100 = one króna or forint; only payouts are whole units).
  A currency other than EUR is kept (upper-cased): the store never applies it, it keeps the notice for
  review (``REVIEW#<provider>``, reason ``currency_mismatch`` or ``currency_not_euro``).
* An amount of 0 (``invoice.paid`` of an invoice settled by the customer's credit balance or a 100 %
  coupon) gives ``None``: acknowledged with a 2xx, since Stripe retries anything else for three days.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .. import signing, strictjson
from ..domain.bounds import AMOUNT_MAX, amount_problem, date_problem
from ..signing import DEFAULT_TOLERANCE_S

STRIPE_SIGNATURE_HEADER = "Stripe-Signature"
GENERIC_SIGNATURE_HEADER = "Relance-Signature"
METADATA_KEY = "invoice_id"

NoticeKind = Literal["payment", "refund"]
PayloadFailure = Literal["not_json", "not_event", "invalid_field"]


class MalformedPayload(Exception):
    """Authentic request whose body is not JSON, not an event, or has an unusable field: answer 400.

    ``reason`` is a stable code for logs and metrics; ``detail`` never holds the body."""

    def __init__(self, reason: PayloadFailure, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: PayloadFailure = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    """Money a provider reports for one of our invoices.

    ``amount`` is signed: a refund is negative. ``invoice_ref`` is ``""`` when the provider did not say
    which invoice (kept as unmatched). ``provider_ref`` is the provider's own object id (``in_…``, ``pi_…``,
    ``cs_…``, ``ch_…``) for the history and for a person reconciling by hand. ``payer`` is only filled by the
    generic notice, and is personal data: keep it out of logs.
    """

    provider: Literal["stripe", "generic"]
    event_id: str
    invoice_ref: str
    amount: Decimal
    currency: str
    paid_on: date
    kind: NoticeKind
    raw_type: str
    provider_ref: str = ""
    payer: str = ""
    # A Stripe refund: the charge, the total refunded on it so far (``amount_refunded``, cumulative) and the
    # ids of the refunds the event lists. The store counts what it has not yet counted for that charge.
    charge: str = ""
    charge_refunded: Decimal | None = None
    refund_ids: tuple[str, ...] = ()
    # Several invoices paid at once (a portal checkout): applied in this order, ``invoice_ref`` is then "";
    # with the amount each line asked when the session says so (``metadata.invoice_amounts``), else ().
    invoice_refs: tuple[str, ...] = ()
    invoice_amounts: tuple[Decimal, ...] = ()


def sign_generic(payload: bytes, secret: str, *, now: datetime) -> str:
    """The ``Relance-Signature`` value for ``payload`` signed at ``now`` (same scheme as Stripe's)."""
    return signing.sign(payload, [secret], now=now)


# -- JSON ---------------------------------------------------------------------------------------------------


def _load_json(payload: bytes) -> Any:
    try:
        return strictjson.loads(payload)
    except strictjson.NotStrictJson as exc:
        raise MalformedPayload("not_json", f"body is not strict JSON ({exc})") from None


def _invalid(field: str, expected: str) -> MalformedPayload:
    return MalformedPayload("invalid_field", f"{field}: expected {expected}")


# An event id is a DynamoDB sort key (with a prefix, and inside the history key): 255 bytes leave room.
MAX_ID_BYTES = 255
# A reference is only looked up (``INV#<ref>``, a 2 048-byte partition key) and kept as text.
MAX_REF_BYTES = 1024


def _checked_text(value: str, field: str, max_bytes: int) -> str:
    problem = strictjson.text_problem(value, max_bytes=max_bytes)
    if problem:
        raise _invalid(field, f"text, {problem}")
    return value


def _checked_day(day: date, field: str) -> date:
    problem = date_problem(day)
    if problem:
        raise _invalid(field, f"a date between 1900 and 2199 ({problem})")
    return day


# -- Stripe -------------------------------------------------------------------------------------------------

# docs.stripe.com/currencies: amounts are in the currency's minor unit, with these exceptions.
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_MAX_MINOR = 10**15
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIMESTAMP = int((datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())


def verify_stripe(
    payload: bytes,
    sig_header: str | None,
    secrets: Sequence[str],
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> dict[str, Any]:
    """The verified Stripe event (numbers with a fraction as ``Decimal``), from the exact raw body."""
    signing.verify(payload, sig_header, secrets, now=now, tolerance_s=tolerance_s)
    event = _load_json(payload)
    _check_event(event)
    return event


def _check_event(event: Any) -> None:
    if not isinstance(event, dict) or event.get("object", "event") != "event":
        raise MalformedPayload("not_event", "not a Stripe event object")
    for field in ("id", "type"):
        if not isinstance(event.get(field), str) or not event[field]:
            raise _invalid(field, "a non-empty string")
        _checked_text(event[field], field, MAX_ID_BYTES)
    _timestamp(event, "created")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise _invalid("data.object", "an object")


def _timestamp(obj: Mapping[str, Any], field: str) -> int:
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_TIMESTAMP:
        raise _invalid(field, "a unix timestamp")
    return value


def _local_date(timestamp: int, tz: ZoneInfo) -> date:
    return (_EPOCH + timedelta(seconds=timestamp)).astimezone(tz).date()


def _currency(obj: Mapping[str, Any]) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise _invalid("currency", "an ISO 4217 code")
    return value.upper()


def _minor_units(obj: Mapping[str, Any], field: str) -> int:
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_MINOR:
        raise _invalid(field, "an amount in minor units")
    return value


def _major(minor: int, currency: str) -> Decimal:
    places = 0 if currency in _ZERO_DECIMAL else 3 if currency in _THREE_DECIMAL else 2
    return Decimal(minor).scaleb(-places)


def _text(value: Any, field: str = "reference") -> str:
    return _checked_text(value.strip(), field, MAX_REF_BYTES) if isinstance(value, str) else ""


def _metadata_ref(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata")
    return _text(metadata.get(METADATA_KEY), "metadata.invoice_id") if isinstance(metadata, dict) else ""


def _expect_object(obj: Mapping[str, Any], kind: str) -> None:
    if obj.get("object", kind) != kind:
        raise _invalid("data.object.object", repr(kind))


@dataclass(frozen=True, slots=True)
class _Reading:
    invoice_ref: str
    minor: int
    paid_at: int
    kind: NoticeKind = "payment"
    charge: str = ""
    charge_refunded_minor: int | None = None
    refund_ids: tuple[str, ...] = ()
    invoice_refs: tuple[str, ...] = ()
    invoice_amounts: tuple[Decimal, ...] = ()


def _invoice_paid(event: Mapping[str, Any], obj: Mapping[str, Any]) -> _Reading | None:
    _expect_object(obj, "invoice")
    paid_at = event["created"]
    transitions = obj.get("status_transitions")
    if isinstance(transitions, dict) and transitions.get("paid_at") is not None:
        paid_at = _timestamp(transitions, "paid_at")
    ref = _metadata_ref(obj) or _text(obj.get("number"))
    return _Reading(ref, _minor_units(obj, "amount_paid"), paid_at)


def _payment_intent_succeeded(event: Mapping[str, Any], obj: Mapping[str, Any]) -> _Reading | None:
    _expect_object(obj, "payment_intent")
    if obj.get("invoice"):
        return None  # created by a Stripe invoice: its invoice.paid reports the same money
    return _Reading(_metadata_ref(obj), _minor_units(obj, "amount_received"), event["created"])


def _checkout_session(event: Mapping[str, Any], obj: Mapping[str, Any]) -> _Reading | None:
    _expect_object(obj, "checkout.session")
    if obj.get("payment_status") != "paid":
        return None  # "unpaid" (a SEPA debit still pending: async_payment_succeeded follows) or nothing to pay
    refs = _metadata_refs(obj)
    if len(refs) > 1:
        return _Reading("", _minor_units(obj, "amount_total"), event["created"], invoice_refs=refs,
                        invoice_amounts=_metadata_amounts(obj, len(refs)))
    ref = _metadata_ref(obj) or (refs[0] if refs else "") or _text(obj.get("client_reference_id"))
    return _Reading(ref, _minor_units(obj, "amount_total"), event["created"])


MAX_REFS = 100


def _metadata_refs(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The invoices of a session for several (``metadata.invoice_ids``, comma-separated), in order, each once."""
    metadata = obj.get("metadata")
    text = _text(metadata.get("invoice_ids"), "metadata.invoice_ids") if isinstance(metadata, dict) else ""
    refs = tuple(part.strip() for part in text.split(",") if part.strip())
    if len(refs) > MAX_REFS or len(set(refs)) != len(refs):
        raise _invalid("metadata.invoice_ids", f"at most {MAX_REFS} invoice ids, each once")
    return refs


def _metadata_amounts(obj: Mapping[str, Any], count: int) -> tuple[Decimal, ...]:
    """The amount of each line (``metadata.invoice_amounts``, ``1200.00,300.50``), or () when absent or not one
    well-formed amount per invoice — the payment is then split by what each invoice owes when it arrives."""
    metadata = obj.get("metadata")
    text = metadata.get("invoice_amounts") if isinstance(metadata, dict) else None
    parts = text.split(",") if isinstance(text, str) else []
    if len(parts) != count or not all(_AMOUNT.fullmatch(p.strip()) for p in parts):
        return ()
    return tuple(Decimal(p.strip()) for p in parts)


def _charge_refunded(event: Mapping[str, Any], obj: Mapping[str, Any]) -> _Reading | None:
    """A refund of the charge's invoice.

    ``amount_refunded`` is cumulative (docs.stripe.com/api/charges/object): the notice carries it whole, and
    the store counts only what it has not counted yet for this charge — so a replay, the same change under a
    second event id, or two events for two refunds in either order, each count every refund once. The amount
    of the notice itself is the part this event added when ``previous_attributes`` says so (the figure kept
    for an unmatched refund). The refunds' own ids (``refunds.data[]``, present when the endpoint expands it
    or on API versions before 2022-11-15) go on the history."""
    _expect_object(obj, "charge")
    refunded = _minor_units(obj, "amount_refunded")
    previous = event["data"].get("previous_attributes")
    before = 0
    if isinstance(previous, dict) and "amount_refunded" in previous:
        before = _minor_units(previous, "amount_refunded")
    if refunded <= before:
        return None
    charge = _text(obj.get("id"), "id")
    if not charge or strictjson.text_problem(charge, max_bytes=MAX_ID_BYTES):
        raise _invalid("id", f"the charge's id, at most {MAX_ID_BYTES} bytes")
    return _Reading(_metadata_ref(obj), refunded - before, event["created"], "refund", charge, refunded,
                    _refund_ids(obj))


_MAX_REFUNDS = 100


def _refund_ids(charge: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids of the refunds listed on the charge (not failed or canceled); informative, never required."""
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, dict) else None
    if not isinstance(data, list):
        return ()
    ids = []
    for refund in data[:_MAX_REFUNDS]:
        if not isinstance(refund, dict) or refund.get("status") in ("failed", "canceled"):
            continue
        rid = refund.get("id")
        if isinstance(rid, str) and rid and not strictjson.text_problem(rid, max_bytes=MAX_ID_BYTES):
            ids.append(rid)
    return tuple(ids)


_STRIPE_EVENTS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], _Reading | None]] = {
    "invoice.paid": _invoice_paid,
    "payment_intent.succeeded": _payment_intent_succeeded,
    "checkout.session.completed": _checkout_session,
    "checkout.session.async_payment_succeeded": _checkout_session,
    "charge.refunded": _charge_refunded,
}
STRIPE_EVENT_TYPES = tuple(_STRIPE_EVENTS)


def stripe_notice(event: dict[str, Any], *, tz: ZoneInfo) -> PaymentNotice | None:
    """The payment notice a verified Stripe event carries, or ``None`` for an event relance ignores.

    Raises ``MalformedPayload`` when a handled event lacks a field relance needs (an amount, a currency).
    """
    _check_event(event)
    read = _STRIPE_EVENTS.get(event["type"])
    if read is None:
        return None
    obj = event["data"]["object"]
    reading = read(event, obj)
    if reading is None:
        return None
    currency = _currency(obj)
    if reading.minor == 0:
        # invoice.paid of an invoice settled by the customer's credit balance or a 100 % coupon: no money moved.
        # Acknowledged (Stripe retries anything but a 2xx for three days), nothing to apply.
        return None
    amount = _major(reading.minor, currency)
    problem = amount_problem(amount)
    if problem:
        raise _invalid("amount", f"an amount below 10^12 ({problem})")
    return PaymentNotice(
        provider="stripe",
        event_id=event["id"],
        invoice_ref=reading.invoice_ref,
        amount=-amount if reading.kind == "refund" else amount,
        currency=currency,
        paid_on=_checked_day(_local_date(reading.paid_at, tz), "paid_at"),
        kind=reading.kind,
        raw_type=event["type"],
        provider_ref=_text(obj.get("id")),
        charge=reading.charge,
        charge_refunded=(None if reading.charge_refunded_minor is None
                         else _major(reading.charge_refunded_minor, currency)),
        refund_ids=reading.refund_ids,
        invoice_refs=reading.invoice_refs,
        invoice_amounts=reading.invoice_amounts,
    )


# -- the generic notice -------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CENT = Decimal("0.01")
_MAX_AMOUNT = AMOUNT_MAX
_MAX_TEXT = 255


def verify_generic(
    payload: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> PaymentNotice:
    """The notice of a ``Relance-Signature``-signed body (GENERIC_WEBHOOK.md). Header names: any case."""
    header = signing.header_value(headers, GENERIC_SIGNATURE_HEADER)
    signing.verify(payload, header, secrets, now=now, tolerance_s=tolerance_s)
    body = _load_json(payload)
    if not isinstance(body, dict):
        raise MalformedPayload("not_event", "body is not a JSON object")
    kind = "payment" if body.get("kind") is None else body["kind"]
    if kind not in ("payment", "refund"):
        raise _invalid("kind", '"payment" or "refund"')
    amount = _generic_amount(body.get("amount"))
    return PaymentNotice(
        provider="generic",
        event_id=_generic_text(body, "id", allow_empty=False),
        invoice_ref=_generic_text(body, "invoice_id", allow_empty=True),
        amount=-amount if kind == "refund" else amount,
        currency=_currency(body),
        paid_on=_generic_date(body.get("paid_on")),
        kind=kind,
        raw_type=f"generic.{kind}",
        payer="" if body.get("payer") is None else _generic_text(body, "payer", allow_empty=True),
    )


def _generic_text(body: Mapping[str, Any], field: str, *, allow_empty: bool) -> str:
    value = body.get(field)
    if (not isinstance(value, str) or len(value) > _MAX_TEXT or not (allow_empty or value.strip())
            or strictjson.text_problem(value, max_bytes=_MAX_TEXT)):
        expected = "a string" if allow_empty else "a non-empty string"
        raise _invalid(field, f"{expected} of at most {_MAX_TEXT} characters, {_MAX_TEXT} bytes in UTF-8")
    return value.strip()


def _generic_amount(value: Any) -> Decimal:
    expected = 'a positive amount with at most 2 decimals, as a string like "1200.00"'
    if isinstance(value, str):
        if not _AMOUNT.fullmatch(value):
            raise _invalid("amount", expected)
        amount = Decimal(value)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        amount = Decimal(value)
        if not amount.is_finite() or abs(amount) >= _MAX_AMOUNT or amount != amount.quantize(_CENT):
            raise _invalid("amount", expected)
    else:
        raise _invalid("amount", expected)
    if not 0 < amount < _MAX_AMOUNT:
        raise _invalid("amount", expected)
    return amount.quantize(_CENT)


def _generic_date(value: Any, field: str = "paid_on") -> date:
    """A notice's ``field`` as an ISO date within the bounds of SPEC §3."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _checked_day(day, field)
    raise _invalid(field, "a date as YYYY-MM-DD")
