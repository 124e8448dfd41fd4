"""Payment plans (échéanciers, SPEC §2.9): the plan an invoice carries, its rule section, and what it asks for
on a day — an installment's reminder, the default notice before the déchéance du terme, or the record that it
is broken.

Pure: the day, the payments, the history and the notice's deadline are arguments. The names here are a
contract with the agreement PDF, the dossier's chronology, the dashboard and the portal's self-service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from .bounds import AMOUNT_MAX, amount_problem, date_problem
from .fmt import money

if TYPE_CHECKING:
    from .conditions import Predicate

# History: the agreement (an event, with the plan and who agreed it) and the plan's own steps (actions).
PLAN_AGREED = "plan_agreed"
PLAN_BROKEN = "plan_broken"
INSTALLMENT_PREFIX = "installment_"
DEFAULT_PREFIX = "plan_default_"
# Templates: the installment's reminder (e-mail) and the default notice (registered letter).
TEMPLATE_REMINDER = "echeance"
TEMPLATE_DEFAULT = "decheance"
PLAN_TEMPLATES = (TEMPLATE_REMINDER, TEMPLATE_DEFAULT)
# ``plan_broken`` says nothing to anyone: it is recorded, never sent (like a litigation step, not a message).
PLAN_CHANNEL = "plan"
# Who agreed a plan (the ``by`` of ``plan_agreed``): a person by the staff command, or the debtor alone inside
# the rules' self-service limits from the portal.
AGREED_BY_STAFF = "staff"
AGREED_BY_PORTAL = "portal_self_service"
ON_BROKEN = ("resume", "formal_notice")
REASON_PLAN = "paused: payment plan"


def installment_step(k: int) -> str:
    """The reminder step of installment ``k`` (1-based)."""
    return f"{INSTALLMENT_PREFIX}{k}"


def default_step(k: int) -> str:
    """The default notice's step of installment ``k`` (1-based)."""
    return f"{DEFAULT_PREFIX}{k}"


def is_plan_step(step: str) -> bool:
    """Whether a history step is one of a plan's own (never a scenario's: a scenario step id may not be one)."""
    return step == PLAN_BROKEN or _numbered(step, INSTALLMENT_PREFIX) or _numbered(step, DEFAULT_PREFIX)


def _numbered(step: str, prefix: str) -> bool:
    return step.startswith(prefix) and step[len(prefix):].isdigit()


def step_installment(step: str) -> int | None:
    """The installment a plan step is about (``installment_2``, ``plan_default_2`` → 2), else ``None``."""
    for prefix in (INSTALLMENT_PREFIX, DEFAULT_PREFIX):
        if _numbered(step, prefix):
            return int(step[len(prefix):])
    return None


@dataclass(frozen=True, slots=True)
class Installment:
    due_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """The installments agreed on ``agreed_on``: they sum to what was due that day (:func:`sum_problem`)."""

    agreed_on: date
    installments: tuple[Installment, ...]

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.installments), Decimal(0))

    @property
    def last_due_date(self) -> date:
        return self.installments[-1].due_date

    def owed_by(self, k: int) -> Decimal:
        """What the first ``k`` installments add up to."""
        return sum((i.amount for i in self.installments[:k]), Decimal(0))


class PlanError(ValueError):
    """A plan that cannot be read: ``field`` names where (``installments[1].amount``), ``problem`` says why in
    French. The data file and the store prefix ``field`` with their own place."""

    def __init__(self, field: str, problem: str, *, out_of_bounds: bool = False) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem
        self.out_of_bounds = out_of_bounds  # a date or an amount outside SPEC §3's bounds: that invoice alone


def _day(value: Any, field: str) -> date:
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise PlanError(field, f"{value!r} n’est pas une date (AAAA-MM-JJ)") from None
    else:
        raise PlanError(field, "date attendue (AAAA-MM-JJ)")
    problem = date_problem(day)
    if problem:
        raise PlanError(field, problem, out_of_bounds=True)
    return day


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise PlanError(field, "montant attendu (par exemple \"250.00\")")
    try:
        amount = Decimal(str(value).strip())  # a JSON number read as a float: through its shortest text
    except InvalidOperation:
        raise PlanError(field, f"{value!r} n’est pas un montant") from None
    problem = amount_problem(amount)
    if problem:
        huge = not amount.is_finite() or amount.copy_abs() >= AMOUNT_MAX or bool(amount and amount.adjusted() >= 12)
        raise PlanError(field, problem, out_of_bounds=huge)
    if amount <= 0:
        raise PlanError(field, "une échéance doit être un montant positif")
    return amount


def plan_from_dict(data: Any) -> PaymentPlan:
    """The plan in the data file's and the store's shape: ``{"agreed_on": "YYYY-MM-DD", "installments":
    [{"due_date": "YYYY-MM-DD", "amount": "250.00"}, ...]}``. Raises :class:`PlanError` naming the field.
    Installments come in order of due date, each after the agreement and after the one before."""
    if not isinstance(data, Mapping):
        raise PlanError("", "un échéancier est un objet {\"agreed_on\", \"installments\"}")
    unknown = sorted(set(data) - {"agreed_on", "installments"})
    if unknown:
        raise PlanError(unknown[0], "clé inconnue (attendu : agreed_on, installments)")
    if "agreed_on" not in data:
        raise PlanError("agreed_on", "date de l’accord manquante")
    agreed_on = _day(data["agreed_on"], "agreed_on")
    rows = data.get("installments")
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)) or not rows:
        raise PlanError("installments", "au moins une échéance est attendue")
    installments: list[Installment] = []
    for i, row in enumerate(rows):
        place = f"installments[{i}]"
        if not isinstance(row, Mapping):
            raise PlanError(place, "une échéance est un objet {\"due_date\", \"amount\"}")
        unknown = sorted(set(row) - {"due_date", "amount"})
        if unknown:
            raise PlanError(f"{place}.{unknown[0]}", "clé inconnue (attendu : due_date, amount)")
        for key in ("due_date", "amount"):
            if key not in row:
                raise PlanError(f"{place}.{key}", "manquant")
        due = _day(row["due_date"], f"{place}.due_date")
        before = installments[-1].due_date if installments else agreed_on
        if due <= before:
            what = "l’échéance précédente" if installments else "la date de l’accord"
            raise PlanError(f"{place}.due_date", f"le {due:%d/%m/%Y} ne tombe pas après {what} "
                                                 f"({before:%d/%m/%Y})")
        installments.append(Installment(due, _money(row["amount"], f"{place}.amount")))
    return PaymentPlan(agreed_on, tuple(installments))


def plan_to_dict(plan: PaymentPlan) -> dict[str, Any]:
    """The plan as the data file and the store keep it: dates ISO, amounts as strings with two decimals."""
    return {"agreed_on": plan.agreed_on.isoformat(),
            "installments": [{"due_date": i.due_date.isoformat(), "amount": f"{i.amount:.2f}"}
                             for i in plan.installments]}


class _Payment(Protocol):
    @property
    def date(self) -> date: ...

    @property
    def amount(self) -> Decimal: ...


class _Entry(Protocol):
    @property
    def step(self) -> str: ...

    @property
    def date(self) -> date: ...

    @property
    def delivered_on(self) -> date | None: ...


def amount_due_on(amount_due: Decimal, payments: Iterable[_Payment], day: date) -> Decimal:
    """What was due on ``day``, from what is due now: the payments dated after it added back."""
    return amount_due + sum((p.amount for p in payments if p.date > day), Decimal(0))


def sum_problem(plan: PaymentPlan, due_on_agreement: Decimal) -> str | None:
    """Why the installments do not make what was due on ``agreed_on``, in French, or ``None``."""
    if plan.total == due_on_agreement:
        return None
    return (f"les échéances totalisent {money(plan.total)} alors que {money(due_on_agreement)} restait dû le "
            f"{plan.agreed_on:%d/%m/%Y}, jour de l’accord")


def paid_under(plan: PaymentPlan, payments: Iterable[_Payment], on: date | None = None) -> Decimal:
    """What the debtor paid under the plan: the payments dated after ``agreed_on`` (and up to ``on``)."""
    return sum((p.amount for p in payments
                if p.date > plan.agreed_on and (on is None or p.date <= on)), Decimal(0))


def installments_paid(plan: PaymentPlan, payments: Iterable[_Payment], on: date | None = None) -> int:
    """How many installments are paid: installment *k* is once the payments dated after ``agreed_on`` (up to
    ``on``) add up to the first *k* amounts."""
    paid = paid_under(plan, payments, on)
    owed = Decimal(0)
    count = 0
    for installment in plan.installments:
        owed += installment.amount
        if paid < owed:
            break
        count += 1
    return count


# -- the rule section ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SelfService:
    """What a debtor may choose alone (``payment_plans.self_service``), accepted without a person; free of
    charge. ``when``: which invoices (compiled condition), ``None`` for all."""

    max_installments: int
    max_days: int  # from agreed_on to the last installment's due date
    min_installment: Decimal
    when: Predicate | None = None


@dataclass(frozen=True, slots=True)
class PaymentPlanRules:
    """The rules' ``payment_plans`` section (SPEC §2.9): every key has a default."""

    self_service: SelfService | None = None
    reminder_days_before: int = 3
    grace_days: int = 3
    broken_after_days: int = 8
    on_broken: str = "resume"  # or "formal_notice"


def self_service_problem(service: SelfService, plan: PaymentPlan) -> str | None:
    """Why ``plan`` is outside what a debtor may agree alone, in French (what the portal tells them), or
    ``None``. Whether the invoice is one ``service.when`` admits is the caller's to check, with its facts."""
    count = len(plan.installments)
    if count > service.max_installments:
        return f"Au plus {service.max_installments} échéances sans l’accord d’un conseiller."
    latest = plan.agreed_on + timedelta(days=service.max_days)
    if plan.last_due_date > latest:
        return (f"La dernière échéance doit tomber au plus tard le {latest:%d/%m/%Y} "
                f"({service.max_days} jours).")
    small = [i for i in plan.installments if i.amount < service.min_installment]
    if small:
        return f"Chaque échéance doit être d’au moins {money(service.min_installment)}."
    return None


# -- what the plan asks for on a day ---------------------------------------------------------------------

HOLDING, KEPT, BROKEN = "holding", "kept", "broken"
REMINDER, DEFAULT_NOTICE, BREAK = "reminder", "default_notice", "broken"


@dataclass(frozen=True, slots=True)
class PlanStep:
    """An action the plan asks for: ``installment_<k>`` (reminder), ``plan_default_<k>`` (default notice) or
    ``plan_broken`` (recorded once). ``installment``: the (1-based) installment it is about."""

    step: str
    kind: str  # REMINDER, DEFAULT_NOTICE or BREAK
    installment: int


@dataclass(frozen=True, slots=True)
class PlanState:
    """A plan on a day: ``holding`` (the invoice is paused, bar ``due``), ``kept`` (every installment paid),
    ``broken`` (``plan_broken`` is in the history: ``on_broken`` applies). ``paid``: installments paid."""

    status: str
    paid: int
    due: PlanStep | None = None
    broken_on: date | None = None

    @property
    def holds(self) -> bool:
        return self.status != BROKEN


def default_deadline(sent: date, delivered_on: date | None, broken_after_days: int) -> date:
    """The default notice's last day without a calendar: ``broken_after_days`` after its receipt (its
    ``delivered_on``, else the day it was sent). The planner uses the formal notice's reckoning instead
    (``legal.notice_last_day``: postal delay, working days)."""
    return (delivered_on or sent) + timedelta(days=broken_after_days)


def plan_state(plan: PaymentPlan, rules: PaymentPlanRules, *, payments: Iterable[_Payment],
               history: Iterable[_Entry], on: date,
               last_day: Callable[[date, date | None], date] | None = None) -> PlanState:
    """What ``plan`` asks for on ``on`` (SPEC §2.9), the invoice's ``payments`` and ``history`` as they stand.

    In order: ``plan_broken`` recorded → broken. The first unpaid installment's default notice sent and its
    deadline (``last_day(sent, delivered_on)``) passed → ``plan_broken`` is due. Still unpaid ``grace_days`` after
    its due date and no notice yet → its default notice is due. Otherwise the reminder of the first unpaid
    installment whose reminder day (due − ``reminder_days_before``) has come and that got neither its reminder
    nor its notice. Business days are the caller's: it acts only on one, and D ≥ a day ⇔ D ≥ the business day
    on or after it.
    """
    recorded: dict[str, _Entry] = {}
    for entry in history:
        recorded.setdefault(entry.step, entry)
    paid = installments_paid(plan, payments, on)
    broken = recorded.get(PLAN_BROKEN)
    if broken is not None:
        return PlanState(BROKEN, paid, broken_on=broken.date)
    count = len(plan.installments)
    if paid >= count:
        return PlanState(KEPT, paid)
    k = paid + 1
    first_unpaid = plan.installments[paid]
    notice = recorded.get(default_step(k))
    if notice is not None:
        deadline = (last_day(notice.date, notice.delivered_on) if last_day is not None
                    else default_deadline(notice.date, notice.delivered_on, rules.broken_after_days))
        if on > deadline:
            return PlanState(HOLDING, paid, PlanStep(PLAN_BROKEN, BREAK, k))
    elif on >= first_unpaid.due_date + timedelta(days=rules.grace_days):
        return PlanState(HOLDING, paid, PlanStep(default_step(k), DEFAULT_NOTICE, k))
    before = timedelta(days=rules.reminder_days_before)
    for j in range(k, count + 1):
        installment = plan.installments[j - 1]
        if on < installment.due_date - before:
            break
        if installment_step(j) in recorded or default_step(j) in recorded:
            continue
        return PlanState(HOLDING, paid, PlanStep(installment_step(j), REMINDER, j))
    return PlanState(HOLDING, paid)


# -- what a person types -------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st falls back to the month's last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no day {day.day} in {year}-{month:02d}")


def monthly_installments(total: Decimal, count: int, first: date) -> tuple[Installment, ...]:
    """``count`` monthly installments of ``total`` from ``first`` (same day of each month): equal amounts to the
    cent, the cents left on the last one."""
    if count < 1:
        raise ValueError("au moins une échéance")
    share = (total / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    amounts = [share] * (count - 1) + [total - share * (count - 1)]
    return tuple(Installment(add_months(first, k), amounts[k]) for k in range(count))
