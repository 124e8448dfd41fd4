"""Money, dates and phone numbers as debtors read them: French with its own typography, other languages by Babel."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

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


# --- other languages: Babel's conventions (French keeps the functions above, and its own typography) ---------

FRENCH = "fr"
# A bare language picks the region a French creditor's foreign debtor most likely writes in: « 23 November
# 2026 », not « November 23, 2026 ».
_REGION = {"en": "en_GB", "pt": "pt_PT", "es": "es_ES", "de": "de_DE", "nl": "nl_NL"}


def is_french(language: str) -> bool:
    return not language or language.split("_")[0].split("-")[0].lower() == FRENCH


@cache
def babel_locale(language: str) -> str:
    """The Babel locale for a customer's language (``en`` → ``en_GB``); an unknown one reads as English."""
    from babel import Locale, UnknownLocaleError  # ~30 ms and its locale data: only for foreign debtors

    name = _REGION.get(language.lower(), language.replace("-", "_"))
    try:
        return str(Locale.parse(name))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_GB"


def money_in(amount: Decimal | int | str, language: str, currency: str = "EUR") -> str:
    """Money as the reader of ``language`` writes it: ``1 234,50 €`` in French, ``€1,234.50`` in English."""
    if is_french(language):
        return money(amount, currency)
    from babel.numbers import format_currency

    return format_currency(cents(Decimal(str(amount))), currency, locale=babel_locale(language))


def longdate_in(day: date, language: str) -> str:
    """``22 novembre 2026`` in French, ``22 November 2026`` in English."""
    if is_french(language):
        return longdate(day)
    from babel.dates import format_date

    return format_date(day, "long", locale=babel_locale(language))


def shortdate_in(day: date, language: str) -> str:
    """``22/11/2026`` in French; ``22 Nov 2026`` in English, which no reader takes for the 11th of October."""
    if is_french(language):
        return shortdate(day)
    from babel.dates import format_date

    return format_date(day, "medium", locale=babel_locale(language))


def percent_in(rate: Decimal | int | str, language: str) -> str:
    """``12,15 %`` in French, ``12.15%`` in English."""
    if is_french(language):
        return percent(rate)
    from babel.numbers import format_decimal

    return f"{format_decimal(Decimal(str(rate)).normalize(), locale=babel_locale(language))}%"


def capital_in(share_capital: str, language: str = FRENCH) -> str:
    """A share capital as the rules write it (``"50000"``, ``"1 500,50"``) → ``50 000 €`` / ``€50,000``: cents
    only when there are some."""
    value = Decimal(share_capital.replace("\u00a0", "").replace(NNBSP, "").replace(" ", "").replace(",", "."))
    written = money_in(value, language)
    if value == value.to_integral_value():
        written = written.replace(f",00{NNBSP}€", f"{NNBSP}€") if is_french(language) else \
            re.sub(r"[.,]00(?!\d)", "", written)
    return written


def phone_in(number: str, language: str) -> str:
    """A French phone number as a foreign reader dials it: ``04 65 71 20 48`` → ``+33 4 65 71 20 48``; unchanged
    in French, or when it is not a ten-digit French number."""
    digits = re.sub(r"[\s.\-\u00a0\u202f]", "", number or "")
    if is_french(language) or not re.fullmatch(r"0[1-9][0-9]{8}", digits):
        return number
    return "+33 " + digits[1] + " " + " ".join(digits[i:i + 2] for i in range(2, 10, 2))
