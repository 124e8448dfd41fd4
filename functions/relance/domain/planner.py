"""The planner: which reminder each invoice gets on a run date (SPEC §2). Pure: the date is an argument."""

from __future__ import annotations

import gc
from array import array
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
from .legal import is_prescribed, notice_last_day
from .model import (
    HELD_DISPUTED,
    HELD_LITIGATION,
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
from .plans import PLAN_CHANNEL, REASON_PLAN, PlanState, plan_state
from .policy import Rules, Scenario, Segment, Step, plan_step

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


class Tally(NamedTuple):
    """One pass over a book on a day. Each invoice's customer becomes a slot, an index into per-customer lists,
    so that the rest of a run reads a customer's data by index: a dict lookup per invoice by customer id costs
    little on a small book, but on a million invoices nearly every one missed the processor's caches. The book's
    customers get their slots in the order of their ids (the order of the day's messages); a customer id the
    book does not know gets one after them."""

    # Per invoice, in book order: its customer's slot, or ~slot (negative) when settled that day. An array of
    # machine integers: a list would hold each customer's one int object, and reading it back would touch that
    # object, one more cache miss per invoice.
    slots: array[int]
    ids: list[str]  # per slot: the customer id, as the invoices name it
    customers: list[Customer | None]  # per slot: the book's customer, None when the book has none of that id
    balance: list[Decimal]  # per slot: the sum due on its open invoices
    overdue: list[int]  # per slot: how many of them are past due

    def stats(self) -> dict[str, CustomerStats]:
        """Each customer's :class:`CustomerStats` by id (a customer without an open invoice has zero of both)."""
        return {customer_id: CustomerStats(balance, overdue)
                for customer_id, balance, overdue in zip(self.ids, self.balance, self.overdue, strict=True)}


_ZERO = Decimal(0)


def tally(book: Book, on: date, failed: dict[str, Exception] | None = None) -> Tally:
    """Each invoice's customer slot, and each customer's open balance and overdue invoices on ``on``.

    With ``failed``, an invoice whose amount cannot be added is left out and noted there instead of
    failing the sum of every customer."""
    customers = book.customers
    ids: list[str] = sorted(customers)
    slot_of = {customer_id: k for k, customer_id in enumerate(ids)}
    known: list[Customer | None] = list(map(customers.__getitem__, ids))
    balance = [_ZERO] * len(ids)
    overdue = [0] * len(ids)
    slots: array[int] = array("q")
    for invoice in book.invoices:
        customer_id = invoice.customer_id
        k = slot_of.get(customer_id)
        if k is None:
            k = slot_of[customer_id] = len(ids)
            ids.append(customer_id)
            known.append(None)
            balance.append(_ZERO)
            overdue.append(0)
        if invoice.is_settled_on(on):
            slots.append(~k)
            continue
        slots.append(k)
        try:
            total = balance[k] + invoice.amount_due
        except PLANNING_FAULTS as err:
            if failed is None:
                raise
            failed[invoice.id] = err
            continue
        balance[k] = total
        if invoice.due_date < on:
            overdue[k] += 1
    return Tally(slots, ids, known, balance, overdue)


def customer_stats(book: Book, on: date,
                   failed: dict[str, Exception] | None = None) -> dict[str, CustomerStats]:
    """Open balance and number of overdue invoices per customer, over the invoices still open on ``on`` (a
    customer with none has zero of both). ``failed``: as :func:`tally`'s."""
    return tally(book, on, failed).stats()


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
        counted = tally(book, on, failed)
        known = counted.customers
        stats_of: list[CustomerStats | None] = [None] * len(known)  # per slot, made on first use
        can_act = self.calendar.can_act_on(on)
        min_gap = timedelta(days=rules.calendar.min_gap_days)
        segments, pauses, scenarios = rules.segments, rules.pauses, rules.scenarios
        customers = book.customers
        step_days, step_day = self._step_day, self.step_day
        candidate = self._candidate
        actions: list[Action] = []
        acting: list[int] = []  # each action's customer slot
        awaiting: list[Action] = []
        skipped: list[Skipped] = []
        aside: list[Unusable] = list(book.unusable)
        contact = rules.contact
        # For the contact policy: the scenario the segments gave each invoice with a history (its entries without a
        # tone take their step's: no second pass over the segments for it), and each action as the policy sees it
        # — (channel, tone, overdue: D > its invoice's due date) — in the order of ``actions``.
        scenario_of: dict[str, Scenario] = {}
        candidates: list[Candidate] = []
        records: list[Action] = []  # ``plan_broken``: recorded, never a message
        facts = Facts(None, None, on, _NO_STATS)  # type: ignore[arg-type]  # one, refilled for each invoice
        for invoice, k in zip(book.invoices, counted.slots, strict=True):
            if k < 0:
                continue  # settled on the day (paid, cancelled, nothing left to pay): why_held's HELD_PAID/CANCELLED
            if failed and invoice.id in failed:
                aside.append(set_aside(invoice, failed[invoice.id]))
                continue
            # One invoice whose data defeats a computation is set aside; the others keep their run.
            try:
                held = why_held(invoice, on)
                customer = known[k]
                if customer is None:
                    customer = customers[invoice.customer_id]  # none: LookupError, the invoice is set aside
                if held is not None:
                    skipped.append(Skipped(invoice.id, HELD_REASONS[held]))
                    continue
                facts.invoice, facts.customer = invoice, customer
                stats = stats_of[k]
                if stats is None:
                    stats = stats_of[k] = CustomerStats(counted.balance[k], counted.overdue[k])
                facts.stats = stats
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
                scenario = scenarios[segment.scenario]
                broken = False
                if invoice.payment_plan is not None:  # SPEC §2.9: paused while the plan holds, bar its own steps
                    plan_now = self.plan_state(invoice, customer, on)
                    if plan_now.holds:
                        if plan_now.due is None or not can_act:
                            skipped.append(Skipped(invoice.id, REASON_PLAN))
                            continue
                        step = plan_step(plan_now.due.step, rules.tones)  # type: ignore[assignment]
                        action = Action(invoice.id, customer.id, segment.name, scenario.name, step.id,
                                        step.channel, step.tone)
                        if step.channel == PLAN_CHANNEL:  # recorded, said to no one: outside the contact policy
                            records.append(action)
                            continue
                        actions.append(action)
                        acting.append(k)
                        if contact is not None:
                            scenario_of[invoice.id] = scenario
                            candidates.append((step.channel, step.tone, on > invoice.due_date))
                        continue
                    broken = True
                if not can_act:
                    continue
                if contact is not None and invoice.history:
                    scenario_of[invoice.id] = scenario
                step = candidate(scenario, invoice, facts, on)
                if broken and rules.payment_plans.on_broken == "formal_notice":
                    step = self._formal_notice(scenario, invoice, facts) or step
                if step is None:
                    continue
                first_day = step_days.get((invoice.due_date, step.at))
                if first_day is None:
                    first_day = step_day(invoice.due_date, step.at)
                if on < first_day:
                    continue
                if invoice.history:  # the last step's day, by a loop: a comprehension is a frame per invoice
                    last = None
                    for entry in invoice.history:
                        if last is None or entry.date > last:
                            last = entry.date
                    if on < last + min_gap:
                        continue
            except PLANNING_FAULTS as err:
                aside.append(set_aside(invoice, err))
                continue
            action = Action(invoice.id, customer.id, segment.name, scenario.name, step.id, step.channel, step.tone)
            if step.approval is not None and step.id != approved_step:
                awaiting.append(action)
                continue
            actions.append(action)
            acting.append(k)
            if contact is not None:
                candidates.append((step.channel, step.tone, on > invoice.due_date))
        deferred: list[Deferred] = []
        if contact is not None and actions:
            actions, acting, deferred = self._contact(contact, book, on, actions, acting, candidates, counted,
                                                      scenario_of)
        if contact is None:
            messages = group_messages(actions, acting)
        else:  # a litigation step hands a dossier over: it speaks to no one (SPEC §2.8)
            talking = [(a, k) for a, k in zip(actions, acting, strict=True) if a.channel != LITIGATION]
            messages = group_messages([a for a, _ in talking], [k for _, k in talking])
        actions.extend(records)
        skipped.extend(Skipped(u.invoice, u.reason) for u in aside)
        actions.sort(key=_FIRST)
        skipped.sort(key=_FIRST)
        aside.sort(key=_INVOICE)
        deferred.sort()
        awaiting.sort(key=_FIRST)
        return Plan(on, tuple(actions), messages, tuple(skipped), tuple(aside), tuple(deferred), tuple(awaiting))

    def _contact(self, policy: ContactPolicy, book: Book, on: date, actions: list[Action], acting: list[int],
                 candidates: list[Candidate], counted: Tally,
                 scenario_of: dict[str, Scenario]) -> tuple[list[Action], list[int], list[Deferred]]:
        """SPEC §2.8: each customer with actions today gets what its limits allow, re-toned and merged.
        ``acting``: each action's customer slot in ``counted``; ``candidates``: each action as :func:`decide`
        takes it. The actions kept stay in their order, with their slots."""
        by_customer: dict[int, list[int]] = {}  # each customer's actions, by their index in ``actions``
        talking = bytearray(len(counted.ids))  # per slot: 1 when the customer has an action that speaks
        for i, (action, k) in enumerate(zip(actions, acting, strict=True)):
            listed = by_customer.get(k)
            if listed is None:
                by_customer[k] = [i]
            else:
                listed.append(i)
            if action.channel != LITIGATION:
                talking[k] = 1
        # What each talking customer received lately over all its invoices (settled ones included), and whether
        # one of them is in litigation: one pass over the book.
        known = counted.customers
        since = on - timedelta(days=policy.horizon_days)
        received_of: dict[int, set[tuple[date, str, str | None]]] = {}
        litigating: set[int] = set()
        steps_of = self._steps
        stats: dict[str, CustomerStats] | None = None  # by customer id, made only if an entry needs a scenario
        for invoice, k in zip(book.invoices, counted.slots, strict=True):
            if k < 0:
                k = ~k  # settled: its history counts all the same
            if not talking[k]:
                continue
            if invoice.status == "litigation":
                litigating.add(k)
            if not invoice.history:
                continue
            got = received_of.get(k)
            if got is None:
                got = received_of[k] = set()
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
                        if stats is None:
                            stats = counted.stats()
                        got.update(self._messages_of(invoice, known[k], on, since, stats))  # type: ignore[arg-type]
                        break
                    step = steps.get(entry.step)
                    if step is None:
                        step = plan_step(entry.step, self.rules.tones)
                    if step is not None:
                        channel = channel or step.channel
                        tone = tone if tone is not None else step.tone
                if channel not in (LITIGATION, PLAN_CHANNEL):
                    got.add((entry.date, channel, tone))  # a SentMessage, as a plain tuple
        contacts = book.contacts
        tones = self.rules.tones
        out: list[Action | None] = actions  # an action deferred becomes None, a re-toned one its new self
        deferred: list[Deferred] = []
        for k, listed in by_customer.items():
            if not talking[k]:
                continue
            customer_id = actions[listed[0]].customer
            received = received_of.get(k, _NOTHING_SAID)
            logged = contacts.get(customer_id)
            if logged:
                received = {*received, *(m for m in logged if since <= m.date <= on)}
            in_litigation = k in litigating
            limits = policy.for_kind(known[k].kind)  # type: ignore[union-attr]  # an acting invoice's: known
            if len(listed) == 1:
                if not received and not in_litigation:
                    continue  # one action and nothing said lately: no cap, no floor, nothing to merge
                outcomes = [decide_one(*candidates[listed[0]], received, in_litigation, limits, on, tones)]
            else:
                outcomes = decide(list(map(candidates.__getitem__, listed)), received, in_litigation, limits, on,
                                  tones)
            for i, (channel, tone, reason) in zip(listed, outcomes, strict=True):
                action = actions[i]
                if reason is not None:
                    deferred.append(Deferred(action.invoice, action.step, reason))
                    out[i] = None
                elif channel != action.channel or tone != action.tone:
                    out[i] = Action(action.invoice, action.customer, action.segment, action.scenario, action.step,
                                    channel, tone)  # not dataclasses.replace: several times dearer
        if not deferred:
            return out, acting, deferred  # type: ignore[return-value]
        kept = [i for i, a in enumerate(out) if a is not None]
        return [out[i] for i in kept], [acting[i] for i in kept], deferred  # type: ignore[misc]

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
                if step is None:
                    step = plan_step(entry.step, self.rules.tones)
                if step is not None:
                    channel = channel or step.channel
                    tone = tone if tone is not None else step.tone
            if channel not in (LITIGATION, PLAN_CHANNEL):
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

    def plan_state(self, invoice: Invoice, customer: Customer, on: date) -> PlanState:
        """What the invoice's payment plan asks for on ``on`` (SPEC §2.9). The default notice's deadline is
        reckoned as the formal notice's (CPC 640-642): from its receipt — its AR, else its posting day + the
        postal delay — ``broken_after_days`` days, moved to the next working day where the debtor lives."""
        plan = invoice.payment_plan
        assert plan is not None
        legal = self.rules.legal
        section = self.rules.payment_plans

        def last_day(sent: date, delivered_on: date | None) -> date:
            return notice_last_day(sent, delivered_on, customer, deadline_days=section.broken_after_days,
                                   postal_delay_days=legal.postal_delay_days)

        return plan_state(plan, section, payments=invoice.payments, history=invoice.history, on=on,
                          last_day=last_day)

    def _formal_notice(self, scenario: Scenario, invoice: Invoice, facts: Facts) -> Step | None:
        """``on_broken: formal_notice``: the scenario's next registered letter after the history's position."""
        index = self._step_index[scenario.name]
        position = max((index.get(e.step, -1) for e in invoice.history), default=-1)
        for step in scenario.steps[position + 1:]:
            if step.channel == "registered_letter" and (step.when is None or step.when(facts)):
                return step
        return None

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


def group_messages(actions: Sequence[Action], slots: Sequence[int]) -> tuple[Message, ...]:
    """The day's actions as messages: one per customer, channel and tone, by customer, channel and tone, each
    naming its invoices in order. ``slots``: each action's customer as :func:`tally` numbers it, in the order
    of the customer ids: actions are grouped, and the messages ordered, by it, without a lookup or a comparison
    of customer ids per action."""
    of_slot: list[list[Action] | None] = [None] * (max(slots) + 1 if slots else 0)
    for action, k in zip(actions, slots, strict=True):
        listed = of_slot[k]
        if listed is None:
            of_slot[k] = [action]
        else:
            listed.append(action)
    messages: list[Message] = []
    for listed in of_slot:
        if listed is None:
            continue
        if len(listed) == 1:  # most customers: one action, one message
            action = listed[0]
            messages.append(_message(Message, (action.customer, action.channel, action.tone, (action.invoice,))))
            continue
        groups: dict[tuple[str, str | None], list[str]] = {}
        for action in listed:
            key = (action.channel, action.tone)
            ids = groups.get(key)
            if ids is None:
                groups[key] = [action.invoice]
            else:
                ids.append(action.invoice)
        customer = listed[0].customer
        for channel, tone in sorted(groups, key=_message_order):
            ids = groups[channel, tone]
            ids.sort()
            messages.append(_message(Message, (customer, channel, tone, tuple(ids))))
    return tuple(messages)


_message = tuple.__new__  # Message's own constructor, without the Python frame NamedTuple.__new__ adds


def _message_order(key: tuple[str, str | None]) -> tuple[str, str]:
    return (key[0], key[1] or "")
