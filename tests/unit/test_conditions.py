"""Conditions are compiled once into callables; each form of SPEC §1 behaves as a rule editor expects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from relance.domain.conditions import CustomerStats, Facts
from relance.domain.model import Customer, Invoice
from relance.rules.conditions import ConditionError, compile_condition

ON = date(2026, 6, 15)


def facts(*, amount_due="450.00", kind="business", tags=(), language="fr", due=date(2026, 6, 1),
          since=date(2020, 6, 16), invoice_extra=None, customer_extra=None, open_balance="900", overdue=2):
    customer = Customer(id="C1", name="Martin", kind=kind, tags=tuple(tags), language=language, since=since,
                        extra=MappingProxyType(customer_extra or {}))
    invoice = Invoice(id="F1", customer_id="C1", issue_date=date(2026, 5, 2), due_date=due,
                      amount=Decimal("500.00"), amount_due=Decimal(amount_due),
                      extra=MappingProxyType(invoice_extra or {}))
    return Facts(invoice, customer, ON, CustomerStats(Decimal(open_balance), overdue))


def holds(condition, **kwargs) -> bool:
    return compile_condition(condition)(facts(**kwargs))


def test_scalar_is_equality():
    assert holds({"customer.kind": "business"})
    assert not holds({"customer.kind": "business"}, kind="consumer")


def test_list_is_one_of():
    assert holds({"customer.language": ["fr", "en"]}, language="en")
    assert not holds({"customer.language": ["fr", "en"]}, language="de")


@pytest.mark.parametrize(("comparison", "amount", "expected"), [
    (">= 300", "300.00", True), (">= 300", "299.99", False), ("> 300", "300", False),
    ("< 150", "149.99", True), ("<= 150", "150.01", False), ("!= 450", "450.00", False),
    (">= 1500.50", "1500.50", True),
])
def test_comparison_on_an_amount_is_numeric(comparison, amount, expected):
    assert holds({"invoice.amount_due": comparison}, amount_due=amount) is expected


def test_amount_equality_ignores_trailing_zeros():
    assert holds({"invoice.amount_due": 450}, amount_due="450.00")


def test_comparison_on_a_date_reads_an_iso_date():
    assert holds({"invoice.due_date": ">= 2026-06-01"})
    assert not holds({"invoice.due_date": "> 2026-06-01"})


def test_days_overdue_and_age_are_computed_at_the_run_date():
    assert holds({"invoice.days_overdue": 14})  # 15 June − 1 June
    assert holds({"invoice.age_days": 44})  # 15 June − 2 May


def test_days_overdue_is_negative_before_the_due_date():
    assert holds({"invoice.days_overdue": "< 0"}, due=date(2026, 6, 18))


def test_seniority_counts_full_years():
    assert holds({"customer.seniority_years": 5}, since=date(2021, 6, 15))
    assert holds({"customer.seniority_years": 4}, since=date(2021, 6, 16))


def test_seniority_of_a_customer_without_start_date_matches_nothing():
    assert not holds({"customer.seniority_years": ">= 0"}, since=None)


def test_customer_aggregates():
    assert holds({"customer.open_balance": "> 800", "customer.overdue_invoices": ">= 2"})


def test_contains_on_tags():
    assert holds({"customer.tags": {"contains": "grand_compte"}}, tags=["grand_compte", "btp"])
    assert not holds({"customer.tags": {"contains": "grand_compte"}}, tags=["btp"])


def test_exists_on_free_columns():
    assert holds({"invoice.extra.chantier": {"exists": True}}, invoice_extra={"chantier": "Cuisine"})
    assert holds({"invoice.extra.chantier": {"exists": False}})


def test_free_columns_compare_loosely():
    assert holds({"customer.extra.code_risque": ">= 3"}, customer_extra={"code_risque": "4"})
    assert holds({"invoice.extra.bon_de_commande": "BC-1234"}, invoice_extra={"bon_de_commande": "BC-1234"})
    assert holds({"invoice.extra.niveau.detail": "x"}, invoice_extra={"niveau": {"detail": "x"}})
    assert not holds({"invoice.extra.absent": ">= 3"})


def test_several_entries_must_all_hold():
    assert not holds({"customer.kind": "business", "invoice.amount_due": "> 1000"})


def test_all_any_not():
    condition = {"any": [{"customer.kind": "consumer"}, {"all": [{"invoice.amount_due": ">= 400"},
                                                                 {"not": {"customer.tags": {"contains": "vip"}}}]}]}
    assert holds(condition)
    assert not holds(condition, tags=["vip"])
    assert holds(condition, tags=["vip"], kind="consumer")


@pytest.mark.parametrize(("condition", "message"), [
    ({"invoice.montant": 3}, "champ inconnu « invoice.montant »"),
    ({"customer.kind": "entreprise"}, "n’est pas une valeur possible de « customer.kind »"),
    ({"customer.tags": "vip"}, "{contains: vip}"),
    ({"invoice.amount": ">= trois cents"}, "n’en est pas un"),
    ({"invoice.due_date": ">= 31/12/2026"}, "AAAA-MM-JJ"),
    ({"invoice.amount": {"contains": 3}}, "contains ne s’applique qu’aux listes"),
    ({"invoice.extra.x": {"exists": "oui"}}, "exists attend true ou false"),
    ({"any": {"customer.kind": "business"}}, "« any » attend une liste"),
    ({"customer.language": []}, "est vide"),
    ({"invoice.amount": None}, "exists: false"),
    ({"customer.kind": "!= robot"}, "« robot » n’est pas une valeur possible de « customer.kind »"),
    ({"customer.country": ["FR", 33]}, "« 33 » n’est pas un code pays"),
    ({"customer.language": "!= francais"}, "vouliez-vous dire « fr » ?"),
    ({"invoice.currency": "<= EURO"}, "vouliez-vous dire « EUR » ?"),
    ({"customer.account_manager": True}, "entre guillemets"),
    ({"invoice.due_date": ">= 2026-02-30"}, "le 30 février 2026 n’existe pas"),
    ({"invoice.extra.x": ">= 2026-13-01"}, "vouliez-vous dire « 2026-01-13 » (jour et mois inversés) ?"),
    ({"customer.extra.y": ["2026-02-29"]}, "vouliez-vous dire « 2026-02-28 » (le dernier jour du mois) ?"),
])
def test_mistakes_are_refused_with_a_plain_message(condition, message):
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition)
    assert message in str(caught.value)


def test_every_mistake_is_reported_with_its_path():
    with pytest.raises(ConditionError) as caught:
        compile_condition({"all": [{"invoice.montant": 1}, {"customer.kinds": "business"}]})
    assert [p.path for p in caught.value.problems] == [("all", 0, "invoice.montant"), ("all", 1, "customer.kinds")]


def test_codes_compare_as_written_in_the_data():
    assert holds({"customer.language": "!= en"})
    assert not holds({"customer.language": ["en", "de"]})
    assert holds({"invoice.currency": "EUR", "customer.country": "!= BE"})


def test_a_mistake_in_a_list_points_at_the_item():
    with pytest.raises(ConditionError) as caught:
        compile_condition({"customer.country": ["FR", "BE", "33"]})
    assert [p.path for p in caught.value.problems] == [("customer.country", 2)]
