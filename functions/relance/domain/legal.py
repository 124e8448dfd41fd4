"""French legal rules the planner and the dossier need: prescription and the notice's deadline (SPEC §5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .model import Address, Customer, Invoice

BUSINESS_PRESCRIPTION_YEARS = 5  # Code de commerce L110-4
CONSUMER_PRESCRIPTION_YEARS = 2  # Code de la consommation L218-2
ALSACE_MOSELLE = ("57", "67", "68")  # Moselle, Bas-Rhin, Haut-Rhin: local law adds Good Friday and 26 December


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def acknowledgements(invoice: Invoice, on: date | None = None) -> list[date]:
    """The days the debtor acknowledged the debt (Code civil art. 2240), up to ``on``: each part-payment, and
    the day a payment plan was agreed."""
    days = [p.date for p in invoice.payments if p.amount > 0]
    if invoice.payment_plan is not None:  # SPEC §2.9: an agreed plan acknowledges the debt
        days.append(invoice.payment_plan.agreed_on)
    return sorted(day for day in days if on is None or day <= on)


def prescription_date(invoice: Invoice, customer: Customer, on: date | None = None) -> date:
    """Last day on which the debt can still be claimed, with what the debtor acknowledged up to ``on``.

    A time limit runs out at the end of the day that bears the same date (CPC art. 641-642), so the debt is
    prescribed from the day after. An acknowledgement made while the period runs starts a new one of the same
    length from its date (Code civil art. 2231, 2240); one made after it ran out revives nothing.
    """
    consumer = customer.kind == "consumer"
    years = CONSUMER_PRESCRIPTION_YEARS if consumer else BUSINESS_PRESCRIPTION_YEARS
    last = add_years(invoice.work_completed_on if consumer else invoice.due_date, years)
    for day in acknowledgements(invoice, on):
        if day <= last:
            last = max(last, add_years(day, years))
    return last


def is_prescribed(invoice: Invoice, customer: Customer, on: date) -> bool:
    consumer = customer.kind == "consumer"
    if not invoice.payments and invoice.payment_plan is None:
        start = invoice.work_completed_on if consumer else invoice.due_date
        years = CONSUMER_PRESCRIPTION_YEARS if consumer else BUSINESS_PRESCRIPTION_YEARS
        # The planner asks for every invoice on every run: decide on the year alone when it suffices.
        if start.year + years != on.year:
            return start.year + years < on.year
    return on > prescription_date(invoice, customer, on)


# -- the formal notice's deadline (CPC 640-642) --------------------------------------------------

def holiday_subdivision(address: Address) -> str | None:
    """The ``holidays`` subdivision whose public holidays apply where the debtor lives: Alsace-Moselle's
    (``57``) for départements 57, 67 and 68, an overseas département's own, else none (metropolitan France)."""
    code = address.postal_code.strip()
    if (address.country or "FR").upper() != "FR" or len(code) != 5 or not code.isdigit():
        return None
    if code[:2] in ALSACE_MOSELLE:
        return "57"
    if code[:3] in ("971", "972", "973", "974", "976"):
        return code[:3]
    return None


_FRENCH_HOLIDAYS: dict[str | None, Any] = {}


def _holidays(subdivision: str | None) -> Any:
    table = _FRENCH_HOLIDAYS.get(subdivision)
    if table is None:
        from .public_holidays import Holidays

        table = _FRENCH_HOLIDAYS[subdivision] = Holidays("FR", subdivision)
    return table


def next_working_day(day: date, address: Address) -> date:
    """``day``, or the next day that is not a Saturday, a Sunday or a French public holiday where the debtor
    lives (CPC art. 642), whatever calendar the rules use for sending."""
    table = _holidays(holiday_subdivision(address))
    while day.weekday() >= 5 or day in table:
        day += timedelta(days=1)
    return day


def notice_receipt(sent: date, delivered_on: date | None, postal_delay_days: int) -> date:
    """The day the debtor received the formal notice: its AR, else the posting day + the postal delay."""
    return delivered_on or sent + timedelta(days=postal_delay_days)


def notice_last_day(sent: date, delivered_on: date | None, customer: Customer, *, deadline_days: int,
                    postal_delay_days: int) -> date:
    """The last day the formal notice gives the debtor to pay (CPC 640-642): the receipt day is not counted,
    so it is receipt + ``deadline_days``, moved to the next working day when it falls on a Saturday, a Sunday
    or a public holiday. The dossier may be prepared from the day after.

    >>> from relance.domain.model import Customer
    >>> c = Customer("C1", "X", "business")
    >>> notice_last_day(date(2026, 10, 30), date(2026, 11, 2), c, deadline_days=8, postal_delay_days=3)
    datetime.date(2026, 11, 10)
    """
    receipt = notice_receipt(sent, delivered_on, postal_delay_days)
    return next_working_day(receipt + timedelta(days=deadline_days), customer.address)


# -- payment terms between professionals (Code de commerce L441-10 I) ------------------------------------

TERMS_MAX_DAYS = 60  # after the invoice's issue date
TERMS_MAX_END_OF_MONTH_DAYS = 45  # « 45 jours fin de mois », if the contract says so


def _end_of_month(day: date) -> date:
    following = day.replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def latest_legal_due_date(issued: date) -> date:
    """The latest due date L441-10 allows between professionals: 60 days after the issue date, or 45 days end
    of month — read either way practice reads it (45 days then the end of that month, or the end of the month
    then 45 days), so that only terms no reading allows are flagged."""
    return max(issued + timedelta(days=TERMS_MAX_DAYS),
               _end_of_month(issued + timedelta(days=TERMS_MAX_END_OF_MONTH_DAYS)),
               _end_of_month(issued) + timedelta(days=TERMS_MAX_END_OF_MONTH_DAYS))


def payment_terms_problem(invoice: Invoice, customer: Customer) -> str | None:
    """Why a business invoice's terms exceed the legal maximum, in French, or ``None`` (consumers: no ceiling
    here). A warning for the company, never a reason to stop dunning: the debt is owed all the same."""
    if customer.kind != "business":
        return None
    latest = latest_legal_due_date(invoice.issue_date)
    if invoice.due_date <= latest:
        return None
    days = (invoice.due_date - invoice.issue_date).days
    return (f"délai de paiement de {days} jours (émise le {invoice.issue_date:%d/%m/%Y}, échéance le "
            f"{invoice.due_date:%d/%m/%Y}) : au-delà du plafond légal entre professionnels, 60 jours après "
            "l’émission ou 45 jours fin de mois (art. L441-10 du Code de commerce), soit le "
            f"{latest:%d/%m/%Y} au plus tard — vérifiez l’échéance dans l’export ; un délai abusif expose à "
            "une amende administrative")
