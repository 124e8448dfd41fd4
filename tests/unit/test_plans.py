"""Payment plans' pure parts (SPEC §2.9): reading a plan, its sum, which installments are paid, what it asks for."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.model import HistoryEntry, Payment
from relance.domain.plans import (
    BROKEN,
    DEFAULT_NOTICE,
    KEPT,
    PLAN_BROKEN,
    REMINDER,
    Installment,
    PaymentPlan,
    PaymentPlanRules,
    PlanError,
    SelfService,
    amount_due_on,
    installments_paid,
    is_plan_step,
    plan_from_dict,
    plan_state,
    plan_to_dict,
    self_service_problem,
    sum_problem,
)

PLAN_DICT = {"agreed_on": "2026-03-02",
             "installments": [{"due_date": "2026-03-16", "amount": "400.00"},
                              {"due_date": "2026-04-15", "amount": "400.00"},
                              {"due_date": "2026-05-15", "amount": "400.00"}]}
PLAN = plan_from_dict(PLAN_DICT)
RULES = PaymentPlanRules()


def test_a_plan_reads_from_the_data_file_shape_and_writes_back_the_same():
    assert PLAN.agreed_on == date(2026, 3, 2)
    assert PLAN.installments[1] == Installment(date(2026, 4, 15), Decimal("400.00"))
    assert plan_to_dict(PLAN) == PLAN_DICT


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"installments": []}, "agreed_on", "manquante"),
    ({"agreed_on": "2026-02-30", "installments": [{"due_date": "2026-03-01", "amount": "1"}]}, "agreed_on",
     "n’est pas une date"),
    ({"agreed_on": "2026-03-02", "installments": []}, "installments", "au moins une"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-03-01", "amount": "1"}]},
     "installments[0].due_date", "après la date de l’accord"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01", "amount": "1"},
                                                  {"due_date": "2026-04-01", "amount": "1"}]},
     "installments[1].due_date", "après l’échéance précédente"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01", "amount": "-5"}]},
     "installments[0].amount", "positif"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01", "amount": "1.234"}]},
     "installments[0].amount", "deux décimales"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01"}]}, "installments[0].amount", "manquant"),
    ({"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01", "amount": "1", "note": 1}]},
     "installments[0].note", "clé inconnue"),
])
def test_a_bad_plan_is_refused_naming_the_field(data, field, words):
    with pytest.raises(PlanError) as caught:
        plan_from_dict(data)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_the_installments_must_make_what_was_due_on_the_day_of_the_agreement():
    payments = [Payment(date(2026, 2, 20), Decimal("300")), Payment(date(2026, 3, 20), Decimal("400"))]
    # 1 500 invoiced, 300 paid before the agreement: 1 200 due on 2 March; 400 paid since, 800 due today.
    due_then = amount_due_on(Decimal("800"), payments, PLAN.agreed_on)
    assert due_then == Decimal("1200")
    assert sum_problem(PLAN, due_then) is None
    problem = sum_problem(PLAN, Decimal("1500"))
    assert problem is not None and "1\u202f200,00\u202f€" in problem and "1\u202f500,00\u202f€" in problem


def test_an_installment_is_paid_once_the_payments_since_the_agreement_reach_it():
    def paid(*amounts_on):
        return installments_paid(PLAN, [Payment(d, Decimal(a)) for d, a in amounts_on])

    assert paid() == 0
    assert paid((date(2026, 3, 2), "400")) == 0  # on the day of the agreement: before it
    assert paid((date(2026, 3, 10), "399.99")) == 0
    assert paid((date(2026, 3, 10), "250"), (date(2026, 3, 14), "150")) == 1
    assert paid((date(2026, 3, 10), "850")) == 2
    assert paid((date(2026, 3, 10), "1200")) == 3
    assert installments_paid(PLAN, [Payment(date(2026, 4, 1), Decimal("400"))], on=date(2026, 3, 31)) == 0


def entries(*steps_on):
    return [HistoryEntry(step=s, date=d) for s, d in steps_on]


def state(on, history=(), payments=()):
    return plan_state(PLAN, RULES, payments=payments, history=history, on=on)


def test_the_reminder_is_due_three_days_before_the_installment_and_only_once():
    assert state(date(2026, 3, 12)).due is None
    due = state(date(2026, 3, 13)).due
    assert (due.step, due.kind, due.installment) == ("installment_1", REMINDER, 1)
    assert state(date(2026, 3, 14), entries(("installment_1", date(2026, 3, 13)))).due is None


def test_no_reminder_for_an_installment_already_paid():
    paid = [Payment(date(2026, 3, 5), Decimal("400"))]
    assert state(date(2026, 3, 13), payments=paid).due is None
    assert state(date(2026, 4, 12), payments=paid).due.step == "installment_2"


def test_unpaid_after_the_grace_days_the_default_notice_is_due_then_the_plan_breaks_after_its_deadline():
    sent = entries(("installment_1", date(2026, 3, 13)))
    assert state(date(2026, 3, 18), sent).due is None
    due = state(date(2026, 3, 19), sent).due
    assert (due.step, due.kind) == ("plan_default_1", DEFAULT_NOTICE)
    noticed = sent + entries(("plan_default_1", date(2026, 3, 19)))
    assert state(date(2026, 3, 27), noticed).due is None  # 19 + 8 = 27: the last day to pay
    assert state(date(2026, 3, 28), noticed).due.step == PLAN_BROKEN
    broken = state(date(2026, 3, 30), noticed + entries((PLAN_BROKEN, date(2026, 3, 28))))
    assert (broken.status, broken.due, broken.broken_on) == (BROKEN, None, date(2026, 3, 28))


def test_paid_within_the_notice_deadline_the_plan_holds_and_goes_on():
    noticed = entries(("installment_1", date(2026, 3, 13)), ("plan_default_1", date(2026, 3, 19)))
    late = [Payment(date(2026, 3, 25), Decimal("400"))]
    after = state(date(2026, 3, 28), noticed, late)
    assert after.holds and after.paid == 1 and after.due is None


def test_every_installment_paid_the_plan_is_kept():
    assert state(date(2026, 6, 1), payments=[Payment(date(2026, 5, 1), Decimal("1200"))]).status == KEPT


def test_a_missed_reminder_is_still_sent_while_the_installment_is_unpaid():
    assert state(date(2026, 3, 17)).due.step == "installment_1"


def test_plan_steps_are_recognised_by_name():
    assert is_plan_step("installment_3") and is_plan_step("plan_default_12") and is_plan_step("plan_broken")
    assert not is_plan_step("installment_x") and not is_plan_step("relance_1")


def test_self_service_limits():
    service = SelfService(max_installments=3, max_days=90, min_installment=Decimal("100"))
    assert self_service_problem(service, PLAN) is None
    four = PaymentPlan(PLAN.agreed_on, (*PLAN.installments, Installment(date(2026, 5, 20), Decimal("1"))))
    assert "3 échéances" in self_service_problem(service, four)
    assert "31/05/2026" in self_service_problem(SelfService(3, 90, Decimal("1")), plan_from_dict(
        {"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-06-01", "amount": "10"}]}))
    assert "100,00\u202f€" in self_service_problem(SelfService(3, 90, Decimal("100")), plan_from_dict(
        {"agreed_on": "2026-03-02", "installments": [{"due_date": "2026-04-01", "amount": "10"}]}))
