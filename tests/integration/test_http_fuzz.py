"""Property: for any body and headers, signed or not, each HTTP route answers 200, 400 or 401 and never
raises — and no payment outside euros-on-a-euro-invoice ever changes what is owed.

Through the real handlers on the local stack (the webhook function and the postal status function), with
bodies that start from Stripe's documented samples, the generic notice and the postal callbacks, then have
one field replaced by anything JSON can carry (huge and negative numbers, fractions, lone surrogates, deep
nesting, 4-byte characters), or are arbitrary bytes; each sent signed with the right secret or not, as text
or base64-encoded as API Gateway does for binary content types.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.adapters.postal_callback import sign_status_callback
from relance.local.demo import DEMO_SECRETS, http_post_event, put_demo_secrets
from relance.payments.webhooks import sign_generic

from .conftest import book, business, invoice

EVENTS = Path(__file__).resolve().parents[1] / "events"
STRIPE_SAMPLES = [json.loads((EVENTS / name).read_text()) for name in (
    "stripe_invoice_paid.json", "stripe_payment_intent_succeeded.json", "stripe_checkout_session_completed.json",
    "stripe_charge_refunded.json")]
GENERIC_SAMPLE = json.loads((EVENTS / "generic_payment.json").read_text())
POSTAL_SAMPLE = {"provider_id": "local-k1", "status": "delivered", "event_date": "2026-11-05",
                 "delivered_on": "2026-11-05", "tracking_number": "2C1", "reference": "F1-mise_en_demeure"}
SECRETS = {"/webhooks/stripe": DEMO_SECRETS["/relance/stripe/webhook-secrets"],
           "/webhooks/generic": DEMO_SECRETS["/relance/payments/generic-secrets"],
           "/postal/status": DEMO_SECRETS["/relance/postal/callback-secret"]}
FUNCTIONS = {"/webhooks/stripe": "WebhookFunction", "/webhooks/generic": "WebhookFunction",
             "/postal/status": "PostalStatusFunction"}
FUZZ = settings(max_examples=int(os.environ.get("RELANCE_HTTP_FUZZ_EXAMPLES", "120")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

TALLY = {"inputs": 0, "200": 0, "400": 0, "401": 0, "500": 0, "wrongly_applied": 0}

anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.sampled_from([0, -1, 10**15, 2**63])
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
    | st.sampled_from(["\ud800", "𝄞" * 300, "eur", "EUR", "jpy", "usd", "huf", "kwd", "9999-12-31", "1899-01-01",
                       "2026-02-30", "F1", "FUSD", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _stripe_body(draw: Any) -> dict[str, Any]:
    event = copy.deepcopy(draw(st.sampled_from(STRIPE_SAMPLES)))
    event["created"] = int(time.time())
    obj = event["data"]["object"]
    obj["metadata"] = {"invoice_id": draw(st.sampled_from(["F1", "FUSD", "F-INCONNUE"]))}
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["event", "object", "object", "object"]))
        target = event if where == "event" else obj
        key = draw(st.sampled_from(sorted(target)) | st.sampled_from(["amount_paid", "currency", "amount_refunded",
                                                                        "object", "refunds", "previous_attributes"]))
        if draw(st.booleans()) and key in target:
            del target[key]
        else:
            target[key] = draw(anything)
    return event


def _generic_body(draw: Any) -> dict[str, Any]:
    body = dict(GENERIC_SAMPLE, invoice_id=draw(st.sampled_from(["F1", "FUSD", "F-INCONNUE", ""])))
    for key in draw(st.lists(st.sampled_from([*sorted(body), "extra"]), max_size=3)):
        body[key] = draw(anything)
    return body


def _postal_body(draw: Any) -> dict[str, Any]:
    body = dict(POSTAL_SAMPLE)
    for key in draw(st.lists(st.sampled_from([*sorted(body), "item", "provider_status", "proof_url"]), max_size=3)):
        body[key] = draw(anything)
    return body


@st.composite
def requests(draw: Any) -> tuple[str, bytes, dict[str, str], bool]:
    path = draw(st.sampled_from(sorted(FUNCTIONS)))
    shape = draw(st.sampled_from(["document", "document", "document", "bytes", "merci_facteur"]))
    if shape == "bytes":
        body = draw(st.binary(max_size=300))
    elif shape == "merci_facteur" and path == "/postal/status":
        body = urlencode({"event": json.dumps({"name_event": draw(anything), "date_event": draw(anything)}),
                          "detail": json.dumps([{"id_envoi": draw(anything), "ref_interne": draw(anything)}])
                          }).encode()
    else:
        document = {"/webhooks/stripe": _stripe_body, "/webhooks/generic": _generic_body,
                    "/postal/status": _postal_body}[path](draw)
        body = json.dumps(document, default=str, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    headers: dict[str, str] = {"content-type": draw(st.sampled_from(["application/json", "application/octet-stream",
                                                                     "application/x-www-form-urlencoded"]))}
    if draw(st.booleans()):  # signed with the right secret
        now = datetime.now(UTC)
        if path == "/postal/status":
            if shape == "merci_facteur":
                headers["x-mf-webhook-secret-key"] = SECRETS[path]
            else:
                headers["x-relance-signature"] = sign_status_callback(body, SECRETS[path], now=now)
        else:
            name = "stripe-signature" if path == "/webhooks/stripe" else "relance-signature"
            headers[name] = sign_generic(body, SECRETS[path], now=now)
    elif draw(st.booleans()):
        name = draw(st.sampled_from(["stripe-signature", "relance-signature", "x-relance-signature",
                                     "x-mf-webhook-secret-key"]))
        stamp = str(int(time.time()))
        headers[name] = draw(st.text(max_size=80) | st.just(
            f"t={stamp},v1=" + hmac.new(b"wrong", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()))
    return path, body, headers, draw(st.booleans())


@pytest.fixture
def ready(stack, store):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00"),
                                   invoice("FUSD", amount="1200.00", currency="USD")]))
    # A registered letter the postal callbacks can be about, by its id or by the reference it echoes
    from datetime import date

    from relance.app.deliver import ChannelMessage, MessageAction
    from relance.ports import letter_reference

    letter = ChannelMessage("k1", date(2026, 11, 2), "C1", "registered_letter", "formel",
                            (MessageAction("F1", "mise_en_demeure", "standard", "standard"),))
    record = {"message": letter.body(), "tracking_number": "2C1", "registered": True,
              "invoices": ["F1"]}
    store.keep_letter("local-k1", record)
    store.keep_letter_by_reference(letter_reference("F1-mise_en_demeure"), record)
    return store


def _currency_of(body: bytes) -> str:
    """The currency a body names, read leniently (the test's own judgement, not relance's parser)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    obj = doc.get("data", {}).get("object", {}) if isinstance(doc.get("data"), dict) else doc
    currency = obj.get("currency") if isinstance(obj, dict) else None
    return currency.upper() if isinstance(currency, str) else ""


@FUZZ
@given(request=requests())
def test_every_route_answers_200_400_or_401_and_applies_only_euros_to_euros(functions, ready, request):
    path, body, headers, as_base64 = request
    event = http_post_event(path, b"", headers)
    try:
        text = body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # API Gateway hands over a body that is not text base64-encoded
        as_base64 = True
    if as_base64:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    else:
        event["body"] = text
    before = {iid: ready.invoice(iid)[0].amount_due for iid in ("F1", "FUSD")}
    TALLY["inputs"] += 1
    try:
        answer = functions.invoke(FUNCTIONS[path], event)
    except BaseException:
        TALLY["500"] += 1
        raise
    TALLY[str(answer["statusCode"])] = TALLY.get(str(answer["statusCode"]), 0) + 1
    assert answer["statusCode"] in (200, 400, 401), answer
    payload = json.loads(answer["body"])
    if answer["statusCode"] != 200:
        assert payload.get("error"), payload
    after = {iid: ready.invoice(iid)[0].amount_due for iid in ("F1", "FUSD")}
    if after["FUSD"] != before["FUSD"] or (after["F1"] != before["F1"] and _currency_of(body) != "EUR"):
        TALLY["wrongly_applied"] += 1
        pytest.fail(f"applied outside euros on a euro invoice: {before} -> {after}")
    assert after["F1"] >= Decimal(0)


def test_tally_of_the_http_fuzz():
    """Not a check: the figures the README quotes (run after the property, in the same session)."""
    if TALLY["inputs"]:
        print("\nHTTP fuzz:", json.dumps(TALLY))
    assert TALLY["500"] == 0 and TALLY["wrongly_applied"] == 0
