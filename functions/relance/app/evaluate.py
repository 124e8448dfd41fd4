"""The daily evaluation: fan out one job per shard, then plan, record and queue each shard's actions.

Record first, then queue (an outbox): an action recorded but not queued — a crash between the two —
is queued by the next run of its shard. Recording is idempotent per invoice + step, and queued messages
carry a deterministic key, so reruns and duplicate deliveries send nothing twice.
The messages' format (inline or by reference) is ``app.messages``'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..domain.model import Book, on_statement
from ..domain.planner import Planner
from ..domain.policy import Rules
from ..ports import ActionRecord, InvoiceStore, MessageQueue, ParkedSteps
from .approvals import apply_timeouts, request_approvals
from .contact import ContactLog, note_sent, with_contacts
from .messages import (
    INLINE_ACTIONS_MAX_BYTES,
    ChannelMessage,
    action_fields,
    message_key,
    shard_jobs,
)
from .parked import release_parked
from .schedule import scheduled_day

# Queue (id, body) pairs on one queue; the ids accepted.
Send = Callable[[Sequence[tuple[str, str]]], set[str]]


@dataclass(frozen=True, slots=True)
class DayStarted:
    """What the scheduled run did: the day it is for, the shard jobs queued, the parked steps released."""

    run_date: date
    shards: int
    queued: int
    released: int = 0

    @property
    def complete(self) -> bool:
        return self.queued == self.shards


def start_day(event: Mapping[str, Any], *, timezone: str, now: datetime, shards: int, queue_jobs: Send,
              store: ParkedSteps, queue_litigation: Send) -> DayStarted:
    """The scheduled run: the day it is for (``app.schedule``, in the rules' time zone), one evaluation job per
    shard queued, then the parked litigation steps whose day has come put back on their queue (``app.parked``).

    Nothing is released unless every shard job was accepted: the caller fails the invocation, which is retried
    for the same day (shard jobs and releases are idempotent)."""
    run_date = scheduled_day(event, timezone, now)
    queued = len(queue_jobs(shard_jobs(run_date, shards)))
    if queued != shards:
        return DayStarted(run_date, shards, queued)
    return DayStarted(run_date, shards, queued, release_parked(store, queue_litigation, run_date))


@dataclass(slots=True)
class ShardReport:
    run_date: date
    shard: int
    invoices: int = 0
    planned: int = 0
    recorded: int = 0
    already_recorded: int = 0
    skipped: int = 0
    deferred: int = 0  # held back by the contact policy (SPEC §2.8): candidates again on a later run
    awaiting_approval: int = 0  # steps newly recorded as awaiting a person's approval (app.approvals)
    approval_timeouts: int = 0  # requests whose timeout applied their step's ``then`` before planning
    queued_messages: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    queued_actions: int = 0
    not_queued: int = 0
    in_error: int = 0  # invoices set aside: data out of bounds or unreadable, or a computation that failed
    set_aside: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"run_date": self.run_date.isoformat(), "shard": self.shard, "invoices": self.invoices,
                "planned": self.planned, "recorded": self.recorded, "already_recorded": self.already_recorded,
                "skipped": self.skipped, "deferred": self.deferred, "awaiting_approval": self.awaiting_approval,
                "approval_timeouts": self.approval_timeouts, "queued_messages": dict(self.queued_messages),
                "queued_actions": self.queued_actions, "not_queued": self.not_queued, "in_error": self.in_error,
                "set_aside": self.set_aside}


def queued_body(store: InvoiceStore, actions: Sequence[ActionRecord], statement: Sequence[str] = ()) -> str:
    """The body to queue for a group: inline when small enough, else by reference to actions stored first.
    ``statement``: the customer's open invoices, listed for information in the message."""
    body = ChannelMessage.of_actions(actions, statement=statement).body()
    if len(body.encode("utf-8")) <= INLINE_ACTIONS_MAX_BYTES:
        return body
    store.put_message_actions(message_key(actions), action_fields(actions))
    return ChannelMessage.of_actions(actions, by_reference=True, statement=statement).body()


def open_by_customer(book: Book, on: date) -> dict[str, list[str]]:
    """Each customer's open invoices on ``on`` (ids, the most overdue first): its statement of account. The
    evaluator reads them anyway; the channels read them again before rendering, so a settled one drops out."""
    out: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for invoice in book.invoices:
        if on_statement(invoice, on):
            out[invoice.customer_id].append((invoice.due_date, invoice.id))
    return {customer: [i for _, i in sorted(listed)] for customer, listed in out.items()}


def evaluate_shard(*, rules: Rules, store: InvoiceStore, queue: MessageQueue, run_date: date, shard: int,
                   planner: Planner | None = None, record_workers: int = 8,
                   contacts: ContactLog | None = None) -> ShardReport:
    report = ShardReport(run_date, shard)
    snapshot = store.open_invoices(shard)
    # Requests that waited their step's timeout take its ``then`` first, so this very run sends what it approves.
    report.approval_timeouts = apply_timeouts(store, rules, snapshot.book, run_date)
    if report.approval_timeouts:
        snapshot = store.open_invoices(shard)
    report.invoices = len(snapshot.book.invoices)
    # The contact policy counts what the shard's customers were sent, the invoices settled since included.
    book = with_contacts(snapshot.book, contacts, rules.contact, shard, run_date)
    plan = (planner or Planner(rules)).plan(book, run_date)
    report.planned, report.skipped, report.deferred = len(plan.actions), len(plan.skipped), len(plan.deferred)
    # One poisoned invoice is set aside by the planner, recorded on its history once, and counted; the
    # others of the shard go on.
    report.in_error = len(plan.unusable)
    report.set_aside = [{"invoice": u.invoice, "reason": u.reason} for u in plan.unusable[:100]]
    for aside in plan.unusable:
        store.record_unusable(aside, run_date)
    records = [ActionRecord.planned(a, run_date=run_date, shard=shard, rules_digest=rules.digest)
               for a in plan.actions]
    # A step that requires approval is recorded as awaiting it, never queued (app.approvals).
    report.awaiting_approval = request_approvals(store, [
        ActionRecord.planned(a, run_date=run_date, shard=shard, rules_digest=rules.digest) for a in plan.awaiting],
        snapshot.versions)

    def record(action: ActionRecord) -> bool:
        return store.record_action(action, snapshot.versions.get(action.invoice, 0))

    # Each record is one DynamoDB transaction; a few in flight at once keep a large shard within minutes.
    if len(records) > 1 and record_workers > 1:
        with ThreadPoolExecutor(record_workers) as pool:
            results = list(pool.map(record, records))
    else:
        results = [record(r) for r in records]
    report.recorded = sum(results)
    report.already_recorded = len(results) - report.recorded
    note_sent(contacts, rules.contact, [r for r, done in zip(records, results, strict=True) if done])
    flush_outbox(store=store, queue=queue, shard=shard, report=report, contacts=contacts, rules=rules,
                 statements=open_by_customer(snapshot.book, run_date))
    return report


def flush_outbox(*, store: InvoiceStore, queue: MessageQueue, shard: int, report: ShardReport,
                 contacts: ContactLog | None = None, rules: Rules | None = None,
                 statements: Mapping[str, Sequence[str]] | None = None) -> None:
    """Queue every recorded-but-unqueued action of the shard as messages, then clear what was queued.
    ``statements``: each customer's open invoices (:func:`open_by_customer`), listed in its messages."""
    statements = statements or {}
    recorded = store.pending_outbox(shard, with_cancelled=True)
    cancelled = [a for a in recorded if a.cancelled]  # a payment arrived meanwhile: dropped, its event written
    pending = [a for a in recorded if not a.cancelled]
    # An earlier run that stopped between recording and noting its messages: noted now, on their own day.
    note_sent(contacts, rules.contact if rules else None, [a for a in pending if a.run_date < report.run_date])
    groups: dict[tuple[str, str, str, str], list[ActionRecord]] = defaultdict(list)
    for action in pending:
        groups[action.group].append(action)
    by_channel: dict[str, list[tuple[str, str, list[ActionRecord]]]] = defaultdict(list)
    for actions in groups.values():
        body = queued_body(store, actions, statements.get(actions[0].customer, ()))
        by_channel[actions[0].channel].append((message_key(actions), body, actions))
    sent: list[ActionRecord] = []
    for channel, messages in sorted(by_channel.items()):
        accepted = queue.send(channel, [(key, body) for key, body, _ in messages])
        for key, _, actions in messages:
            if key in accepted:
                sent.extend(actions)
                report.queued_messages[channel] += 1
    store.clear_outbox(sent + cancelled)
    report.queued_actions = len(sent)
    report.not_queued = len(pending) - len(sent)
