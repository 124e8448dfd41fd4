"""The planner numbers each run's customers (slots, in the order of their ids) instead of looking each invoice's
customer up by id: what a reader of a plan sees must not depend on it — messages by customer id whatever order
the book lists its customers and invoices in, each customer's invoices in one message per channel and tone,
an invoice whose customer the book lacks set aside without shifting anyone else's, customer figures over all
of a customer's open invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pytest

from relance.domain.model import Book, Customer, Invoice
from relance.domain.planner import Planner, customer_stats
from relance.rules.loader import load_rules_or_raise

from ..conftest import MINIMAL_RULES

DUE = date(2026, 3, 2)  # Mon; relance_1 (J+5) falls on Mon 9 Mar
RUN = date(2026, 3, 9)


def invoice(number: int, customer: str, amount: str = "100.00", **kw) -> Invoice:
    return Invoice(id=f"F{number:03d}", customer_id=customer, issue_date=DUE - timedelta(days=30), due_date=DUE,
                   amount=Decimal(amount), amount_due=Decimal(amount), **kw)


@pytest.fixture
def planner(rules_dir):
    return Planner(load_rules_or_raise(rules_dir(MINIMAL_RULES)))


def test_messages_follow_customer_ids_not_the_order_the_book_lists_customers_or_invoices_in(planner):
    names = ["C9", "C10", "C1", "B7"]  # inserted out of order; "C10" < "C9" as text
    customers = {c: Customer(id=c, name=f"Client {c}", kind="business") for c in names}
    invoices = (invoice(5, "C9"), invoice(1, "C10"), invoice(4, "B7"), invoice(2, "C9"), invoice(3, "C1"),
                invoice(6, "C10"))
    plan = planner.plan(Book(MappingProxyType(customers), invoices), RUN)
    assert [(m.customer, m.invoices) for m in plan.messages] == [
        ("B7", ("F004",)), ("C1", ("F003",)), ("C10", ("F001", "F006")), ("C9", ("F002", "F005"))]
    assert [a.invoice for a in plan.actions] == ["F001", "F002", "F003", "F004", "F005", "F006"]


def test_an_invoice_of_a_customer_the_book_lacks_is_set_aside_and_the_others_keep_their_messages(planner):
    customers = {c: Customer(id=c, name=f"Client {c}", kind="business") for c in ("C1", "C2")}
    invoices = (invoice(1, "C1"), invoice(2, "C404"), invoice(3, "C2"), invoice(4, "C404", status="paid"))
    plan = planner.plan(Book(MappingProxyType(customers), invoices), RUN)
    assert [(m.customer, m.invoices) for m in plan.messages] == [("C1", ("F001",)), ("C2", ("F003",))]
    assert [s.invoice for s in plan.skipped] == ["F002"]  # the paid one is simply done with


def test_customer_figures_count_each_customers_open_invoices_only():
    customers = {c: Customer(id=c, name=c, kind="business") for c in ("C1", "C2", "C3")}
    invoices = (invoice(1, "C1", "100.00"), invoice(2, "C2", "40.50"), invoice(3, "C1", "20.25"),
                invoice(4, "C1", "999.00", status="paid"), invoice(5, "C3", "10.00", status="cancelled"),
                Invoice(id="F006", customer_id="C2", issue_date=RUN, due_date=RUN + timedelta(days=30),
                        amount=Decimal("7.00"), amount_due=Decimal("7.00")))
    stats = customer_stats(Book(MappingProxyType(customers), invoices), RUN)
    assert (stats["C1"].open_balance, stats["C1"].overdue_invoices) == (Decimal("120.25"), 2)
    assert (stats["C2"].open_balance, stats["C2"].overdue_invoices) == (Decimal("47.50"), 1)
    assert stats.get("C3") is None or (stats["C3"].open_balance, stats["C3"].overdue_invoices) == (0, 0)
