"""The DynamoDB store against moto: the sparse shard index, idempotent recording, the outbox, imports."""

from __future__ import annotations

from datetime import date

from relance.domain.sharding import shard_of
from relance.local.metering import RequestCounter
from relance.ports import ActionRecord

from .conftest import SHARDS, book, business, invoice


def action(invoice_id: str, customer: str = "C1", step: str = "relance_1", day: date = date(2026, 11, 2)):
    return ActionRecord(run_date=day, shard=shard_of(customer, SHARDS), invoice=invoice_id, customer=customer,
                        segment="standard", scenario="standard", step=step, channel="email", tone="courtois")


def test_only_open_unpaid_invoices_are_in_their_shard_with_their_customer(store):
    store.seed(book([business("C1")], [invoice("F1"), invoice("F2", status="paid", paid_on="2026-10-20"),
                                       invoice("F3", amount_due="0.00"), invoice("F4", status="disputed")]))
    snapshot = store.open_invoices(shard_of("C1", SHARDS))
    assert sorted(i.id for i in snapshot.book.invoices) == ["F1", "F4"]
    assert list(snapshot.book.customers) == ["C1"]


def test_a_shard_is_read_with_queries_only(store):
    customers = [business(f"C{n}") for n in range(40)]
    store.seed(book(customers, [invoice(f"F{n}", f"C{n % 40}") for n in range(200)]))
    counter = RequestCounter().attach(store.client.meta.events)
    total = sum(len(store.open_invoices(s).book.invoices) for s in range(SHARDS))
    assert total == 200
    assert set(op for _, op in counter.calls) == {"Query"}
    assert counter.total() == SHARDS


def test_recording_an_action_twice_records_it_once(store):
    store.seed(book([business()], [invoice("F1")]))
    version = store.open_invoices(shard_of("C1", SHARDS)).versions["F1"]
    assert store.record_action(action("F1"), version) is True
    assert store.record_action(action("F1"), version) is False
    assert store.record_action(action("F1"), version + 1) is False
    stored, _ = store.invoice("F1")
    assert [(h.step, h.date) for h in stored.history] == [("relance_1", date(2026, 11, 2))]
    assert [e["kind"] for e in store.history("F1")] == ["action_planned"]
    assert [a.invoice for a in store.pending_outbox(shard_of("C1", SHARDS))] == ["F1"]


def test_an_invoice_changed_since_it_was_read_is_not_actioned(store):
    store.seed(book([business()], [invoice("F1")]))
    version = store.open_invoices(shard_of("C1", SHARDS)).versions["F1"]
    store.client.update_item(TableName=store.table, Key={"pk": {"S": "INV#F1"}, "sk": {"S": "STATE"}},
                             UpdateExpression="SET #s = :p, version = version + :one REMOVE open_shard, open_due",
                             ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":p": {"S": "paid"}, ":one": {"N": "1"}})
    assert store.record_action(action("F1"), version) is False
    assert store.history("F1") == [] and store.pending_outbox(shard_of("C1", SHARDS)) == []


def test_clearing_the_outbox(store):
    store.seed(book([business()], [invoice(f"F{n}") for n in range(30)]))
    shard = shard_of("C1", SHARDS)
    versions = store.open_invoices(shard).versions
    for n in range(30):
        store.record_action(action(f"F{n}"), versions[f"F{n}"])
    pending = store.pending_outbox(shard)
    assert len(pending) == 30
    store.clear_outbox(pending[:27])
    assert [a.invoice for a in store.pending_outbox(shard)] == sorted(a.invoice for a in pending[27:])


def test_import_upsert_keeps_dunning_state_and_history(store):
    store.seed(book([business()], [invoice("F1", history=[{"step": "relance_1", "date": "2026-10-20"}])]))
    changed = book([business()], [invoice("F1", amount="1200.00", amount_due="700.00")]).invoices[0]
    assert store.upsert_invoice(changed) == "updated"
    stored, _ = store.invoice("F1")
    assert stored.amount_due == 700 and [h.step for h in stored.history] == ["relance_1"]
    assert store.upsert_invoice(changed) == "unchanged"


def test_import_never_reopens_a_paid_invoice(store):
    store.seed(book([business()], [invoice("F1", status="paid", paid_on="2026-10-30")]))
    stale_export = book([business()], [invoice("F1", amount_due="1200.00")]).invoices[0]
    assert store.upsert_invoice(stale_export) == "kept_settled"
    stored, _ = store.invoice("F1")
    assert stored.status == "paid"
    assert store.open_invoices(shard_of("C1", SHARDS)).book.invoices == ()


def test_import_of_a_paid_invoice_takes_it_out_of_the_daily_run(store):
    store.seed(book([business()], [invoice("F1")]))
    paid = book([business()], [invoice("F1", amount_due="0.00", paid_on="2026-11-03")]).invoices[0]
    store.upsert_invoice(paid)
    stored, _ = store.invoice("F1")
    assert stored.status == "paid" and stored.paid_on == date(2026, 11, 3)
    assert store.open_invoices(shard_of("C1", SHARDS)).book.invoices == ()


def test_import_keeps_a_dispute_recorded_by_people(store):
    store.seed(book([business()], [invoice("F1", status="disputed")]))
    export = book([business()], [invoice("F1", amount="1300.00")]).invoices[0]
    store.upsert_invoice(export)
    stored, _ = store.invoice("F1")
    assert stored.status == "disputed" and stored.amount == 1300
