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
from typing import Any

PARKED = "PARKED"


def park(store: Any, *, key: str, body: str, invoice: str, ready_on: date) -> None:
    """Keep a litigation message (one invoice) until ``ready_on``; ``key`` must be new to the queue's
    idempotency, which already knows the message that was parked."""
    store.put_record(PARKED, f"{ready_on.isoformat()}#{key}", {
        "type": "parked_litigation", "ready_on": ready_on.isoformat(), "invoice": invoice, "key": key,
        "message": body})


def release_parked(store: Any, send: Callable[[Sequence[tuple[str, str]]], set[str]], today: date) -> int:
    """Queue the parked steps whose day has come; each record goes once its message is accepted."""
    due = store.records_through(PARKED, f"{today.isoformat()}#\uffff")
    if not due:
        return 0
    accepted = send([(fields["key"], fields["message"]) for _, fields in due])
    for sk, fields in due:
        if fields["key"] in accepted:
            store.delete_record(PARKED, sk)
    return len(accepted)
