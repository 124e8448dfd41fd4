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


def test_a_refusal_reaches_the_company_once_in_the_next_daily_notice(stack, store, functions, monkeypatch, capsys):
    from moto.ses.models import ses_backends

    from .test_channels import sent_emails

    ses_backends["123456789012"][stack.region].sent_messages.clear()
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    post(functions, {"id": "pa-10", "invoice_id": "F1", "status": "210", "date": "2026-11-16",
                     "reason": "commande annulée"})

    first = functions.invoke("DigestFunction", {"run_date": "2026-11-17"}, RELANCE_TODAY="2026-11-17")
    again = functions.invoke("DigestFunction", {"run_date": "2026-11-18"}, RELANCE_TODAY="2026-11-18")

    assert first["platform_notice"] is True and again["platform_notice"] is False
    (mail,) = [m for m in sent_emails(stack) if "facture électronique" in m["Subject"]]
    text = mail.get_body(("plain",)).get_content()
    assert "Facture F1 : « 210 Refusée » le 16/11/2026" in text
    assert "Motif donné : « commande annulée »" in text and "relances sont arrêtées" in text
    assert store.invoice("F1")[0].status == "disputed"
    # and the finance assistant finds it in the review list
    from relance.cli import main

    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["invoice", "review"]) == 0
    assert any("statut « 210 Refusée » · facture « F1 »" in line for line in capsys.readouterr().out.splitlines())


def test_the_route_applies_the_rules_einvoicing_section(stack, store, functions):
    # The sample rules ask to be told of a « 226 Affacturée confidentiel » (relance's own mapping only records it):
    # the invoice is still reminded, the status is kept for the company's daily notice.
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1")]))

    answer = post(functions, {"id": "pa-226", "invoice_id": "F1", "status": "226", "date": "2026-11-10"})

    assert answer == (200, {"outcome": "recorded", "status": "226", "label": "Affacturée confidentiel"})
    assert store.invoice("F1")[0].status == "open"
    assert [(k["code"], k["review"]) for k in store.einvoicing_reviews()] == [("226", "alert")]
