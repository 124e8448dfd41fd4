"""Planning semantics, SPEC §2: which reminder each invoice gets on a run date, and what a simulation yields.

Every date below is computed by hand in a comment. The default scenario is MINIMAL_RULES:
preventif J-3 (email, courtois) · relance_1 J+5 (email, courtois) · appel J+15 (phone, factuel) ·
mise_en_demeure J+30 (registered_letter, formel); French holidays, business days only, min_gap_days 3.
Most tests use an invoice due Mon 2026-03-02 (no holiday in March 2026):
preventif Fri 27 Feb · relance_1 Sat 7 Mar → Mon 9 Mar · appel Tue 17 Mar · mise_en_demeure Wed 1 Apr.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pytest

from relance.domain.model import Book, Customer, HistoryEntry, Invoice, Unusable
from relance.domain.planner import Message, Plan, Planner
from relance.rules.loader import load_rules_or_raise

from ..conftest import MINIMAL_RULES

DUE = date(2026, 3, 2)  # Mon

MINIMAL_SEGMENTS = "segments:\n  - name: tous\n    scenario: standard\n"
SPECIAL_SCENARIO = """\
  special:
    steps:
      - {id: relance_speciale, at: J+1, channel: email, tone: ferme}
"""


def with_segments(segments: str) -> str:
    """MINIMAL_RULES with other segments and a second scenario, ``special``, to route invoices to."""
    assert MINIMAL_SEGMENTS in MINIMAL_RULES
    return MINIMAL_RULES.replace(MINIMAL_SEGMENTS, segments) + SPECIAL_SCENARIO


def with_section(section: str) -> str:
    return MINIMAL_RULES + section


@pytest.fixture
def planner(rules_dir):
    def make(text: str = MINIMAL_RULES) -> Planner:
        return Planner(load_rules_or_raise(rules_dir(text)))

    return make


def customer(cid: str = "C1", *, kind: str = "business", tags: tuple[str, ...] = (), extra=None) -> Customer:
    return Customer(id=cid, name=f"Client {cid}", kind=kind, tags=tags,  # type: ignore[arg-type]
                    extra=MappingProxyType(extra or {}))


def invoice(iid: str = "F1", *, due: date = DUE, customer_id: str = "C1", amount: str = "1000.00",
            amount_due: str | None = None, issue: date | None = None, history=(), extra=None, **fields) -> Invoice:
    return Invoice(id=iid, customer_id=customer_id, issue_date=issue or due - timedelta(days=30), due_date=due,
                   amount=Decimal(amount), amount_due=Decimal(amount if amount_due is None else amount_due),
                   history=tuple(history), extra=MappingProxyType(extra or {}), **fields)


def sent(step: str, day: date) -> HistoryEntry:
    return HistoryEntry(step=step, date=day, channel="email")


def book(*invoices: Invoice, customers: tuple[Customer, ...] = ()) -> Book:
    known = {c.id: c for c in customers}
    for inv in invoices:
        known.setdefault(inv.customer_id, customer(inv.customer_id))
    return Book(MappingProxyType(known), invoices)


def steps(plan: Plan) -> dict[str, str]:
    return {a.invoice: a.step for a in plan.actions}


def reasons(plan: Plan) -> dict[str, str]:
    return {s.invoice: s.reason for s in plan.skipped}


def listed(plan: Plan) -> set[str]:
    return set(steps(plan)) | set(reasons(plan))


# -- 1. Not actionable: not listed at all ------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"status": "paid"},
    {"status": "cancelled"},
    {"amount_due": "0.00"},
    {"amount_due": "-15.00"},  # a credit
    {"paid_on": date(2026, 3, 9)},  # paid on D itself
    {"paid_on": date(2026, 3, 5)},  # paid before D
], ids=["paid", "cancelled", "nothing_due", "credit", "paid_on_D", "paid_before_D"])
def test_settled_invoice_is_neither_planned_nor_skipped(planner, fields):
    # Given an invoice whose relance_1 falls on Mon 9 Mar, but which is settled
    inv = invoice(**fields)
    # When planning Mon 9 Mar
    plan = planner().plan(book(inv), date(2026, 3, 9))
    # Then it appears nowhere
    assert listed(plan) == set()


def test_invoice_paid_after_the_run_date_is_still_planned(planner):
    # Given an invoice that will be paid on Tue 10 Mar
    inv = invoice(paid_on=date(2026, 3, 10))
    # When planning Mon 9 Mar (relance_1: J+5 = Sat 7 Mar → Mon 9 Mar)
    plan = planner().plan(book(inv), date(2026, 3, 9))
    # Then it is reminded as usual
    assert steps(plan) == {"F1": "relance_1"}


def test_settled_disputed_invoice_is_not_listed_as_paused(planner):
    # Given a disputed invoice with nothing left to pay: rule 1 comes before the pauses
    inv = invoice(status="disputed", amount_due="0.00")
    plan = planner().plan(book(inv), date(2026, 3, 9))
    assert listed(plan) == set()


# -- 2. Skipped, with a reason ---------------------------------------------------------------------------

def test_disputed_invoice_is_skipped_as_paused_disputed(planner):
    plan = planner().plan(book(invoice(status="disputed")), date(2026, 3, 9))
    assert steps(plan) == {}
    assert reasons(plan) == {"F1": "paused: disputed"}


@pytest.mark.parametrize("promise", [date(2026, 3, 9), date(2026, 3, 20)], ids=["until_D", "after_D"])
def test_promise_to_pay_until_D_or_later_pauses_the_invoice(planner, promise):
    plan = planner().plan(book(invoice(promise_to_pay_until=promise)), date(2026, 3, 9))
    assert steps(plan) == {}
    assert reasons(plan) == {"F1": "paused: promise to pay"}


def test_promise_to_pay_that_ran_out_before_D_no_longer_pauses(planner):
    # Given a promise that held until Fri 6 Mar, when planning Mon 9 Mar
    plan = planner().plan(book(invoice(promise_to_pay_until=date(2026, 3, 6))), date(2026, 3, 9))
    # Then relance_1 is planned again
    assert steps(plan) == {"F1": "relance_1"}
    assert reasons(plan) == {}


def test_pause_entry_skips_matching_invoices_with_its_name(planner):
    # Given a pause on tagged customers, and two customers, one of them tagged
    rules = with_section("""\
pause:
  - name: procedure collective
    when:
      customer.tags: {contains: procedure_collective}
""")
    data = book(invoice("F1", customer_id="C1"), invoice("F2", customer_id="C2"),
                customers=(customer("C1", tags=("procedure_collective",)), customer("C2")))
    # When planning Mon 9 Mar
    plan = planner(rules).plan(data, date(2026, 3, 9))
    # Then the tagged one is skipped with the pause's name, the other is reminded
    assert reasons(plan) == {"F1": "paused: procedure collective"}
    assert steps(plan) == {"F2": "relance_1"}


def test_business_debt_is_still_reminded_on_the_fifth_anniversary_of_the_due_date(planner):
    # Given a business invoice due Tue 2021-03-16: 5 years → Mon 2026-03-16, the last day it can be claimed
    inv = invoice(due=date(2021, 3, 16))
    # When planning that very day (no history: relance_1 is long due)
    plan = planner().plan(book(inv), date(2026, 3, 16))
    # Then it is still actionable
    assert steps(plan) == {"F1": "relance_1"}


def test_business_debt_is_prescribed_the_day_after_the_fifth_anniversary(planner):
    inv = invoice(due=date(2021, 3, 16))
    # Tue 2026-03-17 = due date + 5 years + 1 day
    plan = planner().plan(book(inv), date(2026, 3, 17))
    assert steps(plan) == {}
    assert reasons(plan) == {"F1": "prescribed"}


@pytest.mark.parametrize(("kind", "due"), [
    ("business", date(2019, 6, 10)),  # + 5 years = 2024-06-10, long before D
    ("consumer", date(2023, 1, 10)),  # issued 2022-12-11, + 2 years = 2024-12-11
])
def test_debt_prescribed_years_ago_is_prescribed(planner, kind, due):
    inv = invoice(due=due)
    plan = planner().plan(book(inv, customers=(customer(kind=kind),)), date(2026, 3, 9))
    assert reasons(plan) == {"F1": "prescribed"}


@pytest.mark.parametrize(("on", "expected"), [
    (date(2026, 3, 16), {"F1": "relance_1"}),  # completed 2024-03-16 + 2 years: last day
    (date(2026, 3, 17), {}),                   # the day after: prescribed
])
def test_consumer_debt_prescribes_two_years_after_completion(planner, on, expected):
    # Given a consumer invoice issued 2024-03-01, works completed Sat 2024-03-16, due Mon 2024-04-15
    # (so neither the issue date nor the due date is what counts)
    inv = invoice(issue=date(2024, 3, 1), completed_on=date(2024, 3, 16), due=date(2024, 4, 15))
    plan = planner().plan(book(inv, customers=(customer(kind="consumer"),)), on)
    assert steps(plan) == expected
    assert reasons(plan) == ({} if expected else {"F1": "prescribed"})


@pytest.mark.parametrize(("on", "expected"), [
    (date(2026, 3, 16), {"F1": "relance_1"}),  # issued 2024-03-16 + 2 years: last day
    (date(2026, 3, 17), {}),
])
def test_consumer_prescription_runs_from_the_issue_date_without_completed_on(planner, on, expected):
    inv = invoice(issue=date(2024, 3, 16), due=date(2024, 4, 15))
    plan = planner().plan(book(inv, customers=(customer(kind="consumer"),)), on)
    assert steps(plan) == expected
    assert reasons(plan) == ({} if expected else {"F1": "prescribed"})


def test_invoice_no_segment_takes_is_skipped_with_no_segment(planner):
    # Given segments for consumers only, and a business customer
    rules = with_segments("""\
segments:
  - name: particuliers
    when: {customer.kind: consumer}
    scenario: standard
""")
    plan = planner(rules).plan(book(invoice()), date(2026, 3, 9))
    assert steps(plan) == {}
    assert reasons(plan) == {"F1": "no segment"}


def test_reasons_are_checked_in_spec_order_disputed_before_prescribed(planner):
    # Given an invoice both disputed and prescribed (due 2021-03-16, run on 2026-03-17)
    inv = invoice(due=date(2021, 3, 16), status="disputed")
    plan = planner().plan(book(inv), date(2026, 3, 17))
    assert reasons(plan) == {"F1": "paused: disputed"}


# -- 3. Segments -----------------------------------------------------------------------------------------

def test_first_matching_segment_takes_the_invoice_and_gives_its_scenario(planner):
    # Given two segments that both hold for a tagged business customer
    rules = with_segments("""\
segments:
  - name: grands_comptes
    when: {customer.tags: {contains: grand_compte}}
    scenario: special
  - name: professionnels
    when: {customer.kind: business}
    scenario: standard
""")
    data = book(invoice(customer_id="C1"), customers=(customer("C1", tags=("grand_compte",)),))
    # When planning Mon 9 Mar (special: relance_speciale J+1 = Tue 3 Mar, long reached)
    plan = planner(rules).plan(data, date(2026, 3, 9))
    # Then the first segment wins, with its scenario's step
    (action,) = plan.actions
    assert (action.segment, action.scenario, action.step) == ("grands_comptes", "special", "relance_speciale")


def test_customer_without_the_tag_falls_to_the_next_segment(planner):
    rules = with_segments("""\
segments:
  - name: grands_comptes
    when: {customer.tags: {contains: grand_compte}}
    scenario: special
  - name: professionnels
    when: {customer.kind: business}
    scenario: standard
""")
    data = book(invoice(customer_id="C1"), customers=(customer("C1", tags=("autre",)),))
    (action,) = planner(rules).plan(data, date(2026, 3, 9)).actions
    assert (action.segment, action.scenario, action.step) == ("professionnels", "standard", "relance_1")


OPEN_BALANCE_RULES = with_segments("""\
segments:
  - name: gros_encours
    when: {customer.open_balance: ">= 5000"}
    scenario: special
  - name: tous
    scenario: standard
""")


def test_segment_on_open_balance_sums_the_customers_open_invoices(planner):
    # Given C1 owes 3000 + 2500 = 5500 on two invoices, C2 owes 3000
    data = book(invoice("F1", customer_id="C1", amount="3000.00"),
                invoice("F2", customer_id="C1", amount="2500.00", due=date(2026, 3, 20)),
                invoice("F3", customer_id="C2", amount="3000.00"))
    plan = planner(OPEN_BALANCE_RULES).plan(data, date(2026, 3, 9))
    segments = {a.invoice: a.segment for a in plan.actions}
    assert segments["F1"] == "gros_encours"
    assert segments["F3"] == "tous"


@pytest.mark.parametrize("settled", [
    {"status": "paid"}, {"status": "cancelled"}, {"paid_on": date(2026, 3, 6)}, {"amount_due": "0.00"},
], ids=["paid", "cancelled", "paid_on_before_D", "nothing_due"])
def test_open_balance_leaves_out_settled_invoices(planner, settled):
    # Given C1's second invoice of 2500 is settled: open balance 3000
    data = book(invoice("F1", customer_id="C1", amount="3000.00"),
                invoice("F2", customer_id="C1", amount="2500.00", **settled))
    (action,) = planner(OPEN_BALANCE_RULES).plan(data, date(2026, 3, 9)).actions
    assert action.segment == "tous"


def test_segment_on_number_of_overdue_invoices(planner):
    rules = with_segments("""\
segments:
  - name: multi_retards
    when: {customer.overdue_invoices: ">= 2"}
    scenario: special
  - name: tous
    scenario: standard
""")
    # Given C1 has two invoices past due on Mon 9 Mar; C2 has one past due and one due that very day
    # (days_overdue 0: not overdue yet)
    data = book(invoice("F1", customer_id="C1"), invoice("F2", customer_id="C1", due=date(2026, 2, 23)),
                invoice("F3", customer_id="C2"), invoice("F4", customer_id="C2", due=date(2026, 3, 9)))
    plan = planner(rules).plan(data, date(2026, 3, 9))
    segments = {a.invoice: a.segment for a in plan.actions}
    assert segments["F1"] == "multi_retards"
    assert segments["F3"] == "tous"


@pytest.mark.parametrize(("on", "segment"), [
    (date(2026, 3, 5), "tous"),         # Thu 5 Mar: Mon 5 Jan + 59 days
    (date(2026, 3, 6), "tres_ancien"),  # Fri 6 Mar: 26 (rest of Jan) + 28 (Feb) + 6 = 60 days
])
def test_segment_on_days_overdue(planner, on, segment):
    rules = with_segments("""\
segments:
  - name: tres_ancien
    when: {invoice.days_overdue: ">= 60"}
    scenario: special
  - name: tous
    scenario: standard
""")
    (action,) = planner(rules).plan(book(invoice(due=date(2026, 1, 5))), on).actions
    assert action.segment == segment


def test_segment_on_an_invoice_extra_field(planner):
    rules = with_segments("""\
segments:
  - name: marketplace
    when: {invoice.extra.canal: marketplace}
    scenario: special
  - name: tous
    scenario: standard
""")
    data = book(invoice("F1", extra={"canal": "marketplace"}), invoice("F2", extra={"canal": "boutique"}),
                invoice("F3"))
    plan = planner(rules).plan(data, date(2026, 3, 9))
    assert {a.invoice: a.segment for a in plan.actions} == {"F1": "marketplace", "F2": "tous", "F3": "tous"}


def test_segment_on_a_customer_extra_field(planner):
    rules = with_segments("""\
segments:
  - name: btp
    when: {customer.extra.secteur: BTP}
    scenario: special
  - name: tous
    scenario: standard
""")
    data = book(invoice("F1", customer_id="C1"), invoice("F2", customer_id="C2"),
                customers=(customer("C1", extra={"secteur": "BTP"}), customer("C2", extra={"secteur": "Commerce"})))
    plan = planner(rules).plan(data, date(2026, 3, 9))
    assert {a.invoice: a.segment for a in plan.actions} == {"F1": "btp", "F2": "tous"}


# -- 4. Position in the scenario -------------------------------------------------------------------------

def test_without_history_the_pre_due_step_is_sent_on_its_day(planner):
    # J-3 of Mon 2 Mar = Fri 27 Feb
    plan = planner().plan(book(invoice()), date(2026, 2, 27))
    assert steps(plan) == {"F1": "preventif"}


def test_pre_due_step_is_still_sent_on_the_due_date(planner):
    # Given nothing was sent before the due date Mon 2 Mar: D = due date is not "past due"
    plan = planner().plan(book(invoice()), DUE)
    assert steps(plan) == {"F1": "preventif"}


def test_pre_due_step_is_dropped_once_the_due_date_has_passed(planner):
    # Tue 3 Mar > due date: preventif dropped; the next step, relance_1, waits for Mon 9 Mar
    plan = planner().plan(book(invoice()), date(2026, 3, 3))
    assert steps(plan) == {}


def test_after_the_due_date_an_invoice_without_history_starts_at_the_first_post_due_step(planner):
    plan = planner().plan(book(invoice()), date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_1"}


def test_next_step_follows_the_last_step_of_history_in_scenario_order(planner):
    # Given history: appel on Tue 10 Mar, then relance_1 sent again by hand on Tue 17 Mar
    inv = invoice(history=[sent("appel", date(2026, 3, 10)), sent("relance_1", date(2026, 3, 17))])
    # When planning Wed 1 Apr (J+30)
    plan = planner().plan(book(inv), date(2026, 4, 1))
    # Then appel is the furthest step reached, whatever its date: the formal notice comes next
    assert steps(plan) == {"F1": "mise_en_demeure"}


def test_history_steps_unknown_to_the_scenario_do_not_move_the_position(planner):
    # Given relance_1 on Mon 9 Mar and a step from elsewhere on Thu 12 Mar
    inv = invoice(history=[sent("relance_1", date(2026, 3, 9)), sent("relance_speciale", date(2026, 3, 12))])
    # When planning Tue 17 Mar (J+15; gap from 12 Mar reached on 15 Mar)
    plan = planner().plan(book(inv), date(2026, 3, 17))
    assert steps(plan) == {"F1": "appel"}


def test_history_of_unknown_steps_only_starts_the_scenario_from_the_beginning(planner):
    inv = invoice(history=[sent("ancienne_relance", date(2026, 2, 20))])
    plan = planner().plan(book(inv), date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_1"}


def test_after_the_last_step_nothing_more_is_planned(planner):
    inv = invoice(history=[sent("mise_en_demeure", date(2026, 4, 1))])
    plan = planner().plan(book(inv), date(2026, 6, 1))
    assert listed(plan) == set()


@pytest.mark.parametrize(("amount", "step"), [("500.00", "appel"), ("1500.00", "relance_1")])
def test_step_whose_when_is_false_is_dropped_and_the_next_becomes_the_candidate(planner, amount, step):
    # Given relance_1 only for invoices of 1000 € or more
    rules = MINIMAL_RULES.replace(
        "{id: relance_1, at: J+5, channel: email, tone: courtois}",
        "{id: relance_1, at: J+5, channel: email, tone: courtois, when: {invoice.amount_due: '>= 1000'}}")
    # When planning Tue 17 Mar (both J+5 and J+15 reached, no history)
    plan = planner(rules).plan(book(invoice(amount=amount)), date(2026, 3, 17))
    assert steps(plan) == {"F1": step}


# -- 5. Calendar -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("due", "history", "step_day", "acting_day", "step"), [
    # due Mon 11 May, J-3 = Fri 8 May = Victoire 1945 → Mon 11 May (the due date: not dropped)
    (date(2026, 5, 11), [], date(2026, 5, 8), date(2026, 5, 11), "preventif"),
    # due Sat 9 May, J+5 = Thu 14 May = Ascension → Fri 15 May
    (date(2026, 5, 9), [("preventif", date(2026, 5, 6))], date(2026, 5, 14), date(2026, 5, 15), "relance_1"),
    # due Sat 9 May, J+15 = Sun 24 May → Mon 25 May = Pentecost Monday → Tue 26 May
    (date(2026, 5, 9), [("preventif", date(2026, 5, 6)), ("relance_1", date(2026, 5, 15))],
     date(2026, 5, 25), date(2026, 5, 26), "appel"),
    # due Sun 14 Jun, J+30 = Tue 14 Jul = fête nationale → Wed 15 Jul
    (date(2026, 6, 14), [("appel", date(2026, 6, 29))], date(2026, 7, 14), date(2026, 7, 15), "mise_en_demeure"),
    # due Mon 10 Aug, J+5 = Sat 15 Aug = Assomption on a Saturday → Mon 17 Aug (no substitute day)
    (date(2026, 8, 10), [("preventif", date(2026, 8, 7))], date(2026, 8, 15), date(2026, 8, 17), "relance_1"),
    # due Tue 27 Oct, J+5 = Sun 1 Nov = Toussaint on a Sunday → Mon 2 Nov
    (date(2026, 10, 27), [("preventif", date(2026, 10, 23))], date(2026, 11, 1), date(2026, 11, 2), "relance_1"),
    # due Fri 6 Nov, J+5 = Wed 11 Nov = Armistice → Thu 12 Nov
    (date(2026, 11, 6), [("preventif", date(2026, 11, 3))], date(2026, 11, 11), date(2026, 11, 12), "relance_1"),
    # due Sun 20 Dec, J+5 = Fri 25 Dec = Noël → Sat, Sun → Mon 28 Dec
    (date(2026, 12, 20), [("preventif", date(2026, 12, 17))], date(2026, 12, 25), date(2026, 12, 28),
     "relance_1"),
], ids=["8_may", "ascension", "pentecost_monday", "14_july", "15_august_saturday", "1_november_sunday",
        "11_november", "christmas"])
def test_step_falling_on_a_holiday_or_weekend_moves_to_the_next_business_day(
        planner, due, history, step_day, acting_day, step):
    inv = invoice(due=due, history=[sent(s, d) for s, d in history])
    p = planner()
    assert steps(p.plan(book(inv), step_day)) == {}
    assert steps(p.plan(book(inv), acting_day)) == {"F1": step}


def test_not_business_days_only_acts_on_a_saturday(planner):
    # relance_1 J+5 = Sat 7 Mar, not moved
    rules = with_section("calendar:\n  business_days_only: false\n")
    plan = planner(rules).plan(book(invoice()), date(2026, 3, 7))
    assert steps(plan) == {"F1": "relance_1"}


def test_not_business_days_only_acts_on_a_public_holiday(planner):
    # due Mon 11 May, J-3 = Fri 8 May (Victoire 1945), not moved
    rules = with_section("calendar:\n  business_days_only: false\n")
    plan = planner(rules).plan(book(invoice(due=date(2026, 5, 11))), date(2026, 5, 8))
    assert steps(plan) == {"F1": "preventif"}


def test_holidays_none_acts_on_public_holidays(planner):
    # due Thu 9 Jul, J+5 = Tue 14 Jul: an ordinary Tuesday without holidays
    rules = with_section("calendar:\n  holidays: none\n")
    inv = invoice(due=date(2026, 7, 9), history=[sent("preventif", date(2026, 7, 6))])
    plan = planner(rules).plan(book(inv), date(2026, 7, 14))
    assert steps(plan) == {"F1": "relance_1"}


def test_holidays_none_still_skips_weekends(planner):
    # relance_1 J+5 = Sat 7 Mar → Mon 9 Mar
    rules = with_section("calendar:\n  holidays: none\n")
    p = planner(rules)
    assert steps(p.plan(book(invoice()), date(2026, 3, 7))) == {}
    assert steps(p.plan(book(invoice()), date(2026, 3, 9))) == {"F1": "relance_1"}


ALSACE_MOSELLE = with_section('calendar:\n  holidays: {country: FR, subdivision: "57"}\n')


@pytest.mark.parametrize(("due", "local_holiday", "next_business_day"), [
    # due Sun 29 Mar 2026, J+5 = Fri 3 Apr = Vendredi saint → Mon 6 Apr = Lundi de Pâques → Tue 7 Apr
    (date(2026, 3, 29), date(2026, 4, 3), date(2026, 4, 7)),
    # due Sun 21 Dec 2025, J+5 = Fri 26 Dec = Saint-Étienne → Mon 29 Dec
    (date(2025, 12, 21), date(2025, 12, 26), date(2025, 12, 29)),
], ids=["good_friday", "saint_etienne"])
def test_alsace_moselle_holidays_hold_in_subdivision_57(planner, due, local_holiday, next_business_day):
    inv = invoice(due=due, history=[sent("preventif", due - timedelta(days=3))])
    p = planner(ALSACE_MOSELLE)
    assert steps(p.plan(book(inv), local_holiday)) == {}
    assert steps(p.plan(book(inv), next_business_day)) == {"F1": "relance_1"}


@pytest.mark.parametrize("local_holiday", [date(2026, 4, 3), date(2025, 12, 26)], ids=["good_friday",
                                                                                      "saint_etienne"])
def test_alsace_moselle_holidays_are_business_days_in_the_rest_of_france(planner, local_holiday):
    due = local_holiday - timedelta(days=5)
    inv = invoice(due=due, history=[sent("preventif", due - timedelta(days=3))])
    assert steps(planner().plan(book(inv), local_holiday)) == {"F1": "relance_1"}


def test_min_gap_days_counts_from_the_last_history_date(planner):
    # Given relance_1 sent late, Mon 16 Mar; appel J+15 = Tue 17 Mar; gap: 16 + 3 = Thu 19 Mar
    inv = invoice(history=[sent("relance_1", date(2026, 3, 16))])
    p = planner()
    assert steps(p.plan(book(inv), date(2026, 3, 18))) == {}
    assert steps(p.plan(book(inv), date(2026, 3, 19))) == {"F1": "appel"}


def test_min_gap_days_counts_any_history_entry(planner):
    # Given relance_1 on Mon 9 Mar, then a manual call outside the scenario on Mon 16 Mar → gap until Thu 19
    inv = invoice(history=[sent("relance_1", date(2026, 3, 9)), sent("appel_manuel", date(2026, 3, 16))])
    p = planner()
    assert steps(p.plan(book(inv), date(2026, 3, 18))) == {}
    assert steps(p.plan(book(inv), date(2026, 3, 19))) == {"F1": "appel"}


def test_min_gap_days_counts_from_the_latest_date_whatever_the_history_order(planner):
    inv = invoice(history=[sent("appel_manuel", date(2026, 3, 16)), sent("relance_1", date(2026, 3, 9))])
    assert steps(planner().plan(book(inv), date(2026, 3, 18))) == {}


def test_min_gap_days_setting_is_honoured(planner):
    # min_gap_days 7: relance_1 on Mon 16 Mar → not before Mon 23 Mar
    rules = with_section("calendar:\n  min_gap_days: 7\n")
    inv = invoice(history=[sent("relance_1", date(2026, 3, 16))])
    p = planner(rules)
    assert steps(p.plan(book(inv), date(2026, 3, 20))) == {}
    assert steps(p.plan(book(inv), date(2026, 3, 23))) == {"F1": "appel"}


@pytest.mark.parametrize("on", [date(2026, 3, 7), date(2026, 3, 8), date(2026, 11, 11), date(2026, 12, 25)],
                         ids=["saturday", "sunday", "11_november", "christmas"])
def test_no_action_at_all_on_a_day_that_is_not_a_business_day_but_skipped_are_listed(planner, on):
    # Given an invoice overdue since Mon 5 Jan (relance_1 due any business day) and a disputed one
    data = book(invoice("F1", due=date(2026, 1, 5)), invoice("F2", due=date(2026, 1, 5), status="disputed"))
    plan = planner().plan(data, on)
    assert plan.actions == ()
    assert plan.messages == ()
    assert reasons(plan) == {"F2": "paused: disputed"}


# -- 6. One step per run, sequential catch-up ------------------------------------------------------------

def test_at_most_one_step_per_invoice_per_run(planner):
    # Wed 1 Apr: relance_1, appel and mise_en_demeure are all reached, nothing sent yet
    plan = planner().plan(book(invoice()), date(2026, 4, 1))
    assert [(a.invoice, a.step) for a in plan.actions] == [("F1", "relance_1")]


def test_invoice_imported_late_catches_up_one_step_per_run_spaced_by_min_gap(planner):
    # Given an invoice due Fri 25 Sep 2026, first seen 45 days later, Mon 9 Nov
    inv = invoice(due=date(2026, 9, 25))
    # When simulating from Mon 9 Nov
    out = planner().simulate(book(inv), date(2026, 11, 9), date(2026, 12, 31))
    # Then (preventif dropped: past due)
    #   Mon  9 Nov relance_1 (J+5 = Wed 30 Sep, long reached)
    #   Thu 12 Nov appel (9 + 3 = 12; J+15 = Sat 10 Oct → Mon 12 Oct reached)
    #   Mon 16 Nov mise_en_demeure (12 + 3 = Sun 15 → Mon 16; J+30 = Sun 25 Oct → Mon 26 Oct reached)
    # one a day, never skipping the formal notice
    assert [(d.date, d.action.step) for d in out] == [
        (date(2026, 11, 9), "relance_1"),
        (date(2026, 11, 12), "appel"),
        (date(2026, 11, 16), "mise_en_demeure"),
    ]


# -- 7. Messages -----------------------------------------------------------------------------------------

def test_same_customer_channel_and_tone_make_one_message_listing_the_invoices(planner):
    # Both due Mon 2 Mar: relance_1 (email, courtois) on Mon 9 Mar
    plan = planner().plan(book(invoice("F2"), invoice("F1")), date(2026, 3, 9))
    assert plan.messages == (Message("C1", "email", "courtois", ("F1", "F2")),)


def test_different_tone_makes_a_different_message(planner):
    # Given a second e-mail in another tone, relance_2 at J+10
    rules = MINIMAL_RULES.replace(
        "      - {id: appel,",
        "      - {id: relance_2, at: J+10, channel: email, tone: ferme}\n      - {id: appel,")
    # F1 due Mon 2 Mar, relance_1 on Mon 9 Mar → relance_2 J+10 = Thu 12 Mar (9 + 3 = 12)
    # F2 due Fri 6 Mar, nothing sent → relance_1 J+5 = Wed 11 Mar reached
    data = book(invoice("F1", history=[sent("relance_1", date(2026, 3, 9))]), invoice("F2", due=date(2026, 3, 6)))
    plan = planner(rules).plan(data, date(2026, 3, 12))
    assert steps(plan) == {"F1": "relance_2", "F2": "relance_1"}
    assert set(plan.messages) == {Message("C1", "email", "ferme", ("F1",)),
                                  Message("C1", "email", "courtois", ("F2",))}


def test_different_customers_get_different_messages(planner):
    data = book(invoice("F1", customer_id="C1"), invoice("F2", customer_id="C2"))
    plan = planner().plan(data, date(2026, 3, 9))
    assert set(plan.messages) == {Message("C1", "email", "courtois", ("F1",)),
                                  Message("C2", "email", "courtois", ("F2",))}


def test_different_channels_get_different_messages(planner):
    # F1: relance_1 on Mon 9 Mar → appel (phone) Tue 17 Mar; F2 due Thu 12 Mar → relance_1 (email) Tue 17 Mar
    data = book(invoice("F1", history=[sent("relance_1", date(2026, 3, 9))]), invoice("F2", due=date(2026, 3, 12)))
    plan = planner().plan(data, date(2026, 3, 17))
    assert {(m.channel, m.invoices) for m in plan.messages} == {("phone", ("F1",)), ("email", ("F2",))}


# -- 8. Simulate -----------------------------------------------------------------------------------------

def test_simulate_runs_the_whole_scenario_on_the_hand_computed_days(planner):
    # Given an invoice due Sat 9 May 2026 (May 2026: 1 May Fri, 8 May Fri, Ascension Thu 14, Pentecost Mon 25)
    inv = invoice(due=date(2026, 5, 9))
    # When simulating May to August
    out = planner().simulate(book(inv), date(2026, 5, 1), date(2026, 8, 31))
    # Then
    #   preventif       J-3  = Wed  6 May
    #   relance_1       J+5  = Thu 14 May (Ascension) → Fri 15 May
    #   appel           J+15 = Sun 24 May → Mon 25 May (Pentecost) → Tue 26 May
    #   mise_en_demeure J+30 = Mon  8 Jun
    # and nothing after the last step
    assert [(d.date, d.action.step, d.action.channel, d.action.tone) for d in out] == [
        (date(2026, 5, 6), "preventif", "email", "courtois"),
        (date(2026, 5, 15), "relance_1", "email", "courtois"),
        (date(2026, 5, 26), "appel", "phone", "factuel"),
        (date(2026, 6, 8), "mise_en_demeure", "registered_letter", "formel"),
    ]
    assert {(d.action.invoice, d.action.customer, d.action.segment, d.action.scenario) for d in out} == {
        ("F1", "C1", "tous", "standard")}


def test_simulate_stops_an_invoice_at_its_paid_on(planner):
    # Same timeline, paid on Tue 26 May, the day appel would be due
    inv = invoice(due=date(2026, 5, 9), paid_on=date(2026, 5, 26))
    out = planner().simulate(book(inv), date(2026, 5, 1), date(2026, 8, 31))
    assert [(d.date, d.action.step) for d in out] == [
        (date(2026, 5, 6), "preventif"),
        (date(2026, 5, 15), "relance_1"),
    ]


def test_simulate_sorts_by_date_then_invoice(planner):
    # Given two invoices due Mon 2 Mar, listed F-B first
    data = book(invoice("F-B"), invoice("F-A"))
    # When simulating Fri 27 Feb (preventif) to Mon 9 Mar (relance_1)
    out = planner().simulate(data, date(2026, 2, 27), date(2026, 3, 9))
    assert [(d.date, d.action.invoice, d.action.step) for d in out] == [
        (date(2026, 2, 27), "F-A", "preventif"),
        (date(2026, 2, 27), "F-B", "preventif"),
        (date(2026, 3, 9), "F-A", "relance_1"),
        (date(2026, 3, 9), "F-B", "relance_1"),
    ]


def test_simulate_continues_from_the_existing_history(planner):
    # Given relance_1 already sent Mon 9 Mar: the simulation goes on with appel Tue 17 Mar, formal notice Wed 1 Apr
    inv = invoice(history=[sent("relance_1", date(2026, 3, 9))])
    out = planner().simulate(book(inv), date(2026, 3, 10), date(2026, 4, 30))
    assert [(d.date, d.action.step) for d in out] == [
        (date(2026, 3, 17), "appel"),
        (date(2026, 4, 1), "mise_en_demeure"),
    ]


# -- One poisoned invoice never costs the others their run (SPEC §3) ----------------------------------------

def test_an_invoice_whose_dates_overflow_is_skipped_and_the_others_planned(planner):
    # 31/12/9999, an accounting "no due date", reached the planner: preventif sent, relance_1 is 9999-12-31 + 5
    poisoned = invoice("F2", due=date(9999, 12, 31), issue=DUE, history=[sent("preventif", date(2026, 2, 27))])
    plan = planner().plan(book(invoice("F1"), poisoned, invoice("F3")), date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_1", "F3": "relance_1"}
    assert reasons(plan) == {"F2": "invalid data: due_date"}
    (aside,) = plan.unusable
    assert aside.invoice == "F2" and "31/12/9999" in aside.problem


def test_a_huge_amount_costs_only_its_own_invoice_the_open_balance(planner):
    # The customer's open balance sums every open invoice: 1e999999999 would overflow it for the whole shard.
    poisoned = invoice("F2", amount="1e999999999")
    rules = with_segments("segments:\n  - name: gros\n    when: {customer.open_balance: '>= 2000'}\n"
                          "    scenario: special\n  - name: tous\n    scenario: standard\n")
    plan = planner(rules).plan(book(invoice("F1"), poisoned, invoice("F3")), date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_speciale", "F3": "relance_speciale"}
    assert reasons(plan) == {"F2": "invalid data: amount"}


class _Failing(Planner):
    """A computation that fails on one invoice for a reason no field explains."""

    def step_day(self, due_date: date, at: int) -> date:
        if due_date == date(2026, 3, 3):
            raise ArithmeticError("boom")
        return super().step_day(due_date, at)


def test_an_invoice_whose_computation_fails_is_skipped_as_an_error_and_the_others_planned(rules_dir):
    plan = _Failing(load_rules_or_raise(rules_dir())).plan(
        book(invoice("F1"), invoice("F2", due=date(2026, 3, 3)), invoice("F3")), date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_1", "F3": "relance_1"}
    assert reasons(plan) == {"F2": "error: ArithmeticError"}
    (aside,) = plan.unusable
    assert aside.invoice == "F2" and aside.customer == "C1" and "boom" in aside.problem


def test_a_bug_outside_the_named_failures_is_not_hidden(rules_dir):
    class Buggy(Planner):
        def step_day(self, due_date: date, at: int) -> date:
            raise AttributeError("a bug")

    with pytest.raises(AttributeError):
        Buggy(load_rules_or_raise(rules_dir())).plan(book(invoice("F1")), date(2026, 3, 9))


def test_invoices_the_data_set_aside_are_listed_as_skipped_with_their_reason(planner):
    aside = Unusable.field("F0", "C1", "due_date", "date hors des bornes admises")
    data = Book(book(invoice("F1")).customers, (invoice("F1"),), (aside,))
    plan = planner().plan(data, date(2026, 3, 9))
    assert steps(plan) == {"F1": "relance_1"}
    assert reasons(plan) == {"F0": "invalid data: due_date"}
    assert plan.unusable == (aside,)


def test_a_simulation_lists_each_invoice_set_aside_once_and_plans_the_others(planner):
    poisoned = invoice("F2", due=date(9999, 12, 31), issue=DUE, history=[sent("preventif", date(2026, 2, 27))])
    aside = Unusable.field("F0", "C1", "amount", "montant hors des bornes admises")
    data = Book(book(invoice("F1"), poisoned).customers, (invoice("F1"), poisoned), (aside,))
    run = planner().simulate_run(data, date(2026, 3, 1), date(2026, 4, 30))
    assert [(d.action.invoice, d.action.step) for d in run.actions] == [
        ("F1", "preventif"), ("F1", "relance_1"), ("F1", "appel"), ("F1", "mise_en_demeure")]
    assert [(u.invoice, u.reason) for u in run.unusable] == [("F0", "invalid data: amount"),
                                                             ("F2", "invalid data: due_date")]


def test_the_segment_an_invoice_follows_is_the_one_its_plan_names(planner):
    # Given the first-match segments, a tagged customer, an untagged one and a consumer no segment takes
    p = planner(with_segments("""\
segments:
  - name: grands_comptes
    when: {customer.tags: {contains: grand_compte}}
    scenario: special
  - name: professionnels
    when: {customer.kind: business}
    scenario: standard
"""))
    data = book(invoice("F1", customer_id="C1"), invoice("F2", customer_id="C2"), invoice("F3", customer_id="C3"),
                customers=(customer("C1", tags=("grand_compte",)), customer("C2"), customer("C3", kind="consumer")))
    on = date(2026, 3, 9)
    # When asked for one invoice's segment (as `relance render` does) and when planning the whole book
    chosen = {inv.id: getattr(p.segment_of(data, inv, on), "name", None) for inv in data.invoices}
    plan = p.plan(data, on)
    # Then both answers agree
    assert chosen == {"F1": "grands_comptes", "F2": "professionnels", "F3": None}
    assert {a.invoice: a.segment for a in plan.actions} == {"F1": "grands_comptes", "F2": "professionnels"}
    assert reasons(plan) == {"F3": "no segment"}
