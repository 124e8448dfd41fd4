"""Each customer's contact log on the data table (SPEC §2.8): the messages it was sent, invoice by invoice gone.

| item    | pk               | sk                                        | read by                        |
|---------|------------------|-------------------------------------------|--------------------------------|
| contact | CONTACT#<shard>  | <run date>#<customer>#<channel>#<tone>    | Query pk, sk between (evaluator) |

The daily query reads open invoices only, yet a settled invoice's messages still count in its customer's
window and tone floor. One partition per shard (the customer's shard, as the evaluation jobs), so a shard's
run reads the days it needs in one Query; one item per message (customer, day, channel, tone), written again
with the same key by a rerun, and expiring (TTL) once past the policy's horizon.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..domain.contact import SentMessage

EXPIRY_MARGIN_DAYS = 7


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class DynamoContactLog:
    """:class:`relance.app.contact.ContactLog` on the data table."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def log(self, shard: int, sent: Iterable[tuple[str, SentMessage]], keep_days: int) -> None:
        """Note what each customer is sent: ``(customer id, message)`` pairs, kept ``keep_days`` past their day."""
        items: dict[str, dict[str, Any]] = {}
        for customer, message in sent:
            sk = f"{message.date.isoformat()}#{customer}#{message.channel}#{message.tone or ''}"
            expires = datetime.combine(message.date + timedelta(days=keep_days + EXPIRY_MARGIN_DAYS), time(), UTC)
            items[sk] = {"pk": _s(f"CONTACT#{shard}"), "sk": _s(sk), "type": _s("contact"),
                         "customer": _s(customer), "date": _s(message.date.isoformat()),
                         "channel": _s(message.channel), "tone": _s(message.tone or ""),
                         "expiration": {"N": str(int(expires.timestamp()))}}
        requests = [{"PutRequest": {"Item": item}} for item in items.values()]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def since(self, shard: int, start: date, end: date) -> dict[str, tuple[SentMessage, ...]]:
        """The messages of the shard's customers from ``start`` to ``end`` included, by customer id."""
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": _s(f"CONTACT#{shard}"), ":a": _s(start.isoformat()),
                                          ":b": _s(f"{end.isoformat()}#\U0010ffff")}}
        out: dict[str, list[SentMessage]] = defaultdict(list)
        while True:
            page = self.client.query(**kwargs)
            for item in page["Items"]:
                out[item["customer"]["S"]].append(SentMessage(date.fromisoformat(item["date"]["S"]),
                                                              item["channel"]["S"], item["tone"]["S"] or None))
            if "LastEvaluatedKey" not in page:
                return {customer: tuple(messages) for customer, messages in out.items()}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
