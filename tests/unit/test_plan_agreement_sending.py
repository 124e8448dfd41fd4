"""The échéancier goes to the debtor (e-mail, attached), is kept in the documents bucket, and the history says which
— sent, or only kept — never more than was done."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime
from decimal import Decimal
from email import policy

import pytest

from relance.app.plan_agreement import agreement_for, send_agreement
from relance.domain.model import Address, Book, Customer, Invoice
from relance.rules.loader import load_rules
from tests.conftest import SAMPLE_RULES
from tests.support.fake_store import FakeDocuments, FakeSender, FakeStore

AGREED = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
INSTALLMENTS = ((date(2026, 12, 15), Decimal("700.00")), (date(2027, 1, 15), Decimal("700.00")),
                (date(2027, 2, 15), Decimal("600.00")))


@pytest.fixture(scope="module")
def rules():
    return load_rules(SAMPLE_RULES).rules


def customer(**changes) -> Customer:
    base = dict(id="C7", name="Dupont Rénovation", kind="business", email="compta@dupont-renovation.example",
                legal_form="SARL", siren="532117650", account_manager="claire@atelier-bois-fils.example",
                address=Address("45 rue Garibaldi", "", "69003", "Lyon", "FR"))
    return Customer(**(base | changes))


INVOICES = [Invoice("F-2026-0311", "C7", date(2026, 9, 1), date(2026, 10, 1), Decimal("1500.00"), Decimal("1500.00")),
            Invoice("F-2026-0342", "C7", date(2026, 9, 15), date(2026, 10, 15), Decimal("900.00"), Decimal("500.00"))]


def send(rules, who: Customer, sender=None):
    store, documents = FakeStore(), FakeDocuments()
    store.seed(Book({who.id: who}, INVOICES))
    agreement = agreement_for(rules, who, INVOICES, INSTALLMENTS, AGREED, how="portal", link_id="kT3v9QbX2mLp")
    outcome = send_agreement(agreement, customer=who, rules=rules, documents=documents, history=store,
                             sender=sender, on=AGREED, now=lambda: NOW)
    return outcome, store, documents


def test_the_debtor_receives_the_agreement_attached_and_it_is_kept_in_the_documents_bucket(rules):
    sender = FakeSender()
    outcome, _store, documents = send(rules, customer(), sender)

    assert outcome.sent and outcome.document.startswith("plans/C7/echeancier-2026-12-01-")
    kept, content_type = documents.objects[outcome.document]
    assert content_type == "application/pdf" and kept.startswith(b"%PDF")
    (mail,) = sender.sent
    assert mail["to"] == ["compta@dupont-renovation.example"]
    message = email.message_from_bytes(mail["raw"], policy=policy.default)
    assert message["Subject"] == "Échéancier de paiement du 1er décembre 2026"
    (attachment,) = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == "echeancier-2026-12-01.pdf"
    assert attachment.get_payload(decode=True) == kept
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "2\u202f000,00\u202f€ réglés en 3 échéances" in body and "15 décembre 2026" in body


def test_each_invoice_of_the_plan_records_that_the_agreement_was_sent_with_its_document(rules):
    outcome, store, _ = send(rules, customer(), FakeSender())
    for invoice in ("F-2026-0311", "F-2026-0342"):
        (event,) = [e for e in store.history(invoice) if e["kind"].startswith("plan_agreement")]
        assert event["kind"] == "plan_agreement_sent" and event["document"] == outcome.document
        assert event["date"] == "2026-12-01" and event["channel"] == "email" and event["provider_id"] == "fake-1"


def test_without_an_e_mail_address_the_agreement_is_kept_and_never_told_as_sent(rules):
    outcome, store, documents = send(rules, customer(email=""), FakeSender())
    assert not outcome.sent and outcome.document in documents.objects
    kinds = {e["kind"] for e in store.history("F-2026-0311")}
    assert "plan_agreement_kept" in kinds and "plan_agreement_sent" not in kinds


def test_an_english_speaking_debtor_gets_the_e_mail_and_the_agreement_in_english(rules):
    sender = FakeSender()
    send(rules, customer(language="en"), sender)
    message = email.message_from_bytes(sender.sent[0]["raw"], policy=policy.default)
    assert message["Subject"] == "Payment plan agreed on 1 December 2026"
    assert [p.get_filename() for p in message.walk() if p.get_filename()] == ["payment-plan-2026-12-01.pdf"]
    assert "€2,000.00 paid in 3 instalments" in next(
        p for p in message.walk() if p.get_content_type() == "text/plain").get_content()


def test_a_plan_agreed_by_staff_through_agree_plan_is_written_naming_who_agreed_it_and_sent(rules):
    from relance.app.plan_agreement import staff_agreement
    from relance.app.plans import agree_plan
    from relance.domain.plans import Installment, PaymentPlan

    who, store, documents, sender = customer(), FakeStore(), FakeDocuments(), FakeSender()
    store.seed(Book({who.id: who}, INVOICES))
    hook = staff_agreement(rules=rules, customer_of=store.customer, documents=documents, history=store,
                           sender=sender, today=lambda: AGREED, now=lambda: NOW, agreed_by="Claire Martin")
    plan = PaymentPlan(AGREED, (Installment(date(2026, 12, 20), Decimal("750.00")),
                                Installment(date(2027, 1, 20), Decimal("750.00"))))

    agree_plan(store, "F-2026-0311", plan, "staff", NOW, hook, who="claire")

    (key,) = documents.objects
    import io

    from pypdf import PdfReader
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(documents.get(key))).pages)
    assert "entre le débiteur et Claire Martin, pour le créancier" in text and "espace client" not in text
    assert sender.sent and [e["kind"] for e in store.history("F-2026-0311")][-2:] == [
        "plan_agreed", "plan_agreement_sent"]
