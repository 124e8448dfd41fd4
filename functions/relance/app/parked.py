"""Litigation steps waiting for the formal notice's deadline, released by the daily run on their day.

A late import catches up its steps spaced by ``min_gap_days`` (SPEC §2), so its injonction step can fall
before the deadline its formal notice gave the debtor (``formal_notice_deadline_days``). The litigation
function then parks the case instead of refusing it for good: a ``PARKED`` record keyed by the day it
becomes ready, which the evaluator's daily run puts back on the litigation queue that day. The litigation
function checks everything again then (paid meanwhile, disputed, a later delivery date moving the deadline).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ..ports import ParkedSteps
from .messages import ChannelMessage, MalformedMessage


def park(store: ParkedSteps, *, key: str, body: str, invoice: str, ready_on: date) -> None:
    """Keep a litigation message (one invoice) until ``ready_on``; ``key`` must be new to the queue's
    idempotency, which already knows the message that was parked."""
    store.park(ready_on, key, {
        "type": "parked_litigation", "ready_on": ready_on.isoformat(), "invoice": invoice, "key": key,
        "message": body})


def release_parked(store: ParkedSteps, send: Callable[[Sequence[tuple[str, str]]], set[str]], today: date) -> int:
    """Queue the parked steps whose day has come; each record goes once its message is accepted.

    One debtor's steps released together become one message, so one dossier (SPEC §5: one requête per debtor),
    under a key made of theirs: a run that fails to queue it makes the same message again the next day."""
    due = store.parked_until(today)
    if not due:
        return 0
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for parked_id, fields in due:
        try:
            message = ChannelMessage.from_body(fields["message"])
            groups[(message.customer, message.channel, message.rules_digest)].append((parked_id, fields))
        except MalformedMessage:  # not one of ours to merge: queued as it was parked
            groups[("", parked_id)].append((parked_id, fields))
    bodies: list[tuple[str, str]] = []
    released: dict[str, list[str]] = {}
    for records in groups.values():
        key, body = _merged(records)
        bodies.append((key, body))
        released[key] = [parked_id for parked_id, _ in records]
    accepted = send(bodies)
    for key in accepted:
        for parked_id in released.get(key, ()):
            store.unpark(parked_id)
    return sum(len(released.get(key, ())) for key in accepted)


def _merged(records: Sequence[tuple[str, dict[str, Any]]]) -> tuple[str, str]:
    if len(records) == 1:
        return records[0][1]["key"], records[0][1]["message"]
    messages = sorted((ChannelMessage.from_body(fields["message"]) for _, fields in records), key=lambda m: m.key)
    first = messages[0]
    key = hashlib.sha256("|".join(m.key for m in messages).encode()).hexdigest()[:40]
    actions = tuple(sorted({a for m in messages for a in m.actions}, key=lambda a: (a.invoice, a.step)))
    merged = ChannelMessage(key, first.run_date, first.customer, first.channel, first.tone, actions,
                            first.rules_digest, resumes=first.resumes or first.key)
    return key, merged.body()
