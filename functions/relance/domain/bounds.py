"""What a date or an amount from the outside world may be (SPEC §3).

Accounting packages write 31/12/9999 for "no due date", and a hostile file can carry 1e999999999:
such values are refused where they come in (data file, CSV export, webhooks), with the field named,
so that no computation further down (calendar arithmetic, interest) ever meets them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2199, 12, 31)
# A trillion euros: no invoice of a PME comes near it, and every figure below it is exact in cents.
AMOUNT_MAX = Decimal("1000000000000")


def date_problem(day: date) -> str | None:
    """Why ``day`` is not a usable date, in French, or None."""
    if day < DATE_MIN or day > DATE_MAX:
        return (f"date hors des bornes admises ({day.strftime('%d/%m/%Y')} ; "
                f"attendu entre {DATE_MIN.strftime('%d/%m/%Y')} et {DATE_MAX.strftime('%d/%m/%Y')})")
    return None


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is not a usable amount, in French, or None."""
    # adjusted() and copy_abs() never round, so 1e999999999 cannot overflow the context here
    if not amount.is_finite() or (amount and amount.adjusted() >= 12) or amount.copy_abs() >= AMOUNT_MAX:
        return "montant hors des bornes admises (au plus 999 999 999 999,99)"
    if amount and (amount.adjusted() < -2 or amount != amount.quantize(Decimal("0.01"))):
        return "montant avec plus de deux décimales"
    return None
