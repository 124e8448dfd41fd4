"""Parked litigation steps released on their day: one dossier per debtor (SPEC §5), not one per invoice.

Seen in `make demo`: C009's two invoices, both parked until its formal notice's deadline, came back as two
injonction messages on 24/11 — two ZIPs, two requêtes, two greffe fees for one debtor.
"""

from __future__ import annotations

from datetime import date

from relance.app.messages import ChannelMessage, MessageAction
from relance.app.parked import park, release_parked
from tests.support.fake_store import FakeStore

DAY = date(2026, 11, 24)


def _park(store: FakeStore, customer: str, invoice: str, ready_on: date = DAY) -> None:
    message = ChannelMessage(f"key-{invoice}", date(2026, 11, 12), customer, "litigation", "formel",
                             (MessageAction(invoice, "injonction", "pro", "standard"),), "digest",
                             resumes=f"first-{invoice}")
    park(store, key=message.key, body=message.body(), invoice=invoice, ready_on=ready_on)


def _sent_to_queue(store: FakeStore, today: date = DAY) -> list[ChannelMessage]:
    queued: list[tuple[str, str]] = []

    def send(bodies):
        queued.extend(bodies)
        return {key for key, _ in bodies}

    release_parked(store, send, today)
    return [ChannelMessage.from_body(body) for _, body in queued]


def test_one_debtor_s_parked_steps_of_one_day_come_back_as_one_message():
    store = FakeStore()
    _park(store, "C009", "F-2026-0288")
    _park(store, "C009", "F-2026-0301")
    _park(store, "C015", "F-2026-0305")

    sent = _sent_to_queue(store)

    by_customer = {m.customer: sorted(a.invoice for a in m.actions) for m in sent}
    assert len(sent) == 2
    assert by_customer == {"C009": ["F-2026-0288", "F-2026-0301"], "C015": ["F-2026-0305"]}
    assert all(m.resumes for m in sent)  # still a step taken up again, not a new reminder
    assert store.parked_until(date(2030, 1, 1)) == []  # every record released once its message was accepted


def test_a_merged_message_refused_by_the_queue_keeps_every_record_for_the_next_run():
    store = FakeStore()
    _park(store, "C009", "F-2026-0288")
    _park(store, "C009", "F-2026-0301")

    release_parked(store, lambda bodies: set(), DAY)
    assert len(store.parked_until(DAY)) == 2

    first = _sent_to_queue(store)
    _park(store, "C009", "F-2026-0288")
    _park(store, "C009", "F-2026-0301")
    again = _sent_to_queue(store)
    assert [m.key for m in first] == [m.key for m in again]  # the same key: the queue's idempotency holds


def test_a_step_not_yet_ready_stays_parked():
    store = FakeStore()
    _park(store, "C009", "F-2026-0288")
    _park(store, "C009", "F-2026-0301", ready_on=date(2026, 11, 26))

    sent = _sent_to_queue(store)

    assert [[a.invoice for a in m.actions] for m in sent] == [["F-2026-0288"]]
    assert len(store.parked_until(date(2026, 11, 26))) == 1
