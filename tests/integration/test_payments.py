"""Payments and what people record, on the local stack: applied once, reminders stop, refunds reopen."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from relance.cli import main
from relance.domain.sharding import shard_of
from relance.ports import ActionRecord

from .conftest import SHARDS, book, business, invoice

ON = date(2026, 11, 20)


def pay(store, event_id: str, amount: str, invoice_id: str = "F1", kind: str = "payment") -> str:
    return store.apply_payment(provider="stripe", event_id=event_id, invoice_id=invoice_id, amount=Decimal(amount),
                               currency="EUR", on=ON, kind=kind)


def open_ids(store) -> list[str]:
    return [i.id for i in store.open_invoices(shard_of("C1", SHARDS)).book.invoices]


def test_partial_then_full_payment(store):
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert pay(store, "evt_1", "200.00") == "partial"
    stored, _ = store.invoice("F1")
    assert stored.amount_due == Decimal("1000.00") and stored.status == "open" and open_ids(store) == ["F1"]
    assert pay(store, "evt_2", "1000.00") == "paid"
    stored, _ = store.invoice("F1")
    assert (stored.status, stored.paid_on, stored.amount_due) == ("paid", ON, Decimal("0.00"))
    assert open_ids(store) == []
    assert [e["kind"] for e in store.history("F1")] == ["payment", "payment"]


def test_the_same_event_twice_applies_once(store):
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert pay(store, "evt_1", "200.00") == "partial"
    assert pay(store, "evt_1", "200.00") == "duplicate"
    stored, _ = store.invoice("F1")
    assert stored.amount_due == Decimal("1000.00")


def test_two_events_at_once_both_apply_once(store, monkeypatch):
    # Both read the invoice before either writes (moto serialises requests, so the race is staged):
    # the second write fails on the version, reads again and applies on top of the first.
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    before = store.invoice("F1")
    reads = iter([before, before])
    real = store.invoice
    monkeypatch.setattr(store, "invoice", lambda invoice_id: next(reads, None) or real(invoice_id))
    outcomes = [pay(store, "a", "300.00"), pay(store, "b", "300.00")]
    stored, _ = real("F1")
    assert outcomes == ["partial", "partial"] and stored.amount_due == Decimal("600.00")


def test_an_overpayment_is_flagged(store):
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert pay(store, "evt_1", "1250.00") == "overpaid"
    item = store.client.get_item(TableName=store.table, Key={"pk": {"S": "INV#F1"}, "sk": {"S": "STATE"}})["Item"]
    assert item["overpaid"]["S"] == "50.00"


def test_a_refund_reopens_the_invoice_and_its_reminders(store):
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    pay(store, "evt_1", "1200.00")
    assert pay(store, "re_1", "1200.00", kind="refund") == "reopened"
    stored, _ = store.invoice("F1")
    assert stored.status == "open" and stored.amount_due == Decimal("1200.00") and stored.paid_on is None
    assert open_ids(store) == ["F1"]


def test_an_unknown_invoice_is_kept_as_unmatched(store):
    assert pay(store, "evt_9", "80.00", invoice_id="F-INCONNUE") == "unmatched"
    assert pay(store, "evt_9", "80.00", invoice_id="F-INCONNUE") == "duplicate"
    item = store.client.get_item(TableName=store.table, Key={"pk": {"S": "UNMATCHED#stripe"},
                                                             "sk": {"S": "evt_9"}})["Item"]
    assert item["invoice_ref"]["S"] == "F-INCONNUE" and item["amount"]["S"] == "80.00"


def test_a_payment_cancels_actions_recorded_but_not_yet_queued(store):
    store.seed(book([business()], [invoice("F1")]))
    shard = shard_of("C1", SHARDS)
    version = store.open_invoices(shard).versions["F1"]
    store.record_action(ActionRecord("F1", "C1", "standard", "standard", "relance_1", "email", "courtois",
                                     run_date=ON, shard=shard), version)
    pay(store, "evt_1", "1200.00")
    assert store.pending_outbox(shard) == []
    assert [e["kind"] for e in store.history("F1")][-1] == "action_cancelled"


def test_cli_invoice_commands_against_the_local_stack(stack, store, capsys, monkeypatch):
    store.seed(book([business()], [invoice("F1"), invoice("F2")]))
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    assert main(["invoice", "promise", "F1", "F2", "--until", "2026-12-15", "--on", "2026-11-20",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"] == {"F1": "recorded", "F2": "recorded"}
    assert main(["invoice", "paid", "F1", "--amount", "200,50", "--on", "2026-11-21"]) == 0
    assert store.invoice("F1")[0].amount_due == Decimal("999.50")
    capsys.readouterr()
    assert main(["invoice", "paid", "F1", "--on", "2026-11-22", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"] == {"F1": "paid"}
    assert store.invoice("F1")[0].status == "paid"
    assert main(["invoice", "dispute", "F-NOPE", "--reason", "x"]) == 1
