"""Payment plans in the planner (SPEC §2.9): paused while the plan holds, one reminder per unpaid installment, the
default notice, the plan broken, then the scenario again.

Hand-computed timeline. MINIMAL_RULES: relance_1 J+5 (email, courtois) · appel J+15 (phone, factuel) ·
mise_en_demeure J+30 (registered_letter, formel); French holidays, business days, min_gap_days 3. Invoice F1,
1 200.00 € due Mon 2 March 2026, relance_1 sent Mon 9 March. Plan agreed Thu 12 March: 400.00 € on Wed 1 April,
Mon 4 May, Mon 1 June. Default section: reminder 3 days before, grace 3 days, broken 8 days after the notice's
receipt (posting + 3 days postal delay, as a formal notice's), on_broken resume.

- installment_1: 1 Apr − 3 = Sun 29 Mar → Mon 30 Mar. Paid 400.00 on Tue 31 Mar.
- installment_2: 4 May − 3 = Fri 1 May (Fête du travail) → Mon 4 May.
- plan_default_2: 4 May + 3 = Thu 7 May. Receipt 7 + 3 = Sun 10 May; + 8 = Mon 18 May, the last day to pay.
- plan_broken: Tue 19 May. Then resume: appel on 19 + 3 = Fri 22 May; mise_en_demeure 22 + 3 = Mon 25 May, Whit
  Monday (lundi de Pentecôte) → Tue 26 May. installment_3 never goes: the plan is broken.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.datafile import DataError, parse_book
from relance.domain.planner import Planner
from relance.domain.plans import REASON_PLAN
from relance.rules.loader import load_rules_or_raise

from ..conftest import MINIMAL_RULES

PLAN = {"agreed_on": "2026-03-12",
        "installments": [{"due_date": "2026-04-01", "amount": "400.00"},
                         {"due_date": "2026-05-04", "amount": "400.00"},
                         {"due_date": "2026-06-01", "amount": "400.00"}]}


def data(payments=(), plan=PLAN, amount="1200.00", **fields) -> str:
    return json.dumps({
        "customers": [{"id": "C1", "name": "Menuiserie Martin", "kind": "business", "email": "c1@client.example"}],
        "invoices": [{"id": "F1", "customer_id": "C1", "issue_date": "2026-01-31", "due_date": "2026-03-02",
                      "amount": amount, "payments": [{"date": d, "amount": a} for d, a in payments],
                      "history": [{"step": "relance_1", "channel": "email", "date": "2026-03-09"}],
                      "payment_plan": plan, **fields}]})


@pytest.fixture
def planner(rules_dir):
    def make(section: str = "") -> Planner:
        return Planner(load_rules_or_raise(rules_dir(MINIMAL_RULES + section)))

    return make


def timeline(planner: Planner, text: str, start=date(2026, 3, 10), end=date(2026, 6, 10)):
    run = planner.simulate_run(parse_book(text), start, end)
    return [(d.date, d.action.step, d.action.channel, d.action.tone) for d in run.actions]


def test_the_plan_s_whole_life_installment_reminder_default_notice_broken_then_the_scenario(planner):
    assert timeline(planner(), data([("2026-03-31", "400.00")])) == [
        (date(2026, 3, 30), "installment_1", "email", "courtois"),
        (date(2026, 5, 4), "installment_2", "email", "courtois"),
        (date(2026, 5, 7), "plan_default_2", "registered_letter", "formel"),
        (date(2026, 5, 19), "plan_broken", "plan", None),
        (date(2026, 5, 22), "appel", "phone", "factuel"),
        (date(2026, 5, 26), "mise_en_demeure", "registered_letter", "formel"),
    ]


def test_broken_with_on_broken_formal_notice_the_next_step_is_the_registered_letter(planner):
    rules = planner("payment_plans:\n  on_broken: formal_notice\n")
    assert timeline(rules, data([("2026-03-31", "400.00")]))[3:] == [
        (date(2026, 5, 19), "plan_broken", "plan", None),
        (date(2026, 5, 22), "mise_en_demeure", "registered_letter", "formel"),
    ]


def test_paid_within_the_notice_s_deadline_the_plan_holds_and_the_next_installment_is_reminded(planner):
    # 400 on 31 Mar, 400 on Tue 12 May (within the notice's deadline): installment_3 1 Jun − 3 = Fri 29 May.
    # Unpaid: its default notice on Thu 4 Jun. 200.00 left of the 1 200.00 → amount_due 400.00 on the last one.
    steps = timeline(planner(), data([("2026-03-31", "400.00"), ("2026-05-12", "400.00")]))
    assert steps == [
        (date(2026, 3, 30), "installment_1", "email", "courtois"),
        (date(2026, 5, 4), "installment_2", "email", "courtois"),
        (date(2026, 5, 7), "plan_default_2", "registered_letter", "formel"),
        (date(2026, 5, 29), "installment_3", "email", "courtois"),
        (date(2026, 6, 4), "plan_default_3", "registered_letter", "formel"),
    ]


def test_no_reminder_for_an_installment_paid_before_its_day(planner):
    # 800 paid on Fri 20 Mar: installments 1 and 2 are paid, only installment_3 is reminded (Fri 29 May).
    steps = timeline(planner(), data([("2026-03-20", "800.00")]), end=date(2026, 5, 31))
    assert steps == [(date(2026, 5, 29), "installment_3", "email", "courtois")]


def test_while_the_plan_holds_the_invoice_is_skipped_paused_by_the_plan(planner):
    plan = planner().plan(parse_book(data()), date(2026, 3, 17))  # appel would be due (J+15) without the plan
    assert plan.actions == ()
    assert [(s.invoice, s.reason) for s in plan.skipped] == [("F1", REASON_PLAN)]
    assert REASON_PLAN == "paused: payment plan"


def test_a_missed_reminder_goes_on_the_first_run_while_the_installment_is_unpaid(planner):
    # No run between 12 Mar and Thu 2 Apr: installment_1 (due 1 Apr, still within grace) goes on 2 Apr.
    plan = planner().plan(parse_book(data()), date(2026, 4, 2))
    assert [(a.step, a.channel, a.tone) for a in plan.actions] == [("installment_1", "email", "courtois")]


def test_plan_steps_ignore_min_gap_days(planner):
    # relance_1 went on Mon 9 Mar; one installment due Fri 13 Mar, agreed on Fri 6 Mar: its reminder on
    # 13 − 3 = Tue 10 Mar, the day after relance_1 (min_gap_days 3 would wait until Thu 12 Mar).
    plan = {"agreed_on": "2026-03-06", "installments": [{"due_date": "2026-03-13", "amount": "1200.00"}]}
    assert timeline(planner(), data(plan=plan), end=date(2026, 3, 11)) == [
        (date(2026, 3, 10), "installment_1", "email", "courtois")]


def test_a_plan_that_does_not_make_what_was_due_sets_that_invoice_aside_naming_it(planner):
    text = data(amount="1500.00")  # 3 × 400 ≠ 1 500 due on 12 Mar
    book = parse_book(text)
    assert [(u.invoice, u.reason) for u in book.unusable] == [("F1", "invalid data: payment_plan")]
    assert "1\u202f200,00\u202f€" in book.unusable[0].problem and "1\u202f500,00\u202f€" in book.unusable[0].problem
    plan = planner().plan(book, date(2026, 3, 17))
    assert [(s.invoice, s.reason) for s in plan.skipped] == [("F1", "invalid data: payment_plan")]


def test_a_plan_that_cannot_be_read_is_an_error_naming_its_place():
    with pytest.raises(DataError) as caught:
        parse_book(data(plan={"agreed_on": "2026-03-12", "installments": [{"due_date": "2026-02-30",
                                                                            "amount": "1200"}]}))
    assert "invoices[0].payment_plan.installments[0].due_date" in str(caught.value)


def test_payments_before_the_agreement_count_before_it(planner):
    # 300 paid on 5 Mar, before the agreement: 900 was due on 12 Mar, in three installments of 300.
    plan = {"agreed_on": "2026-03-12", "installments": [{"due_date": d, "amount": "300.00"}
                                                        for d in ("2026-04-01", "2026-05-04", "2026-06-01")]}
    steps = timeline(planner(), data([("2026-03-05", "300.00")], plan=plan), end=date(2026, 4, 1))
    assert steps == [(date(2026, 3, 30), "installment_1", "email", "courtois")]


@pytest.fixture(scope="module")
def planners(tmp_path_factory):
    out = {}
    for on_broken in ("resume", "formal_notice"):
        root = tmp_path_factory.mktemp(on_broken)
        (root / "rules.yaml").write_text(MINIMAL_RULES + f"payment_plans:\n  on_broken: {on_broken}\n",
                                         encoding="utf-8")
        out[on_broken] = Planner(load_rules_or_raise(root))
    return out


@settings(max_examples=40, deadline=None)
@given(paid=st.lists(st.tuples(st.integers(13, 90), st.sampled_from(["100.00", "400.00", "800.00"])), max_size=3),
       on_broken=st.sampled_from(["resume", "formal_notice"]))
def test_nothing_is_sent_for_a_paid_installment_and_no_scenario_step_while_the_plan_holds(planners, paid, on_broken):
    from datetime import timedelta

    from relance.domain.plans import PLAN_BROKEN, installments_paid, plan_from_dict, step_installment

    payments = [((date(2026, 3, 1) + timedelta(days=d)).isoformat(), a) for d, a in paid]
    if sum(Decimal(a) for _, a in payments) >= 1200:  # settled: nothing to plan
        return
    planner = planners[on_broken]
    book = parse_book(data(payments))
    invoice = book.invoices[0]
    plan = plan_from_dict(PLAN)
    run = planner.simulate_run(book, date(2026, 3, 10), date(2026, 7, 31))
    broken_on = next((d.date for d in run.actions if d.action.step == PLAN_BROKEN), None)
    for dated in run.actions:
        k = step_installment(dated.action.step)
        if k is not None:
            assert installments_paid(plan, invoice.payments, dated.date) < k, dated
            assert broken_on is None or dated.date < broken_on
        elif dated.action.step != PLAN_BROKEN:
            assert broken_on is not None and dated.date > broken_on, dated
    assert [d.action.step for d in run.actions].count(PLAN_BROKEN) <= 1
