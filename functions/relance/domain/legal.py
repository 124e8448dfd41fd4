"""French legal rules the planner needs: prescription (SPEC §5)."""

from __future__ import annotations

from datetime import date

from .model import Customer, Invoice

BUSINESS_PRESCRIPTION_YEARS = 5  # Code de commerce L110-4
CONSUMER_PRESCRIPTION_YEARS = 2  # Code de la consommation L218-2


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_date(invoice: Invoice, customer: Customer) -> date:
    """Last day on which the debt can still be claimed.

    A time limit runs out at the end of the day that bears the same date (CPC art. 641-642),
    so the debt is prescribed from the day after.
    """
    if customer.kind == "consumer":
        return add_years(invoice.work_completed_on, CONSUMER_PRESCRIPTION_YEARS)
    return add_years(invoice.due_date, BUSINESS_PRESCRIPTION_YEARS)


def is_prescribed(invoice: Invoice, customer: Customer, on: date) -> bool:
    consumer = customer.kind == "consumer"
    start = invoice.work_completed_on if consumer else invoice.due_date
    years = CONSUMER_PRESCRIPTION_YEARS if consumer else BUSINESS_PRESCRIPTION_YEARS
    # The planner asks for every invoice on every run: decide on the year alone when it suffices.
    if start.year + years != on.year:
        return start.year + years < on.year
    return on > add_years(start, years)
