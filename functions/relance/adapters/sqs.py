"""SQS: one queue per channel, messages sent with SendMessageBatch in batches that SQS accepts.

SQS's limits (API reference, SendMessageBatch, 2025): at most 10 entries per batch, and 1 MiB (1 048 576
bytes) for one message as for the sum of a batch's message bodies. A batch over either limit is refused
whole; a batch that is accepted reports each entry's outcome (``Successful`` / ``Failed``). So batches are cut
by count and by size, an entry failed on SQS's side is sent again, and a batch refused whole costs only its
own entries: they stay in the outbox, the others are queued.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

SQS_BATCH = 10
SQS_BATCH_BYTES = 1_048_576  # the sum of a batch's bodies (and the most one message may carry)
RETRIES = 2  # an entry SQS failed on its side (SenderFault false) is sent again this many times


def batches(bodies: Sequence[tuple[str, str]], *, count: int = SQS_BATCH,
            size: int = SQS_BATCH_BYTES) -> Iterator[list[tuple[str, str]]]:
    """Consecutive batches of at most ``count`` entries whose bodies add up to at most ``size`` bytes (UTF-8).

    A body over ``size`` on its own goes alone (SQS refuses it; callers keep messages well under it)."""
    batch: list[tuple[str, str]] = []
    total = 0
    for key, body in bodies:
        length = len(body.encode("utf-8"))
        if batch and (len(batch) == count or total + length > size):
            yield batch
            batch, total = [], 0
        batch.append((key, body))
        total += length
    if batch:
        yield batch


class SqsQueues:
    """:class:`relance.ports.MessageQueue` over one SQS queue per channel."""

    def __init__(self, client: Any, queue_urls: Mapping[str, str]) -> None:
        self.client = client
        self.queue_urls = dict(queue_urls)
        self.errors: list[str] = []  # why entries were not queued (SQS error codes), for the caller's log

    def send(self, channel: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        return self.send_to(self.queue_urls[channel], bodies)

    def send_to(self, queue_url: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        accepted: set[str] = set()
        for batch in batches(bodies):
            accepted |= self._send_batch(queue_url, batch)
        return accepted

    def _send_batch(self, queue_url: str, batch: list[tuple[str, str]]) -> set[str]:
        accepted: set[str] = set()
        # Batch entry ids allow only letters, digits, - and _: the keys are hex, the index keeps them unique.
        entries = {f"m{i}": (key, body) for i, (key, body) in enumerate(batch)}
        for _ in range(1 + RETRIES):
            try:
                answer = self.client.send_message_batch(
                    QueueUrl=queue_url, Entries=[{"Id": i, "MessageBody": body} for i, (_, body) in entries.items()])
            except ClientError as err:
                # Refused whole (too long, throttled, the queue's own size limit…): these entries stay in the
                # outbox and the next run sends them again; the other batches go on.
                self.errors.append(err.response.get("Error", {}).get("Code", "ClientError"))
                return accepted
            for ok in answer.get("Successful", []):
                accepted.add(entries.pop(ok["Id"])[0])
            retry = {}
            for failed in answer.get("Failed", []):
                self.errors.append(str(failed.get("Code", "")))
                if not failed.get("SenderFault") and failed["Id"] in entries:
                    retry[failed["Id"]] = entries[failed["Id"]]
            entries = retry
            if not entries:
                break
        return accepted

    def redeliver_later(self, queue_arn: str, receipt_handle: str, *, seconds: int) -> None:
        """Hand a received message over again in ``seconds`` (a backoff), on the queue of ``queue_arn``."""
        name = queue_arn.rsplit(":", 1)[-1]
        known = [u for u in self.queue_urls.values() if u.rstrip("/").endswith("/" + name)]
        url = known[0] if known else self.client.get_queue_url(QueueName=name)["QueueUrl"]
        self.client.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)

    def take_errors(self) -> list[str]:
        """The SQS error codes met since the last call (why entries stayed in the outbox), then forget them."""
        errors, self.errors = self.errors, []
        return errors
