"""The contact policy on AWS (SPEC §2.8): what a shard's customers were sent, read before planning and noted
once recorded, so that the window and the tone floor count the messages of invoices settled since."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Protocol

from ..domain.contact import ContactPolicy, SentMessage
from ..domain.model import Book
from ..domain.plans import PLAN_CHANNEL
from ..ports import ActionRecord

LITIGATION = "litigation"


class ContactLog(Protocol):
    def log(self, shard: int, sent: Iterable[tuple[str, SentMessage]], keep_days: int) -> None:
        """Note ``(customer id, message)`` pairs; the same message noted twice is kept once."""
        ...

    def since(self, shard: int, start: date, end: date) -> Mapping[str, Sequence[SentMessage]]:
        """The messages of the shard's customers from ``start`` to ``end`` included, by customer id."""
        ...


def with_contacts(book: Book, log: ContactLog | None, policy: ContactPolicy | None, shard: int,
                  run_date: date) -> Book:
    """The shard's book with what its customers were sent over the policy's horizon (D included: a rerun)."""
    if log is None or policy is None:
        return book
    found = log.since(shard, run_date - timedelta(days=policy.horizon_days), run_date)
    return replace(book, contacts=MappingProxyType({c: tuple(m) for c, m in found.items()}))


def note_sent(log: ContactLog | None, policy: ContactPolicy | None, actions: Sequence[ActionRecord]) -> None:
    """Note the messages of recorded actions, each on its run date: a message redriven days later counts for the
    day it was planned. Litigation is no message, nor a payment plan's ``plan_broken`` (recorded, never sent)."""
    if log is None or policy is None or not actions:
        return
    by_shard: dict[int, list[tuple[str, SentMessage]]] = {}
    for action in actions:
        if action.channel not in (LITIGATION, PLAN_CHANNEL):
            by_shard.setdefault(action.shard, []).append(
                (action.customer, SentMessage(action.run_date, action.channel, action.tone)))
    for shard, sent in by_shard.items():
        log.log(shard, sent, policy.horizon_days)
