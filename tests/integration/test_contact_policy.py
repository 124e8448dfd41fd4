"""The contact policy (SPEC §2.8) through the real evaluator and channel functions, with the sample rules:
one message a day per customer, 3 in 7 days (consumers: 2 in 14 days), a tone floor over 30 days.

Business customers follow ``standard``: relance_1 J+5 (email, courtois) · relance_2 J+15 (phone, factuel) ·
relance_3 J+22 (email, ferme) · mise_en_demeure J+30 (registered_letter, formel). Consumers follow
``particuliers``: relance_1 J+7 (email, courtois) · relance_2 J+15 (email, factuel) · …
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from relance.local.runner import scheduled_event

from .conftest import book, business, invoice, queued


def run_day(functions, day: date) -> None:
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")


def actions(messages: list[dict]) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    return [(m["customer"], m["channel"], m["tone"], sorted((a["invoice"], a["step"]) for a in m["actions"]))
            for m in messages]


def test_a_formal_notice_and_a_first_reminder_of_one_day_go_as_one_registered_letter(functions, stack, store):
    # F1 due Fri 2 Oct: its formal notice J+30 = Sun 1 Nov → Mon 2 Nov; relance_3 (ferme) went on 26 Oct.
    # F2 due Wed 28 Oct: relance_1 J+5 = Mon 2 Nov. Floor: ferme; one message allowed: the registered letter.
    history = [{"step": "relance_1", "date": "2026-10-07", "channel": "email"},
               {"step": "relance_2", "date": "2026-10-19", "channel": "phone"},
               {"step": "relance_3", "date": "2026-10-26", "channel": "email"}]
    store.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                    [invoice("F1", due="2026-10-02", history=history), invoice("F2", due="2026-10-28")]))
    run_day(functions, date(2026, 11, 2))
    assert queued(stack, "EmailQueue") == []
    letters = queued(stack, "RegisteredLetterQueue")
    assert actions(letters) == [("C1", "registered_letter", "formel",
                                 [("F1", "mise_en_demeure"), ("F2", "relance_1")])]
    recorded, _ = store.invoice("F2")
    assert (recorded.history[-1].step, recorded.history[-1].channel, recorded.history[-1].tone) == (
        "relance_1", "registered_letter", "formel")

    # What the letter function receives is that one message: one registered letter naming both invoices.
    stack.client("sqs").send_message(QueueUrl=stack.physical["RegisteredLetterQueue"],
                                     MessageBody=json.dumps(letters[0]))
    functions.drain("RegisteredLetterQueue", "LetterFunction", RELANCE_TODAY="2026-11-02")
    sent = [e for i in ("F1", "F2") for e in store.history(i) if e["kind"] == "sent"]
    assert len(sent) == 2 and {e["channel"] for e in sent} == {"registered_letter"}
    pdf = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key=sent[0]["document"])
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf["Body"].read())).pages)
    assert "F1" in text and "F2" in text


def test_the_window_counts_the_messages_of_a_settled_invoice_and_a_deferred_step_comes_back(
        functions, stack, store):
    # A consumer, window 14 days / 2 messages. G1 due Mon 26 Oct, G2 Wed 28 Oct, G3 Fri 30 Oct: relance_1 J+7 on
    # Mon 2, Wed 4 and Fri 6 Nov. G1 is paid on 3 Nov: the daily query no longer reads it.
    # 6 Nov: [23 Oct, 5 Nov] holds 2 and 4 Nov (G1's only in the contact log): G3 waits, nothing recorded.
    # 17 Nov: [3 Nov, 16 Nov] holds 4 Nov: one message, G2's relance_2 (J+15 = 12 Nov, factuel) with G3's relance_1.
    store.seed(book([{"id": "P1", "name": "Mme Particulière", "kind": "consumer", "email": "p1@exemple.fr",
                      "address": {"line1": "2 rue Neuve", "postal_code": "69001", "city": "Lyon"}}],
                    [invoice("G1", "P1", due="2026-10-26"), invoice("G2", "P1", due="2026-10-28"),
                     invoice("G3", "P1", due="2026-10-30")]))
    run_day(functions, date(2026, 11, 2))
    assert actions(queued(stack, "EmailQueue")) == [("P1", "email", "courtois", [("G1", "relance_1")])]
    store.apply_payment(provider="generic", event_id="evt-g1", invoice_id="G1", amount=Decimal("1200.00"),
                        currency="EUR", on=date(2026, 11, 3))
    run_day(functions, date(2026, 11, 4))
    assert actions(queued(stack, "EmailQueue")) == [("P1", "email", "courtois", [("G2", "relance_1")])]
    run_day(functions, date(2026, 11, 6))
    assert queued(stack, "EmailQueue") == []
    assert [e["kind"] for e in store.history("G3")] == []
    run_day(functions, date(2026, 11, 17))
    assert actions(queued(stack, "EmailQueue")) == [
        ("P1", "email", "factuel", [("G2", "relance_2"), ("G3", "relance_1")])]
