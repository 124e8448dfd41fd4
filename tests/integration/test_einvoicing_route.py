"""POST /einvoicing/status through the real webhook function on the local stack, within its role."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from relance import signing
from relance.local.demo import DEMO_SECRETS, put_demo_secrets, signed_http_event

from ..support.books import book, business, invoice
from .test_least_privilege import dynamodb_requests, recorded_calls, refused

SECRET = DEMO_SECRETS["/relance/einvoicing/status-secrets"]


def post(functions, body: dict, secret: str = SECRET) -> tuple[int, dict]:
    raw = json.dumps(body).encode()
    header = signing.sign(raw, secret, now=datetime.now(UTC))
    answer = functions.invoke("WebhookFunction", signed_http_event("/einvoicing/status", raw, "Relance-Signature",
                                                                   header))
    return answer["statusCode"], json.loads(answer["body"])


def test_a_dispute_then_a_collection_go_through_the_signed_route_within_the_role(stack, store, functions):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))

    with recorded_calls() as calls:
        disputed = post(functions, {"id": "pa-1", "invoice_id": "F1", "status": "207", "date": "2026-11-10",
                                    "reason": "livraison incomplète"})
        again = post(functions, {"id": "pa-1", "invoice_id": "F1", "status": "207", "date": "2026-11-10"})
        unknown = post(functions, {"id": "pa-2", "invoice_id": "F-NOPE", "status": "207", "date": "2026-11-10"})

    assert disputed == (200, {"outcome": "applied", "status": "207", "label": "En litige"})
    assert again[1]["outcome"] == "duplicate" and unknown[1]["outcome"] == "unmatched"
    assert store.invoice("F1")[0].status == "disputed"
    assert refused("WebhookFunction", dynamodb_requests(calls, stack.physical["DataTable"])) == []

    with recorded_calls() as calls:
        post(functions, {"id": "pa-3", "invoice_id": "F1", "status": "209", "date": "2026-11-12"})
        collected = post(functions, {"id": "pa-4", "invoice_id": "F1", "status": 212, "date": "2026-11-20",
                                     "amount": "1200.00", "currency": "EUR"})
    assert collected[1]["outcome"] == "paid" and store.invoice("F1")[0].status == "paid"
    assert refused("WebhookFunction", dynamodb_requests(calls, stack.physical["DataTable"])) == []


def test_a_wrong_signature_is_refused_and_changes_nothing(stack, store, functions):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1")]))

    answer = post(functions, {"id": "pa-9", "invoice_id": "F1", "status": "220", "date": "2026-11-10"},
                  secret="not the secret")

    assert answer == (401, {"error": "invalid signature"})
    assert store.invoice("F1")[0].status == "open"
