"""The planner: which reminder each invoice gets on a run date (SPEC §2). Pure: the date is an argument."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from .approval import APPROVED, PENDING, REASON_AWAITING, REASON_HELD, ApprovalState, effective_state
from .calendar import ONE_DAY, BusinessCalendar
from .conditions import CustomerStats, Facts
from .contact import LITIGATION, Candidate, ContactPolicy, decide, decide_one
from .legal import is_prescribed
from .model import (
    HELD_CANCELLED,
    HELD_DISPUTED,
    HELD_LITIGATION,
    HELD_PAID,
    HELD_PROMISE,
    HELD_REPLY,
    PLANNING_ERROR,
    Action,
    Book,
    Customer,
    HistoryEntry,
    Invoice,
    Unusable,
    invoice_problems,
    why_held,
)
from .policy import Rules, Scenario, Segment, Step

REASON_DISPUTED = "paused: disputed"
REASON_PROMISE = "paused: promise to pay"
REASON_REPLY = "paused: reply"  # the debtor wrote back: replies.pause_days while a person reads it
REASON_LITIGATION = "in litigation"
REASON_PRESCRIBED = "prescribed"
REASON_NO_SEGMENT = "no segment"
HELD_REASONS = {HELD_LITIGATION: REASON_LITIGATION, HELD_DISPUTED: REASON_DISPUTED, HELD_PROMISE: REASON_PROMISE,
                HELD_REPLY: REASON_REPLY}

# What data can make a computation on one invoice fail: calendar arithmetic past year 9999 (OverflowError),
# Decimal overflow (ArithmeticError), a date out of range (ValueError), a record pointing nowhere (LookupError).
# One invoice failing so is set aside with its reason; anything else is a bug and propagates.
PLANNING_FAULTS: tuple[type[Exception], ...] = (ArithmeticError, ValueError, LookupError)


class Message(NamedTuple):
    """The day's actions for one customer on one channel in one tone: one e-mail, letter or call."""

    customer: str
    channel: str
    tone: str | None
    invoices: tuple[str, ...]


class Skipped(NamedTuple):
    invoice: str
    reason: str


class Deferred(NamedTuple):
    """A step due today that the contact policy holds back (SPEC §2.8): a candidate again on later runs."""

    invoice: str
    step: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    date: date
    actions: tuple[Action, ...]
    messages: tuple[Message, ...]
    skipped: tuple[Skipped, ...]
    unusable: tuple[Unusable, ...] = ()  # the skipped invoices set aside by their data or a failed computation
    deferred: tuple[Deferred, ...] = ()  # held back by the contact policy (SPEC §2.8)
    # Due today but their step requires approval (``approval: required``): asked for, not sent (domain.approval);
    # not in ``actions`` nor in ``messages``.
    awaiting: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class DatedAction:
    date: date
    action: Action
    approval: bool = False  # its step requires approval: simulate assumes it was given that day


@dataclass(frozen=True, slots=True)
class DatedMessage:
    date: date
    message: Message


@dataclass(frozen=True, slots=True)
class Simulation:
    actions: tuple[DatedAction, ...]
    unusable: tuple[Unusable, ...]  # each invoice set aside during the simulation, once, by invoice id
    messages: tuple[DatedMessage, ...] = ()  # by date, then customer
    deferred: tuple[tuple[date, Deferred], ...] = ()  # each day's actions held back by the contact policy


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
_NOTHING_SAID: frozenset[tuple[date, str, str | None]] = frozenset()
_FIRST = attrgetter("invoice")  # an Action's or a Skipped's invoice (Action is a dataclass: no index)
_INVOICE = attrgetter("invoice")


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
        self._steps = {name: {step.id: step for step in s.steps} for name, s in rules.scenarios.items()}

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
        # A run allocates a few hundred thousand small tuples that all live until it returns and make no cycle:
        # reference counting frees them. The cyclic collector, left on, would rescan the whole book every few
        # thousand allocations — a third of the run at 100 000 invoices, more as the book grows. Paused for the
        # run only, and left as the caller had it.
        if not gc.isenabled():
            return self._plan(book, on)
        gc.disable()
        try:
            return self._plan(book, on)
        finally:
            gc.enable()

    def _plan(self, book: Book, on: date) -> Plan:
        rules = self.rules
        failed: dict[str, Exception] = {}
        stats = customer_stats(book, on, failed)
        can_act = self.calendar.can_act_on(on)
        min_gap = timedelta(days=rules.calendar.min_gap_days)
        segments, pauses, scenarios = rules.segments, rules.pauses, rules.scenarios
        customers = book.customers
        step_days, step_day = self._step_day, self.step_day
        candidate = self._candidate
        actions: list[Action] = []
        awaiting: list[Action] = []
        skipped: list[Skipped] = []
        aside: list[Unusable] = list(book.unusable)
        contact = rules.contact
        # For the contact policy: the scenario of each invoice acting today, and each action as the policy sees
        # it — (channel, tone, overdue: D > its invoice's due date) — in the order of ``actions``.
        scenario_of: dict[str, Scenario] = {}
        candidates: list[Candidate] = []
        facts = Facts(None, None, on, _NO_STATS)  # type: ignore[arg-type]  # one, refilled for each invoice
        for invoice in book.invoices:
            if failed and invoice.id in failed:
                aside.append(set_aside(invoice, failed[invoice.id]))
                continue
            # One invoice whose data defeats a computation is set aside; the others keep their run.
            try:
                held = why_held(invoice, on)
                if held in (HELD_PAID, HELD_CANCELLED):
                    continue
                customer = customers[invoice.customer_id]
                if held is not None:
                    skipped.append(Skipped(invoice.id, HELD_REASONS[held]))
                    continue
                facts.invoice, facts.customer = invoice, customer
                facts.stats = stats.get(customer.id, _NO_STATS)
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
                for segment in segments:  # segment_for, inline: it runs for every invoice
                    if segment.when is None or segment.when(facts):
                        break
                else:
                    skipped.append(Skipped(invoice.id, REASON_NO_SEGMENT))
                    continue
                approval = invoice.approval
                approved_step = None
                if approval is not None:
                    asked = self._steps[segment.scenario].get(approval.step)
                    state = effective_state(approval, asked.approval if asked else None, on)
                    if state == PENDING:
                        skipped.append(Skipped(invoice.id, REASON_AWAITING))
                        continue
                    if state == APPROVED:
                        approved_step = approval.step
                    else:
                        skipped.append(Skipped(invoice.id, REASON_HELD))
                        continue
                if not can_act:
                    continue
                scenario = scenarios[segment.scenario]
                step = candidate(scenario, invoice, facts, on)
                if step is None:
                    continue
                first_day = step_days.get((invoice.due_date, step.at))
                if first_day is None:
                    first_day = step_day(invoice.due_date, step.at)
                if on < first_day:
                    continue
                history = invoice.history
                if history and on < max([h.date for h in history]) + min_gap:
                    continue
            except PLANNING_FAULTS as err:
                aside.append(set_aside(invoice, err))
                continue
            action = Action(invoice.id, customer.id, segment.name, scenario.name, step.id, step.channel, step.tone)
            if step.approval is not None and step.id != approved_step:
                awaiting.append(action)
                continue
            actions.append(action)
            if contact is not None:
                scenario_of[invoice.id] = scenario
                candidates.append((step.channel, step.tone, on > invoice.due_date))
        deferred: list[Deferred] = []
        if contact is not None and actions:
            actions, deferred = self._contact(contact, book, on, actions, candidates, stats, scenario_of)
        skipped.extend(Skipped(u.invoice, u.reason) for u in aside)
        actions.sort(key=_FIRST)
        skipped.sort(key=_FIRST)
        aside.sort(key=_INVOICE)
        deferred.sort()
        awaiting.sort(key=_FIRST)
        if contact is None:
            messages = group_messages(actions)
        else:  # a litigation step hands a dossier over: it speaks to no one (SPEC §2.8)
            messages = group_messages([a for a in actions if a.channel != LITIGATION])
        return Plan(on, tuple(actions), messages, tuple(skipped), tuple(aside), tuple(deferred), tuple(awaiting))

    def _contact(self, policy: ContactPolicy, book: Book, on: date, actions: list[Action],
                 candidates: list[Candidate], stats: dict[str, CustomerStats],
                 scenario_of: dict[str, Scenario]) -> tuple[list[Action], list[Deferred]]:
        """SPEC §2.8: each customer with actions today gets what its limits allow, re-toned and merged.
        ``candidates``: each action as :func:`decide` takes it. The actions kept stay in their order."""
        by_customer: dict[str, list[int]] = {}  # each customer's actions, by their index in ``actions``
        talking: set[str] = set()
        for i, action in enumerate(actions):
            customer_id = action.customer
            listed = by_customer.get(customer_id)
            if listed is None:
                by_customer[customer_id] = [i]
            else:
                listed.append(i)
            if action.channel != LITIGATION:
                talking.add(customer_id)
        # What each talking customer received lately over all its invoices (settled ones included), and whether
        # one of them is in litigation: one pass over the book.
        customers = book.customers
        since = on - timedelta(days=policy.horizon_days)
        received_of: dict[str, set[tuple[date, str, str | None]]] = {}
        litigating: set[str] = set()
        steps_of = self._steps
        for invoice in book.invoices:
            customer_id = invoice.customer_id
            if customer_id not in talking:
                continue
            if invoice.status == "litigation":
                litigating.add(customer_id)
            if not invoice.history:
                continue
            got = received_of.get(customer_id)
            if got is None:
                got = received_of[customer_id] = set()
            # _messages_of, inline for the common case: each entry within the horizon says its channel and tone,
            # or the invoice acts today and its scenario is known.
            scenario = scenario_of.get(invoice.id)
            steps = None if scenario is None else steps_of[scenario.name]
            for entry in invoice.history:
                if not since <= entry.date <= on:
                    continue
                channel, tone = entry.channel, entry.tone
                if tone is None or not channel:
                    if steps is None:
                        got.update(self._messages_of(invoice, customers[customer_id], on, since, stats))
                        break
                    step = steps.get(entry.step)
                    if step is not None:
                        channel = channel or step.channel
                        tone = tone if tone is not None else step.tone
                if channel != LITIGATION:
                    got.add((entry.date, channel, tone))  # a SentMessage, as a plain tuple
        contacts = book.contacts
        tones = self.rules.tones
        out: list[Action | None] = actions  # an action deferred becomes None, a re-toned one its new self
        deferred: list[Deferred] = []
        for customer_id, listed in by_customer.items():
            if customer_id not in talking:
                continue
            received = received_of.get(customer_id, _NOTHING_SAID)
            logged = contacts.get(customer_id)
            if logged:
                received = {*received, *(m for m in logged if since <= m.date <= on)}
            in_litigation = customer_id in litigating
            if len(listed) == 1:
                if not received and not in_litigation:
                    continue  # one action and nothing said lately: no cap, no floor, nothing to merge
                outcomes = [decide_one(*candidates[listed[0]], received, in_litigation,
                                       policy.for_kind(customers[customer_id].kind), on, tones)]
            else:
                outcomes = decide(list(map(candidates.__getitem__, listed)), received, in_litigation,
                                  policy.for_kind(customers[customer_id].kind), on, tones)
            for i, (channel, tone, reason) in zip(listed, outcomes, strict=True):
                action = actions[i]
                if reason is not None:
                    deferred.append(Deferred(action.invoice, action.step, reason))
                    out[i] = None
                elif channel != action.channel or tone != action.tone:
                    out[i] = replace(action, channel=channel, tone=tone)
        kept = [a for a in out if a is not None] if deferred else out
        return kept, deferred  # type: ignore[return-value]

    def _messages_of(self, invoice: Invoice, customer: Customer, on: date, since: date,
                     stats: dict[str, CustomerStats],
                     scenario: Scenario | None = None) -> list[tuple[date, str, str | None]]:
        """The messages an invoice's history shows: (date, channel, tone), litigation apart. An entry without a
        tone or a channel takes its step's in the invoice's scenario; an unknown step is a message without one."""
        looked_up = scenario is not None
        out: list[tuple[date, str, str | None]] = []
        for entry in invoice.history:
            if not since <= entry.date <= on:
                continue
            channel, tone = entry.channel, entry.tone
            if tone is None or not channel:
                if not looked_up:
                    scenario, looked_up = self._scenario_of(invoice, customer, on, stats), True
                step = self._step_of(scenario, entry.step) if scenario else None
                if step is not None:
                    channel = channel or step.channel
                    tone = tone if tone is not None else step.tone
            if channel != LITIGATION:
                out.append((entry.date, channel, tone))  # a SentMessage, as a plain tuple: one per history entry
        return out

    def _scenario_of(self, invoice: Invoice, customer: Customer, on: date,
                     stats: dict[str, CustomerStats]) -> Scenario | None:
        """The scenario the segments give the invoice on ``on`` (settled ones included); None when none does."""
        facts = Facts(invoice, customer, on, stats.get(customer.id, _NO_STATS))
        try:
            for segment in self.rules.segments:
                if segment.when is None or segment.when(facts):
                    return self.rules.scenarios[segment.scenario]
        except PLANNING_FAULTS:
            return None
        return None

    def _step_of(self, scenario: Scenario, step_id: str) -> Step | None:
        i = self._step_index[scenario.name].get(step_id)
        return None if i is None else scenario.steps[i]

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
        """:meth:`simulate`, with the invoices set aside on the way (by their data or a failed computation).

        An action whose step requires approval is asked for, and nobody answers: it goes when its step's
        ``approval_timeout_days`` have passed with ``then: send`` (``DatedAction.approval`` says so), never with
        ``then: hold`` or without a timeout — what relance does by itself, as the evaluator would."""
        invoices = list(book.invoices)
        where = {inv.id: i for i, inv in enumerate(invoices)}
        out: list[DatedAction] = []
        said: list[DatedMessage] = []
        held: list[tuple[date, Deferred]] = []
        aside: dict[str, Unusable] = {}
        day = start
        while day <= end:
            plan = self.plan(Book(book.customers, tuple(invoices), book.unusable, book.contacts), day)
            for asked in plan.awaiting:
                i = where[asked.invoice]
                invoices[i] = replace(invoices[i], approval=ApprovalState(
                    asked.step, PENDING, day, channel=asked.channel, scenario=asked.scenario))
            for unusable in plan.unusable:
                aside.setdefault(unusable.invoice, unusable)
            for action in plan.actions:
                i = where[action.invoice]
                entry = HistoryEntry(step=action.step, date=day, channel=action.channel, tone=action.tone)
                invoices[i] = replace(invoices[i], history=(*invoices[i].history, entry))
                approval = invoices[i].approval
                out.append(DatedAction(day, action, approval is not None and approval.step == action.step))
            said.extend(DatedMessage(day, m) for m in plan.messages)
            held.extend((day, d) for d in plan.deferred)
            day += ONE_DAY
        return Simulation(tuple(out), tuple(aside[k] for k in sorted(aside)), tuple(said), tuple(held))


def group_messages(actions: list[Action]) -> tuple[Message, ...]:
    """The day's actions as messages: one per customer, channel and tone, by customer, channel and tone, each
    naming its invoices in order."""
    groups: dict[tuple[str, str, str | None], list[str]] = {}
    for action in sorted(actions, key=_FIRST):  # by invoice: each message's invoices come in order
        key = (action.customer, action.channel, action.tone)
        ids = groups.get(key)
        if ids is None:
            groups[key] = [action.invoice]
        else:
            ids.append(action.invoice)
    return tuple([Message(c, ch, t, tuple(groups[c, ch, t])) for c, ch, t in sorted(groups, key=_message_order)])


def _message_order(key: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return (key[0], key[1], key[2] or "")
