"""Approval before a step (``approval: required``): the evaluator asks instead of sending, a person approves or
holds, the timeout decides for the forgetful — on the in-memory store and queues, day by day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from relance.app import approvals
from relance.app.evaluate import evaluate_shard
from relance.domain.sharding import shard_of
from relance.rules.loader import load_rules_or_raise

from ..support.books import book, business, invoice
from ..support.fake_store import FakeQueues, FakeStore

SHARDS = 4
MANAGER = "julie@atelier.example"
# Due Monday 5 October 2026: the formal notice is due on J+30, Wednesday 4 November.
DUE = "2026-10-05"
NOTICE_DAY = date(2026, 11, 4)

RULES = """\
version: 1
segments:
  - name: tous
    scenario: standard
scenarios:
  standard:
    steps:
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - id: mise_en_demeure
        at: J+30
        channel: registered_letter
        tone: formel
        approval: required
{timeout}"""


def rules_with(rules_dir, timeout: str = ""):
    return load_rules_or_raise(rules_dir(RULES.replace("{timeout}", timeout)))


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore(SHARDS)
    s.seed(book([business("C1", account_manager=MANAGER)],
                [invoice("F1", "C1", due=DUE, history=[{"step": "relance_1", "channel": "email",
                                                       "date": "2026-10-12"}])]))
    return s


def run(rules, store, queues, day):
    return evaluate_shard(rules=rules, store=store, queue=queues, run_date=day, shard=shard_of("C1", SHARDS),
                          record_workers=1)


def letters(queues):
    return [a for body in queues.bodies("registered_letter") for a in body["actions"]]


def kinds(store, invoice_id="F1"):
    return [e["kind"] for e in store.history(invoice_id)]


def run_days(rules, store, queues, first, days):
    for n in range(days):
        run(rules, store, queues, first + timedelta(days=n))


def test_a_step_requiring_approval_is_asked_for_and_nothing_is_sent(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    report = run(rules, store, queues, NOTICE_DAY)
    assert report.awaiting_approval == 1 and report.planned == 0
    run_days(rules, store, queues, NOTICE_DAY + timedelta(days=1), 20)
    assert letters(queues) == []
    assert kinds(store).count("approval_requested") == 1
    assert "action_planned" not in kinds(store)
    assert store.invoice("F1")[0].history[-1].step == "relance_1"  # the notice is not on the record as done


def test_approved_it_goes_out_on_the_next_run_once(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    run(rules, store, queues, NOTICE_DAY)
    decision = approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY)
    assert decision.done
    again = approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY)
    assert again.outcome == approvals.ALREADY
    run_days(rules, store, queues, NOTICE_DAY + timedelta(days=1), 10)
    sent = letters(queues)
    assert [(a["invoice"], a["step"]) for a in sent] == [("F1", "mise_en_demeure")]
    approved = [e for e in store.history("F1") if e["kind"] == "approved"]
    assert len(approved) == 1 and approved[0]["by"] == MANAGER and approved[0]["date"] == "2026-11-04"
    assert "Mise en demeure" in approved[0]["note"]


def test_held_it_never_goes_and_the_invoice_is_paused(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    run(rules, store, queues, NOTICE_DAY)
    assert approvals.hold(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY).done
    run_days(rules, store, queues, NOTICE_DAY + timedelta(days=1), 30)
    assert letters(queues) == [] and queues.bodies("email") == []
    assert kinds(store).count("held") == 1
    # A person may still approve it afterwards: then it goes.
    assert approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=date(2026, 12, 7)).done
    run(rules, store, queues, date(2026, 12, 8))
    assert [a["step"] for a in letters(queues)] == ["mise_en_demeure"]


def test_timeout_then_send_sends_it_after_the_delay(rules_dir, store):
    rules = rules_with(rules_dir, "        approval_timeout_days: 3\n        then: send\n")
    queues = FakeQueues()
    run_days(rules, store, queues, NOTICE_DAY, 3)  # Wed, Thu, Fri: asked, still waiting
    assert letters(queues) == []
    run(rules, store, queues, date(2026, 11, 7))  # Saturday: the timeout applies, no business day
    run(rules, store, queues, date(2026, 11, 9))  # Monday: it goes
    assert [a["step"] for a in letters(queues)] == ["mise_en_demeure"]
    timeout = [e for e in store.history("F1") if e["kind"] == "approval_timeout"]
    assert len(timeout) == 1 and timeout[0]["then"] == "send" and timeout[0]["date"] == "2026-11-07"


def test_timeout_then_hold_holds_it(rules_dir, store):
    rules = rules_with(rules_dir, "        approval_timeout_days: 3\n        then: hold\n")
    queues = FakeQueues()
    run_days(rules, store, queues, NOTICE_DAY, 30)
    assert letters(queues) == []
    timeout = [e for e in store.history("F1") if e["kind"] == "approval_timeout"]
    assert len(timeout) == 1 and timeout[0]["then"] == "hold"
    assert store.invoice("F1")[0].approval.state == "held"
    # Too late for a hold to matter: an approval still works.
    assert approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=date(2026, 12, 4)).done


def test_paid_while_awaiting_approval_nothing_goes_even_once_approved(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    run(rules, store, queues, NOTICE_DAY)
    store.apply_payment(provider="manual", event_id="p1", invoice_id="F1", amount=store.invoice("F1")[0].amount_due,
                        currency="EUR", on=date(2026, 11, 5))
    approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=date(2026, 11, 5))
    run_days(rules, store, queues, date(2026, 11, 6), 10)
    assert letters(queues) == []


def test_approving_what_awaits_nothing_records_nothing(rules_dir, store):
    assert approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY).outcome == \
        approvals.NOT_AWAITING
    assert approvals.approve(store, "F404", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY).outcome == \
        approvals.UNKNOWN_INVOICE
    assert "approved" not in kinds(store)


def test_a_held_action_cannot_be_held_twice_nor_an_approved_one_held(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    run(rules, store, queues, NOTICE_DAY)
    assert approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY).done
    late = approvals.hold(store, "F1", "mise_en_demeure", by="paul@atelier.example", on=NOTICE_DAY)
    assert not late.done and late.state == "approved"
    assert "held" not in kinds(store)


def test_the_awaiting_list_is_by_account_manager_until_decided(rules_dir, store):
    rules, queues = rules_with(rules_dir), FakeQueues()
    run(rules, store, queues, NOTICE_DAY)
    waiting = approvals.awaiting_for(store, rules, NOTICE_DAY)
    assert list(waiting) == [MANAGER]
    (entry, customer, invoices), = waiting[MANAGER]
    assert [i.id for i in invoices] == ["F1"]
    assert (entry.invoice, entry.step, entry.channel, customer.id) == ("F1", "mise_en_demeure", "registered_letter",
                                                                        "C1")
    assert entry.command == "relance invoice approve F1 --step mise_en_demeure"
    approvals.hold(store, "F1", "mise_en_demeure", by=MANAGER, on=NOTICE_DAY)
    assert approvals.awaiting_for(store, rules, NOTICE_DAY) == {}
