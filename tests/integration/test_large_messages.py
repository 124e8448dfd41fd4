"""Messages too large for one SQS batch, or for one SQS message: every customer's reminder still goes out.

A customer with thousands of open invoices makes one message (one e-mail) listing them all: over SQS's
limits, it used to fail the whole outbox flush, and the other customers of its shard were never reminded.
"""

from __future__ import annotations

from datetime import date

from moto.ses.models import ses_backends

from relance.adapters.dynamo import outbox_key
from relance.domain.sharding import shard_of
from relance.local.runner import scheduled_event
from relance.ports import ActionRecord

from .conftest import SHARDS, book, business, invoice, queued

RUN = date(2026, 11, 2)
DAY = {"RELANCE_TODAY": RUN.isoformat()}
# Long references (an export that puts the customer's order references in the invoice id): 1 200 of them make an
# action list of several hundred KB, over the 128 KiB past which a message goes by reference — as thousands of
# ordinary ones do. (Longer still, the e-mail itself would pass the rendering budget of 1 000 000 characters and
# fail for good with its reason: a budget, not a queue, limit.)
MANY = 1200
LONG = "FAC-2026-" + "-".join(f"COMMANDE-{n:04d}" for n in range(8))


def neighbour_of(customer: str) -> str:
    """Another customer in the same shard: its message is queued by the same outbox flush."""
    return next(f"C{n}" for n in range(2, 500) if shard_of(f"C{n}", SHARDS) == shard_of(customer, SHARDS))


def big_invoice(n: int) -> str:
    return f"{LONG}-{n:05d}"


def seed_recorded_not_queued(store, customer: dict) -> None:
    """A customer whose first reminder of every invoice was recorded by an earlier run and is still waiting in
    the outbox — as a run that could not queue it left it. (Written with batch requests: recording thousands of
    DynamoDB transactions one by one is what moto makes slow, not what this test is about.)"""
    shard = shard_of(customer["id"], SHARDS)
    store.seed(book([customer], [invoice(big_invoice(n), customer["id"], history=[
        {"step": "relance_1", "date": RUN.isoformat(), "channel": "email"}]) for n in range(MANY)]))
    actions = [ActionRecord(big_invoice(n), customer["id"], "standard", "standard", "relance_1", "email",
                            "courtois", run_date=RUN, shard=shard) for n in range(MANY)]
    requests = [{"PutRequest": {"Item": {
        "pk": {"S": f"OUTBOX#{shard}"}, "sk": {"S": outbox_key(a)}, "type": {"S": "outbox"},
        "run_date": {"S": RUN.isoformat()}, "customer": {"S": a.customer}, "segment": {"S": a.segment},
        "scenario": {"S": a.scenario}, "step": {"S": a.step}, "channel": {"S": a.channel}, "tone": {"S": a.tone},
        "rules_digest": {"S": ""}, "shard": {"N": str(shard)}, "invoice": {"S": a.invoice}}}} for a in actions]
    for start in range(0, len(requests), 25):
        store.client.batch_write_item(RequestItems={store.table: requests[start:start + 25]})


def emails_sent(stack) -> list:
    return list(ses_backends["123456789012"][stack.region].sent_messages)


def test_a_customer_with_thousands_of_invoices_and_its_neighbour_are_both_reminded(functions, stack, store):
    ses_backends["123456789012"][stack.region].sent_messages.clear()
    big, small = "BIG", neighbour_of("BIG")
    seed_recorded_not_queued(store, business(big))
    store.seed(book([business(small)], [invoice("F-SMALL", small)]))
    functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()))
    assert functions.drain("EvaluationQueue", "EvaluatorFunction") == {"delivered": SHARDS, "failed": 0}
    assert store.pending_outbox(shard_of(big, SHARDS)) == []  # nothing left unqueued for tomorrow

    assert functions.drain("EmailQueue", "EmailFunction", **DAY) == {"delivered": 2, "failed": 0}
    sent = emails_sent(stack)
    assert sorted(m.destinations[0] for m in sent) == ["big@client.example", f"{small.lower()}@client.example"]
    assert [e["kind"] for e in store.history(big_invoice(0))] == ["sent"]
    assert [e["kind"] for e in store.history(big_invoice(MANY - 1))] == ["sent"]
    assert [e["kind"] for e in store.history("F-SMALL")] == ["action_planned", "sent"]


def test_a_message_by_reference_follows_its_letter_fallback(functions, stack, store):
    """No e-mail address: the e-mail function moves the message to the letter queue, by reference too."""
    big = "BIG"
    seed_recorded_not_queued(store, business(big, email="", address={"line1": "3 rue des Lilas",
                                                                       "postal_code": "69003", "city": "Lyon"}))
    functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")
    assert functions.drain("EmailQueue", "EmailFunction", **DAY) == {"delivered": 1, "failed": 0}
    (moved,) = queued(stack, "LetterQueue")
    assert moved["customer"] == big and moved["channel"] == "letter" and "actions" not in moved


def test_a_call_task_for_thousands_of_invoices_is_kept_and_digested(functions, stack, store):
    """The call task lists every invoice for the account manager: far over DynamoDB's 400 KB item, it is kept
    in parts, and the day's digest still reads it."""
    from relance.app.deliver import ChannelMessage, MessageAction

    ses_backends["123456789012"][stack.region].sent_messages.clear()
    big = business("BIG", account_manager="julie@atelier.example")
    store.seed(book([big], [invoice(big_invoice(n), "BIG") for n in range(MANY)]))
    actions = tuple(MessageAction(big_invoice(n), "relance_2", "standard", "standard") for n in range(MANY))
    store.put_message_actions("k-phone", [{"invoice": a.invoice, "step": a.step, "segment": a.segment,
                                           "scenario": a.scenario} for a in actions])
    call = ChannelMessage("k-phone", RUN, "BIG", "phone", "factuel", actions, actions_ref="k-phone")
    stack.client("sqs").send_message(QueueUrl=stack.physical["PhoneQueue"], MessageBody=call.body())

    assert functions.drain("PhoneQueue", "PhoneFunction", **DAY) == {"delivered": 1, "failed": 0}
    (task,) = store.call_tasks(RUN)
    assert len(task["invoices"]) == MANY and task["invoices"][-1]["id"] == big_invoice(MANY - 1)
    assert functions.invoke("DigestFunction", {"run_date": RUN.isoformat()}, **DAY)["digests"] == 1
    assert len(emails_sent(stack)) == 1
