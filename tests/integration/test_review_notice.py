"""The company is told of the payments kept for review (issue 12 item 2: « with a metric and a message to the
company »): another currency than the invoice's, or no invoice matching. The daily digest run e-mails the
company contact those kept since its last notice, in French, with what to do — once, whatever the retries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from .conftest import book, business, invoice
from .test_channels import sent_emails

COMPANY = "compta@atelier-bois-fils.example"  # the sample rules' company contact


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    from moto.ses.models import ses_backends

    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1")], [invoice("F1", amount="1200.00")]))
    return store


def digest(functions, day: str) -> dict:
    return functions.invoke("DigestFunction", {"run_date": day}, RELANCE_TODAY=day)


def notices(stack) -> list:
    return [m for m in sent_emails(stack) if m["To"] == COMPANY]


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\u202f", " ")


def test_the_company_is_told_of_a_payment_in_another_currency_and_of_an_unmatched_one(stack, functions, seeded):
    assert seeded.apply_payment(provider="stripe", event_id="evt_yen", invoice_id="F1", amount=Decimal("1200"),
                                currency="JPY", on=date(2026, 11, 16)) == "review"
    assert seeded.apply_payment(provider="generic", event_id="bank-77", invoice_id="FACT 2026/412",
                                amount=Decimal("845.50"), currency="EUR", on=date(2026, 11, 16)) == "unmatched"

    answer = digest(functions, "2026-11-17")

    assert answer["review_notice"] is True
    (mail,) = notices(stack)
    assert "2 paiements à vérifier" in mail["Subject"]
    text = text_of(mail)
    assert "Paiement de 1 200 JPY du 16/11/2026, reçu par Stripe" in text
    assert "Référence donnée par le payeur : « F1 »" in text
    assert "la devise n’est pas celle de la facture (EUR)" in text and "evt_yen" in text
    assert "Paiement de 845,50 EUR" in text and "« FACT 2026/412 »" in text
    assert "aucune facture ne porte cette référence" in text
    assert "relance invoice paid" in text and "relance invoice review" in text
    still, _ = seeded.invoice("F1")
    assert still.status == "open" and still.amount_due == Decimal("1200.00")  # the notice changes nothing


def test_a_rerun_sends_nothing_more_and_the_next_notice_lists_only_what_came_since(stack, functions, seeded):
    seeded.apply_payment(provider="stripe", event_id="evt_usd", invoice_id="F1", amount=Decimal("1200.00"),
                         currency="USD", on=date(2026, 11, 16))
    digest(functions, "2026-11-17")
    digest(functions, "2026-11-17")  # the schedule fired twice
    assert digest(functions, "2026-11-18")["review_notice"] is False  # nothing new: no e-mail
    assert len(notices(stack)) == 1

    seeded.apply_payment(provider="stripe", event_id="evt_huf", invoice_id="F1", amount=Decimal("1200.00"),
                         currency="HUF", on=date(2026, 11, 18))
    digest(functions, "2026-11-19")

    first, second = notices(stack)
    assert "evt_usd" in text_of(first) and "evt_huf" not in text_of(first)
    assert "evt_huf" in text_of(second) and "evt_usd" not in text_of(second)
    assert "1 paiement à vérifier" in second["Subject"]


def test_nothing_kept_for_review_sends_the_company_nothing(stack, functions, seeded):
    assert digest(functions, "2026-11-17")["review_notice"] is False
    assert notices(stack) == []
