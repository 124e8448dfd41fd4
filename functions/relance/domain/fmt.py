"""French formatting of money and dates, for what debtors read."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before € in French typography
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal | int | str, currency: str = "EUR") -> str:
    """``Decimal('1234.5')`` → ``1 234,50 €`` (narrow no-break spaces)."""
    value = cents(Decimal(str(amount)))
    sign = "-" if value < 0 else ""
    units, _, decimals = f"{abs(value):f}".partition(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    symbol = "€" if currency == "EUR" else currency
    return f"{sign}{NNBSP.join(groups)},{decimals or '00'}{NNBSP}{symbol}"


def money_json(amount: Decimal) -> str:
    """Money as it crosses JSON: a string with two decimals."""
    return f"{cents(amount):f}"


def longdate(day: date) -> str:
    """``date(2026, 11, 22)`` → ``22 novembre 2026``; the first of the month is ``1er``."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def shortdate(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def days(count: int) -> str:
    """``1`` → ``1 jour``, ``45`` → ``45 jours``: one spelling everywhere (never « jour(s) »)."""
    return f"{count} jour{'s' if abs(count) > 1 else ''}"


def percent(rate: Decimal | int | str) -> str:
    """``Decimal('12.15')`` → ``12,15 %``."""
    text = f"{Decimal(str(rate)).normalize():f}".replace(".", ",")
    return f"{text}{NNBSP}%"


def group_siren(siren: str) -> str:
    """``841273659`` → ``841 273 659``; a SIRET keeps its NIC apart: ``841 273 659 00012``."""
    digits = re.sub(r"\s", "", siren)
    if digits.isdigit() and len(digits) in (9, 14):
        return " ".join([digits[0:3], digits[3:6], digits[6:9], digits[9:]]).strip()
    return siren.strip()
