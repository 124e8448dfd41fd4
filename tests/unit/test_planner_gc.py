"""A planning run pauses Python's cyclic garbage collector (its tuples make no cycle) and leaves it as the
caller had it — after a run, after a run that failed, and when the caller had paused it already."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pytest

from relance.domain.model import Book, Customer, Invoice
from relance.domain.planner import Planner
from relance.domain.policy import Pause
from relance.rules.loader import load_rules_or_raise

from ..conftest import MINIMAL_RULES

DUE = date(2026, 3, 2)  # Mon; relance_1 (J+5) falls on Mon 9 Mar
RUN = date(2026, 3, 9)


def book() -> Book:
    customer = Customer(id="C1", name="Client C1", kind="business")
    invoice = Invoice(id="F1", customer_id="C1", issue_date=DUE - timedelta(days=30), due_date=DUE,
                      amount=Decimal("100.00"), amount_due=Decimal("100.00"))
    return Book(MappingProxyType({"C1": customer}), (invoice,))


@pytest.fixture
def rules(rules_dir):
    return load_rules_or_raise(rules_dir(MINIMAL_RULES))


@pytest.fixture(autouse=True)
def collector_back_on():
    yield
    gc.enable()


def test_the_collector_is_paused_while_the_run_looks_at_the_invoices_and_back_on_after(rules):
    seen: list[bool] = []

    def looks(_facts) -> bool:
        seen.append(gc.isenabled())
        return False

    planner = Planner(replace(rules, pauses=(Pause("sonde", looks),)))
    plan = planner.plan(book(), RUN)
    assert [a.step for a in plan.actions] == ["relance_1"]
    assert seen == [False]
    assert gc.isenabled()


def test_a_caller_that_paused_the_collector_finds_it_paused_after_the_run(rules):
    gc.disable()
    Planner(rules).plan(book(), RUN)
    assert not gc.isenabled()


def test_a_run_that_fails_still_turns_the_collector_back_on(rules):
    def broken(_facts) -> bool:
        raise RuntimeError("a bug, not the data")

    planner = Planner(replace(rules, pauses=(Pause("cassée", broken),)))
    with pytest.raises(RuntimeError):
        planner.plan(book(), RUN)
    assert gc.isenabled()
