"""The collection figures at a date, from the invoices and their dunning history. Pure: the date is an argument.

Definitions (the report's footnotes say the same in French):

- *Open on D*: issued on or before D, not cancelled, and a balance left at the end of D. The balance on a
  day is ``amount_due`` plus the payments dated after that day; an invoice whose ``paid_on`` (or, for a paid
  one, last payment) is on or before that day has none.
- *Aged balance*: open invoices by days late on D (D − due date): not yet due (≤ 0), 1–30, 31–60, 61–90, > 90.
- *DSO* (simple method): open balance on D ÷ amounts invoiced over the 90 days up to D × 90.
- *Average days late*: over open invoices past their due date, plain and weighted by their balance.
- *Recovery rate*: of the balances left unpaid at the due date by invoices falling due in the 90 days before
  D, the share paid by D.
- *Stages*: each open invoice sits in exactly one, the first that applies: prescribed, litigation, disputed,
  promise to pay, formal notice sent, reminded, not reminded — so the stages add up to the open balance.
- *Step effectiveness*: each history entry dated D − 7 or earlier counts once for its (segment, step); it is
  "paid within 7 days" when the invoice was settled in [step date, step date + 7]. The segment is the first
  whose ``when`` held at the step date, on the invoice and customer figures rebuilt for that day (amount then
  due, open balance and overdue invoices from the payments' dates); the tone is that step's in the segment's
  scenario.
- *Payment plans* (SPEC §2.9), one per invoice that carries one agreed on or before D: *kept* when every
  installment is paid by D (or the invoice settled), *broken* when ``plan_broken`` is in its history by D, else
  *running*. *Recovered through the portal*: the payments dated in the 90 days up to D that came through a
  Checkout Session the debtor portal opened (``Payment.source == "portal"``).

Only euro invoices are counted; the others are reported as a number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..domain.conditions import CustomerStats, Facts
from ..domain.labels import NO_SEGMENT, channel_label, tone_label
from ..domain.legal import is_prescribed
from ..domain.model import Book, Customer, HistoryEntry, Invoice
from ..domain.planner import segment_for
from ..domain.plans import PLAN_BROKEN, installments_paid
from ..domain.policy import Rules, Step

CURRENCY = "EUR"
EFFECT_WINDOW_DAYS = 7
DSO_PERIOD_DAYS = 90
RECOVERY_WINDOW_DAYS = 90
TOP_DEBTORS = 10

ZERO = Decimal(0)
_TENTH = Decimal("0.1")

# (key, French label, lowest days late, highest days late); None = unbounded.
BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("not_due", "Non échu", None, 0),
    ("late_1_30", "1 à 30 jours", 1, 30),
    ("late_31_60", "31 à 60 jours", 31, 60),
    ("late_61_90", "61 à 90 jours", 61, 90),
    ("late_over_90", "Plus de 90 jours", 91, None),
)
# In priority order: an open invoice takes the first stage that applies.
STAGES: tuple[tuple[str, str], ...] = (
    ("prescribed", "Prescrites"),
    ("litigation", "Au contentieux"),
    ("disputed", "Contestées"),
    ("promise", "Promesse de paiement en cours"),
    ("formal_notice", "Mise en demeure envoyée"),
    ("reminded", "Relancées"),
    ("not_reminded", "Sans relance"),
)



@dataclass(frozen=True, slots=True)
class Bucket:
    """A slice of the open balance: an age bucket, or a stage of the dunning process (:data:`Stage`)."""

    key: str
    label: str
    amount: Decimal
    count: int
    share: Decimal | None  # percentage of the open balance


Stage = Bucket


@dataclass(frozen=True, slots=True)
class Debtor:
    customer_id: str
    name: str
    overdue_amount: Decimal
    overdue_count: int
    oldest_days_late: int
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class Recovery:
    window_days: int
    fell_overdue: Decimal  # balances left unpaid at the due date
    recovered: Decimal  # of which paid by the report date
    count: int  # invoices that fell overdue in the window
    rate: Decimal | None  # percentage, one decimal; None when nothing fell overdue


@dataclass(frozen=True, slots=True)
class StepEffect:
    """How one step of one segment's scenario did: invoices paid within the window after it."""

    segment: str | None  # None: no segment matched at the step date
    step: str
    at: str | None  # "J+5"; None when the step is not in the segment's scenario
    channel: str
    tone: str | None
    carried_out: int  # every history entry up to the report date
    counted: int  # those whose window is over
    paid_within: int
    recovered: Decimal

    @property
    def share(self) -> Decimal | None:
        return _percentage(self.paid_within, self.counted)

    @property
    def segment_label(self) -> str:
        return self.segment if self.segment is not None else NO_SEGMENT

    @property
    def channel_label(self) -> str:
        return channel_label(self.channel)

    @property
    def tone_label(self) -> str:
        return tone_label(self.tone)

    @property
    def label(self) -> str:
        """« standard · relance_1 (J+5, e-mail, courtois) »"""
        details = ", ".join(x for x in (self.at, self.channel_label, self.tone_label) if x)
        return f"{self.segment_label} · {self.step} ({details})"


@dataclass(frozen=True, slots=True)
class ToneEffect:
    tone: str | None
    carried_out: int
    counted: int
    paid_within: int
    recovered: Decimal

    @property
    def share(self) -> Decimal | None:
        return _percentage(self.paid_within, self.counted)

    @property
    def tone_label(self) -> str:
        return tone_label(self.tone)


@dataclass(frozen=True, slots=True)
class Plans:
    """Payment plans (one per invoice carrying one) and what the debtor portal recovered."""

    agreed: int
    agreed_amount: Decimal  # what the plans' installments add up to
    running: int
    kept: int
    broken: int
    portal_recovered: Decimal  # paid through the portal's Checkout over ``window_days`` up to the report date
    portal_payments: int
    window_days: int = RECOVERY_WINDOW_DAYS

    @property
    def kept_share(self) -> Decimal | None:
        """Of the plans that have ended (kept or broken), the share kept."""
        return _percentage(self.kept, self.kept + self.broken)


@dataclass(frozen=True, slots=True)
class Kpis:
    on: date
    open_total: Decimal
    open_count: int
    overdue_total: Decimal
    overdue_count: int
    overdue_share: Decimal | None  # percentage of the open balance that is late
    aged: tuple[Bucket, ...]
    dso_days: Decimal | None  # None when nothing was invoiced over the period
    dso_sales: Decimal  # amounts invoiced over the DSO period
    average_days_late: Decimal | None
    weighted_days_late: Decimal | None
    recovery: Recovery
    stages: tuple[Stage, ...]
    top_debtors: tuple[Debtor, ...]
    effectiveness: tuple[StepEffect, ...]
    by_tone: tuple[ToneEffect, ...]
    other_currency_count: int  # invoices left out because they are not in euros
    plans: Plans
    effect_window_days: int = EFFECT_WINDOW_DAYS
    dso_period_days: int = DSO_PERIOD_DAYS

    @property
    def pending_steps(self) -> int:
        """Steps carried out too recently for their window to be over."""
        return sum(e.carried_out - e.counted for e in self.effectiveness)


def compute_kpis(book: Book, rules: Rules, on: date) -> Kpis:
    invoices = [inv for inv in book.invoices if inv.status != "cancelled"]
    euro = [inv for inv in invoices if inv.currency == CURRENCY]
    open_now = [(inv, balance) for inv in euro if inv.issue_date <= on and (balance := balance_on(inv, on)) > 0]
    channels = _step_channels(rules)

    aged = _aged(open_now, on)
    open_total = sum((b.amount for b in aged), ZERO)
    overdue = [(inv, balance) for inv, balance in open_now if inv.due_date < on]
    overdue_total = sum((balance for _, balance in overdue), ZERO)

    sales_from = on - timedelta(days=DSO_PERIOD_DAYS - 1)
    sales = sum((inv.amount for inv in euro if sales_from <= inv.issue_date <= on), ZERO)
    dso = _tenth(open_total * DSO_PERIOD_DAYS / sales) if sales > 0 else None

    effects = _effectiveness(invoices, euro, book, rules, channels, on)
    days_late = [((on - inv.due_date).days, balance) for inv, balance in overdue]
    average = _tenth(Decimal(sum(d for d, _ in days_late)) / len(days_late)) if days_late else None
    weighted = _tenth(sum((d * b for d, b in days_late), ZERO) / overdue_total) if overdue_total > 0 else None

    return Kpis(
        on=on,
        open_total=open_total,
        open_count=len(open_now),
        overdue_total=overdue_total,
        overdue_count=len(overdue),
        overdue_share=_share(overdue_total, open_total),
        aged=aged,
        dso_days=dso,
        dso_sales=sales,
        average_days_late=average,
        weighted_days_late=weighted,
        recovery=_recovery(euro, on),
        stages=_stages(open_now, book, channels, on),
        top_debtors=_top_debtors(overdue, book, on),
        effectiveness=effects,
        by_tone=_by_tone(effects, rules.tones),
        other_currency_count=len(invoices) - len(euro),
        plans=_plans(euro, on),
    )


# --- balances -------------------------------------------------------------------------------------------

def paid_date(invoice: Invoice) -> date | None:
    """The day the invoice was settled, when known: ``paid_on``, else the last payment of a paid invoice."""
    if invoice.paid_on is not None:
        return invoice.paid_on
    if invoice.status == "paid" or invoice.amount_due <= 0:
        return max((p.date for p in invoice.payments), default=None)
    return None


def settled_by(invoice: Invoice, day: date) -> bool:
    paid = paid_date(invoice)
    if paid is not None:
        return paid <= day
    return invoice.status == "paid" or invoice.amount_due <= 0


def balance_on(invoice: Invoice, day: date) -> Decimal:
    """What was left to pay at the end of ``day``: the amount due plus the payments made after it."""
    if settled_by(invoice, day):
        return ZERO
    later = sum((p.amount for p in invoice.payments if p.date > day), ZERO)
    return max(invoice.amount_due + later, ZERO)


# --- figures --------------------------------------------------------------------------------------------

def _aged(open_now: list[tuple[Invoice, Decimal]], on: date) -> tuple[Bucket, ...]:
    amounts = [ZERO] * len(BUCKETS)
    counts = [0] * len(BUCKETS)
    for inv, balance in open_now:
        late = (on - inv.due_date).days
        for i, (_, _, low, high) in enumerate(BUCKETS):
            if (low is None or late >= low) and (high is None or late <= high):
                amounts[i] += balance
                counts[i] += 1
                break
    total = sum(amounts, ZERO)
    return tuple(Bucket(key, label, amounts[i], counts[i], _share(amounts[i], total))
                 for i, (key, label, _, _) in enumerate(BUCKETS))


def _recovery(invoices: list[Invoice], on: date) -> Recovery:
    first_due = on - timedelta(days=RECOVERY_WINDOW_DAYS)
    fell = recovered = ZERO
    count = 0
    for inv in invoices:
        due = inv.due_date
        if not first_due <= due < on or inv.issue_date > on:
            continue
        unpaid = balance_on(inv, due)
        if unpaid <= 0:
            continue
        count += 1
        fell += unpaid
        if settled_by(inv, on):
            recovered += unpaid
        else:
            recovered += min(unpaid, sum((p.amount for p in inv.payments if due < p.date <= on), ZERO))
    return Recovery(RECOVERY_WINDOW_DAYS, fell, recovered, count, _share(recovered, fell))


def _stages(open_now: list[tuple[Invoice, Decimal]], book: Book, channels: dict[str, str],
            on: date) -> tuple[Stage, ...]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for inv, balance in open_now:
        key = _stage_of(inv, book.customers[inv.customer_id], channels, on)
        amounts[key] += balance
        counts[key] += 1
    total = sum(amounts.values(), ZERO)
    return tuple(Stage(key, label, amounts[key], counts[key], _share(amounts[key], total)) for key, label in STAGES)


def _stage_of(inv: Invoice, customer: Customer, channels: dict[str, str], on: date) -> str:
    done = [h for h in inv.history if h.date <= on]
    used = {_channel_of(h, channels) for h in done}
    if is_prescribed(inv, customer, on):
        return "prescribed"
    if inv.status == "litigation" or "litigation" in used:
        return "litigation"
    if inv.status == "disputed":
        return "disputed"
    if inv.promise_to_pay_until is not None and inv.promise_to_pay_until >= on:
        return "promise"
    if "registered_letter" in used:
        return "formal_notice"
    return "reminded" if done else "not_reminded"


def _top_debtors(overdue: list[tuple[Invoice, Decimal]], book: Book, on: date) -> tuple[Debtor, ...]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    oldest: dict[str, int] = defaultdict(int)
    for inv, balance in overdue:
        cid = inv.customer_id
        amounts[cid] += balance
        counts[cid] += 1
        oldest[cid] = max(oldest[cid], (on - inv.due_date).days)
    open_amounts: dict[str, Decimal] = defaultdict(Decimal)
    for inv in book.invoices:
        if inv.customer_id in amounts and inv.status != "cancelled" and inv.currency == CURRENCY \
                and inv.issue_date <= on:
            open_amounts[inv.customer_id] += balance_on(inv, on)
    ranked = sorted(amounts, key=lambda cid: (-amounts[cid], book.customers[cid].name, cid))[:TOP_DEBTORS]
    return tuple(Debtor(cid, book.customers[cid].name, amounts[cid], counts[cid], oldest[cid], open_amounts[cid])
                 for cid in ranked)


def _plans(invoices: list[Invoice], on: date) -> Plans:
    agreed = running = kept = broken = portal_payments = 0
    amount = portal = ZERO
    since = on - timedelta(days=RECOVERY_WINDOW_DAYS)
    for inv in invoices:
        for payment in inv.payments:
            if payment.source == "portal" and since < payment.date <= on:
                portal += payment.amount
                portal_payments += 1
        plan = inv.payment_plan
        if plan is None or plan.agreed_on > on:
            continue
        agreed += 1
        amount += plan.total
        if any(h.step == PLAN_BROKEN and h.date <= on for h in inv.history):
            broken += 1
        elif installments_paid(plan, inv.payments, on) >= len(plan.installments) or settled_by(inv, on):
            kept += 1
        else:
            running += 1
    return Plans(agreed, amount, running, kept, broken, portal, portal_payments)


# --- step effectiveness ---------------------------------------------------------------------------------

def _effectiveness(invoices: list[Invoice], euro: list[Invoice], book: Book, rules: Rules,
                   channels: dict[str, str], on: date) -> tuple[StepEffect, ...]:
    window = timedelta(days=EFFECT_WINDOW_DAYS)
    last_counted = on - window
    steps = {name: {step.id: (i, step) for i, step in enumerate(s.steps)} for name, s in rules.scenarios.items()}
    of_customer: dict[str, list[Invoice]] = defaultdict(list)
    for inv in invoices:
        of_customer[inv.customer_id].append(inv)
    stats_on: dict[tuple[str, date], CustomerStats] = {}
    rows: dict[tuple[str | None, str], _Tally] = {}
    for inv in euro:
        paid = paid_date(inv)
        if paid is None and settled_by(inv, on):
            continue  # paid on an unknown day: nothing to measure
        customer = book.customers[inv.customer_id]
        for entry in inv.history:
            day = entry.date
            if day > on or (paid is not None and paid < day):
                continue
            stats = stats_on.get((customer.id, day))
            if stats is None:
                stats = stats_on[(customer.id, day)] = _customer_stats_on(of_customer[customer.id], day)
            facts = Facts(_as_on(inv, day), customer, day, stats)
            segment = segment_for(rules.segments, facts)
            found = steps.get(segment.scenario, {}).get(entry.step) if segment else None
            step: Step | None = found[1] if found else None
            key = (segment.name if segment else None, entry.step)
            row = rows.get(key)
            if row is None:
                row = rows[key] = _Tally(step.at_label if step else None, _channel_of(entry, channels),
                                         step.tone if step else None)
            row.carried_out += 1
            if day > last_counted:
                continue
            row.counted += 1
            end = day + window
            if paid is not None and day <= paid <= end:
                row.paid_within += 1
                row.recovered += _balance_before(inv, day)  # everything still due was paid in the window
            else:
                row.recovered += sum((p.amount for p in inv.payments if day <= p.date <= end), ZERO)

    segment_rank = {s.name: i for i, s in enumerate(rules.segments)}
    scenario_of = {s.name: s.scenario for s in rules.segments}

    def order(key: tuple[str | None, str]) -> tuple[int, int, str]:
        segment, step_id = key
        if segment is None:
            return len(segment_rank), 0, step_id
        found = steps.get(scenario_of[segment], {}).get(step_id)
        return segment_rank[segment], found[0] if found else len(steps), step_id

    return tuple(rows[key].effect(*key) for key in sorted(rows, key=order))


@dataclass(slots=True)
class _Tally:
    at: str | None
    channel: str
    tone: str | None
    carried_out: int = 0
    counted: int = 0
    paid_within: int = 0
    recovered: Decimal = ZERO

    def effect(self, segment: str | None, step: str) -> StepEffect:
        return StepEffect(segment, step, self.at, self.channel, self.tone, self.carried_out, self.counted,
                          self.paid_within, self.recovered)


def _balance_before(invoice: Invoice, day: date) -> Decimal:
    """What was due at the start of ``day``."""
    return balance_on(invoice, day - timedelta(days=1))


def _as_on(invoice: Invoice, day: date) -> Invoice:
    """The invoice as the planner saw it on ``day``: its amount then due, not yet paid."""
    status = "open" if invoice.status == "paid" else invoice.status
    return replace(invoice, amount_due=_balance_before(invoice, day), status=status)


def _customer_stats_on(invoices: list[Invoice], day: date) -> CustomerStats:
    """One customer's open balance and overdue invoices at the start of ``day``, rebuilt from the payments."""
    balance = ZERO
    overdue = 0
    for inv in invoices:
        if inv.issue_date > day or (due := _balance_before(inv, day)) <= 0:
            continue
        balance += due
        if inv.due_date < day:
            overdue += 1
    return CustomerStats(balance, overdue)




def _by_tone(effects: tuple[StepEffect, ...], tones: tuple[str, ...]) -> tuple[ToneEffect, ...]:
    rank = {tone: i for i, tone in enumerate(tones)}
    present = sorted({e.tone for e in effects}, key=lambda t: (t is None, rank.get(t or "", len(rank)), t or ""))
    out = []
    for tone in present:
        mine = [e for e in effects if e.tone == tone]
        out.append(ToneEffect(tone, sum(e.carried_out for e in mine), sum(e.counted for e in mine),
                              sum(e.paid_within for e in mine), sum((e.recovered for e in mine), ZERO)))
    return tuple(out)


# --- helpers --------------------------------------------------------------------------------------------

def _step_channels(rules: Rules) -> dict[str, str]:
    """The channel of each step id, for history entries recorded without one."""
    out: dict[str, str] = {}
    for scenario in rules.scenarios.values():
        for step in scenario.steps:
            out.setdefault(step.id, step.channel)
    return out


def _channel_of(entry: HistoryEntry, channels: dict[str, str]) -> str:
    return entry.channel or channels.get(entry.step, "")


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return _tenth(part * 100 / whole) if whole > 0 else None


def _percentage(part: int, whole: int) -> Decimal | None:
    return _tenth(Decimal(part) * 100 / whole) if whole else None
