"""The one DynamoDB table: the client, transactions, queries and side records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from .items import (
    PART_MARK,
    RECORD_CHUNK_CHARS,
    _event_item,
    _json_attr,
    _s,
    is_conditional_failure,
    now_utc,
)


class Table:
    """The table and the writes every access pattern shares."""

    def __init__(self, client: Any, table: str, shards: int, *, batch_writes: bool = True) -> None:
        self.client = client
        self.table = table
        self.shards = shards
        # False: one item per write request, for the functions that face the internet — they hold no
        # BatchWriteItem permission, which would let them delete any item (template.yaml, least privilege).
        self.batch_writes = batch_writes

    def _transact_once(self, items: list[dict[str, Any]]) -> bool:
        """Write ``items`` in one transaction; ``False`` when a condition says it was already written."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Append history events: each ``{"invoice", "kind", "date", …}``; the time makes the key unique."""
        items = [_event_item(event, n) for n, event in enumerate(events)]
        if not self.batch_writes:
            for item in items:
                self.client.put_item(TableName=self.table, Item=item)
            return
        requests = [{"PutRequest": {"Item": item}} for item in items]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _put_record(self, pk: str, sk: str, fields: dict[str, Any], *, expires_at: int | None = None) -> None:
        """A side record (call task, letter, SES message): plain text fields plus a JSON payload.

        A payload too large for one DynamoDB item (400 KB: the call task of a customer with thousands of
        invoices) is kept in parts, written before the record that counts them; readers put them back together.
        ``expires_at`` (Unix seconds) lets DynamoDB's TTL delete a record that only matters for a while."""
        payload = _json_attr(fields)["S"]
        chunks = [payload[i:i + RECORD_CHUNK_CHARS] for i in range(0, len(payload), RECORD_CHUNK_CHARS)] or [""]
        expiration = {"expiration": {"N": str(int(expires_at))}} if expires_at is not None else {}
        for n, chunk in enumerate(chunks[1:], 1):
            self.client.put_item(TableName=self.table, Item={
                "pk": _s(pk), "sk": _s(f"{sk}{PART_MARK}{n:04d}"), "type": _s("record_part"), "part_of": _s(sk),
                "payload": _s(chunk), **expiration})
        item = {"pk": _s(pk), "sk": _s(sk), "type": _s(fields.get("type", "record")), "payload": _s(chunks[0]),
                **expiration}
        if len(chunks) > 1:
            item["payload_parts"] = {"N": str(len(chunks))}
        self.client.put_item(TableName=self.table, Item=item)

    def _mark_once(self, pk: str, sk: str) -> bool:
        """Put a marker once: ``False`` when it was already there (a callback delivered twice)."""
        try:
            self.client.put_item(TableName=self.table, Item={"pk": _s(pk), "sk": _s(sk), "type": _s("claim"),
                                                             "at": _s(now_utc())},
                                 ConditionExpression="attribute_not_exists(pk)")
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def _records(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        condition = "pk = :p" + (" AND begins_with(sk, :s)" if prefix else "")
        values = {":p": _s(pk), **({":s": _s(prefix)} if prefix else {})}
        return [fields for _, fields in self._side_records(condition, values)]

    def _records_through(self, pk: str, last_sk: str) -> list[tuple[str, dict[str, Any]]]:
        """(sk, fields) of the side records of ``pk`` whose sort key is at most ``last_sk``, in key order."""
        return self._side_records("pk = :p AND sk <= :s", {":p": _s(pk), ":s": _s(last_sk)})

    def _side_records(self, condition: str, values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        items = self._query_all(condition, values)
        parts = {(item["part_of"]["S"], item["sk"]["S"]): item["payload"]["S"] for item in items if "part_of" in item}
        out: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            if "part_of" in item:
                continue
            sk, payload = item["sk"]["S"], item.get("payload", {}).get("S", "")
            count = int(item.get("payload_parts", {}).get("N", "1"))
            if count > 1:
                wanted = [f"{sk}{PART_MARK}{n:04d}" for n in range(1, count)]
                if any((sk, w) not in parts for w in wanted):  # cut off by the key range: read them
                    parts.update({(sk, p["sk"]["S"]): p["payload"]["S"] for p in self._query_all(
                        "pk = :p AND begins_with(sk, :m)", {":p": item["pk"], ":m": _s(sk + PART_MARK)})})
                payload += "".join(parts[(sk, w)] for w in wanted)
            out.append((sk, dict(json.loads(payload, parse_float=Decimal)) if payload else {}))
        return out

    def _query_all(self, condition: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True,
                                  "KeyConditionExpression": condition, "ExpressionAttributeValues": values}
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete_record(self, pk: str, sk: str) -> None:
        for part in self._query_all("pk = :p AND begins_with(sk, :m)", {":p": _s(pk), ":m": _s(sk + PART_MARK)}):
            self.client.delete_item(TableName=self.table, Key={"pk": part["pk"], "sk": part["sk"]})
        self.client.delete_item(TableName=self.table, Key={"pk": _s(pk), "sk": _s(sk)})

