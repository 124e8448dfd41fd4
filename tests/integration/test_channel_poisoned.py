"""A channel function whose message names an invoice poisoned after planning (issue 12 item 3): the item now
holds a due date of 31/12/9999, an amount of 1e999999 or a value that cannot be read. The same message would
fail the same way on every attempt, so it must not be retried into the DLQ: the problem is recorded on the
invoice's history (``action_failed``, reason ``invalid data: <field>``) and the message is dropped for good;
the other invoices of the message still go out."""

from __future__ import annotations

import pytest

from .conftest import book, business, invoice, queued
from .test_channels import DAY, enqueue, history_kinds, message, sent_emails

POISONS = {"due_date": {"S": "9999-12-31"}, "amount": {"S": "1e999999"}, "amount_due": {"S": "beaucoup"},
           "issue_date": {"S": "pas une date"}}
QUEUES = {"email": ("EmailQueue", "EmailFunction", "EmailDLQ"),
          "letter": ("LetterQueue", "LetterFunction", "LetterDLQ"),
          "phone": ("PhoneQueue", "PhoneFunction", "PhoneDLQ")}


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    from moto.ses.models import ses_backends

    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                    [invoice("F1", "C1"), invoice("FBAD", "C1")]))
    return store


def poison(store, field: str, value: dict) -> None:
    store.client.update_item(TableName=store.table, Key={"pk": {"S": "INV#FBAD"}, "sk": {"S": "STATE"}},
                             UpdateExpression="SET #f = :v", ExpressionAttributeNames={"#f": field},
                             ExpressionAttributeValues={":v": value})


@pytest.mark.parametrize("field", sorted(POISONS))
def test_a_poisoned_invoice_is_recorded_as_failed_and_never_retried(stack, functions, seeded, field):
    poison(seeded, field, POISONS[field])
    enqueue(stack, "EmailQueue", message("FBAD"))

    for _ in range(6):  # as many deliveries as the queue would make before its DLQ
        functions.drain("EmailQueue", "EmailFunction", max_rounds=1, **DAY)

    assert queued(stack, "EmailDLQ") == [] and queued(stack, "EmailQueue") == []
    (failed,) = [e for e in seeded.history("FBAD") if e["kind"] == "action_failed"]
    assert failed["reason"].startswith(f"invalid data: {field}")
    assert sent_emails(stack) == []


@pytest.mark.parametrize("channel", sorted(QUEUES))
def test_the_sound_invoices_of_the_message_still_go_out(stack, functions, seeded, channel):
    queue, function, dlq = QUEUES[channel]
    poison(seeded, "due_date", POISONS["due_date"])
    tone, step = {"email": ("courtois", "relance_1"), "letter": ("ferme", "relance_3"),
                  "phone": ("factuel", "relance_2")}[channel]
    enqueue(stack, queue, message("F1", "FBAD", channel=channel, tone=tone, step=step))

    for _ in range(6):
        functions.drain(queue, function, max_rounds=1, **DAY)

    assert queued(stack, dlq) == []
    assert "action_failed" in history_kinds(seeded, "FBAD")
    assert history_kinds(seeded, "F1") == [{"phone": "call_task"}.get(channel, "sent")]


def test_a_litigation_case_whose_item_cannot_be_read_is_refused_not_retried(stack, functions, store):
    from .test_litigation import TODAY, litigation_message
    from .test_litigation import seed as seed_case

    seed_case(store)
    store.client.update_item(TableName=store.table, Key={"pk": {"S": "INV#F1"}, "sk": {"S": "STATE"}},
                             UpdateExpression="SET amount_due = :v",
                             ExpressionAttributeValues={":v": {"S": "beaucoup"}})
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F1").body())
    for _ in range(6):
        functions.drain("LitigationQueue", "LitigationFunction", max_rounds=1, **TODAY)

    assert queued(stack, "LitigationDLQ") == []
    (refused,) = [e for e in store.history("F1") if e["kind"] == "litigation_refused"]
    assert refused["reason"] == "invalid data: amount_due"
