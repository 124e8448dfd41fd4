"""An accounting export never undoes what relance recorded (domain.reconcile), on the local stack.

Payments arrive through the store's payment path, as the webhooks apply them; exports through the real
import function (S3) or `relance import`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from relance.cli import main

from .test_import import CUSTOMERS, drop, s3_text

HEADER = "N° facture;Code client;Date facture;Échéance;Montant TTC;Reste à payer\r\n"


def export(due: str, amount: str = "1 200,00") -> bytes:
    return (HEADER + f"F-1;C1;05/10/2026;04/11/2026;{amount};{due}\r\n").encode("utf-8")


def pay(store, amount: str, event: str, kind: str = "payment") -> str:
    return store.apply_payment(provider="stripe", event_id=event, invoice_id="F-1", amount=Decimal(amount),
                               currency="EUR", on=date(2026, 11, 2), kind=kind)


def test_a_stale_export_does_not_undo_a_partial_payment(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    assert pay(store, "500", "evt_1") == "partial"
    result = drop(stack, functions, "factures-2.csv", export("1 200,00"))  # does not know of the payment yet
    invoice, _ = store.invoice("F-1")
    assert invoice.amount_due == 700 and invoice.status == "open"
    assert [p.amount for p in invoice.payments] == [500]
    assert result["disagreements"] == 1
    (detail,) = json.loads(s3_text(stack, "imports/factures-2.rapport.json"))["disagreement_details"]
    assert detail["row"] == 2 and detail["invoice"] == "F-1" and detail["export"] == "1200.00"
    assert detail["relance"] == "700.00" and "elle garde 700,00" in detail["reason"]


def test_a_payment_booked_by_the_export_then_received_by_webhook_counts_once(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("700,00"))  # the export booked the Stripe payout
    assert pay(store, "500", "evt_1") == "partial"  # then the webhook arrives
    invoice, _ = store.invoice("F-1")
    assert invoice.amount_due == 700


def test_a_payment_received_by_webhook_then_booked_by_the_export_counts_once(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    pay(store, "500", "evt_1")
    result = drop(stack, functions, "factures-2.csv", export("700,00"))
    invoice, _ = store.invoice("F-1")
    assert invoice.amount_due == 700 and result["disagreements"] == 0


def test_a_paid_invoice_stays_paid_and_a_later_refund_reopens_only_the_refund(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    assert pay(store, "1200", "evt_1") == "paid"
    result = drop(stack, functions, "factures-2.csv", export("1 200,00"))  # stale
    invoice, _ = store.invoice("F-1")
    assert invoice.status == "paid" and invoice.amount_due == 0
    assert result["kept_settled"] == 1 and result["disagreements"] == 1
    assert pay(store, "100", "re_1", kind="refund") == "reopened"
    invoice, _ = store.invoice("F-1")
    assert invoice.status == "open" and invoice.amount_due == 100


def test_a_dispute_set_by_people_survives_an_export(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    store.update_invoice_state("F-1", kind="disputed", on=date(2026, 11, 5), sets={"status": "disputed"})
    drop(stack, functions, "factures-2.csv", export("1 200,00", amount="1 300,00"))
    invoice, _ = store.invoice("F-1")
    assert invoice.status == "disputed" and invoice.amount == 1300


def test_a_payment_racing_an_import_is_not_undone(stack, functions, store):
    """The webhook lands between the import's read and its write: the guard fails, the import merges again."""
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    raced = []

    def webhook_first(params, **_):
        if not raced and params.get("Key", {}).get("pk", {}).get("S") == "INV#F-1":
            raced.append(pay(store, "500", "evt_race"))

    client = store.client
    client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", webhook_first)
    try:
        from relance.adapters.dynamo import DynamoStore

        importer = DynamoStore(client, store.table, store.shards)
        from relance.domain.model import Invoice

        stale = Invoice(id="F-1", customer_id="C1", issue_date=date(2026, 10, 5), due_date=date(2026, 11, 4),
                        amount=Decimal("1200.00"), amount_due=Decimal("1200.00"), extra={"note": "x"})
        (done,) = importer.upsert_invoices([stale])
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", webhook_first)
    assert raced == ["partial"] and done.outcome == "updated"
    invoice, _ = store.invoice("F-1")
    assert invoice.amount_due == 700 and [p.amount for p in invoice.payments] == [500]
    assert invoice.extra == {"note": "x"}


def test_cli_import_prints_the_disagreements(stack, functions, store, tmp_path, capsys, monkeypatch):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", export("1 200,00"))
    pay(store, "500", "evt_1")
    for key, value in stack.function_environment("ImportFunction").items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "factures.csv"
    path.write_bytes(export("1 200,00"))
    assert main(["import", "--invoices", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 désaccord(s)" in out and "ligne 2, facture F-1" in out and "elle garde 700,00" in out
