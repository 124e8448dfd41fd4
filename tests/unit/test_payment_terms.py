"""Payment terms beyond the legal maximum between professionals (Code de commerce L441-10 I; issue 15 item 5):
60 days after the issue date, or 45 days end of month. Flagged (a warning) in `plan` and at import, for business
debtors only; dunning goes on as usual."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from relance.cli import main
from relance.domain.legal import latest_legal_due_date, payment_terms_problem
from relance.domain.model import Customer, Invoice

from ..conftest import SAMPLE_RULES


def customer(kind: str = "business") -> Customer:
    return Customer(id="C1", name="Client", kind=kind)  # type: ignore[arg-type]


def invoice(issued: date, due: date) -> Invoice:
    return Invoice(id="F1", customer_id="C1", issue_date=issued, due_date=due, amount=Decimal("100"),
                   amount_due=Decimal("100"))


@pytest.mark.parametrize(("issued", "latest"), [
    (date(2026, 1, 10), date(2026, 3, 17)),   # end of January, then 45 days
    (date(2026, 3, 2), date(2026, 5, 15)),    # end of March, then 45 days
    (date(2026, 1, 31), date(2026, 4, 1)),    # 60 days (2026-04-01) beats 45 days then end of month (2026-03-31)
    (date(2028, 2, 29), date(2028, 4, 30)),   # leap day: 45 days is 14 April, end of month 30 April
])
def test_the_latest_legal_due_date(issued, latest):
    assert latest_legal_due_date(issued) == latest


def test_terms_within_the_ceiling_say_nothing():
    assert payment_terms_problem(invoice(date(2026, 3, 2), date(2026, 5, 15)), customer()) is None


def test_terms_beyond_the_ceiling_are_named_with_their_figures():
    problem = payment_terms_problem(invoice(date(2026, 3, 2), date(2026, 5, 16)), customer())
    assert problem is not None
    assert "délai de paiement de 75 jours" in problem and "15/05/2026 au plus tard" in problem
    assert "L441-10" in problem


def test_a_consumer_has_no_such_ceiling_here():
    assert payment_terms_problem(invoice(date(2026, 1, 1), date(2026, 6, 1)), customer("consumer")) is None


def test_plan_warns_on_a_business_invoice_with_terms_too_long(tmp_path, capsys):
    data = tmp_path / "data.json"
    data.write_text(json.dumps({
        "customers": [{"id": "C1", "name": "Pro", "kind": "business", "email": "a@b.example"},
                      {"id": "C2", "name": "Camille", "kind": "consumer", "email": "c@d.example"}],
        "invoices": [
            {"id": "F-LONG", "customer_id": "C1", "issue_date": "2026-07-01", "due_date": "2026-10-15",
             "amount": "500.00"},
            {"id": "F-OK", "customer_id": "C1", "issue_date": "2026-09-01", "due_date": "2026-10-15",
             "amount": "500.00"},
            {"id": "F-PART", "customer_id": "C2", "issue_date": "2026-07-01", "due_date": "2026-10-15",
             "amount": "500.00"}]}), encoding="utf-8")

    assert main(["plan", "--rules", str(SAMPLE_RULES), "--data", str(data), "--on", "2026-11-02"]) == 0
    err = capsys.readouterr().err
    assert "F-LONG" in err and "délai de paiement de 106 jours" in err
    assert "F-OK" not in err and "F-PART" not in err

    assert main(["plan", "--rules", str(SAMPLE_RULES), "--data", str(data), "--on", "2026-11-02",
                 "--format", "json"]) == 0
    out, err = capsys.readouterr()  # SPEC §4’s keys, below
    assert "F-LONG" in err and set(json.loads(out)) == {"date", "actions", "messages", "skipped", "deferred"}
