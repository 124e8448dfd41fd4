"""Litigation steps waiting for the formal notice's deadline, released by the daily run on their day.

A late import catches up its steps spaced by ``min_gap_days`` (SPEC §2), so its injonction step can fall
before the deadline its formal notice gave the debtor (``formal_notice_deadline_days``). The litigation
function then parks the case instead of refusing it for good: a ``PARKED`` record keyed by the day it
becomes ready, which the evaluator's daily run puts back on the litigation queue that day. The litigation
function checks everything again then (paid meanwhile, disputed, a later delivery date moving the deadline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from ..ports import ParkedSteps


def park(store: ParkedSteps, *, key: str, body: str, invoice: str, ready_on: date) -> None:
    """Keep a litigation message (one invoice) until ``ready_on``; ``key`` must be new to the queue's
    idempotency, which already knows the message that was parked."""
    store.park(ready_on, key, {
        "type": "parked_litigation", "ready_on": ready_on.isoformat(), "invoice": invoice, "key": key,
        "message": body})


def release_parked(store: ParkedSteps, send: Callable[[Sequence[tuple[str, str]]], set[str]], today: date) -> int:
    """Queue the parked steps whose day has come; each record goes once its message is accepted."""
    due = store.parked_until(today)
    if not due:
        return 0
    accepted = send([(fields["key"], fields["message"]) for _, fields in due])
    for parked_id, fields in due:
        if fields["key"] in accepted:
            store.unpark(parked_id)
    return len(accepted)
