"""Every HTTP route (payment webhooks, postal status callback) on any body: 200, 400 or 401 — never a 500.

Through the real handlers on the local stack, as API Gateway's HTTP API (payload 2.0) hands them requests,
including bodies it base64-encodes (binary content types) and signed events Stripe could send but relance
cannot use. Each refusal says why; nothing is applied from a request that was refused.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from relance.adapters.postal_callback import sign_status_callback
from relance.local.demo import DEMO_SECRETS, http_post_event, put_demo_secrets, stripe_invoice_paid
from relance.payments.webhooks import sign_generic

from .conftest import book, business, invoice

STRIPE_SECRET = DEMO_SECRETS["/relance/stripe/webhook-secrets"]
GENERIC_SECRET = DEMO_SECRETS["/relance/payments/generic-secrets"]
POSTAL_SECRET = DEMO_SECRETS["/relance/postal/callback-secret"]
ROUTES = {"/webhooks/stripe": "WebhookFunction", "/webhooks/generic": "WebhookFunction",
          "/postal/status": "PostalStatusFunction"}


@pytest.fixture
def ready(stack, store):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00"), invoice("F2", amount="300.00")]))
    return store


def stripe_signature(body: bytes) -> str:
    stamp = str(int(time.time()))
    return f"t={stamp},v1=" + hmac.new(STRIPE_SECRET.encode(), stamp.encode() + b"." + body,
                                       hashlib.sha256).hexdigest()


def call(functions, path: str, body: bytes, headers: dict[str, str], *, base64_encoded: bool = False,
         content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    event = http_post_event(path, b"", {"content-type": content_type, **headers})
    if base64_encoded:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    else:
        event["body"] = body.decode("utf-8", "surrogatepass")
    answer = functions.invoke(ROUTES[path], event)
    return answer["statusCode"], json.loads(answer["body"])


def post_stripe(functions, body: bytes) -> tuple[int, dict[str, Any]]:
    return call(functions, "/webhooks/stripe", body, {"stripe-signature": stripe_signature(body)})


def post_generic(functions, body: bytes) -> tuple[int, dict[str, Any]]:
    signature = sign_generic(body, GENERIC_SECRET, now=datetime.now(UTC))
    return call(functions, "/webhooks/generic", body, {"relance-signature": signature})


def post_postal(functions, body: bytes) -> tuple[int, dict[str, Any]]:
    signature = sign_status_callback(body, POSTAL_SECRET, now=datetime.now(UTC))
    return call(functions, "/postal/status", body, {"x-relance-signature": signature})


def untouched(store) -> bool:
    return (store.invoice("F1")[0].amount_due == Decimal("1200.00") and store.history("F1") == []
            and store.invoice("F2")[0].amount_due == Decimal("300.00") and store.history("F2") == [])


def invoice_paid(**changes: Any) -> dict[str, Any]:
    event = json.loads(stripe_invoice_paid("F1", Decimal("1200.00"), date(2026, 11, 16)))
    event["created"] = int(time.time())
    event["data"]["object"]["status_transitions"]["paid_at"] = event["created"]
    for field, value in changes.items():
        if value is ...:
            del event["data"]["object"][field]
        else:
            event["data"]["object"][field] = value
    return event


# -- signed Stripe events relance cannot use --------------------------------------------------------------

UNUSABLE_STRIPE = {
    "float amount": b'{"amount_paid": 120000.5}',
    "negative amount": {"amount_paid": -120000},
    "missing amount": {"amount_paid": ...},
    "amount as a string": {"amount_paid": "120000"},
    "amount beyond any invoice": {"amount_paid": 10**40},
    "currency not a code": {"currency": "€"},
    "currency missing": {"currency": ...},
    "currency a number": {"currency": 978},
    "object type mismatch": {"object": "charge"},
    "paid_at as a string": {"status_transitions": {"paid_at": "2026-11-16"}},
    "paid_at past 2199": {"status_transitions": {"paid_at": 8_000_000_000}},
}


@pytest.mark.parametrize("case", UNUSABLE_STRIPE)
def test_a_signed_but_unusable_stripe_event_is_a_400_with_a_reason(functions, ready, case):
    change = UNUSABLE_STRIPE[case]
    if isinstance(change, bytes):  # a JSON number with a fraction cannot come from a Python dict
        body = json.dumps(invoice_paid(amount_paid=0)).replace('"amount_paid": 0', change.decode()[1:-1]).encode()
    else:
        body = json.dumps(invoice_paid(**change)).encode()
    status, answer = post_stripe(functions, body)
    assert status == 400 and answer["error"] == "malformed payload" and answer["reason"]
    assert untouched(ready)


def test_a_signed_event_with_an_unusable_id_or_type_is_a_400(functions, ready):
    for changes in ({"id": "evt_" + "𝄞" * 300}, {"id": "evt_\ud800"}, {"type": ["invoice.paid"]}):
        event = invoice_paid()
        event.update(changes)
        status, answer = post_stripe(functions, json.dumps(event).encode())
        assert status == 400 and answer["reason"], changes
    assert untouched(ready)


def test_an_invoice_settled_by_credit_balance_or_a_full_coupon_is_acknowledged_and_ignored(functions, ready):
    """amount_paid 0: Stripe retries anything but a 2xx for three days, and there is nothing to apply."""
    status, answer = post_stripe(functions, json.dumps(invoice_paid(amount_paid=0)).encode())
    assert (status, answer["outcome"]) == (200, "ignored")
    assert untouched(ready)


def test_a_stripe_payment_dated_before_1900_or_after_2199_is_refused(functions, ready):
    event = invoice_paid(status_transitions={"paid_at": None})
    event["created"] = 7_500_000_000  # in 2207
    status, answer = post_stripe(functions, json.dumps(event).encode())
    assert status == 400 and answer["reason"]
    assert untouched(ready)


# -- the generic notice ----------------------------------------------------------------------------------

def generic(**changes: Any) -> bytes:
    body = {"id": "bank-1", "invoice_id": "F1", "amount": "100.00", "currency": "EUR", "paid_on": "2026-11-20"}
    body.update(changes)
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("changes", [
    {"id": "𝄞" * 255},  # 255 characters, 1 020 bytes: beyond what a DynamoDB sort key holds with its prefix
    {"id": "bank-\ud800"},  # a lone surrogate: not text
    {"invoice_id": "F1\udfff"},
    {"payer": "\ud83d"},
    {"paid_on": "9999-12-31"},
    {"paid_on": "1899-12-31"},
    {"amount": 10**13},
])
def test_a_signed_generic_notice_with_an_unusable_field_is_a_400(functions, ready, changes):
    status, answer = post_generic(functions, generic(**changes))
    assert status == 400 and answer["error"] == "malformed payload" and answer["reason"]
    assert untouched(ready)


def test_a_generic_id_of_255_ordinary_characters_is_still_accepted(functions, ready):
    assert post_generic(functions, generic(id="b" * 255)) == (200, {"outcome": "partial"})


# -- bodies that are not text, on every route ------------------------------------------------------------

NOT_TEXT = b"\xff\xfe\x00\x81\xc3(garbage \xe9t\xe9"


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("base64_encoded", [True, False])
def test_an_unauthenticated_binary_body_is_a_401_on_every_route(functions, ready, path, base64_encoded):
    body = NOT_TEXT if base64_encoded else "\ud800 not utf-8".encode("utf-8", "surrogatepass")
    status, answer = call(functions, path, body, {}, base64_encoded=base64_encoded,
                          content_type="application/octet-stream")
    assert status == 401 and answer["error"] == "invalid signature"
    assert untouched(ready)


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_that_is_not_valid_base64_is_a_400_on_every_route(functions, ready, path):
    event = http_post_event(path, b"", {"content-type": "application/octet-stream"})
    event["body"], event["isBase64Encoded"] = "not base64 at all!", True
    answer = functions.invoke(ROUTES[path], event)
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["reason"]


def test_a_signed_binary_body_is_a_400_not_a_500(functions, ready):
    for path, header in (("/webhooks/stripe", "stripe-signature"), ("/webhooks/generic", "relance-signature")):
        signature = sign_generic(NOT_TEXT, STRIPE_SECRET if "stripe" in path else GENERIC_SECRET,
                                 now=datetime.now(UTC))
        status, answer = call(functions, path, NOT_TEXT, {header: signature}, base64_encoded=True,
                              content_type="application/octet-stream")
        assert status == 400 and answer["reason"], path
    signature = sign_status_callback(NOT_TEXT, POSTAL_SECRET, now=datetime.now(UTC))
    status, _ = call(functions, "/postal/status", NOT_TEXT, {"x-relance-signature": signature},
                     base64_encoded=True, content_type="application/octet-stream")
    assert status == 400
    assert untouched(ready)


# -- the postal status callback --------------------------------------------------------------------------

def postal(**changes: Any) -> dict[str, Any]:
    return {"provider_id": "local-k1", "status": "delivered", "event_date": "2026-11-05",
            "delivered_on": "2026-11-05", **changes}


@pytest.mark.parametrize("body", [
    b'{"provider_id": "local-k1", "status": "delivered", "delivered_on": "2026-11-05", "weight": NaN}',
    b'{"provider_id": "local-k1", "status": "delivered", "delivered_on": "2026-11-05", "x": Infinity}',
    b'{"provider_id": "local-k1", "provider_id": "local-k2", "status": "delivered"}',
    b'{"provider_id": "local-k1", "status": "delivered", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    json.dumps(postal(delivered_on="9999-12-31")).encode(),
    json.dumps(postal(event_date="0001-01-01")).encode(),
    json.dumps(postal(delivered_on="20261105")).encode(),
    json.dumps(postal(provider_id="𝄞" * 600)).encode(),
    json.dumps(postal(item="x" * 2000)).encode(),
    json.dumps(postal(reference="F1\ud800")).encode(),
    json.dumps(postal(provider_id="local-\udc00")).encode(),
])
def test_the_postal_callback_refuses_what_the_payment_parser_refuses(functions, ready, body):
    status, answer = post_postal(functions, body)
    assert status == 400 and answer["error"] == "malformed body" and answer["reason"]


def mf_callback(functions, event: Any, detail: Any, *, raw_event: str | None = None) -> tuple[int, dict[str, Any]]:
    from urllib.parse import urlencode

    form = urlencode({"event": raw_event if raw_event is not None else json.dumps(event),
                      "detail": json.dumps(detail)}).encode()
    return call(functions, "/postal/status", form, {"x-mf-webhook-secret-key": POSTAL_SECRET},
                content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize(("event", "detail", "raw"), [
    ({"name_event": "delivered", "date_event": 10**15}, [{"id_envoi": "1"}], None),
    ({"name_event": "delivered", "date_event": -10**12}, [{"id_envoi": "1"}], None),
    (None, [{"id_envoi": "1"}], '{"name_event": "delivered", "date_event": 1e999999999}'),
    (None, [{"id_envoi": "1"}], '{"name_event": "delivered", "date_event": 1796000000.5}'),
    ({"name_event": "delivered", "date_event": 1796000000}, [{"id_envoi": "𝄞" * 600}], None),
    ({"name_event": "delivered", "date_event": 1796000000}, [{"id_envoi": "1\ud800"}], None),
    (None, [{"id_envoi": "1"}], "[" * 50_000 + "]" * 50_000),
    (None, [{"id_envoi": "1"}], '{"name_event": "delivered", "date_event": NaN}'),
    (None, [{"id_envoi": "1"}], '{"name_event": "delivered", "name_event": "pnd", "date_event": 1796000000}'),
])
def test_a_merci_facteur_callback_with_an_unusable_field_is_a_400(functions, ready, event, detail, raw):
    status, answer = mf_callback(functions, event, detail, raw_event=raw)
    assert status == 400 and answer["reason"]


def test_a_stripe_event_keeps_working_after_all_that(functions, ready):
    """The refusals above are per request: the next good event is applied as before."""
    event = copy.deepcopy(invoice_paid())
    assert post_stripe(functions, json.dumps(event).encode()) == (200, {"outcome": "paid"})
