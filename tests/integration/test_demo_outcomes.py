"""What the demo's day table counts (issue 14, item 4): messages as they went out, read back from the history the
real channel functions wrote — a message cancelled because its invoice was paid since the run is not one."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from relance.local.demo import Payer, outcome_of, pay_with_bank_notice, put_demo_secrets
from relance.local.runner import scheduled_event

from .conftest import book, business, invoice, queued

DAY = date(2026, 11, 2)
ADDRESS = {"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}


def test_a_message_sent_is_sent_one_whose_invoice_was_paid_since_the_run_is_cancelled(functions, stack, store):
    store.seed(book([business("C1", address=ADDRESS), business("C2", address=ADDRESS)],
                    [invoice("F1", "C1", due="2026-10-28"), invoice("F2", "C2", due="2026-10-28")]))
    functions.invoke("EvaluatorFunction", scheduled_event(DAY.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")
    messages = sorted(queued(stack, "EmailQueue"), key=lambda m: m["customer"])
    assert [m["customer"] for m in messages] == ["C1", "C2"]
    store.apply_payment(provider="generic", event_id="evt-f2", invoice_id="F2", amount=Decimal("1200.00"),
                        currency="EUR", on=DAY)
    for message in messages:
        stack.client("sqs").send_message(QueueUrl=stack.physical["EmailQueue"], MessageBody=json.dumps(message))
    functions.drain("EmailQueue", "EmailFunction", RELANCE_TODAY=DAY.isoformat())
    assert [outcome_of(store, m, DAY) for m in messages] == ["sent", "cancelled"]


def test_a_demo_debtor_pays_through_the_signed_generic_notice(functions, stack, store):
    put_demo_secrets(stack)
    store.seed(book([business("C1", address=ADDRESS)], [invoice("F1", "C1", due="2026-10-28", amount="640.00")]))
    paid = pay_with_bank_notice(functions, store, "F1", DAY, "Client C1")
    assert (paid["status"], paid["outcome"], paid["amount"]) == (200, "paid", "640.00")
    recorded, _ = store.invoice("F1")
    assert recorded.is_settled_on(DAY)
    # Who pays when: after a message that carries the step, or that goes by the channel.
    message = {"channel": "phone", "actions": [{"invoice": "F1", "step": "appel_charge_compte"}]}
    assert Payer("phone", 4).wakes_on(message) and Payer("appel_charge_compte", 1).wakes_on(message)
    assert not Payer("relance_1", 3).wakes_on(message)
