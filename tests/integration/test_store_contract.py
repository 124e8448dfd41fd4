"""The store's contract, run on the DynamoDB adapter (moto) and on the in-memory fake the app tests use:
what the application relies on holds on both, so the fake cannot drift from the real store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.model import Unusable
from relance.domain.sharding import shard_of
from relance.ports import ActionRecord

from ..support.books import book, business, invoice
from ..support.fake_store import FakeStore
from .conftest import SHARDS

ON = date(2026, 11, 20)
SHARD = shard_of("C1", SHARDS)


@pytest.fixture(params=["memory", "dynamodb"])
def any_store(request):
    return FakeStore(SHARDS) if request.param == "memory" else request.getfixturevalue("store")


def action(invoice_id: str, step: str = "relance_1", day: date = date(2026, 11, 2)) -> ActionRecord:
    return ActionRecord(run_date=day, shard=SHARD, invoice=invoice_id, customer="C1", segment="standard",
                        scenario="standard", step=step, channel="email", tone="courtois")


def pay(store, event_id: str, amount: str, invoice_id: str = "F1", kind: str = "payment", currency: str = "EUR"):
    return store.apply_payment(provider="stripe", event_id=event_id, invoice_id=invoice_id, amount=Decimal(amount),
                               currency=currency, on=ON, kind=kind)


# -- the daily path -------------------------------------------------------------------------------------------
def test_a_shard_holds_its_open_unpaid_invoices_with_their_customer(any_store):
    any_store.seed(book([business("C1")], [invoice("F1"), invoice("F2", status="paid", paid_on="2026-10-20"),
                                           invoice("F3", amount_due="0.00"), invoice("F4", status="disputed")]))
    snapshot = any_store.open_invoices(SHARD)
    assert sorted(i.id for i in snapshot.book.invoices) == ["F1", "F4"]
    assert list(snapshot.book.customers) == ["C1"]
    assert set(snapshot.versions) == {"F1", "F4"}


def test_an_action_is_recorded_once_with_its_step_event_and_outbox_entry(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    version = any_store.open_invoices(SHARD).versions["F1"]
    assert any_store.record_action(action("F1"), version) is True
    assert any_store.record_action(action("F1"), version) is False
    assert any_store.record_action(action("F1"), version + 1) is False
    stored, _ = any_store.invoice("F1")
    assert [(h.step, h.date, h.channel) for h in stored.history] == [("relance_1", date(2026, 11, 2), "email")]
    assert [e["kind"] for e in any_store.history("F1")] == ["action_planned"]
    assert any_store.pending_outbox(SHARD) == [action("F1")]


def test_an_invoice_changed_since_it_was_read_is_not_actioned(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    version = any_store.open_invoices(SHARD).versions["F1"]
    assert pay(any_store, "evt_1", "100.00") == "partial"
    assert any_store.record_action(action("F1"), version) is False
    assert any_store.pending_outbox(SHARD) == []
    assert any_store.record_action(action("F1"), any_store.open_invoices(SHARD).versions["F1"]) is True


def test_a_disputed_invoice_is_never_actioned(any_store):
    any_store.seed(book([business()], [invoice("F1", status="disputed")]))
    assert any_store.record_action(action("F1"), any_store.open_invoices(SHARD).versions["F1"]) is False


def test_a_portal_dispute_is_actioned_again_only_once_its_pause_has_ended(any_store):
    # A dispute made on the portal holds through its dispute_until (portal.dispute_pause_days), then the
    # reminders start again; a person's dispute (no dispute_until) holds for good.
    any_store.seed(book([business()], [invoice("F1", status="disputed", dispute_until="2026-11-02"),
                                       invoice("F2", status="disputed")]))
    versions = any_store.open_invoices(SHARD).versions

    assert any_store.record_action(action("F1", day=date(2026, 11, 2)), versions["F1"]) is False
    assert any_store.record_action(action("F1", day=date(2026, 11, 3)), versions["F1"]) is True
    assert any_store.record_action(action("F2", day=date(2027, 1, 4)), versions["F2"]) is False
    assert any_store.invoice("F1")[0].dispute_until == date(2026, 11, 2)


def test_the_outbox_is_cleared_by_what_was_queued(any_store):
    any_store.seed(book([business()], [invoice(f"F{n}") for n in range(5)]))
    versions = any_store.open_invoices(SHARD).versions
    for n in range(5):
        any_store.record_action(action(f"F{n}"), versions[f"F{n}"])
    pending = any_store.pending_outbox(SHARD)
    assert [a.invoice for a in pending] == ["F0", "F1", "F2", "F3", "F4"]
    any_store.clear_outbox(pending[:3])
    assert [a.invoice for a in any_store.pending_outbox(SHARD)] == ["F3", "F4"]


def test_a_full_payment_cancels_what_was_recorded_but_not_queued(any_store):
    any_store.seed(book([business()], [invoice("F1"), invoice("F2")]))
    versions = any_store.open_invoices(SHARD).versions
    any_store.record_action(action("F1"), versions["F1"])
    any_store.record_action(action("F2"), versions["F2"])
    assert pay(any_store, "evt_1", "1200.00") == "paid"
    assert [a.invoice for a in any_store.pending_outbox(SHARD)] == ["F2"]
    cancelled = [a for a in any_store.pending_outbox(SHARD, with_cancelled=True) if a.cancelled]
    assert [(a.invoice, a.cancelled) for a in cancelled] == [("F1", "paid")]
    assert [e["kind"] for e in any_store.history("F1")] == ["action_planned", "payment", "action_cancelled"]


def test_a_problem_is_recorded_once_and_a_new_one_again(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    first = Unusable.field("F1", "C1", "due_date", "date hors bornes", "table item INV#F1")
    assert any_store.record_unusable(first, ON) is True
    assert any_store.record_unusable(first, ON) is False
    assert any_store.record_unusable(Unusable.field("F1", "C1", "amount", "montant illisible"), ON) is True
    assert [(e["kind"], e["reason"]) for e in any_store.history("F1")] == [
        ("invalid_data", "invalid data: due_date"), ("invalid_data", "invalid data: amount")]


def test_a_message_by_reference_reads_its_actions_back(any_store):
    listed = [{"invoice": f"F{n}", "step": "relance_1", "segment": "standard", "scenario": "standard"}
              for n in range(3)]
    any_store.put_message_actions("k1", listed)
    assert any_store.message_actions("k1") == listed
    assert any_store.message_actions("k2") == []


# -- payments and what people record --------------------------------------------------------------------------
def test_payments_apply_once_per_event_partial_then_paid(any_store):
    any_store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert pay(any_store, "evt_1", "200.00") == "partial"
    assert pay(any_store, "evt_1", "200.00") == "duplicate"
    stored, _ = any_store.invoice("F1")
    assert (stored.amount_due, stored.status) == (Decimal("1000.00"), "open")
    assert pay(any_store, "evt_2", "1000.00") == "paid"
    stored, _ = any_store.invoice("F1")
    assert (stored.status, stored.paid_on, stored.amount_due) == ("paid", ON, Decimal("0.00"))
    assert any_store.open_invoices(SHARD).book.invoices == ()
    assert [e["kind"] for e in any_store.history("F1")] == ["payment", "payment"]


def test_an_overpayment_a_refund_and_the_reopening(any_store):
    any_store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert pay(any_store, "evt_1", "1300.00") == "overpaid"
    assert pay(any_store, "evt_2", "1300.00", kind="refund") == "reopened"
    stored, _ = any_store.invoice("F1")
    assert stored.status == "open" and stored.amount_due == Decimal("1200.00")
    assert [i.id for i in any_store.open_invoices(SHARD).book.invoices] == ["F1"]


def test_payments_relance_must_not_apply_are_kept_for_review(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    assert pay(any_store, "evt_1", "10.00", invoice_id="F-UNKNOWN") == "unmatched"
    assert pay(any_store, "evt_1", "10.00", invoice_id="F-UNKNOWN") == "duplicate"
    assert pay(any_store, "evt_2", "10.00", currency="USD") == "review"
    assert any_store.invoice("F1")[0].amount_due == Decimal("1200.00")
    kept = sorted((k["event_id"], k["reason"]) for k in any_store.review_payments())
    assert kept == [("evt_1", "unmatched"), ("evt_2", "currency_mismatch")]


def test_a_state_change_happens_only_from_the_statuses_it_allows(any_store):
    any_store.seed(book([business()], [invoice("F1"), invoice("F2", status="paid", paid_on="2026-10-20")]))
    assert any_store.update_invoice_state("F1", kind="dispute", on=ON, sets={"status": "disputed"},
                                          when_status=("open",), details={"reason": "livraison"}) is True
    assert any_store.update_invoice_state("F2", kind="dispute", on=ON, sets={"status": "disputed"},
                                          when_status=("open",)) is False
    assert any_store.update_invoice_state("F9", kind="dispute", on=ON, sets={"status": "disputed"}) is False
    assert any_store.update_invoice_state("F1", kind="promise", on=ON,
                                          sets={"promise_to_pay_until": "2026-12-15"}) is True
    stored, _ = any_store.invoice("F1")
    assert (stored.status, stored.promise_to_pay_until) == ("disputed", date(2026, 12, 15))
    assert any_store.update_invoice_state("F1", kind="resume", on=ON, sets={"status": "open"},
                                          removes=("promise_to_pay_until",)) is True
    stored, _ = any_store.invoice("F1")
    assert (stored.status, stored.promise_to_pay_until) == ("open", None)
    events = any_store.history("F1")
    assert [(e["kind"], e["date"], e["channel"]) for e in events] == [
        ("dispute", "2026-11-20", "people"), ("promise", "2026-11-20", "people"), ("resume", "2026-11-20", "people")]
    assert events[0]["reason"] == "livraison"


def test_a_call_made_is_an_event_on_the_phone_that_changes_nothing_else(any_store):
    from relance.app.manual import record_call

    any_store.seed(book([business()], [invoice("F1")]))
    _, version = any_store.invoice("F1")
    assert record_call(any_store, "F1", ON, "Promet un virement le 30") is True
    stored, after = any_store.invoice("F1")
    assert stored.status == "open" and after == version + 1
    (event,) = any_store.history("F1")
    assert (event["kind"], event["date"], event["channel"], event["note"]) == (
        "call_made", "2026-11-20", "phone", "Promet un virement le 30")


def test_a_delivery_date_goes_on_its_step(any_store):
    any_store.seed(book([business()], [invoice("F1", history=[
        {"step": "mise_en_demeure", "date": "2026-11-02", "channel": "registered_letter"}])]))
    assert any_store.record_delivery("F1", "mise_en_demeure", date(2026, 11, 4)) is True
    assert any_store.record_delivery("F1", "relance_9", date(2026, 11, 4)) is False
    assert any_store.invoice("F1")[0].history[0].delivered_on == date(2026, 11, 4)


def test_a_bounced_address_is_not_given_again(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    any_store.mark_email_bad("C1", "bounce: General")
    assert any_store.customer("C1").email == ""
    assert any_store.open_invoices(SHARD).book.customers["C1"].email == ""


# -- imports --------------------------------------------------------------------------------------------------
def test_an_import_keeps_the_dunning_state_and_never_reopens_a_paid_invoice(any_store):
    any_store.seed(book([business()], [invoice("F1", history=[{"step": "relance_1", "date": "2026-10-20"}]),
                                       invoice("F2", status="paid", paid_on="2026-10-30")]))
    changed = book([business()], [invoice("F1", amount="1200.00", amount_due="700.00")]).invoices[0]
    assert any_store.upsert_invoices([changed])[0].outcome == "updated"
    stored, _ = any_store.invoice("F1")
    assert stored.amount_due == 700 and [h.step for h in stored.history] == ["relance_1"]
    assert any_store.upsert_invoices([changed])[0].outcome == "unchanged"
    stale = book([business()], [invoice("F2", amount_due="1200.00")]).invoices[0]
    assert any_store.upsert_invoices([stale])[0].outcome == "kept_settled"
    assert any_store.invoice("F2")[0].status == "paid"
    new = book([business("C2")], [invoice("F3", "C2")])
    assert any_store.upsert_customers(list(new.customers.values())) == ["created"]
    assert any_store.upsert_invoices(list(new.invoices))[0].outcome == "created"
    assert any_store.customers(["C2", "C9"]).keys() == {"C2"}


def test_a_chunk_is_counted_once(any_store):
    any_store.start_import("imp", chunks=2, rows=30)
    any_store.start_import("imp", chunks=2, rows=30)
    assert any_store.chunk_done("imp", 0, rows=20) == {"chunks": 2, "rows": 30, "chunks_done": 1, "rows_done": 20}
    assert any_store.chunk_done("imp", 0, rows=20) is None
    assert any_store.chunk_counted("imp", 0) and not any_store.chunk_counted("imp", 1)
    assert any_store.import_progress("imp") == {"chunks": 2, "rows": 30, "chunks_done": 1, "rows_done": 20}


# -- sending records ------------------------------------------------------------------------------------------
def test_sending_records_read_back_as_kept(any_store):
    record = {"message": "{}", "tracking_number": "2C1", "registered": True, "invoices": ["F1"]}
    any_store.keep_letter("env-1", record)
    any_store.keep_letter_by_reference("ref-1", record)
    assert any_store.letter("env-1") == {"type": "letter", **record}
    assert any_store.letter_by_reference("ref-1") == {"type": "letter", **record}
    assert any_store.letter("env-2") is None and any_store.letter_by_reference("ref-2") is None
    any_store.keep_email("ses-1", '{"key": "k1"}')
    assert any_store.email_message("ses-1") == '{"key": "k1"}' and any_store.email_message("ses-2") is None
    any_store.note_outcome_unknown("k1", {"at": "2026-11-02T09:00:00+00:00", "invoices": ["F1"]}, expires_at=0)
    assert any_store.outcome_unknown("k1")["invoices"] == ["F1"] and any_store.outcome_unknown("k2") is None


def test_an_email_confirmation_is_found_by_the_key_it_was_tagged_with(any_store):
    any_store.confirm_email("digest-2026-11-02-julie_atelier.example", "ses-1", expires_at=0)
    assert any_store.email_confirmation("digest-2026-11-02-julie@atelier.example") is None
    any_store.confirm_email("dossier-k1-F 1", "ses-2", expires_at=0)
    assert any_store.email_confirmation("dossier-k1-F 1") == "ses-2"
    assert any_store.email_confirmation("report-2026-11-02") is None


def test_a_postal_status_is_marked_once(any_store):
    assert any_store.mark_postal_status_once("env-1", "delivered|2026-11-04") is True
    assert any_store.mark_postal_status_once("env-1", "delivered|2026-11-04") is False
    assert any_store.mark_postal_status_once("env-1", "proof|2026-11-05") is True


def test_call_tasks_and_digests_of_a_day(any_store):
    day = date(2026, 11, 2)
    task = {"message_key": "k1", "account_manager": "julie@atelier.example", "customer": "C1", "total": "10.00",
            "invoices": [{"id": "F1", "amount_due": "10.00"}]}
    any_store.add_call_task(day, task)
    any_store.add_call_task(day, task)
    assert any_store.call_tasks(day) == [{"type": "call_task", **task}]
    assert any_store.call_tasks(date(2026, 11, 3)) == []
    any_store.note_digest_sent(day, "julie@atelier.example", {"provider_id": "ses-1", "tasks": 1})
    assert [d["account_manager"] for d in any_store.digests_sent(day)] == ["julie@atelier.example"]


def test_parked_steps_come_back_on_their_day(any_store):
    any_store.park(date(2026, 12, 8), "k2", {"key": "k2", "ready_on": "2026-12-08"})
    any_store.park(date(2026, 12, 7), "k1", {"key": "k1", "ready_on": "2026-12-07"})
    assert [f["key"] for _, f in any_store.parked_until(date(2026, 12, 6))] == []
    due = any_store.parked_until(date(2026, 12, 7))
    assert [f["key"] for _, f in due] == ["k1"]
    any_store.unpark(due[0][0])
    assert [f["key"] for _, f in any_store.parked_until(date.max)] == ["k2"]


# -- the debtor portal --------------------------------------------------------------------------------------------
def test_a_staff_link_is_kept_read_back_and_revoked_apart_from_the_portal_links(any_store):
    any_store.keep_staff_link("S1", {"manager": "julie@atelier.example", "action": "appel", "customer": "C1",
                                     "invoices": ["F1", "F2"], "token": "v1.k.x.y", "expires": 1799999999},
                              expires_at=1799999999)
    assert any_store.staff_link("S1")["invoices"] == ["F1", "F2"]
    assert any_store.portal_link("S1") is None
    assert not any_store.staff_link("S1").get("revoked")
    assert any_store.revoke_staff_link("S1") is True and any_store.staff_link("S1")["revoked"] is True
    assert any_store.staff_link("S1")["manager"] == "julie@atelier.example"
    assert any_store.revoke_staff_link("nope") is False and any_store.staff_link("nope") is None


def test_a_portal_link_is_kept_read_back_and_revoked(any_store):
    any_store.keep_portal_link("L1", {"customer": "C1", "channel": "email", "token": "v1.k.x.y", "expires": 1799999999},
                               expires_at=1799999999)
    assert any_store.portal_link("L1")["customer"] == "C1"
    assert any_store.portal_link("L1")["expires"] == 1799999999
    assert not any_store.portal_link("L1").get("revoked")
    assert any_store.revoke_portal_link("L1") is True and any_store.portal_link("L1")["revoked"] is True
    assert any_store.portal_link("L1")["customer"] == "C1"
    assert any_store.revoke_portal_link("nope") is False and any_store.portal_link("nope") is None


def test_a_customer_s_open_invoices_are_its_own_still_due_ones(any_store):
    any_store.seed(book([business("C1"), business("C2")],
                        [invoice("F1"), invoice("F2", status="paid", paid_on="2026-10-20"),
                         invoice("F3", amount_due="0.00"), invoice("F4", status="disputed"),
                         invoice("F5", "C2"), invoice("F6", status="cancelled")]))
    assert sorted(i.id for i in any_store.customer_open_invoices("C1")) == ["F1", "F4"]
    assert [i.id for i in any_store.customer_open_invoices("C2")] == ["F5"]
    pay(any_store, "evt_1", "1200.00")
    assert sorted(i.id for i in any_store.customer_open_invoices("C1")) == ["F4"]  # read fresh after a payment
    assert any_store.customer_open_invoices("C9") == []


def test_a_checkout_session_is_kept_and_read_back(any_store):
    any_store.keep_checkout("cs_1", {"invoice": "F1", "customer": "C1", "link_id": "L1", "amount": "12.00"},
                            expires_at=1799999999)
    assert any_store.checkout("cs_1") == {"type": "checkout", "invoice": "F1", "customer": "C1", "link_id": "L1",
                                          "amount": "12.00"}
    assert any_store.checkout("cs_2") is None


# -- approval before a step ------------------------------------------------------------------------------------
def notice(invoice_id: str = "F1", day: date = date(2026, 11, 4)) -> ActionRecord:
    return ActionRecord(run_date=day, shard=SHARD, invoice=invoice_id, customer="C1", segment="standard",
                        scenario="standard", step="mise_en_demeure", channel="registered_letter", tone="formel")


def test_an_approval_is_asked_once_and_nothing_is_queued(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    version = any_store.open_invoices(SHARD).versions["F1"]
    assert any_store.request_approval(notice(), version) is True
    assert any_store.request_approval(notice(), version + 1) is False  # the same step again
    stored, _ = any_store.invoice("F1")
    assert (stored.approval.step, stored.approval.state, stored.approval.requested_on, stored.approval.channel,
            stored.approval.scenario) == ("mise_en_demeure", "pending", date(2026, 11, 4), "registered_letter",
                                          "standard")
    assert stored.history == ()
    assert any_store.pending_outbox(SHARD) == []
    assert [e["kind"] for e in any_store.history("F1")] == ["approval_requested"]
    (awaiting,) = any_store.awaiting_approvals()
    assert (awaiting["invoice"], awaiting["step"], awaiting["customer"], awaiting["requested_on"]) == (
        "F1", "mise_en_demeure", "C1", "2026-11-04")


def test_an_approval_is_not_asked_for_an_invoice_changed_since_it_was_read(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    version = any_store.open_invoices(SHARD).versions["F1"]
    pay(any_store, "evt_1", "100.00")
    assert any_store.request_approval(notice(), version) is False
    assert any_store.awaiting_approvals() == []


def test_a_decision_is_recorded_once_from_the_states_allowed(any_store):
    any_store.seed(book([business()], [invoice("F1")]))
    any_store.request_approval(notice(), any_store.open_invoices(SHARD).versions["F1"])
    decide = dict(kind="held", on=ON, by="julie@atelier.example", from_states=("pending",))
    assert any_store.decide_approval("F1", "relance_1", state="held", **decide) is False  # another step
    assert any_store.decide_approval("F1", "mise_en_demeure", state="held", **decide) is True
    assert any_store.decide_approval("F1", "mise_en_demeure", state="held", **decide) is False
    assert any_store.awaiting_approvals() == []
    assert any_store.decide_approval("F1", "mise_en_demeure", state="approved", kind="approved", on=ON,
                                     by="paul@atelier.example", from_states=("pending", "held"),
                                     details={"note": "Mise en demeure ; par paul@atelier.example"}) is True
    stored, _ = any_store.invoice("F1")
    assert (stored.approval.state, stored.approval.by, stored.approval.decided_on) == (
        "approved", "paul@atelier.example", ON)
    events = [(e["kind"], e.get("by")) for e in any_store.history("F1")]
    assert events == [("approval_requested", None), ("held", "julie@atelier.example"),
                      ("approved", "paul@atelier.example")]
    assert any_store.history("F1")[-1]["note"] == "Mise en demeure ; par paul@atelier.example"


def test_an_agreed_plan_is_kept_on_the_open_invoice_once_with_its_event(any_store):
    from datetime import datetime

    from relance.app.plans import PlanRefused, agree_plan
    from relance.domain.plans import Installment, PaymentPlan

    any_store.seed(book([business()], [invoice("F1", promise_to_pay_until="2026-11-25"),
                                       invoice("F2", status="paid", paid_on="2026-10-20"), invoice("F3")]))
    stored, _ = any_store.invoice("F1")
    half = stored.amount_due / 2
    plan = PaymentPlan(ON, (Installment(date(2026, 12, 5), half), Installment(date(2027, 1, 5), half)))
    told = []
    assert agree_plan(any_store, "F1", plan, "staff", datetime(2026, 11, 20, 9, 30),
                      lambda inv, p, by: told.append((inv.id, inv.payment_plan, by)), who="julie") == plan
    stored, _ = any_store.invoice("F1")
    assert (stored.payment_plan, stored.promise_to_pay_until) == (plan, None)
    assert told == [("F1", plan, "staff")]
    event = any_store.history("F1")[-1]
    assert (event["kind"], event["date"], event["by"], event["who"], event["installments"]) == (
        "plan_agreed", "2026-11-20", "staff", "julie", "2")
    assert '"due_date":"2026-12-05"' in event["plan"]
    with pytest.raises(PlanRefused, match="déjà un échéancier"):
        agree_plan(any_store, "F1", plan, "staff", datetime(2026, 11, 20, 9, 31))
    assert any_store.record_payment_plan("F1", plan, on=ON, details={}) is False  # the store refuses a second too
    with pytest.raises(PlanRefused, match="pas ouverte"):
        agree_plan(any_store, "F2", plan, "staff", datetime(2026, 11, 20, 9, 30))
    short = PaymentPlan(ON, (Installment(date(2026, 12, 5), half),))
    with pytest.raises(PlanRefused, match="totalisent"):
        agree_plan(any_store, "F3", short, "staff", datetime(2026, 11, 20, 9, 30))
    assert any_store.invoice("F3")[0].payment_plan is None


# -- replies --------------------------------------------------------------------------------------------------
def test_a_message_keeps_the_first_reply_token_it_was_given(any_store):
    fields = {"message_key": "m1", "customer": "C1", "invoices": ["F1"], "sent_on": "2026-11-20"}
    assert any_store.claim_reply_token("m1", "a" * 20, fields, expires_at=1799999999) == "a" * 20
    assert any_store.claim_reply_token("m1", "b" * 20, fields, expires_at=1799999999) == "a" * 20
    assert any_store.reply_token("a" * 20) == {"type": "reply_token", **fields}
    assert any_store.reply_token("b" * 20) is None


def test_customers_are_found_by_their_address_in_any_case_and_only_while_it_is_theirs(any_store):
    any_store.seed(book([business("C1", email="compta@martin.example"), business("C2", email="a@groupe.example"),
                         business("C3", email="A@Groupe.example")], []))
    assert [c.id for c in any_store.customers_by_email("Compta@Martin.EXAMPLE")] == ["C1"]
    assert sorted(c.id for c in any_store.customers_by_email("a@groupe.example")) == ["C2", "C3"]
    any_store.upsert_customers(book([business("C1", email="nouvelle@martin.example")], []).customers.values())
    assert any_store.customers_by_email("compta@martin.example") == []
    assert [c.id for c in any_store.customers_by_email("nouvelle@martin.example")] == ["C1"]
    assert any_store.customers_by_email("") == []


def test_a_reply_is_kept_once_and_updated(any_store):
    assert any_store.keep_reply("r1", {"type": "reply", "status": "pending", "invoices": ["F1"]}) is True
    assert any_store.keep_reply("r1", {"type": "reply", "status": "pending", "invoices": ["F2"]}) is False
    assert any_store.reply("r1")["invoices"] == ["F1"]
    any_store.update_reply("r1", {"type": "reply", "status": "reviewed", "invoices": ["F1"]})
    assert any_store.reply("r1")["status"] == "reviewed"
    assert any_store.reply("r2") is None


def test_a_reply_pauses_and_holds_an_invoice_until_reviewed(any_store):
    any_store.seed(book([business("C1")], [invoice("F1")]))
    any_store.update_invoice_state("F1", kind="reply_received", on=ON,
                                   sets={"reply_paused_until": "2026-11-27", "reply_pending": "r1"},
                                   details={"reply": "r1", "sender": "compta@c1.example"})
    read = any_store.invoice("F1")[0]
    assert (read.reply_paused_until, read.reply_pending) == (date(2026, 11, 27), "r1")
    any_store.update_invoice_state("F1", kind="reply_reviewed", on=ON, sets={}, removes=("reply_pending",),
                                   details={"reply": "r1", "by": "julie@atelier.example"})
    read = any_store.invoice("F1")[0]
    assert (read.reply_paused_until, read.reply_pending) == (date(2026, 11, 27), "")
    assert [e["kind"] for e in any_store.history("F1")] == ["reply_received", "reply_reviewed"]
