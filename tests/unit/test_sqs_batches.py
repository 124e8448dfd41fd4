"""Queuing the outbox within SQS's limits: 10 entries and 1 MiB a batch, one entry's failure its own."""

from __future__ import annotations

import json
from datetime import date

from botocore.exceptions import ClientError

from relance.adapters.sqs import SQS_BATCH_BYTES, SqsQueues, batches
from relance.app.deliver import ChannelMessage
from relance.app.evaluate import INLINE_ACTIONS_MAX_BYTES, ShardReport, flush_outbox
from relance.ports import ActionRecord

RUN = date(2026, 11, 2)


class FakeSqs:
    """SendMessageBatch as SQS answers it: a batch over 10 entries or 1 MiB is refused whole; each accepted
    batch reports every entry as Successful or Failed."""

    def __init__(self, fail_once: set[str] = frozenset(), refuse: set[str] = frozenset()) -> None:
        self.queued: list[dict] = []
        self.requests = 0
        self.fail_once = set(fail_once)  # bodies SQS fails once on its side (SenderFault false)
        self.refuse = set(refuse)  # bodies SQS refuses as the sender's fault

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict]) -> dict:
        self.requests += 1
        size = sum(len(e["MessageBody"].encode("utf-8")) for e in Entries)
        if len(Entries) > 10 or size > SQS_BATCH_BYTES:
            code = "TooManyEntriesInBatchRequest" if len(Entries) > 10 else "BatchRequestTooLong"
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, "SendMessageBatch")
        answer: dict[str, list] = {"Successful": [], "Failed": []}
        for entry in Entries:
            body = entry["MessageBody"]
            if body in self.fail_once:
                self.fail_once.discard(body)
                answer["Failed"].append({"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"})
            elif body in self.refuse:
                answer["Failed"].append({"Id": entry["Id"], "SenderFault": True, "Code": "InvalidMessageContents"})
            else:
                self.queued.append(json.loads(body))
                answer["Successful"].append({"Id": entry["Id"], "MessageId": "x"})
        return answer


def body(key: str, size: int = 100) -> tuple[str, str]:
    return key, json.dumps({"key": key, "pad": "x" * size})


def test_batches_are_cut_by_count_and_by_size():
    small = [body(f"s{n}") for n in range(25)]
    assert [len(b) for b in batches(small)] == [10, 10, 5]
    large = [body(f"l{n}", 400_000) for n in range(5)]
    assert [len(b) for b in batches(large)] == [2, 2, 1]
    assert all(sum(len(b.encode()) for _, b in batch) <= SQS_BATCH_BYTES for batch in batches(large + small))


def test_messages_over_one_mebibyte_together_are_all_queued():
    sqs = FakeSqs()
    bodies = [body(f"l{n}", 400_000) for n in range(3)] + [body("small")]
    assert SqsQueues(sqs, {"email": "q"}).send("email", bodies) == {"l0", "l1", "l2", "small"}
    assert len(sqs.queued) == 4


def test_an_entry_failed_on_sqs_side_is_sent_again():
    sqs = FakeSqs(fail_once={body("a")[1]})
    assert SqsQueues(sqs, {"email": "q"}).send("email", [body("a"), body("b")]) == {"a", "b"}


def test_an_entry_refused_for_good_does_not_keep_the_others_from_the_queue():
    sqs = FakeSqs(refuse={body("bad")[1]})
    queues = SqsQueues(sqs, {"email": "q"})
    assert queues.send("email", [body("a"), body("bad"), body("b")]) == {"a", "b"}
    assert queues.take_errors() == ["InvalidMessageContents"] and queues.take_errors() == []


def test_a_batch_refused_whole_costs_only_its_own_entries():
    sqs = FakeSqs()
    too_long = body("huge", SQS_BATCH_BYTES + 1)
    queues = SqsQueues(sqs, {"email": "q"})
    assert queues.send("email", [body("a"), too_long, body("b")]) == {"a", "b"}
    assert queues.take_errors() == ["BatchRequestTooLong"]


class MemoryStore:
    """The outbox and message-action side of the store, in memory."""

    def __init__(self, pending: list[ActionRecord]) -> None:
        self.pending = list(pending)
        self.parts: dict[str, list[dict[str, str]]] = {}

    def pending_outbox(self, shard: int, *, with_cancelled: bool = False) -> list[ActionRecord]:
        return list(self.pending)

    def clear_outbox(self, actions) -> None:
        gone = set(actions)
        self.pending = [a for a in self.pending if a not in gone]

    def put_message_actions(self, key: str, actions) -> None:
        self.parts[key] = list(actions)

    def message_actions(self, key: str) -> list[dict[str, str]]:
        return self.parts.get(key, [])


def action(invoice: str, customer: str) -> ActionRecord:
    return ActionRecord(invoice, customer, "standard", "standard", "relance_1", "email", "courtois", run_date=RUN,
                        shard=3)


class Channel:
    def __init__(self, sqs: FakeSqs) -> None:
        self.queues = SqsQueues(sqs, {"email": "q"})

    def send(self, channel, bodies):
        return self.queues.send(channel, bodies)


def test_a_customer_with_five_thousand_invoices_and_its_neighbour_are_both_queued():
    many = [action(f"FAC-2026-{n:06d}-{'X' * 150}", "BIG") for n in range(5000)]
    store = MemoryStore([*many, action("F-SMALL", "C2")])
    sqs = FakeSqs()
    report = ShardReport(RUN, 3)
    flush_outbox(store=store, queue=Channel(sqs), shard=3, report=report)
    assert report.not_queued == 0 and report.queued_actions == 5001 and store.pending == []
    assert sorted(m["customer"] for m in sqs.queued) == ["BIG", "C2"]
    assert sqs.requests == 1  # one batch still carries both: grouping costs no extra request
    big = next(m for m in sqs.queued if m["customer"] == "BIG")
    assert len(json.dumps(big).encode()) < INLINE_ACTIONS_MAX_BYTES
    # The channel reads the whole list back.
    message = ChannelMessage.from_body(json.dumps(big), store)
    assert len(message.actions) == 5000 and message.actions[-1].invoice == many[-1].invoice
    # Moved to the letter channel, it stays by reference and reads the same actions.
    moved = ChannelMessage.from_body(message.rerouted("letter").body(), store)
    assert moved.channel == "letter" and moved.actions == message.actions


def test_a_small_message_lists_its_actions_inline():
    store = MemoryStore([action("F1", "C1"), action("F2", "C1")])
    sqs = FakeSqs()
    flush_outbox(store=store, queue=Channel(sqs), shard=3, report=ShardReport(RUN, 3))
    (queued,) = sqs.queued
    assert [a["invoice"] for a in queued["actions"]] == ["F1", "F2"] and store.parts == {}
