"""What debtors read: amounts and dates in French typography."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.fmt import longdate, money, money_json, percent, shortdate

N = "\u202f"


@pytest.mark.parametrize(("amount", "text"), [
    ("1234.56", f"1{N}234,56{N}€"), ("0.5", f"0,50{N}€"), ("1234567", f"1{N}234{N}567,00{N}€"),
    ("999.995", f"1{N}000,00{N}€"), ("-40", f"-40,00{N}€"),
])
def test_money(amount, text):
    assert money(Decimal(amount)) == text


def test_money_in_json_has_two_decimals_rounded_half_up():
    assert money_json(Decimal("834.075")) == "834.08"
    assert money_json(Decimal("12")) == "12.00"


def test_dates():
    assert longdate(date(2026, 11, 22)) == "22 novembre 2026"
    assert longdate(date(2026, 12, 1)) == "1er décembre 2026"
    assert longdate(date(2026, 8, 15)) == "15 août 2026"
    assert shortdate(date(2026, 3, 5)) == "05/03/2026"


def test_percent():
    assert percent(Decimal("12.150")) == f"12,15{N}%"
