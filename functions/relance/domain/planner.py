"""The planner: which reminder each invoice gets on a run date (SPEC §2). Pure: the date is an argument."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .calendar import ONE_DAY, BusinessCalendar
from .conditions import CustomerStats, Facts
from .legal import is_prescribed
from .model import (
    HELD_CANCELLED,
    HELD_DISPUTED,
    HELD_LITIGATION,
    HELD_PAID,
    HELD_PROMISE,
    PLANNING_ERROR,
    Book,
    HistoryEntry,
    Invoice,
    Unusable,
    invoice_problems,
    why_held,
)
from .policy import Rules, Scenario, Segment, Step

REASON_DISPUTED = "paused: disputed"
REASON_PROMISE = "paused: promise to pay"
REASON_LITIGATION = "in litigation"
REASON_PRESCRIBED = "prescribed"
REASON_NO_SEGMENT = "no segment"
HELD_REASONS = {HELD_LITIGATION: REASON_LITIGATION, HELD_DISPUTED: REASON_DISPUTED, HELD_PROMISE: REASON_PROMISE}

# What data can make a computation on one invoice fail: calendar arithmetic past year 9999 (OverflowError),
# Decimal overflow (ArithmeticError), a date out of range (ValueError), a record pointing nowhere (LookupError).
# One invoice failing so is set aside with its reason; anything else is a bug and propagates.
PLANNING_FAULTS: tuple[type[Exception], ...] = (ArithmeticError, ValueError, LookupError)


class Action(NamedTuple):
    """One step to carry out for one invoice."""

    invoice: str
    customer: str
    segment: str
    scenario: str
    step: str
    channel: str
    tone: str | None


class Message(NamedTuple):
    """The day's actions for one customer on one channel in one tone: one e-mail, letter or call."""

    customer: str
    channel: str
    tone: str | None
    invoices: tuple[str, ...]


class Skipped(NamedTuple):
    invoice: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    date: date
    actions: tuple[Action, ...]
    messages: tuple[Message, ...]
    skipped: tuple[Skipped, ...]
    unusable: tuple[Unusable, ...] = ()  # the skipped invoices set aside by their data or a failed computation


@dataclass(frozen=True, slots=True)
class DatedAction:
    date: date
    action: Action


@dataclass(frozen=True, slots=True)
class Simulation:
    actions: tuple[DatedAction, ...]
    unusable: tuple[Unusable, ...]  # each invoice set aside during the simulation, once, by invoice id


def customer_stats(book: Book, on: date,
                   failed: dict[str, Exception] | None = None) -> dict[str, CustomerStats]:
    """Open balance and number of overdue invoices per customer, over the invoices still open on ``on``.

    With ``failed``, an invoice whose amount cannot be added is left out and noted there instead of
    failing the sum of every customer."""
    balance: dict[str, Decimal] = defaultdict(Decimal)
    overdue: dict[str, int] = defaultdict(int)
    for invoice in book.invoices:
        if invoice.is_settled_on(on):
            continue
        try:
            total = balance[invoice.customer_id] + invoice.amount_due
        except PLANNING_FAULTS as err:
            if failed is None:
                raise
            failed[invoice.id] = err
            continue
        balance[invoice.customer_id] = total
        if invoice.due_date < on:
            overdue[invoice.customer_id] += 1
    return {cid: CustomerStats(balance[cid], overdue[cid]) for cid in balance}


def set_aside(invoice: Invoice, err: Exception) -> Unusable:
    """The invoice a computation failed on: blame the first field out of bounds, else name the failure."""
    problems = invoice_problems(invoice)
    if problems:
        field, problem = problems[0]
        return Unusable.field(invoice.id, invoice.customer_id, field, problem)
    name = type(err).__name__
    return Unusable(invoice.id, invoice.customer_id, f"{PLANNING_ERROR}: {name}",
                    f"le calcul de sa relance a échoué ({name} : {err})")


_NO_STATS = CustomerStats(Decimal(0), 0)


def segment_for(segments: Sequence[Segment], facts: Facts) -> Segment | None:
    """The segment an invoice follows: the first whose condition holds (one without a condition takes all)."""
    for segment in segments:
        if segment.when is None or segment.when(facts):
            return segment
    return None


class Planner:
    """Plans runs for one set of rules; keeps the business-day calendar warm between runs."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.calendar = BusinessCalendar(rules.calendar)
        self._step_index = {name: {step.id: i for i, step in enumerate(s.steps)}
                            for name, s in rules.scenarios.items()}
        self._step_day: dict[tuple[date, int], date] = {}

    def step_day(self, due_date: date, at: int) -> date:
        """First day a step may run: due date + ``at`` days, moved to the next business day if needed."""
        key = (due_date, at)
        day = self._step_day.get(key)
        if day is None:
            day = self.calendar.on_or_after(due_date + timedelta(days=at))
            self._step_day[key] = day
        return day

    def segment_of(self, book: Book, invoice: Invoice, on: date) -> Segment | None:
        """The segment ``invoice`` follows on ``on``, chosen as :meth:`plan` chooses it."""
        customer = book.customers[invoice.customer_id]
        stats = customer_stats(book, on).get(customer.id, _NO_STATS)
        return segment_for(self.rules.segments, Facts(invoice, customer, on, stats))

    def plan(self, book: Book, on: date) -> Plan:
        rules = self.rules
        failed: dict[str, Exception] = {}
        stats = customer_stats(book, on, failed)
        can_act = self.calendar.can_act_on(on)
        min_gap = timedelta(days=rules.calendar.min_gap_days)
        segments, pauses, scenarios = rules.segments, rules.pauses, rules.scenarios
        actions: list[Action] = []
        skipped: list[Skipped] = []
        aside: list[Unusable] = list(book.unusable)
        for invoice in book.invoices:
            if failed and invoice.id in failed:
                aside.append(set_aside(invoice, failed[invoice.id]))
                continue
            # One invoice whose data defeats a computation is set aside; the others keep their run.
            try:
                held = why_held(invoice, on)
                if held in (HELD_PAID, HELD_CANCELLED):
                    continue
                customer = book.customers[invoice.customer_id]
                if held is not None:
                    skipped.append(Skipped(invoice.id, HELD_REASONS[held]))
                    continue
                facts = Facts(invoice, customer, on, stats.get(customer.id, _NO_STATS))
                paused = None
                for pause in pauses:
                    if pause.when(facts):
                        paused = pause.name
                        break
                if paused is not None:
                    skipped.append(Skipped(invoice.id, f"paused: {paused}"))
                    continue
                if is_prescribed(invoice, customer, on):
                    skipped.append(Skipped(invoice.id, REASON_PRESCRIBED))
                    continue
                segment = segment_for(segments, facts)
                if segment is None:
                    skipped.append(Skipped(invoice.id, REASON_NO_SEGMENT))
                    continue
                if not can_act:
                    continue
                scenario = scenarios[segment.scenario]
                step = self._candidate(scenario, invoice, facts, on)
                if step is None or on < self.step_day(invoice.due_date, step.at):
                    continue
                if invoice.history and on < max(h.date for h in invoice.history) + min_gap:
                    continue
            except PLANNING_FAULTS as err:
                aside.append(set_aside(invoice, err))
                continue
            actions.append(Action(invoice.id, customer.id, segment.name, scenario.name, step.id, step.channel,
                                  step.tone))
        skipped.extend(Skipped(u.invoice, u.reason) for u in aside)
        actions.sort(key=lambda a: a.invoice)
        skipped.sort(key=lambda s: s.invoice)
        aside.sort(key=lambda u: u.invoice)
        return Plan(on, tuple(actions), group_messages(actions), tuple(skipped), tuple(aside))

    def _candidate(self, scenario: Scenario, invoice: Invoice, facts: Facts, on: date) -> Step | None:
        """The next step after the last one in history; pre-due steps drop once the due date has passed."""
        index = self._step_index[scenario.name]
        position = -1
        for entry in invoice.history:
            i = index.get(entry.step)
            if i is not None and i > position:
                position = i
        past_due = on > invoice.due_date
        for step in scenario.steps[position + 1:]:
            if step.at < 0 and past_due:
                continue
            if step.when is not None and not step.when(facts):
                continue
            return step
        return None

    def simulate(self, book: Book, start: date, end: date) -> list[DatedAction]:
        """Run every day from ``start`` to ``end``; each action joins its invoice's history that day."""
        return list(self.simulate_run(book, start, end).actions)

    def simulate_run(self, book: Book, start: date, end: date) -> Simulation:
        """:meth:`simulate`, with the invoices set aside on the way (by their data or a failed computation)."""
        invoices = list(book.invoices)
        where = {inv.id: i for i, inv in enumerate(invoices)}
        out: list[DatedAction] = []
        aside: dict[str, Unusable] = {}
        day = start
        while day <= end:
            plan = self.plan(Book(book.customers, tuple(invoices), book.unusable), day)
            for unusable in plan.unusable:
                aside.setdefault(unusable.invoice, unusable)
            for action in plan.actions:
                i = where[action.invoice]
                entry = HistoryEntry(step=action.step, date=day, channel=action.channel)
                invoices[i] = replace(invoices[i], history=(*invoices[i].history, entry))
                out.append(DatedAction(day, action))
            day += ONE_DAY
        return Simulation(tuple(out), tuple(aside[k] for k in sorted(aside)))


def group_messages(actions: list[Action]) -> tuple[Message, ...]:
    groups: dict[tuple[str, str, str | None], list[str]] = {}
    for action in actions:
        groups.setdefault((action.customer, action.channel, action.tone), []).append(action.invoice)
    return tuple(Message(c, ch, t, tuple(sorted(ids)))
                 for (c, ch, t), ids in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")))
