"""What a late payer owes under French law, and whether the invoice can go to court (SPEC §5).

Pure: the day of the computation (``on``, written D below), the rules' ``legal`` section and the
rate tables are arguments; nothing here reads the clock, the environment or the network.

Who pays what
-------------
- **Business debtor** (Code de commerce L441-10, D441-5): penalties from the day after the due date
  to D inclusive, no reminder needed, at the ECB main refinancing rate in force on 1 January (for
  January–June) or 1 July (July–December) + 10 points, unless the CGV set a rate
  (``legal.late_interest`` as a ``Decimal``), which then applies to every half-year; a CGV rate below
  3 × the taux légal of any half-year the claim covers is warned, naming each one. Plus the fixed
  recovery indemnity (``legal.recovery_indemnity``, 40 €) once per invoice, when D is past the due date
  and the invoice was not fully paid by then: not pro-rated, and outside the interest base.
- **Settled invoices**: interest runs to the day of each payment, not to D; an invoice whose ``paid_on``
  is set without a ``payments`` list was paid in full on ``paid_on`` (:func:`settlements`). A
  ``cancelled`` invoice has no claim at all.
- **Consumer debtor**: interest at the taux légal *for a professional creditor* ("autres cas": the
  creditor, not the debtor, selects the column) from the day after the formal notice to D. The
  formal notice is the latest ``registered_letter`` of the history dated on or before D; its day is
  its ``delivered_on`` when known, else the day it was sent. No formal notice, no interest; no 40 €.
  Interest never starts before the day after the due date, even for a notice sent earlier.

How interest is counted
-----------------------
Simple interest; each day bears the rate of its half-year; ``amount = base × rate × days / 365``
(365 in leap years too, as SPEC §5 writes it). The pieces are summed unrounded and the sum is rounded
once, half up, to the cent. ``periods`` are split at 30 June, at 31 December and after each payment.

The principal:

- The *opening principal* is ``min(amount, amount_due + Σ payments)``. When ``amount_due`` was left
  to its default (``amount`` minus the payments) this is ``amount``; a lower ``amount_due`` (a credit
  note, a payment the export does not list) is honoured from the start; and a stale ``amount_due``
  that still equals ``amount`` while payments are listed never makes us claim more than the invoice.
  Without payments it is simply ``amount_due``.
- A payment dated P counts from P + 1: day P still accrues on the old base (SPEC §5). Payments dated
  after D are ignored; ``principal`` in the claim is what is left after the payments up to D.
- ``partial_payments: principal_first`` — a payment reduces the principal; only what exceeds the
  principal settles interest accrued so far.
- ``partial_payments: interest_first`` (Code civil 1343-1) — a payment first settles the interest
  accrued up to and including P that is still unpaid, rounded half up to the cent (a payment is made in
  cents), then the principal. Interest settled that way is deducted from the claimed ``interest``:
  ``interest = round(Σ period amounts − interest already paid)``, and a warning says how much.
- The recovery indemnity is never paid by a partial payment here: it is claimed as it stands.

Dossier eligibility
-------------------
:func:`eligibility` lists every reason that applies, in this order: ``closed`` (paid, cancelled,
nothing left due or ``paid_on`` ≤ D, as for the planner), ``disputed``, ``prescribed``,
``no_formal_notice``, ``notice_deadline_pending`` (D on or before the notice's last day, CPC 640-642:
receipt = ``delivered_on``, else posting + ``postal_delay_days``; receipt day not counted; moved past
weekends and the public holidays where the debtor lives — :func:`notice_deadline`), ``below_minimum``
(claim total < ``litigation_min_amount``), ``company_incomplete``.

Rates and adding a half-year
----------------------------
The figures ship in ``rates.json`` next to this module (see ``RATES.md`` for where they are
published). Twice a year, once the new taux légal is published (Journal officiel, late June and late
December) and the ECB rate in force on 1 January / 1 July is known:

1. append ``{"half_year": "2026-H2", "professional": "…", "consumer": "…"}`` to ``legal_rate``;
2. append ``{"from": "YYYY-MM-DD", "rate": "…"}`` to ``ecb_main_refinancing_rate`` for every ECB
   decision since the last line (none if the rate did not move);
3. move ``verified_until`` to the last day of the new half-year (``2026-12-31``);
4. run ``pytest tests/unit/test_claim.py``: the loader refuses gaps and unsorted lines.

Past ``verified_until`` the last known rate is used and the claim carries a French warning saying so;
a date before the first figure raises :class:`RateUnknown`. A rule editor can add the new half-years in
the rules directory (a ``rates`` section, :meth:`Rates.extended`) without waiting for a release.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .fmt import cents, money, money_json, percent, shortdate
from .legal import is_prescribed, notice_last_day, prescription_date
from .model import Customer, HistoryEntry, Invoice, Payment, invoice_problems

if TYPE_CHECKING:
    from .policy import Legal, Rules

Creditor = Literal["professional", "consumer"]
CREDITORS: tuple[Creditor, ...] = ("professional", "consumer")
PAYMENT_ORDERS = ("principal_first", "interest_first")
FORMAL_NOTICE_CHANNEL = "registered_letter"
DEFAULT_RATE_MARGIN = Decimal(10)  # L441-10: ECB rate + 10 points
SMALL_CLAIMS_CEILING = Decimal(5000)
REASONS = ("closed", "disputed", "reply_pending", "prescribed", "no_formal_notice", "notice_deadline_pending",
           "below_minimum", "company_incomplete")

_ZERO = Decimal(0)
_HALF_YEAR = re.compile(r"(\d{4})-H([12])")


class RateUnknown(ValueError):
    """A date before the first figure of the rate tables: nothing sensible to fall back on."""


class UnusableInvoice(ValueError):
    """The invoice carries a date or an amount outside SPEC §3's bounds: no claim is computed on it."""

    def __init__(self, invoice: str, field: str, problem: str) -> None:
        super().__init__(f"{invoice} : {field} : {problem}")
        self.invoice, self.field, self.problem = invoice, field, problem


class Quote(NamedTuple):
    """A rate (annual percentage) and, when it had to be guessed, the French warning that says so."""

    rate: Decimal
    warning: str | None = None


# -- half-years ----------------------------------------------------------------------------------

def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def half_year_label(day: date) -> str:
    """``date(2026, 3, 1)`` → ``premier semestre 2026``."""
    return f"{'premier' if day.month <= 6 else 'second'} semestre {day.year}"


# -- rates ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LegalRate:
    """The taux légal of one half-year, for a professional creditor ("autres cas") and a consumer one."""

    start: date
    professional: Decimal
    consumer: Decimal


@dataclass(frozen=True, slots=True)
class Rates:
    ecb: tuple[tuple[date, Decimal], ...]  # (in force from, rate), ascending
    legal: tuple[LegalRate, ...]  # one per half-year, contiguous, ascending
    verified_until: date
    source: str = "rates.json"  # where the figures come from, said by ``relance claim``

    @classmethod
    def load(cls) -> Rates:
        """The figures shipped with the package (``relance/domain/rates.json``)."""
        return _packaged()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "rates.json") -> Rates:
        """Parse and check the rate tables; a malformed table is a ``ValueError`` naming the line."""
        try:
            verified_until = date.fromisoformat(data["verified_until"])
            ecb = tuple((date.fromisoformat(row["from"]), Decimal(row["rate"]))
                        for row in data["ecb_main_refinancing_rate"])
            legal = tuple(LegalRate(_half_year(row["half_year"]), Decimal(row["professional"]),
                                    Decimal(row["consumer"])) for row in data["legal_rate"])
        except (KeyError, TypeError, ArithmeticError, ValueError) as error:
            raise ValueError(f"{source} : table de taux mal formée ({error})") from error
        if not ecb or not legal:
            raise ValueError(f"{source} : ecb_main_refinancing_rate et legal_rate ne peuvent pas être vides")
        for (before, _), (after, _) in pairwise(ecb):
            if after <= before:
                raise ValueError(f"{source} : ecb_main_refinancing_rate : le {after} ne suit pas le {before}")
        for before, after in pairwise(legal):
            if after.start != half_year_end(before.start) + timedelta(days=1):
                raise ValueError(f"{source} : legal_rate : {_half_year_name(after.start)} ne suit pas "
                                 f"{_half_year_name(before.start)} (un semestre manque)")
        if half_year_end(legal[-1].start) < verified_until:
            raise ValueError(f"{source} : verified_until {verified_until} dépasse le dernier semestre de legal_rate "
                             f"({_half_year_name(legal[-1].start)})")
        return cls(ecb=ecb, legal=legal, verified_until=verified_until, source=source)

    def describe(self) -> str:
        """« taux livrés avec relance (rates.json), vérifiés jusqu’au 30/06/2026 », for ``relance claim``."""
        return f"{self.source}, vérifiés jusqu’au {shortdate(self.verified_until)}"

    def extended(self, data: Mapping[str, Any], source: str) -> Rates:
        """These tables completed by a rule editor's ``rates`` section (SPEC §5): its half-years and ECB lines
        are added, or replace the same half-year / the same day; its ``verified_until``, when later, moves
        this one's. The result is checked like the shipped table (no gap, no disorder): a ``ValueError``
        naming ``source`` otherwise."""
        ecb = {start.isoformat(): f"{rate:f}" for start, rate in self.ecb}
        legal = {_half_year_name(row.start): (f"{row.professional:f}", f"{row.consumer:f}") for row in self.legal}
        try:
            for row in data.get("ecb_main_refinancing_rate", []) or []:
                ecb[date.fromisoformat(str(row["from"])).isoformat()] = str(row["rate"])
            for row in data.get("legal_rate", []) or []:
                legal[str(row["half_year"])] = (str(row["professional"]), str(row["consumer"]))
            until = data.get("verified_until")
            verified_until = max(self.verified_until, date.fromisoformat(str(until))) if until else self.verified_until
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source} : table de taux mal formée ({error})") from error
        merged = {
            "verified_until": verified_until.isoformat(),
            "ecb_main_refinancing_rate": [{"from": k, "rate": v} for k, v in sorted(ecb.items())],
            "legal_rate": [{"half_year": k, "professional": v[0], "consumer": v[1]} for k, v in sorted(legal.items())],
        }
        cited = str(data.get("source") or "").strip()
        return Rates.from_json(merged, f"{self.source} complétés par {source}" + (f" ({cited})" if cited else ""))

    def ecb_on(self, day: date) -> Quote:
        """The ECB main refinancing rate in force on ``day``."""
        index = bisect_right([start for start, _ in self.ecb], day)
        if index == 0:
            raise RateUnknown(f"taux BCE inconnu avant le {shortdate(self.ecb[0][0])} (demandé pour le "
                              f"{shortdate(day)}) : ajoutez-le dans la section rates des règles")
        rate = self.ecb[index - 1][1]
        if day <= self.verified_until:
            return Quote(rate)
        return Quote(rate, f"taux BCE non vérifié après le {shortdate(self.verified_until)} : "
                           f"dernier taux connu ({percent(rate)}) utilisé")

    def legal_rate(self, half_year_start: date, creditor: Creditor = "professional") -> Quote:
        """The taux légal of the half-year that contains ``half_year_start`` (any day of it will do)."""
        if creditor not in CREDITORS:
            raise ValueError(f"creditor must be one of {', '.join(CREDITORS)}, not {creditor!r}")
        start = date(half_year_start.year, 1 if half_year_start.month <= 6 else 7, 1)
        if start < self.legal[0].start:
            raise RateUnknown(f"taux d’intérêt légal inconnu avant le {half_year_label(self.legal[0].start)} "
                              f"(demandé pour le {half_year_label(start)}) : ajoutez-le dans la section rates des "
                              "règles")
        known = [row for row in self.legal if row.start <= start][-1]
        rate: Decimal = getattr(known, creditor)
        if known.start == start and start <= self.verified_until:
            return Quote(rate)
        return Quote(rate, f"taux légal non vérifié après le {shortdate(self.verified_until)} : "
                           f"dernier taux connu ({percent(rate)}) utilisé")


def rates_of(rules: Rules) -> Rates:
    """The rates a run uses: the shipped ones, completed by the rules' ``rates`` section when there is one."""
    return rules.rates or _packaged()


@cache
def _packaged() -> Rates:
    text = resources.files(__package__).joinpath("rates.json").read_text(encoding="utf-8")
    return Rates.from_json(json.loads(text), "taux livrés avec relance (rates.json)")


def _half_year(text: str) -> date:
    match = _HALF_YEAR.fullmatch(text)
    if not match:
        raise ValueError(f"« {text} » n’est pas un semestre (par exemple 2026-H1)")
    return date(int(match[1]), 1 if match[2] == "1" else 7, 1)


def _half_year_name(start: date) -> str:
    return f"{start.year}-H{1 if start.month <= 6 else 2}"


def half_year_rate(start: date, customer: Customer, legal: Legal, rates: Rates) -> Quote:
    """The annual percentage that applies to every day of the half-year beginning ``start``."""
    if customer.kind == "consumer":
        return rates.legal_rate(start, "professional")
    if legal.late_interest != "legal":
        return Quote(Decimal(str(legal.late_interest)))
    ecb = rates.ecb_on(half_year_start(start))
    return Quote(ecb.rate + DEFAULT_RATE_MARGIN, ecb.warning)


# -- the formal notice ---------------------------------------------------------------------------

def formal_notice(invoice: Invoice, on: date) -> HistoryEntry | None:
    """The latest registered letter of the history sent on or before ``on`` (SPEC §5)."""
    letters = [entry for entry in invoice.history if entry.channel == FORMAL_NOTICE_CHANNEL and entry.date <= on]
    # max() keeps the first of equal dates; the history is in date order, so take the last one.
    return max(reversed(letters), key=lambda entry: entry.date, default=None)


def notice_day(notice: HistoryEntry) -> date:
    """The day a consumer's interest counts from (SPEC §5): delivered when we know it, else sent."""
    return notice.delivered_on or notice.date


def notice_deadline(notice: HistoryEntry, customer: Customer, legal: Legal) -> date:
    """The last day the formal notice gives the debtor (CPC 640-642, see :func:`legal.notice_last_day`): the
    dossier may be prepared from the day after. The litigation function parks a case until then."""
    return notice_last_day(notice.date, notice.delivered_on, customer,
                           deadline_days=legal.formal_notice_deadline_days,
                           postal_delay_days=legal.postal_delay_days)


def accrual_start(invoice: Invoice, customer: Customer, on: date) -> date | None:
    """First day that bears interest; ``None`` when nothing accrues (a consumer without formal notice)."""
    if customer.kind != "consumer":
        return invoice.due_date + timedelta(days=1)
    notice = formal_notice(invoice, on)
    if notice is None:
        return None
    return max(notice_day(notice), invoice.due_date) + timedelta(days=1)


# -- the claim -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start``..``end`` (inclusive) at one rate on one base; ``amount`` is not rounded."""

    start: date
    end: date
    days: int
    rate: Decimal  # annual percentage: 13.15 means 13.15 %
    base: Decimal
    amount: Decimal

    def as_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "rate": rate_json(self.rate), "base": money_json(self.base), "amount": money_json(self.amount)}


@dataclass(frozen=True, slots=True)
class Claim:
    invoice: str
    on: date
    kind: str
    principal: Decimal  # still due on D, after the payments up to D
    interest: Decimal  # rounded once, half up, to the cent
    indemnity: Decimal
    total: Decimal
    periods: tuple[Period, ...]
    warnings: tuple[str, ...]
    accrued: Decimal  # Σ period amounts, unrounded
    interest_paid: Decimal  # interest already settled by partial payments, unrounded
    # Among ``warnings``, those for the creditor only (a rate past ``verified_until``, a CGV rate below the
    # floor): said by the CLI and the e-mail to the company, never in the documents the court reads.
    for_creditor: tuple[str, ...] = ()

    def court_json(self) -> dict[str, Any]:
        """``as_json()`` without the warnings meant for the creditor only: what the dossier's documents show."""
        return self.as_json() | {"warnings": [w for w in self.warnings if w not in self.for_creditor]}

    def as_json(self) -> dict[str, Any]:
        """SPEC §4, ``relance claim``."""
        return {"invoice": self.invoice, "on": self.on.isoformat(), "kind": self.kind,
                "principal": money_json(self.principal), "interest": money_json(self.interest),
                "indemnity": money_json(self.indemnity), "total": money_json(self.total),
                "periods": [period.as_json() for period in self.periods], "warnings": list(self.warnings)}


def rate_json(rate: Decimal) -> str:
    """``Decimal('13.15')`` → ``"13.15"``; ``Decimal('15')`` → ``"15.00"``; finer rates keep their digits."""
    two = rate.quantize(Decimal("0.01"))
    return f"{two:f}" if two == rate else f"{rate.normalize():f}"


class _Ledger:
    """Principal and interest of one invoice as the days go by (mutable, local to one computation)."""

    def __init__(self, principal: Decimal, order: str) -> None:
        self.principal = principal
        self.order = order
        self.accrued = _ZERO
        self.interest_paid = _ZERO

    def accrue(self, amount: Decimal) -> None:
        self.accrued += amount

    def pay(self, amount: Decimal) -> None:
        if amount <= 0:  # a reversal puts the money back on the principal
            self.principal -= amount
            return
        unpaid = self.accrued - self.interest_paid
        interest_due = cents(unpaid) if unpaid > 0 else _ZERO
        if self.order == "interest_first":
            to_interest = min(amount, interest_due)
            to_principal = min(amount - to_interest, self.principal)
        else:
            to_principal = min(amount, self.principal)
            to_interest = min(amount - to_principal, interest_due)
        self.principal -= to_principal
        # The interest was settled in cents: a half cent that the rounding added is not owed back.
        self.interest_paid += min(to_interest, unpaid) if to_interest > 0 else _ZERO


def compute_claim(invoice: Invoice, customer: Customer, legal: Legal, on: date, rates: Rates) -> Claim:
    """Principal, late interest and recovery indemnity owed on ``on`` (SPEC §5; see the module docstring)."""
    problems = invoice_problems(invoice)
    if problems:  # 1e999999999 would overflow the sums below, 31/12/9999 the calendar
        raise UnusableInvoice(invoice.id, *problems[0])
    if legal.partial_payments not in PAYMENT_ORDERS:
        raise ValueError(f"partial_payments must be one of {', '.join(PAYMENT_ORDERS)}, "
                         f"not {legal.partial_payments!r}")
    if invoice.status == "cancelled":
        return Claim(invoice=invoice.id, on=on, kind=customer.kind, principal=_ZERO, interest=_ZERO,
                     indemnity=_ZERO, total=_ZERO, periods=(), warnings=("facture annulée : aucune somme n’est due",),
                     accrued=_ZERO, interest_paid=_ZERO)
    if invoice.status == "paid" and invoice.paid_on is None and not invoice.payments:
        # Paid, but on a day nobody recorded: what was paid is never claimed again, and the interest (and
        # whether the 40 € are owed) cannot be computed without that day.
        return Claim(invoice=invoice.id, on=on, kind=customer.kind, principal=_ZERO, interest=_ZERO,
                     indemnity=_ZERO, total=_ZERO, periods=(),
                     warnings=("facture payée sans date de paiement connue : les pénalités de retard ne peuvent "
                               "pas être calculées (renseignez paid_on ou la liste des paiements)",),
                     accrued=_ZERO, interest_paid=_ZERO)
    payments = settlements(invoice)
    paid_by_day: dict[date, Decimal] = {}
    for payment in payments:
        if payment.date <= on:
            paid_by_day[payment.date] = paid_by_day.get(payment.date, _ZERO) + payment.amount
    pay_days = sorted(paid_by_day)
    ledger = _Ledger(opening_principal(invoice), legal.partial_payments)
    periods: list[Period] = []
    warnings: list[str] = []
    creditor_only: list[str] = []
    # D441-5: the 40 € are owed by a debtor who had not paid everything by the due date.
    on_time = sum((amount for day, amount in paid_by_day.items() if day <= invoice.due_date), _ZERO)
    paid_by_due_date = ledger.principal <= 0 or on_time >= ledger.principal

    def settle_through(day: date) -> None:
        while pay_days and pay_days[0] <= day:
            ledger.pay(paid_by_day[pay_days.pop(0)])

    start = accrual_start(invoice, customer, on)
    if start is None:
        warnings.append("aucune mise en demeure (lettre recommandée) : pas d’intérêts de retard pour un "
                        "particulier")
    elif start <= on:
        settle_through(start - timedelta(days=1))
        cursor = start
        while cursor <= on:
            end = min(on, half_year_end(cursor), pay_days[0] if pay_days else on)
            if ledger.principal > 0:
                quote = half_year_rate(half_year_start(cursor), customer, legal, rates)
                if quote.warning:
                    warnings.append(quote.warning)
                    creditor_only.append(quote.warning)
                days = (end - cursor).days + 1
                amount = ledger.principal * quote.rate * days / Decimal(36500)
                periods.append(Period(cursor, end, days, quote.rate, ledger.principal, amount))
                ledger.accrue(amount)
            settle_through(end)
            cursor = end + timedelta(days=1)
    settle_through(on)

    if ledger.interest_paid > 0:
        warnings.append(f"paiements partiels : {money(ledger.interest_paid)} d’intérêts déjà réglés, déduits des "
                        f"intérêts réclamés")
    if customer.kind != "consumer" and (floor := cgv_floor_warning(legal.late_interest, rates, periods)):
        warnings.append(floor)
        creditor_only.append(floor)
    if is_prescribed(invoice, customer, on):
        warnings.append(f"créance prescrite : le délai a expiré le "
                        f"{shortdate(prescription_date(invoice, customer, on))}")
    late = customer.kind != "consumer" and on > invoice.due_date and not paid_by_due_date
    indemnity = cents(legal.recovery_indemnity) if late else _ZERO
    principal = cents(ledger.principal)
    interest = cents(ledger.accrued - ledger.interest_paid)
    return Claim(invoice=invoice.id, on=on, kind=customer.kind, principal=principal, interest=interest,
                 indemnity=indemnity, total=principal + interest + indemnity, periods=tuple(periods),
                 warnings=tuple(_unique(warnings)), accrued=ledger.accrued, interest_paid=ledger.interest_paid,
                 for_creditor=tuple(_unique(creditor_only)))


def settlements(invoice: Invoice) -> tuple[Payment, ...]:
    """The payments the claim follows: the listed ones, or, for an invoice whose ``paid_on`` is set without
    any, one payment of the whole opening principal on ``paid_on`` (SPEC §5)."""
    if invoice.payments or invoice.paid_on is None:
        return invoice.payments
    return (Payment(invoice.paid_on, opening_principal(invoice)),)


def opening_principal(invoice: Invoice) -> Decimal:
    """What was due at the due date before any payment (see the module docstring)."""
    listed = sum((p.amount for p in invoice.payments), _ZERO)
    if invoice.paid_on is not None and not invoice.payments and invoice.amount_due <= 0:
        return max(invoice.amount, _ZERO)  # paid in full: the export already brought amount_due to 0
    return max(min(invoice.amount, invoice.amount_due + listed), _ZERO)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- going to court ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reasons: list[str]  # codes from REASONS, in that order
    claim: Claim  # the claim the decision was made on (``below_minimum``)


def eligibility(invoice: Invoice, customer: Customer, legal: Legal, company_missing: list[str], on: date,
                rates: Rates) -> Eligibility:
    """Can the invoice go into an injonction de payer dossier on ``on``? Every applicable reason is listed."""
    claim = compute_claim(invoice, customer, legal, on, rates)
    notice = formal_notice(invoice, on)
    applies = {
        "closed": invoice.is_settled_on(on),
        "disputed": invoice.status == "disputed",
        # The debtor wrote back and nobody has read it yet: it may be a dispute or a payment (app.replies).
        "reply_pending": bool(invoice.reply_pending),
        "prescribed": is_prescribed(invoice, customer, on),
        "no_formal_notice": notice is None,
        "notice_deadline_pending": notice is not None and on <= notice_deadline(notice, customer, legal),
        "below_minimum": claim.total < legal.litigation_min_amount,
        "company_incomplete": bool(company_missing),
    }
    reasons = [reason for reason in REASONS if applies[reason]]
    return Eligibility(eligible=not reasons, reasons=reasons, claim=claim)


def small_claims_eligible(claim: Claim) -> bool:
    return claim.total <= SMALL_CLAIMS_CEILING


def cgv_floor_warning(late_interest: str | Decimal, rates: Rates, periods: Iterable[Period]) -> str | None:
    """French warning naming every half-year the claim covers whose 3 × taux légal the CGV rate is below
    (L441-10); ``None`` when the rate is the legal one or above every floor."""
    if late_interest == "legal":
        return None
    rate = Decimal(str(late_interest))
    below, unknown = [], []
    for start in sorted({half_year_start(p.start) for p in periods}):
        try:
            legal_rate = rates.legal_rate(start, "professional").rate
        except RateUnknown:
            unknown.append(half_year_label(start))
            continue
        if rate < 3 * legal_rate:
            below.append(f"du {half_year_label(start)} (3 × {percent(legal_rate)} = {percent(3 * legal_rate)})")
    parts = []
    if below:
        parts.append(f"le taux de pénalités de retard des CGV ({percent(rate)}) est inférieur à trois fois le taux "
                     f"d’intérêt légal {_enumerate(below)}, minimum imposé par l’article L441-10 du Code de "
                     f"commerce : le juge pourrait le ramener à ce minimum")
    if unknown:
        parts.append(f"taux d’intérêt légal inconnu pour le {_enumerate(unknown)} : le plancher de trois fois ce "
                     f"taux n’a pas pu être vérifié")
    return " ; ".join(parts) or None


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def cgv_rate_warning(late_interest: str | Decimal, rates: Rates, on: date) -> str | None:
    """French warning when the CGV rate is below 3 × the taux légal of the half-year of ``on`` (L441-10)."""
    if late_interest == "legal":
        return None
    rate = Decimal(str(late_interest))
    legal_rate = rates.legal_rate(on, "professional")
    floor = 3 * legal_rate.rate
    if rate >= floor:
        return None
    message = (f"le taux de pénalités de retard des CGV ({percent(rate)}) est inférieur à trois fois le taux "
               f"d’intérêt légal du {half_year_label(on)} (3 × {percent(legal_rate.rate)} = {percent(floor)}), "
               f"minimum imposé par l’article L441-10 du Code de commerce")
    if legal_rate.warning:
        message += f" ({legal_rate.warning})"
    return message
