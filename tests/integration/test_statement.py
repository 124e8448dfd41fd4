"""The statement of account (issue 14, item 3) through the real evaluator, e-mail and letter functions on moto:
every message lists the customer's other open invoices, apart from the sums it demands, and an invoice paid
between the run and the sending is not among them.

Business customers follow the sample rules' ``standard`` scenario: relance_1 J+5 (email, courtois) ·
relance_2 J+15 (phone, factuel) · relance_3 J+22 (email, ferme) · mise_en_demeure J+30 (registered_letter,
formel); one message a day per customer.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import BytesIO

from moto.ses.models import ses_backends
from pypdf import PdfReader

from relance.domain.claim import formal_notice
from relance.local.runner import scheduled_event

from .conftest import book, business, invoice, queued
from .test_channels import sent_emails

DAY = date(2026, 11, 2)
ADDRESS = {"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def evaluate(functions, stack, queue: str) -> list[dict]:
    functions.invoke("EvaluatorFunction", scheduled_event(DAY.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")
    return queued(stack, queue)


def deliver(functions, stack, queue: str, function: str, bodies: list[dict]) -> None:
    for body in bodies:
        stack.client("sqs").send_message(QueueUrl=stack.physical[queue], MessageBody=json.dumps(body))
    functions.drain(queue, function, RELANCE_TODAY=DAY.isoformat())


def test_the_email_lists_the_other_open_invoices_and_not_one_paid_since_the_run(functions, stack, store):
    ses_backends["123456789012"][stack.region].sent_messages.clear()
    # E1 due Tue 27 Oct: relance_1 J+5 on Mon 2 Nov. E2 overdue since 30 Oct, not due for a step today (relance_1
    # J+5 = 4 Nov); E3 due 20 Nov; E4 overdue, paid after the evaluator ran; E5 paid long ago; E6 disputed.
    store.seed(book([business("C1", address=ADDRESS)],
                    [invoice("E1", due="2026-10-28", amount="1000.00"),
                     invoice("E2", due="2026-10-30", amount="250.00"),
                     invoice("E3", due="2026-11-20", amount="80.50"),
                     invoice("E4", due="2026-10-31", amount="999.00"),
                     invoice("E5", due="2026-10-01", amount="777.00", status="paid", amount_due="0",
                             paid_on="2026-10-05"),
                     invoice("E6", due="2026-10-29", amount="555.00", status="disputed")]))
    (message,) = evaluate(functions, stack, "EmailQueue")
    assert [a["invoice"] for a in message["actions"]] == ["E1"]
    assert message["statement"] == ["E2", "E4", "E3"]  # the most overdue first; E1 is the message's own
    store.apply_payment(provider="generic", event_id="evt-e4", invoice_id="E4", amount=Decimal("999.00"),
                        currency="EUR", on=DAY)
    deliver(functions, stack, "EmailQueue", "EmailFunction", [message])
    (mail,) = sent_emails(stack)
    text = flat(mail.get_body(("plain",)).get_content())
    demanded, _, listed = text.partition("Pour information, vos autres factures ouvertes")
    assert listed, text
    assert "E1" in demanded and "Montant total : 1 000,00 €" in demanded
    assert "Facture n° E2" in listed and "(3 jours de retard) : 250,00 €" in listed
    assert "Facture n° E3" in listed and "échéance le 20/11/2026 : 80,50 €" in listed
    assert "Total de ces autres factures : 330,50 €" in listed
    for absent in ("E4", "E5", "E6"):  # paid since the run, paid, disputed
        assert absent not in text


def test_a_registered_letter_names_what_it_puts_en_demeure_apart_from_what_it_lists(functions, stack, store):
    # F1 due Fri 2 Oct: its formal notice J+30 → Mon 2 Nov (ferme sent 26 Oct). F2 due Wed 28 Oct: relance_1 J+5
    # = Mon 2 Nov joins the registered letter. F3 is due on 30 Nov: listed for information only.
    history = [{"step": "relance_1", "date": "2026-10-07", "channel": "email"},
               {"step": "relance_2", "date": "2026-10-19", "channel": "phone"},
               {"step": "relance_3", "date": "2026-10-26", "channel": "email"}]
    store.seed(book([business("C1", address=ADDRESS)],
                    [invoice("F1", due="2026-10-02", amount="1500.00", history=history,
                             # The sample rules ask approval for the formal notice: given already.
                             approval={"step": "mise_en_demeure", "state": "approved", "requested_on": "2026-10-30",
                                       "decided_on": "2026-10-30", "by": "julie@atelier.example"}),
                     invoice("F2", due="2026-10-28", amount="400.00"),
                     invoice("F3", due="2026-11-30", amount="120.00")]))
    (letter,) = evaluate(functions, stack, "RegisteredLetterQueue")
    assert sorted(a["invoice"] for a in letter["actions"]) == ["F1", "F2"] and letter["statement"] == ["F3"]
    deliver(functions, stack, "RegisteredLetterQueue", "LetterFunction", [letter])
    sent = next(e for e in store.history("F2") if e["kind"] == "sent")
    pdf = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key=sent["document"])
    text = flat(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf["Body"].read())).pages))
    assert "les factures n° F1, F2" in text and "mettons en demeure de nous payer la somme de 1 900,00 €" in text
    assert "Cette mise en demeure ne porte que sur les factures n° F1, F2" in text
    demanded, _, listed = text.partition("Pour information, vos autres factures ouvertes")
    assert "F3" not in demanded.split("Cette mise en demeure ne porte")[0]
    assert "Facture n° F3" in listed and "120,00 €" in listed
    # F2 joined the letter: its history says registered letter, and so the claim sees its formal notice.
    recorded, _ = store.invoice("F2")
    notice = formal_notice(recorded, DAY)
    assert notice is not None and (notice.channel, notice.tone) == ("registered_letter", "formel")
