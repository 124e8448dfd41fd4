"""The contact policy's promises (SPEC §2.8), checked by hypothesis over random books, limits and months.

Whatever the invoices, a simulation never gives a customer more messages on a day than its day cap, nor more
in a window than the window's cap; an overdue invoice's message never sounds milder than the customer's floor;
and an action held back is never lost: it happens later, or its invoice is settled.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.domain.contact import ContactLimits
from relance.domain.model import Book, Customer, Invoice
from relance.domain.planner import Planner, Simulation
from relance.rules.loader import load_rules_or_raise

from ..conftest import MINIMAL_RULES

TONES = ("courtois", "factuel", "ferme", "formel")
START, END = date(2026, 3, 1), date(2026, 6, 30)
SETTLE_MARGIN = timedelta(days=40)  # a deferral later than END − this may still be waiting when the run ends
RULES = MINIMAL_RULES + "      - {id: injonction, at: J+45, channel: litigation, tone: formel}\n"


@st.composite
def limits(draw) -> ContactLimits:
    per_day = draw(st.integers(1, 3))
    window = draw(st.integers(1, 10))
    return ContactLimits(per_day, window, draw(st.integers(per_day, per_day * window)), draw(st.integers(0, 40)))


@cache
def planner(business: ContactLimits, consumer: ContactLimits) -> Planner:
    def block(values: ContactLimits, indent: str) -> str:
        return "".join(f"{indent}{key}: {getattr(values, key)}\n" for key in
                       ("max_messages_per_day", "window_days", "max_messages_in_window", "tone_floor_days"))

    text = RULES + "contact:\n" + block(business, "  ") + "  consumer:\n" + block(consumer, "    ")
    root = Path(tempfile.mkdtemp(prefix="contact-rules-"))
    (root / "rules.yaml").write_text(text, encoding="utf-8")
    return Planner(load_rules_or_raise(root))


@st.composite
def books(draw) -> Book:
    customers = {f"C{n}": Customer(id=f"C{n}", name=f"Client {n}", kind=draw(st.sampled_from(["business", "consumer"])))
                 for n in range(draw(st.integers(1, 3)))}
    invoices = []
    for n in range(draw(st.integers(1, 10))):
        due = START + timedelta(days=draw(st.integers(-40, 80)))
        paid = draw(st.one_of(st.none(), st.integers(0, 120)))
        status = draw(st.sampled_from(["open"] * 8 + ["litigation"]))
        invoices.append(Invoice(id=f"F{n:02d}", customer_id=draw(st.sampled_from(sorted(customers))),
                                issue_date=due - timedelta(days=30), due_date=due, amount=Decimal("500"),
                                amount_due=Decimal("500"), status=status,
                                paid_on=None if paid is None else START + timedelta(days=paid)))
    return Book(MappingProxyType(customers), tuple(invoices))


def simulate(business: ContactLimits, consumer: ContactLimits, book: Book) -> Simulation:
    return planner(business, consumer).simulate_run(book, START, END)


def days_of(run: Simulation) -> dict[str, list[tuple[date, str | None]]]:
    """Each customer's messages, (day, tone), in order."""
    out: dict[str, list[tuple[date, str | None]]] = {}
    for said in run.messages:
        out.setdefault(said.message.customer, []).append((said.date, said.message.tone))
    return out


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(limits(), limits(), books())
def test_no_customer_gets_more_messages_a_day_or_a_window_than_its_caps(business, consumer, book):
    run = simulate(business, consumer, book)
    for customer_id, said in days_of(run).items():
        cap = consumer if book.customers[customer_id].kind == "consumer" else business
        for day, _ in said:
            assert sum(1 for d, _ in said if d == day) <= cap.max_messages_per_day
            window = [d for d, _ in said if day - timedelta(days=cap.window_days) <= d <= day]
            assert len(window) <= cap.max_messages_in_window, (customer_id, day, window)


@SETTINGS
@given(limits(), limits(), books())
def test_no_overdue_message_is_milder_than_the_customers_floor(business, consumer, book):
    run = simulate(business, consumer, book)
    said = days_of(run)
    due = {i.id: i.due_date for i in book.invoices}
    in_litigation = {i.customer_id for i in book.invoices if i.status == "litigation"}
    for dated in run.actions:
        action, day = dated.action, dated.date
        if action.channel == "litigation" or day <= due[action.invoice]:
            continue
        cap = consumer if book.customers[action.customer].kind == "consumer" else business
        earlier = [TONES.index(t) for d, t in said[action.customer]
                   if day - timedelta(days=cap.tone_floor_days) <= d < day and t in TONES]
        floor = len(TONES) - 2 if action.customer in in_litigation else min(max(earlier, default=0), len(TONES) - 2)
        assert TONES.index(action.tone) >= floor, (action, day)


@SETTINGS
@given(limits(), limits(), books())
def test_every_deferred_action_happens_later_or_its_invoice_is_settled(business, consumer, book):
    run = simulate(business, consumer, book)
    settled = {i.id for i in book.invoices if i.paid_on is not None and i.paid_on <= END}
    acted = {(d.action.invoice, d.date) for d in run.actions}
    for day, deferred in run.deferred:
        if day > END - SETTLE_MARGIN or deferred.invoice in settled:
            continue
        assert any(invoice == deferred.invoice and later > day for invoice, later in acted), (day, deferred)
