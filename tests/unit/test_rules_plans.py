"""The payment_plans rule section (SPEC §2.9) in relance check, and what an agreed plan does to prescription (§5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.legal import is_prescribed
from relance.domain.model import Customer, Invoice
from relance.domain.plans import plan_from_dict
from relance.rules.loader import load_rules, load_rules_or_raise

from ..conftest import MINIMAL_RULES


def errors(rules_dir, section: str) -> list[str]:
    return [f"{d.line}: {d.message}" for d in load_rules(rules_dir(MINIMAL_RULES + section)).diagnostics
            if d.severity == "error"]


def test_the_section_compiles_with_its_defaults_and_its_self_service(rules_dir):
    rules = load_rules_or_raise(rules_dir(MINIMAL_RULES + "payment_plans:\n  grace_days: 5\n  self_service:\n"
                                          "    when: {customer.kind: business}\n    max_installments: 4\n"
                                          "    max_days: 120\n    min_installment: 50\n"))
    section = rules.payment_plans
    assert (section.reminder_days_before, section.grace_days, section.broken_after_days, section.on_broken) == (
        3, 5, 8, "resume")
    assert (section.self_service.max_installments, section.self_service.min_installment) == (4, Decimal("50"))
    assert load_rules_or_raise(rules_dir(MINIMAL_RULES)).payment_plans.self_service is None


def test_an_unknown_key_is_named_with_the_closest_one_at_its_line(rules_dir):
    found = errors(rules_dir, "payment_plans:\n  grace_day: 3\n")
    line = MINIMAL_RULES.count("\n") + 2  # the line of « grace_day »
    assert found == [f"{line}: clé inconnue « grace_day » — vouliez-vous dire « grace_days » ?"]


def test_a_nonsense_value_is_refused_in_french(rules_dir):
    found = errors(rules_dir, "payment_plans:\n  on_broken: rompre\n")
    assert len(found) == 1 and "resume" in found[0] and "formal_notice" in found[0]


def test_a_scenario_step_may_not_take_a_plan_step_s_name(rules_dir):
    text = MINIMAL_RULES.replace("id: appel", "id: installment_1")
    found = [d.message for d in load_rules(rules_dir(text)).diagnostics if d.severity == "error"]
    assert len(found) == 1 and "installment_1" in found[0] and "échéancier" in found[0]


def test_an_agreed_plan_starts_the_prescription_again_from_its_day():
    customer = Customer("C1", "Menuiserie Martin", "business")
    old = Invoice("F1", "C1", date(2020, 12, 10), date(2021, 1, 10), Decimal("900"), Decimal("900"))
    assert is_prescribed(old, customer, date(2026, 3, 1))  # 5 years from 10 Jan 2021: 10 Jan 2026
    plan = plan_from_dict({"agreed_on": "2025-06-01", "installments": [{"due_date": "2025-07-01", "amount": "900"}]})
    assert not is_prescribed(replace(old, payment_plan=plan), customer, date(2026, 3, 1))
