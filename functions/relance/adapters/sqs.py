"""SQS: one queue per channel, messages sent ten at a time with SendMessageBatch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SQS_BATCH = 10


class SqsQueues:
    """:class:`relance.ports.MessageQueue` over one SQS queue per channel."""

    def __init__(self, client: Any, queue_urls: Mapping[str, str]) -> None:
        self.client = client
        self.queue_urls = dict(queue_urls)

    def send(self, channel: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        return self.send_to(self.queue_urls[channel], bodies)

    def send_to(self, queue_url: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        accepted: set[str] = set()
        for start in range(0, len(bodies), SQS_BATCH):
            chunk = bodies[start:start + SQS_BATCH]
            # Batch entry ids allow only letters, digits, - and _: the keys are hex, the index keeps them unique.
            entries = [{"Id": f"m{i}", "MessageBody": body} for i, (_, body) in enumerate(chunk)]
            answer = self.client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            for ok in answer.get("Successful", []):
                accepted.add(chunk[int(ok["Id"][1:])][0])
        return accepted
