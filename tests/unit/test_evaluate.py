"""The evaluation of a shard (``app.evaluate``) on the in-memory store and queues: two runs at once, a rerun
after a crash."""

from __future__ import annotations

from datetime import date

import pytest

from relance.app.evaluate import evaluate_shard, message_key
from relance.domain.sharding import shard_of
from relance.ports import ActionRecord, ShardSnapshot
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice
from ..support.fake_store import FakeQueues, FakeStore

SHARDS = 16
RUN = date(2026, 11, 2)  # a Monday


@pytest.fixture
def store() -> FakeStore:
    return FakeStore(SHARDS)


def rules_path():
    return SAMPLE_RULES


def seed_two_customers(store):
    # C1 (key account, not due yet at J+7 on 2 Nov? due 15 Oct → J+18: relance_1 catch-up) and C2 standard.
    store.seed(book([business("C1", tags=["grand_compte"]), business("C2")],
                    [invoice("F1", "C1"), invoice("F2", "C1"), invoice("F3", "C2", due="2026-10-10"),
                     invoice("F4", "C2", status="paid", paid_on="2026-10-20")]))


def test_two_runs_at_once_plan_each_step_once(store):
    seed_two_customers(store)
    rules = load_rules_or_raise(rules_path())
    queues = FakeQueues()
    shard = shard_of("C1", SHARDS)
    stale = store.open_invoices(shard)  # the second run read the shard before the first one wrote

    class ReadEarlier:
        def __getattr__(self, name):
            return getattr(store, name)

        def open_invoices(self, _shard: int) -> ShardSnapshot:
            return stale

    first = evaluate_shard(rules=rules, store=store, queue=queues, run_date=RUN, shard=shard, record_workers=1)
    second = evaluate_shard(rules=rules, store=ReadEarlier(), queue=queues, run_date=RUN, shard=shard,
                            record_workers=1)
    assert first.recorded == 2 and second.recorded == 0 and second.already_recorded == 2
    messages = queues.bodies("email")
    assert len(messages) == 1 and len(messages[0]["actions"]) == 2


def test_a_message_sent_again_after_a_crash_keeps_its_key(store):
    seed_two_customers(store)
    shard = shard_of("C1", SHARDS)
    snapshot = store.open_invoices(shard)
    records = [ActionRecord(i, "C1", "grands_comptes", "grands_comptes", "relance_1", "email", "courtois",
                            run_date=RUN, shard=shard) for i in ("F1", "F2")]
    for r in records:
        store.record_action(r, snapshot.versions[r.invoice])
    pending = store.pending_outbox(shard)
    assert message_key(pending) == message_key(list(reversed(records)))
