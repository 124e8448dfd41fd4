"""The dashboard's payment plans (agreed, kept, broken) and what the debtor portal recovered, on a hand-built book
read on D = Tue 30 June 2026.

inv  plan agreed  installments                       payments (source)                         history      → state
P1   04-01        1000 on 04-30, 1000 on 05-31       1000 04-29, 1000 05-30                    —            kept
P2   04-15        600 on 05-15, 600 on 06-15         600 05-14                                 plan_broken  broken
                                                                                              06-26
P3   06-01        500 on 06-30, 500 on 07-31         500 06-29 (portal)                        —            running
P4   07-10 (after D: not counted)                    —                                         —            —
Q1   no plan                                         300 06-10 (portal), 200 03-01 (portal,    —            —
                                                     more than 90 days before D), 100 06-20
Agreed 3 (2 000 + 1 200 + 1 000 = 4 200 €), kept 1, broken 1, running 1, kept share 1/2 = 50 %; through the
portal in the 90 days up to D (2 April – 30 June): 500 + 300 = 800 € in 2 payments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from relance.app.payments import payment_source
from relance.domain.model import Book, Customer, HistoryEntry, Invoice, Payment
from relance.domain.plans import Installment, PaymentPlan
from relance.report.csv import render_csv
from relance.report.html import render_html
from relance.report.kpis import compute_kpis

from .test_report import RULES, assert_html_shows_csv, csv_rows

D = date(2026, 6, 30)


def d(text: str) -> date:
    return date.fromisoformat(f"2026-{text}")


def plan(agreed: str, *installments: tuple[str, str]) -> PaymentPlan:
    return PaymentPlan(d(agreed), tuple(Installment(d(day), Decimal(x)) for day, x in installments))


def invoice(iid: str, amount: str, left: str, *, plan_: PaymentPlan | None = None,
            payments: tuple[Payment, ...] = (), history: tuple[HistoryEntry, ...] = ()) -> Invoice:
    return Invoice(iid, "A", d("03-01"), d("03-31"), Decimal(amount), Decimal(left),
                   status="paid" if left == "0" else "open", payments=payments, history=history,
                   payment_plan=plan_)


def book() -> Book:
    invoices = (
        invoice("P1", "2000", "0", plan_=plan("04-01", ("04-30", "1000"), ("05-31", "1000")),
                payments=(Payment(d("04-29"), Decimal("1000")), Payment(d("05-30"), Decimal("1000")))),
        invoice("P2", "1200", "600", plan_=plan("04-15", ("05-15", "600"), ("06-15", "600")),
                payments=(Payment(d("05-14"), Decimal("600")),),
                history=(HistoryEntry("plan_default_2", d("06-18"), "registered_letter"),
                         HistoryEntry("plan_broken", d("06-26"), "plan"))),
        invoice("P3", "1000", "500", plan_=plan("06-01", ("06-30", "500"), ("07-31", "500")),
                payments=(Payment(d("06-29"), Decimal("500"), "portal"),)),
        invoice("P4", "900", "900", plan_=plan("07-10", ("08-10", "900"))),
        invoice("Q1", "1000", "400", payments=(Payment(d("03-01"), Decimal("200"), "portal"),
                                               Payment(d("06-10"), Decimal("300"), "portal"),
                                               Payment(d("06-20"), Decimal("100")))),
    )
    return Book(MappingProxyType({"A": Customer("A", "Alpha SARL", "business")}), invoices)


@pytest.fixture
def kpis(rules_dir):
    from relance.rules.loader import load_rules_or_raise

    return compute_kpis(book(), load_rules_or_raise(rules_dir(RULES)), D)


def test_plans_agreed_kept_broken_and_running_on_the_date(kpis):
    plans = kpis.plans
    assert (plans.agreed, plans.kept, plans.broken, plans.running) == (3, 1, 1, 1)
    assert plans.agreed_amount == Decimal("4200") and plans.kept_share == Decimal("50.0")


def test_the_amount_recovered_through_the_portal_counts_only_its_payments_in_the_window(kpis):
    assert kpis.plans.portal_recovered == Decimal("800") and kpis.plans.portal_payments == 2


def test_the_csv_and_the_page_show_the_plans_with_the_same_figures_and_french_labels(kpis):
    data = render_csv(kpis)
    rows = {(section, name): (value, unit) for section, name, value, unit in csv_rows(data)[1:]}
    section = "Échéanciers et espace client"
    assert rows[(section, "Échéanciers convenus")] == ("3", "factures")
    assert rows[(section, "Échéanciers respectés")] == ("1", "factures")
    assert rows[(section, "Échéanciers rompus (déchéance du terme)")] == ("1", "factures")
    assert rows[(section, "Recouvré par paiement en ligne depuis l’espace client sur 90 jours")] == ("800,00", "€")
    html = render_html(kpis, company_name="Atelier Bois & Fils", on=D)
    assert "Échéanciers et espace client" in html and "du 2 avril 2026 au 30 juin 2026" in html
    assert_html_shows_csv(html, data)


class _Checkouts:
    def __init__(self, *kept: str) -> None:
        self.kept = set(kept)

    def checkout(self, session_id: str):
        return {"invoice": "F1"} if session_id in self.kept else None


def test_only_a_checkout_session_the_portal_opened_marks_a_payment_as_the_portals():
    store = _Checkouts("cs_test_portal")
    assert payment_source(store, "stripe", "cs_test_portal") == {"source": "portal"}
    assert payment_source(store, "stripe", "cs_test_elsewhere") == {}  # a Checkout the company made itself
    assert payment_source(store, "stripe", "in_1Nv0") == {}  # a Stripe Billing invoice
    assert payment_source(store, "generic", "cs_test_portal") == {}
