"""Webhook signatures (Stripe's scheme, ours) and the payment notices they carry."""

from __future__ import annotations

import contextlib
import copy
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.payments import webhooks
from relance.payments.webhooks import (
    MalformedPayload,
    PaymentNotice,
    sign_generic,
    stripe_notice,
    verify_generic,
    verify_stripe,
)
from relance.signing import InvalidSignature

EVENTS = Path(__file__).resolve().parents[1] / "events"
GENERIC_DOC = Path(webhooks.__file__).with_name("GENERIC_WEBHOOK.md")
PARIS = ZoneInfo("Europe/Paris")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SECRET = "whsec_test_9fQ2mL7xR4vB8nK1pZ6tW3yH"
OLD_SECRET = "whsec_test_old_Jc5dG0sA2eU7iO4qN8rV"
NOW = datetime(2026, 11, 20, 9, 14, 10, tzinfo=UTC)  # one second after the sample events were sent


def sample(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def event(name: str) -> dict[str, Any]:
    return json.loads(sample(name))


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def signed(body: bytes, *secrets: str, when: datetime = NOW) -> str:
    """A Stripe-Signature value: one v1 per secret, all at the same timestamp."""
    headers = [sign_generic(body, secret, now=when) for secret in secrets or (SECRET,)]
    timestamp = headers[0].split(",")[0]
    return ",".join([timestamp, *(h.split(",")[1] for h in headers)])


def rejected(exc_info: pytest.ExceptionInfo[InvalidSignature]) -> str:
    return exc_info.value.reason


INVOICE_PAID = sample("stripe_invoice_paid.json")


# -- Stripe signatures ---------------------------------------------------------------------------------------


def test_a_correctly_signed_stripe_event_is_returned_parsed():
    # Given the raw body Stripe sent and its signature
    # When it is verified
    verified = verify_stripe(INVOICE_PAID, signed(INVOICE_PAID), [SECRET], now=NOW)
    # Then the event comes back as a dict, exactly as sent
    assert verified == json.loads(INVOICE_PAID)
    assert (verified["id"], verified["type"]) == ("evt_1QxR2sLkdIwHu7ixTq0aV5bN", "invoice.paid")


def test_a_tampered_body_is_rejected():
    header = signed(INVOICE_PAID)
    tampered = INVOICE_PAID.replace(b'"amount_paid": 120000', b'"amount_paid": 999999')
    assert tampered != INVOICE_PAID
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(tampered, header, [SECRET], now=NOW)
    assert rejected(exc) == "mismatch"


def test_the_same_json_reformatted_is_rejected_because_the_raw_bytes_are_signed():
    reformatted = json.dumps(json.loads(INVOICE_PAID)).encode()
    with pytest.raises(InvalidSignature):
        verify_stripe(reformatted, signed(INVOICE_PAID), [SECRET], now=NOW)


def test_a_signature_made_with_another_secret_is_rejected():
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, signed(INVOICE_PAID, "whsec_someone_else"), [SECRET], now=NOW)
    assert rejected(exc) == "mismatch"


def test_a_signature_five_minutes_old_is_accepted_and_one_second_more_is_stale():
    header = signed(INVOICE_PAID, when=NOW)
    verify_stripe(INVOICE_PAID, header, [SECRET], now=at(300))
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, header, [SECRET], now=at(301))
    assert rejected(exc) == "stale"


def test_a_replayed_event_hours_later_is_stale():
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, signed(INVOICE_PAID), [SECRET], now=at(6 * 3600))
    assert rejected(exc) == "stale"


def test_a_timestamp_from_the_future_beyond_the_tolerance_is_rejected():
    header = signed(INVOICE_PAID, when=at(301))
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, header, [SECRET], now=NOW)
    assert rejected(exc) == "future"
    # while a clock five minutes ahead is still tolerated
    verify_stripe(INVOICE_PAID, signed(INVOICE_PAID, when=at(300)), [SECRET], now=NOW)


def test_the_tolerance_is_configurable():
    header = signed(INVOICE_PAID, when=at(-30))
    with pytest.raises(InvalidSignature):
        verify_stripe(INVOICE_PAID, header, [SECRET], now=NOW, tolerance_s=10)


@pytest.mark.parametrize("configured", [[SECRET], [OLD_SECRET]])
def test_during_a_rotation_stripe_sends_two_v1_and_either_secret_verifies(configured):
    # Given Stripe signs with the old and the new secret while both are valid
    header = signed(INVOICE_PAID, OLD_SECRET, SECRET)
    assert header.count("v1=") == 2
    # Then relance configured with either one accepts the event
    assert verify_stripe(INVOICE_PAID, header, configured, now=NOW)["type"] == "invoice.paid"


@pytest.mark.parametrize("signing", [SECRET, OLD_SECRET])
def test_two_configured_secrets_each_verify_their_own_signatures(signing):
    header = signed(INVOICE_PAID, signing)
    assert verify_stripe(INVOICE_PAID, header, [OLD_SECRET, SECRET], now=NOW)["id"]


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_signature_header_is_rejected(header):
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, header, [SECRET], now=NOW)
    assert rejected(exc) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=,v1=" + "0" * 64,
        "t=abc,v1=" + "0" * 64,
        "t=-1795166050,v1=" + "0" * 64,
        "v1=" + "0" * 64,
        "t=1795166050,t=1795166051,v1=" + "0" * 64,
        "t=1795166050.5,v1=" + "0" * 64,
    ],
)
def test_a_malformed_signature_header_is_rejected(header):
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, header, [SECRET], now=NOW)
    assert rejected(exc) == "malformed"


def test_a_header_with_only_a_v0_signature_is_rejected_even_if_v0_is_correct():
    # v0 is Stripe's legacy test scheme: relance only accepts v1
    v1_only = signed(INVOICE_PAID)
    v0_only = v1_only.replace("v1=", "v0=")
    with pytest.raises(InvalidSignature) as exc:
        verify_stripe(INVOICE_PAID, v0_only, [SECRET], now=NOW)
    assert rejected(exc) == "no_v1"


def test_unknown_elements_and_a_v0_next_to_a_valid_v1_are_ignored():
    header = signed(INVOICE_PAID) + ",v0=" + "f" * 64 + ",v2=whatever,novalue"
    assert verify_stripe(INVOICE_PAID, header, [SECRET], now=NOW)["type"] == "invoice.paid"


def test_an_uppercase_hex_signature_does_not_match():
    # Stripe writes lowercase hex and compares exactly; so does relance
    t, v1 = signed(INVOICE_PAID).split(",")
    with pytest.raises(InvalidSignature):
        verify_stripe(INVOICE_PAID, f"{t},{v1.upper().replace('V1=', 'v1=')}", [SECRET], now=NOW)


def test_an_authentic_body_that_is_not_json_is_malformed_not_forged():
    body = b"<html>not json</html>"
    with pytest.raises(MalformedPayload) as exc:
        verify_stripe(body, signed(body), [SECRET], now=NOW)
    assert exc.value.reason == "not_json"
    assert b"html" not in str(exc.value).encode()  # the body never reaches the message


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"evt"', b"{}", b'{"object": "v2.core.event", "id": "evt_1", "type": "x", "created": 1}'],
)
def test_authentic_json_that_is_not_a_stripe_event_is_malformed(body):
    with pytest.raises(MalformedPayload):
        verify_stripe(body, signed(body), [SECRET], now=NOW)


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, b"\xff\xfe{}"])
def test_pathological_authentic_bodies_are_malformed_without_crashing(body):
    # nesting beyond the recursion limit, an integer beyond Python's digit limit, invalid UTF-8
    with pytest.raises(MalformedPayload):
        verify_stripe(body, signed(body), [SECRET], now=NOW)


def test_a_forged_body_is_reported_as_a_bad_signature_before_its_content_is_read():
    with pytest.raises(InvalidSignature):
        verify_stripe(b"not json", signed(b"something else"), [SECRET], now=NOW)


def test_numbers_with_a_fraction_are_parsed_as_decimal_never_float():
    doc = json.loads(INVOICE_PAID)
    doc["data"]["object"]["metadata"]["rate"] = 0.1
    body = json.dumps(doc).encode()
    verified = verify_stripe(body, signed(body), [SECRET], now=NOW)
    assert verified["data"]["object"]["metadata"]["rate"] == Decimal("0.1")


@pytest.mark.parametrize(("secrets", "error"), [(SECRET, TypeError), ([], ValueError), ([""], ValueError)])
def test_a_missing_secret_is_a_configuration_error_not_a_forged_request(secrets, error):
    with pytest.raises(error):
        verify_stripe(INVOICE_PAID, signed(INVOICE_PAID), secrets, now=NOW)


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        verify_stripe(INVOICE_PAID, signed(INVOICE_PAID), [SECRET], now=NOW.replace(tzinfo=None))


# -- agreement with the official stripe library --------------------------------------------------------------


def test_relance_and_the_stripe_library_accept_each_others_signatures():
    stripe = pytest.importorskip("stripe")
    # The library reads the real clock for its tolerance: sign at the current time on both sides.
    now = datetime.fromtimestamp(int(time.time()), UTC)
    ours = sign_generic(INVOICE_PAID, SECRET, now=now)
    theirs = stripe.WebhookSignature.generate_signature_header(
        INVOICE_PAID.decode(), SECRET, timestamp=int(now.timestamp())
    )
    assert ours == theirs
    assert stripe.Webhook.construct_event(INVOICE_PAID, ours, SECRET).id == "evt_1QxR2sLkdIwHu7ixTq0aV5bN"
    assert verify_stripe(INVOICE_PAID, theirs, [SECRET], now=now)["id"] == "evt_1QxR2sLkdIwHu7ixTq0aV5bN"


def test_the_stripe_library_also_rejects_what_relance_rejects():
    stripe = pytest.importorskip("stripe")
    now = datetime.fromtimestamp(int(time.time()), UTC)
    tampered = INVOICE_PAID.replace(b"120000", b"120001")
    for body, header in [
        (tampered, sign_generic(INVOICE_PAID, SECRET, now=now)),
        (INVOICE_PAID, sign_generic(INVOICE_PAID, "whsec_other", now=now)),
        (INVOICE_PAID, sign_generic(INVOICE_PAID, SECRET, now=now - timedelta(seconds=301))),
    ]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, SECRET)
        with pytest.raises(InvalidSignature):
            verify_stripe(body, header, [SECRET], now=now)


@SETTINGS
@given(body=st.text(max_size=300), secret=st.text(min_size=1, max_size=40), timestamp=st.integers(0, 4 * 10**9))
def test_for_any_body_and_secret_relance_computes_the_stripe_librarys_signature(body, secret, timestamp):
    stripe = pytest.importorskip("stripe")
    when = datetime.fromtimestamp(timestamp, UTC)
    try:
        raw = body.encode("utf-8")
        secret.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates: neither side can send such text
    assert sign_generic(raw, secret, now=when) == stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp
    )


# -- Stripe events → payment notices -------------------------------------------------------------------------


def test_invoice_paid_becomes_a_payment_of_our_invoice_named_in_metadata():
    notice = stripe_notice(event("stripe_invoice_paid.json"), tz=PARIS)
    assert notice == PaymentNotice(
        provider="stripe",
        event_id="evt_1QxR2sLkdIwHu7ixTq0aV5bN",
        invoice_ref="F-2026-0042",
        amount=Decimal("1200.00"),
        currency="EUR",
        paid_on=date(2026, 11, 20),
        kind="payment",
        raw_type="invoice.paid",
        provider_ref="in_1QxR2pLkdIwHu7ixvM9s3KdE",
    )


def test_invoice_paid_without_metadata_falls_back_to_the_stripe_invoice_number():
    doc = event("stripe_invoice_paid.json")
    doc["data"]["object"]["metadata"] = {}
    assert stripe_notice(doc, tz=PARIS).invoice_ref == "DURAND-0042"


def test_invoice_paid_is_dated_by_its_paid_at_not_by_the_event():
    # Given an invoice paid at 23:30 UTC on 31 December whose event was sent the next morning
    doc = event("stripe_invoice_paid.json")
    doc["data"]["object"]["status_transitions"]["paid_at"] = 1798759800  # 2026-12-31 23:30 UTC
    doc["created"] = 1798790400  # 2027-01-01 08:00 UTC
    # Then it was paid on 1 January in Paris
    assert stripe_notice(doc, tz=PARIS).paid_on == date(2027, 1, 1)


def test_payment_intent_succeeded_becomes_a_payment_of_the_invoice_in_its_metadata():
    notice = stripe_notice(event("stripe_payment_intent_succeeded.json"), tz=PARIS)
    assert (notice.invoice_ref, notice.amount, notice.currency, notice.kind, notice.raw_type) == (
        "F-2026-0043",
        Decimal("540.00"),
        "EUR",
        "payment",
        "payment_intent.succeeded",
    )
    assert (notice.event_id, notice.provider_ref) == ("evt_3QyA7dLkdIwHu7ix1xGm8Rtq", "pi_3QyA7dLkdIwHu7ix1Wd5sJcB")


def test_a_payment_intent_description_is_never_read_as_an_invoice_reference():
    doc = event("stripe_payment_intent_succeeded.json")
    doc["data"]["object"]["metadata"] = {}
    assert doc["data"]["object"]["description"] == "Facture F-2026-0043"
    assert stripe_notice(doc, tz=PARIS).invoice_ref == ""


def test_a_payment_intent_created_by_a_stripe_invoice_is_left_to_invoice_paid():
    doc = event("stripe_payment_intent_succeeded.json")
    doc["data"]["object"]["invoice"] = "in_1QxR2pLkdIwHu7ixvM9s3KdE"
    assert stripe_notice(doc, tz=PARIS) is None


def test_a_payment_intent_partly_captured_counts_what_was_received():
    doc = event("stripe_payment_intent_succeeded.json")
    doc["data"]["object"]["amount_received"] = 50000
    assert stripe_notice(doc, tz=PARIS).amount == Decimal("500.00")


def test_a_paid_checkout_session_names_the_invoice_by_client_reference_id():
    notice = stripe_notice(event("stripe_checkout_session_completed.json"), tz=PARIS)
    assert (notice.invoice_ref, notice.amount, notice.kind, notice.paid_on) == (
        "F-2026-0044",
        Decimal("360.00"),
        "payment",
        date(2026, 11, 20),
    )


def test_checkout_session_metadata_wins_over_client_reference_id():
    doc = event("stripe_checkout_session_completed.json")
    doc["data"]["object"]["metadata"] = {"invoice_id": "F-2026-0045"}
    assert stripe_notice(doc, tz=PARIS).invoice_ref == "F-2026-0045"


@pytest.mark.parametrize("status", ["unpaid", "no_payment_required"])
def test_a_checkout_session_completed_but_not_paid_is_ignored(status):
    doc = event("stripe_checkout_session_completed.json")
    doc["data"]["object"]["payment_status"] = status
    assert stripe_notice(doc, tz=PARIS) is None


def test_a_delayed_sepa_checkout_payment_counts_when_it_succeeds():
    doc = event("stripe_checkout_session_completed.json")
    doc["type"] = "checkout.session.async_payment_succeeded"
    assert stripe_notice(doc, tz=PARIS).amount == Decimal("360.00")


def test_charge_refunded_is_a_negative_refund_of_the_newly_refunded_part():
    # Given a second partial refund: 40.00 € earlier, 140.00 € refunded in all now
    notice = stripe_notice(event("stripe_charge_refunded.json"), tz=PARIS)
    # Then this event gives back 100.00 € of invoice F-2026-0043
    assert (notice.invoice_ref, notice.amount, notice.kind, notice.raw_type, notice.paid_on) == (
        "F-2026-0043",
        Decimal("-100.00"),
        "refund",
        "charge.refunded",
        date(2026, 12, 2),
    )
    assert notice.provider_ref == "ch_3QyA7dLkdIwHu7ix1aQ0cVbN"


def test_a_refund_carries_the_charge_and_its_cumulative_refunded_total_for_the_store_to_reconcile():
    notice = stripe_notice(event("stripe_charge_refunded.json"), tz=PARIS)
    assert (notice.charge, notice.charge_refunded, notice.refund_ids) == (
        "ch_3QyA7dLkdIwHu7ix1aQ0cVbN", Decimal("140.00"), ())


def test_the_refunds_a_charge_lists_are_named_by_their_own_ids_failed_ones_left_out():
    doc = event("stripe_charge_refunded.json")
    doc["data"]["object"]["refunds"] = {"object": "list", "has_more": False, "data": [
        {"id": "re_2", "object": "refund", "amount": 10000, "status": "succeeded"},
        {"id": "re_x", "object": "refund", "amount": 500, "status": "failed"},
        {"id": "re_1", "object": "refund", "amount": 4000, "status": "succeeded"},
        {"id": 12, "object": "refund"}, "junk"]}
    assert stripe_notice(doc, tz=PARIS).refund_ids == ("re_2", "re_1")


def test_a_first_refund_without_previous_attributes_counts_the_whole_refunded_amount():
    doc = event("stripe_charge_refunded.json")
    del doc["data"]["previous_attributes"]
    assert stripe_notice(doc, tz=PARIS).amount == Decimal("-140.00")


@pytest.mark.parametrize(
    "event_type",
    ["customer.created", "invoice.payment_failed", "payment_intent.payment_failed", "invoice.finalized", "ping"],
)
def test_other_event_types_are_ignored(event_type):
    doc = event("stripe_invoice_paid.json")
    doc["type"] = event_type
    assert stripe_notice(doc, tz=PARIS) is None


@pytest.mark.parametrize(
    ("name", "remove"),
    [
        ("stripe_invoice_paid.json", ("metadata", "number")),
        ("stripe_payment_intent_succeeded.json", ("metadata",)),
        ("stripe_checkout_session_completed.json", ("metadata", "client_reference_id")),
        ("stripe_charge_refunded.json", ("metadata",)),
    ],
)
def test_an_event_without_an_invoice_reference_gives_an_unmatched_notice(name, remove):
    doc = event(name)
    for field in remove:
        doc["data"]["object"][field] = None
    notice = stripe_notice(doc, tz=PARIS)
    assert notice is not None and notice.invoice_ref == ""


@pytest.mark.parametrize(
    ("minor", "euros"),
    [(1, "0.01"), (99, "0.99"), (120000, "1200.00"), (123456789, "1234567.89")],
)
def test_stripe_minor_units_become_exact_euros(minor, euros):
    doc = event("stripe_invoice_paid.json")
    doc["data"]["object"]["amount_paid"] = minor
    amount = stripe_notice(doc, tz=PARIS).amount
    assert amount == Decimal(euros) and str(amount) == euros


@pytest.mark.parametrize(("currency", "minor", "amount"), [("xpf", 12000, "12000"), ("kwd", 5120, "5.120")])
def test_zero_and_three_decimal_currencies_use_their_own_minor_unit(currency, minor, amount):
    doc = event("stripe_payment_intent_succeeded.json")
    doc["data"]["object"].update(currency=currency, amount_received=minor)
    notice = stripe_notice(doc, tz=PARIS)
    assert (notice.currency, notice.amount) == (currency.upper(), Decimal(amount))


def test_a_non_euro_payment_is_kept_with_its_currency():
    doc = event("stripe_payment_intent_succeeded.json")
    doc["data"]["object"]["currency"] = "usd"
    notice = stripe_notice(doc, tz=PARIS)
    assert (notice.currency, notice.amount) == ("USD", Decimal("540.00"))


@pytest.mark.parametrize(
    ("created", "paris_day"),
    [
        (1798759800, date(2027, 1, 1)),  # 2026-12-31 23:30 UTC = 00:30 in Paris (UTC+1)
        (1798757940, date(2026, 12, 31)),  # 2026-12-31 22:59 UTC = 23:59 in Paris
        (1782858600, date(2026, 7, 1)),  # 2026-06-30 22:30 UTC = 00:30 in Paris (summer time, UTC+2)
    ],
)
def test_paid_on_is_the_company_date_in_europe_paris(created, paris_day):
    doc = event("stripe_payment_intent_succeeded.json")
    doc["created"] = created
    assert stripe_notice(doc, tz=PARIS).paid_on == paris_day
    assert stripe_notice(doc, tz=ZoneInfo("UTC")).paid_on == datetime.fromtimestamp(created, UTC).date()


@pytest.mark.parametrize("amount", [None, "120000", Decimal("1200.0"), True, -1])
def test_a_handled_event_with_an_unusable_amount_is_malformed(amount):
    doc = event("stripe_invoice_paid.json")
    doc["data"]["object"]["amount_paid"] = amount
    with pytest.raises(MalformedPayload) as exc:
        stripe_notice(doc, tz=PARIS)
    assert "amount_paid" in exc.value.detail


def test_a_handled_event_without_a_currency_is_malformed():
    doc = event("stripe_checkout_session_completed.json")
    del doc["data"]["object"]["currency"]
    with pytest.raises(MalformedPayload):
        stripe_notice(doc, tz=PARIS)


def test_verify_then_map_the_signed_samples_end_to_end():
    for name in [
        "stripe_invoice_paid.json",
        "stripe_payment_intent_succeeded.json",
        "stripe_checkout_session_completed.json",
    ]:
        body = sample(name)
        notice = stripe_notice(verify_stripe(body, signed(body), [SECRET], now=NOW), tz=PARIS)
        assert notice is not None and notice.amount > 0


@pytest.mark.parametrize("name", ["stripe_invoice_paid.json", "stripe_payment_intent_succeeded.json",
                                  "stripe_checkout_session_completed.json"])
def test_a_payment_of_nothing_is_ignored_not_applied(name):
    """An invoice settled by the customer's credit balance or a 100 % coupon sends invoice.paid with
    amount_paid 0: nothing to apply, and a 2xx so that Stripe does not retry it for three days."""
    doc = event(name)
    field = {"invoice": "amount_paid", "payment_intent": "amount_received"}.get(doc["data"]["object"]["object"],
                                                                                "amount_total")
    doc["data"]["object"][field] = 0
    assert stripe_notice(doc, tz=PARIS) is None


@SETTINGS
@given(minor=st.integers(1, 10**12))
def test_any_amount_in_cents_converts_exactly(minor):
    doc = event("stripe_invoice_paid.json")
    doc["data"]["object"]["amount_paid"] = minor
    amount = stripe_notice(doc, tz=PARIS).amount
    assert amount * 100 == minor and amount.as_tuple().exponent == -2


# -- the generic notice --------------------------------------------------------------------------------------

GENERIC_SECRET = "relance-example-secret-do-not-use"
GENERIC_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
GENERIC = sample("generic_payment.json")


def generic(body: dict[str, Any] | bytes, *, when: datetime = GENERIC_NOW) -> PaymentNotice:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = sign_generic(raw, GENERIC_SECRET, now=when)
    return verify_generic(raw, {"Relance-Signature": header}, [GENERIC_SECRET], now=GENERIC_NOW)


def generic_body(**changes: Any) -> dict[str, Any]:
    body = json.loads(GENERIC)
    for key, value in changes.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


def test_the_worked_example_of_the_documentation_is_what_relance_computes():
    # Given the documented secret, time and body (the sample file, byte for byte)
    header = sign_generic(GENERIC, GENERIC_SECRET, now=GENERIC_NOW)
    # Then the documented header is the one relance computes and accepts
    assert header == "t=1795165200,v1=bbf59c167c06e31ecc8a8bc48458b9fa4e8e5a3e0a7ee0a987d87f37948dc71c"
    doc = GENERIC_DOC.read_text(encoding="utf-8")
    assert f"Relance-Signature: {header}" in doc
    assert GENERIC.decode() in doc and f"{len(GENERIC)} bytes" in doc
    assert verify_generic(GENERIC, {"Relance-Signature": header}, [GENERIC_SECRET], now=GENERIC_NOW)


def test_a_signed_generic_notice_becomes_a_payment_notice():
    assert generic(GENERIC) == PaymentNotice(
        provider="generic",
        event_id="bank-2026-11-20-000123",
        invoice_ref="F-2026-0042",
        amount=Decimal("1200.00"),
        currency="EUR",
        paid_on=date(2026, 11, 20),
        kind="payment",
        raw_type="generic.payment",
        payer="Menuiserie Martin SARL",
    )


def test_the_generic_header_name_is_case_insensitive():
    # API Gateway's HTTP API hands headers over in lower case
    header = sign_generic(GENERIC, GENERIC_SECRET, now=GENERIC_NOW)
    notice = verify_generic(GENERIC, {"relance-signature": header}, [GENERIC_SECRET], now=GENERIC_NOW)
    assert notice.event_id == "bank-2026-11-20-000123"


def test_a_generic_notice_without_its_header_is_rejected_even_with_a_stripe_one():
    header = sign_generic(GENERIC, GENERIC_SECRET, now=GENERIC_NOW)
    with pytest.raises(InvalidSignature) as exc:
        verify_generic(GENERIC, {"Stripe-Signature": header}, [GENERIC_SECRET], now=GENERIC_NOW)
    assert rejected(exc) == "missing"


def test_a_generic_notice_signed_with_another_secret_or_too_long_ago_is_rejected():
    for header, reason in [
        (sign_generic(GENERIC, "not-the-secret", now=GENERIC_NOW), "mismatch"),
        (sign_generic(GENERIC, GENERIC_SECRET, now=GENERIC_NOW - timedelta(minutes=6)), "stale"),
        (sign_generic(GENERIC, GENERIC_SECRET, now=GENERIC_NOW + timedelta(minutes=6)), "future"),
    ]:
        with pytest.raises(InvalidSignature) as exc:
            verify_generic(GENERIC, {"Relance-Signature": header}, [GENERIC_SECRET], now=GENERIC_NOW)
        assert rejected(exc) == reason


def test_a_generic_refund_is_a_negative_amount():
    notice = generic(generic_body(kind="refund", amount="200.00"))
    assert (notice.amount, notice.kind, notice.raw_type) == (Decimal("-200.00"), "refund", "generic.refund")


def test_a_generic_notice_is_a_payment_unless_told_otherwise():
    assert generic(generic_body(kind=...)).kind == "payment"
    assert generic(generic_body(kind=None)).kind == "payment"


def test_a_generic_notice_may_leave_the_invoice_unknown_and_the_payer_out():
    notice = generic(generic_body(invoice_id="", payer=None))
    assert (notice.invoice_ref, notice.payer) == ("", "")


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        (b'"1200.00"', "1200.00"),
        (b'"1200.5"', "1200.50"),
        (b'"1200"', "1200.00"),
        (b'"0.01"', "0.01"),
        (b"1200", "1200.00"),
        (b"1200.50", "1200.50"),
        (b"1200.500", "1200.50"),
        (b"0.1", "0.10"),
    ],
)
def test_generic_amounts_are_read_exactly(raw, amount):
    body = GENERIC.replace(b'"1200.00"', raw)
    result = generic(body).amount
    assert result == Decimal(amount) and str(result) == amount


@pytest.mark.parametrize(
    "raw",
    [
        b'"1200.001"',
        b'"1 200,00"',
        b'"1200,00"',
        b'"-5.00"',
        b'"+5.00"',
        b'"0"',
        b'"0.00"',
        b'"1e3"',
        b'"12.00 \xe2\x82\xac"',
        b'""',
        b"1200.001",
        b"0",
        b"-1",
        b"true",
        b"null",
        b"NaN",
        b"Infinity",
        b"1e400",
        b'"9999999999999.00"',
    ],
)
def test_generic_amounts_that_are_not_positive_cents_are_malformed(raw):
    with pytest.raises(MalformedPayload):
        generic(GENERIC.replace(b'"1200.00"', raw))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": ...},
        {"id": ""},
        {"id": 42},
        {"id": "x" * 256},
        {"invoice_id": ...},
        {"invoice_id": 42},
        {"currency": ...},
        {"currency": "euro"},
        {"currency": "€"},
        {"paid_on": ...},
        {"paid_on": "20/11/2026"},
        {"paid_on": "20261120"},
        {"paid_on": "2026-02-30"},
        {"paid_on": "2026-11-20T10:00:00"},
        {"kind": "chargeback"},
        {"payer": 12},
    ],
)
def test_a_generic_notice_with_a_missing_or_invalid_field_is_malformed(changes):
    with pytest.raises(MalformedPayload) as exc:
        generic(generic_body(**changes))
    assert exc.value.reason == "invalid_field"
    assert next(iter(changes)) in exc.value.detail


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"not json", b"\xff\xfe", b'{"id": "a", "id": "b"}'])
def test_a_generic_body_that_is_not_one_json_object_is_malformed(body):
    with pytest.raises(MalformedPayload):
        generic(body)


def test_a_generic_body_with_a_duplicated_amount_is_malformed():
    body = GENERIC.replace(b'"amount":"1200.00"', b'"amount":"1.00","amount":"1200.00"')
    with pytest.raises(MalformedPayload):
        generic(body)


def test_unknown_generic_fields_are_ignored():
    assert generic(generic_body(bank_reference="VIR SEPA 123")).amount == Decimal("1200.00")


# -- any input: only the two expected exceptions -------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.decimals(allow_nan=False, places=3),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
header_values = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(
        lambda t, sigs, extra: ",".join([f"t={t}", *(f"v1={s}" for s in sigs), *extra]),
        st.one_of(st.integers(-(10**13), 10**13).map(str), st.text(max_size=12)),
        st.lists(st.text("0123456789abcdef", min_size=0, max_size=70), max_size=3),
        st.lists(st.text(max_size=20), max_size=3),
    ),
)


@SETTINGS
@given(body=st.binary(max_size=500), header=header_values)
def test_any_stripe_request_is_either_verified_or_refused_with_a_signature_error(body, header):
    with pytest.raises(InvalidSignature):
        verify_stripe(body, header, [SECRET], now=NOW)


@SETTINGS
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v, default=str).encode())))
def test_any_authentic_stripe_body_is_an_event_or_malformed(body):
    try:
        verified = verify_stripe(body, signed(body), [SECRET], now=NOW)
    except MalformedPayload:
        return
    with contextlib.suppress(MalformedPayload):
        stripe_notice(verified, tz=PARIS)


def _event_like(event_type: str, obj: dict[str, Any], created: Any, extra: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": event_type, "created": created, "data": {"object": obj, **extra}}


@SETTINGS
@given(
    event_type=st.sampled_from([*webhooks.STRIPE_EVENT_TYPES, "customer.created"]),
    template=st.sampled_from(
        [
            "stripe_invoice_paid.json",
            "stripe_payment_intent_succeeded.json",
            "stripe_checkout_session_completed.json",
            "stripe_charge_refunded.json",
        ]
    ),
    overrides=st.dictionaries(
        st.sampled_from(
            [
                "amount_paid",
                "amount_received",
                "amount_total",
                "amount_refunded",
                "currency",
                "metadata",
                "number",
                "client_reference_id",
                "payment_status",
                "status_transitions",
                "invoice",
                "object",
            ]
        ),
        json_values,
        max_size=4,
    ),
    created=st.one_of(st.integers(-(10**12), 10**12), json_values),
    previous=json_values,
)
def test_any_verified_event_shape_maps_to_a_notice_none_or_malformed(
    event_type, template, overrides, created, previous
):
    obj = copy.deepcopy(event(template)["data"]["object"])
    obj.update(overrides)
    doc = _event_like(event_type, obj, created, {"previous_attributes": previous})
    try:
        notice = stripe_notice(doc, tz=PARIS)
    except MalformedPayload:
        return
    if notice is not None:
        assert isinstance(notice.amount, Decimal) and notice.amount.is_finite()
        assert (notice.amount < 0) == (notice.kind == "refund")
        assert re.fullmatch(r"[A-Z]{3}", notice.currency)


@SETTINGS
@given(
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(["Relance-Signature", "relance-signature", "x"]),
        header_values.filter(lambda h: h is not None),
        max_size=2,
    ),
)
def test_any_generic_request_is_refused_with_a_signature_error(body, headers):
    with pytest.raises(InvalidSignature):
        verify_generic(body, headers, [GENERIC_SECRET], now=GENERIC_NOW)


@SETTINGS
@given(
    changes=st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.text(max_size=300), json_values),
            "invoice_id": st.one_of(st.text(max_size=30), json_values),
            "amount": st.one_of(
                st.decimals(allow_nan=False, allow_infinity=False).map(str),
                st.from_regex(r"-?[0-9]{0,14}([.,][0-9]{0,4})?", fullmatch=True),
                st.integers(),
                json_values,
            ),
            "currency": st.one_of(st.sampled_from(["EUR", "eur", "usd", "XPF"]), st.text(max_size=4), json_values),
            "paid_on": st.one_of(st.dates().map(str), st.text(max_size=12), json_values),
            "kind": st.one_of(st.sampled_from(["payment", "refund"]), json_values),
            "payer": st.one_of(st.text(max_size=300), json_values),
        },
    ),
    absent=st.sets(st.sampled_from(["id", "invoice_id", "amount", "currency", "paid_on", "kind", "payer"]), max_size=2),
)
def test_any_authentic_generic_body_is_a_notice_or_malformed(changes, absent):
    # Given the sample notice with some fields changed and some removed
    body = generic_body(**changes, **dict.fromkeys(absent - changes.keys(), ...))
    try:
        notice = generic(json.dumps(body, default=str).encode())
    except MalformedPayload:
        return
    assert notice.amount != 0 and notice.amount.as_tuple().exponent == -2
    assert (notice.amount < 0) == (notice.kind == "refund")
    assert notice.event_id and re.fullmatch(r"[A-Z]{3}", notice.currency)
